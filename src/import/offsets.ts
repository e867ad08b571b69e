/**
 * The deformable layer's offsets, evaluated symbolically. codenet's layer samples the square
 * (y + i d, x + j d), i, j in {-1, 0, 1}, with one integer dilation d = clamp(round(v), 0, dmax) per
 * pixel from a 1x1 offset conv v. An exported graph computes DeformConv's 18 offset channels from v
 * with elementwise ops (Round or Floor(v + 0.5), Clip, Sub, Mul by a template, Concat, Expand, ...);
 * each channel is tracked here as a * d + b, and squareOffsets checks that every tap moves exactly
 * as the square needs. Anything else (free offsets from a conv with 18 channels, a clamp not to
 * [0, dmax], a product of two maps) is refused by the caller with the message thrown here.
 */
import type { Const } from './onnx.ts';
import type { ConvLayer } from './graph.ts';

/** kv * v + kr * round(v) + c, before the clamp (round: 'up' = floor(v + 0.5), 'even' = ONNX Round). */
export interface Pre { t: 'pre'; conv: ConvLayer; kv: number; kr: number; c: number; half?: 'up' | 'even' }
/** Channels a[k] * d + b[k], d = clamp(v or round(v), 0, dmax). */
export interface Dx { t: 'dx'; conv: ConvLayer; dmax: number; rounded?: 'up' | 'even'; a: number[]; b: number[] }
export type OffsetValue = Pre | Dx;
type In = OffsetValue | Const;

const isConst = (v: In): v is Const => !('t' in v);

/** A constant's value per channel (axis 1 of NCHW; every other axis of size 1). */
function perChannel(c: Const): number[] {
  const d = [...Array(Math.max(0, 4 - c.dims.length)).fill(1), ...c.dims];
  if (d.length !== 4 || d[0] !== 1 || d[2] !== 1 || d[3] !== 1) throw new Error(`a constant of shape [${c.dims}] is not one value per channel`);
  return Array.from(c.data);
}

function sameMap(p: OffsetValue, q: OffsetValue): void {
  if (p.conv !== q.conv) throw new Error('it combines two different offset convs');
  if (p.t === 'dx' && q.t === 'dx' && (p.dmax !== q.dmax || p.rounded !== q.rounded)) throw new Error('it combines two different clamps of the offset map');
}

/** Elementwise over channels, broadcasting one channel to K. */
function zip(a: number[], b: number[], f: (x: number, y: number) => number): number[] {
  const n = Math.max(a.length, b.length);
  if (a.length !== n && a.length !== 1 || b.length !== n && b.length !== 1) throw new Error(`${a.length} and ${b.length} channels do not broadcast`);
  return Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
}

function linear(x: In, y: In, sx: number, sy: number): OffsetValue {
  if (isConst(x) && isConst(y)) throw new Error('unreachable: both constant');
  if (!isConst(x) && !isConst(y)) {
    sameMap(x, y);
    if (x.t === 'pre' && y.t === 'pre') return { ...x, kv: sx * x.kv + sy * y.kv, kr: sx * x.kr + sy * y.kr, c: sx * x.c + sy * y.c, half: x.half ?? y.half };
    if (x.t === 'dx' && y.t === 'dx') return { ...x, a: zip(x.a, y.a, (p, q) => sx * p + sy * q), b: zip(x.b, y.b, (p, q) => sx * p + sy * q) };
    throw new Error('it adds the offset map before and after its clamp');
  }
  const [v, c, sv, sc] = isConst(x) ? [y as OffsetValue, x, sy, sx] : [x, y as Const, sx, sy];
  const k = perChannel(c);
  if (v.t === 'pre') {
    if (k.length !== 1) throw new Error('it adds per-channel constants before the clamp');
    return { ...v, kv: sv * v.kv, kr: sv * v.kr, c: sv * v.c + sc * k[0] };
  }
  return { ...v, a: zip(v.a, k, (p) => sv * p), b: zip(v.b, k, (p, q) => sv * p + sc * q) };
}

