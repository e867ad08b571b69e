/**
 * The config streams of a descriptor as bytes (docs/isa.md, "Config stream formats"), built from
 * the packing helpers of pack.ts. Every stream is a whole number of beats of `lanes` bytes.
 */
import { laneGroup, packDwGroup, packPwTile, packStemTile, type PwWord } from './pack.ts';

function wordsToBytes(words: PwWord[], lanes: number): Uint8Array {
  const out = new Uint8Array(words.length * lanes);
  words.forEach((w, i) => out.set(w.bytes, i * lanes));
  return out;
}

/** PW weights: PAIRS * G beats, beat p*G + g (G = cin / lanes), output channels [c0, c0 + outs). */
export function pwWeightStream(w: Int8Array, cin: number, cout: number, c0: number, lanes: number, outs: number): Uint8Array {
  return wordsToBytes(packPwTile(w, cin, cout, c0, lanes, outs), lanes);
}

/** STEM weights: PAIRS * ceil(27/lanes) beats; w is [cout][27] int8, channels c0 .. c0 + PAIRS - 2. */
export function stemWeightStream(w: Int8Array, cout: number, c0: number, lanes: number, outs: number): Uint8Array {
  return wordsToBytes(packStemTile(w, cout, c0, lanes, outs), lanes);
}

/** PW / STEM S and B: channel c of the tile is 32-bit word c (S in bits 15:0, B in 31:16); outs / (lanes/4) beats. */
export function pwSbStream(S: ArrayLike<number>, B: ArrayLike<number>, outs: number): Uint8Array {
  const out = new Uint8Array(outs * 4);
  const dv = new DataView(out.buffer);
  for (let c = 0; c < outs; c++) {
    dv.setInt16(4 * c, S[c] ?? 0, true);
    dv.setInt16(4 * c + 2, B[c] ?? 0, true);
  }
  return out;
}

/**
 * DW weights of groups [g0, g0 + ng): 5 beats per group; nibble (t*lanes + k) of the 5*lanes bytes
 * is tap t of lane k, the top 4*lanes bits 0. `w` is [channels][9] over the gathered lanes.
 */
export function dwWeightStream(w: Int8Array, channels: number, g0: number, ng: number, lanes: number): Uint8Array {
  const out = new Uint8Array(ng * 5 * lanes);
  for (let g = 0; g < ng; g++) {
    const v = packDwGroup(w, channels, g0 + g, lanes);
    const base = g * 5 * lanes;
    v.forEach((x, i) => { out[base + (i >> 1)] |= (x & 15) << ((i & 1) * 4); });
  }
  return out;
}

/** DW S and B of groups [g0, g0 + ng): per group two beats of lanes int16 S, then two of B. */
export function dwSbStream(S: ArrayLike<number>, B: ArrayLike<number>, channels: number, g0: number, ng: number, lanes: number): Uint8Array {
  const out = new Uint8Array(ng * 4 * lanes);
  const dv = new DataView(out.buffer);
  for (let g = 0; g < ng; g++) {
    const s = laneGroup(S, channels, g0 + g, lanes), b = laneGroup(B, channels, g0 + g, lanes);
    const base = g * 4 * lanes;
    for (let k = 0; k < lanes; k++) {
      dv.setInt16(base + 2 * k, s[k], true);
      dv.setInt16(base + 2 * lanes + 2 * k, b[k], true);
    }
  }
  return out;
}

/** Pad codes of groups [g0, g0 + ng): one beat per group, lane k = pad of that lane. */
export function padStream(pad: ArrayLike<number>, channels: number, g0: number, ng: number, lanes: number): Uint8Array {
  const out = new Uint8Array(ng * lanes);
  for (let g = 0; g < ng; g++) laneGroup(pad, channels, g0 + g, lanes).forEach((v, k) => { out[g * lanes + k] = v & 0xff; });
  return out;
}
