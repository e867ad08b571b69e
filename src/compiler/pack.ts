/**
 * How layer parameters are laid out for the engines (docs/architecture.md): channels in groups
 * of `lanes`, zero-padded; output channels in tiles; the stem's int8 weights split into int4
 * halves. The compiler writes these into the memory image; the engine tests feed them directly.
 */
import { windowOut } from '../ops/shape.ts';

/** One weight-RAM word of the 1x1 engine: pair p (output channels 2p, 2p+1), channel group g. */
export interface PwWord {
  pair: number;
  group: number;
  /** Per lane the byte {w(2p+1) nibble, w(2p) nibble}. */
  bytes: number[];
}

/** Tile of `outs` output channels starting at c0 of a [cout][cin] int4 weight matrix. */
export function packPwTile(w: Int8Array, cin: number, cout: number, c0: number, lanes: number, outs: number): PwWord[] {
  const groups = Math.ceil(cin / lanes);
  const at = (co: number, ci: number) => (co < cout && ci < cin ? w[co * cin + ci] : 0);
  const words: PwWord[] = [];
  for (let pair = 0; pair < outs / 2; pair++)
    for (let group = 0; group < groups; group++)
      words.push({ pair, group, bytes: Array.from({ length: lanes }, (_, k) => nibbles(at(c0 + 2 * pair, group * lanes + k), at(c0 + 2 * pair + 1, group * lanes + k))) });
  return words;
}

/** Output channels of the stem per pass: pair 0 sums the taps, each other pair is one channel. */
export function stemChannelsPerTile(outs: number): number {
  return outs / 2 - 1;
}

/**
 * Stem tile: int8 weight w = 16*hi + lo with hi = w >> 4 (int4) and lo = w & 15; pair p >= 1 holds
 * (lo - 8, hi) of channel c0 + p - 1 and pair 0 holds (1, 0), so the engine forms
 * acc = 16*sum(x*hi) + sum(x*(lo-8)) + 8*sum(x) = sum(x*w) exactly. Weights are [cout][27].
 */
export function packStemTile(w: Int8Array, cout: number, c0: number, lanes: number, outs: number): PwWord[] {
  const groups = Math.ceil(27 / lanes);
  const words: PwWord[] = [];
  for (let pair = 0; pair < outs / 2; pair++)
    for (let group = 0; group < groups; group++)
      words.push({
        pair, group,
        bytes: Array.from({ length: lanes }, (_, k) => {
          if (pair === 0) return nibbles(1, 0);
          const co = c0 + pair - 1, t = group * lanes + k;
          const v = co < cout && t < 27 ? w[co * 27 + t] : 0;
          return nibbles((v & 15) - 8, v >> 4);
        }),
      });
  return words;
}

/** The stem's receptive fields, one column of 27 codes (ky, kx, ci) per output pixel. */
export function im2colStem(x: Int8Array, h: number, w: number, stride: number, pad: Int8Array): number[][] {
  const ho = windowOut(h, stride), wo = windowOut(w, stride);
  const cols: number[][] = [];
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const col: number[] = [];
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++)
          for (let ci = 0; ci < 3; ci++) {
            const iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
            col.push(iy < 0 || iy >= h || ix < 0 || ix >= w ? pad[ci] : x[(iy * w + ix) * 3 + ci]);
          }
      cols.push(col);
    }
  return cols;
}

/** Depthwise weights of channel group g, tap-major: entry t*lanes + k is tap t of channel g*lanes+k. */
export function packDwGroup(w: Int8Array, c: number, g: number, lanes: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < 9; t++) for (let k = 0; k < lanes; k++) out.push(g * lanes + k < c ? w[(g * lanes + k) * 9 + t] : 0);
  return out;
}

/** A per-channel vector (pad codes, S, B) cut into lane groups, zero-padded. */
export function laneGroup<T extends ArrayLike<number>>(v: T, c: number, g: number, lanes: number): number[] {
  return Array.from({ length: lanes }, (_, k) => (g * lanes + k < c ? v[g * lanes + k] : 0));
}

/** Activations [pixels][c] as beats of `lanes` codes, pixel-major, channel group inner. */
export function toBeats(x: ArrayLike<number>, pixels: number, c: number, lanes: number): number[][] {
  const groups = Math.ceil(c / lanes);
  const beats: number[][] = [];
  for (let p = 0; p < pixels; p++)
    for (let g = 0; g < groups; g++) beats.push(Array.from({ length: lanes }, (_, k) => (g * lanes + k < c ? x[p * c + g * lanes + k] : 0)));
  return beats;
}

function nibbles(low: number, high: number): number {
  return ((high & 15) << 4) | (low & 15);
}