/** One elementwise op of the offset computation. */
export function offsetOp(op: string, ins: In[], attrs: { clip?: [number, number]; axis?: number; repeat?: number; expandTo?: number }): OffsetValue {
  const [x, y] = ins;
  switch (op) {
    case 'Identity': case 'Dropout': case 'Cast':
      if (isConst(x)) break;
      return x;
    case 'Add': return linear(x, y, 1, 1);
    case 'Sub': return linear(x, y, 1, -1);
    case 'Neg': return linear(x, { dims: [], data: Float64Array.of(0), int: false }, -1, 0);
    case 'Mul': case 'Div': {
      const [v, c] = isConst(x) ? [y, x] : [x, y];
      if (isConst(v) || !isConst(c)) throw new Error('it multiplies the offset map by another map');
      const k = perChannel(c).map((s) => (op === 'Div' ? 1 / s : s));
      if (v.t === 'pre') {
        if (k.length !== 1) throw new Error('it scales channels before the clamp');
        return { ...v, kv: v.kv * k[0], kr: v.kr * k[0], c: v.c * k[0] };
      }
      return { ...v, a: zip(v.a, k, (p, q) => p * q), b: zip(v.b, k, (p, q) => p * q) };
    }
    case 'Round': case 'Floor': {
      if (isConst(x)) break;
      const shift = op === 'Floor' ? 0.5 : 0, half = op === 'Floor' ? 'up' : 'even';
      if (x.t === 'pre' && x.kr === 0 && x.kv === 1 && x.c === shift) return { t: 'pre', conv: x.conv, kv: 0, kr: 1, c: 0, half };
      if (x.t === 'dx' && !x.rounded && x.a.length === 1 && x.a[0] === 1 && x.b[0] === shift) return { ...x, rounded: half, b: [0] };
      throw new Error(op === 'Floor' ? 'Floor is supported only as floor(v + 0.5), the rounding of the dilation' : 'Round is supported only on the offset map itself');
    }
    case 'Clip': {
      if (isConst(x) || x.t !== 'pre') throw new Error('the offset map is clamped twice');
      const [lo, hi] = attrs.clip!;
      if (lo !== 0 || !Number.isInteger(hi) || hi < 1 || hi > 15) throw new Error(`the dilation clamp is Clip(${lo}, ${hi}); codenet's is Clip(0, dmax) with an integer dmax in 1..15`);
      if (x.kv === 1 && x.kr === 0 && x.c === 0) return { t: 'dx', conv: x.conv, dmax: hi, a: [1], b: [0] };
      if (x.kv === 0 && x.kr === 1 && x.c === 0) return { t: 'dx', conv: x.conv, dmax: hi, rounded: x.half, a: [1], b: [0] };
      throw new Error('the clamp reads a scaled or shifted offset map, not v or round(v)');
    }
    case 'Concat': {
      if (attrs.axis !== 1) throw new Error(`it concatenates along axis ${attrs.axis}, not channels`);
      const maps = ins.filter((v): v is OffsetValue => !isConst(v));
      const ref = maps[0];
      if (ref.t !== 'dx') throw new Error('it concatenates the offset map before its clamp');
      maps.forEach((m) => sameMap(ref, m));
      const a: number[] = [], b: number[] = [];
      for (const v of ins) {
        if (isConst(v)) { const k = perChannel(v); a.push(...k.map(() => 0)); b.push(...k); }
        else if (v.t === 'dx') { a.push(...v.a); b.push(...v.b); }
      }
      return { ...ref, a, b };
    }
    case 'Expand': case 'Tile': {
      if (isConst(x) || x.t !== 'dx') throw new Error(`${op} of the offset map before its clamp`);
      const r = op === 'Tile' ? attrs.repeat! : x.a.length === 1 ? attrs.expandTo! : 1;
      if (op === 'Expand' && x.a.length !== 1 && attrs.expandTo !== x.a.length && attrs.expandTo !== 1) throw new Error(`it expands ${x.a.length} channels to ${attrs.expandTo}`);
      return { ...x, a: Array.from({ length: x.a.length * r }, (_, i) => x.a[i % x.a.length]), b: Array.from({ length: x.b.length * r }, (_, i) => x.b[i % x.b.length]) };
    }
  }
  throw new Error(`${op} is not one of the elementwise ops of a square offset (Round, Floor, Clip, Add, Sub, Mul, Div, Neg, Concat, Expand, Tile)`);
}

/**
 * Checks that DeformConv offsets `o` (channel 2k: row, 2k+1: column of tap k = ky * 3 + kx) with
 * conv padding `pad` and dilation `dil` sample (y + (ky - 1) d, x + (kx - 1) d): DeformConv samples
 * y - pad + ky dil + offset, so offset = (ky - 1) d + pad - ky dil. Returns why not, or undefined.
 */
export function squareOffsets(o: Dx, pad: number, dil: number): string | undefined {
  if (o.a.length !== 18) return `the offsets have ${o.a.length} channels, a 3x3 kernel with one offset group needs 18`;
  for (let k = 0; k < 9; k++) {
    const ky = Math.floor(k / 3), kx = k % 3;
    for (const [ch, kk] of [[2 * k, ky], [2 * k + 1, kx]]) {
      const a = kk - 1, b = pad - kk * dil;
      if (Math.abs(o.a[ch] - a) > 1e-6 || Math.abs(o.b[ch] - b) > 1e-6)
        return `offset channel ${ch} (tap ${ky},${kx} ${ch % 2 ? 'column' : 'row'}) is ${o.a[ch]} * d + ${o.b[ch]}, the square needs ${a} * d + ${b}`;
    }
  }
  return undefined;
}
