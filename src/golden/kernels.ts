/**
 * Golden-model kernels: NHWC int8 codes in typed arrays, exact integer arithmetic
 * (docs/numerics.md). No allocation per element; each kernel writes into a caller's buffer.
 * When `acc` is given, the raw accumulators are stored there too (conformance tests read them).
 */
import { INT8_MAX } from '../numerics/requant.ts';

export interface Requant {
  S: Int16Array;
  B: Int16Array;
  n: number;
  /** Lower clamp of the output code: -128, or the output zero code with ReLU. */
  lo: number;
}

// Inlined numerics.requantT + outputCode; test/numerics.property.test.ts and test/kernels.test.ts
// check the kernels against references written from the spec.
function requantCode(acc: number, S: number, B: number, div: number, half: number, lo: number): number {
  const q = Math.floor((acc * S + half) / div) + B - 128;
  return q < lo ? lo : q > INT8_MAX ? INT8_MAX : q;
}

/**
 * Two int4/int8 weights packed in one float64, w0 * 2^24 + w1: one multiply-add then accumulates
 * two dot products exactly (|each| < 2^23 is proven by the loader, so the sum stays below 2^47 and
 * the low field never borrows across). The software twin of packing two products into one DSP.
 */
const PACK = 2 ** 24;

/** Packs weights per call (cout*cin work, nothing beside the pixels*cout*cin MACs): no stale cache. */
function packedPairs(w: Int8Array, cout: number, cin: number): Float64Array {
  const wp = new Float64Array((cout >> 1) * cin);
  for (let co = 0; co + 1 < cout; co += 2)
    for (let ci = 0; ci < cin; ci++) wp[(co >> 1) * cin + ci] = w[co * cin + ci] * PACK + w[(co + 1) * cin + ci];
  return wp;
}

/** 1x1 convolution, stride 1: y[p][co] = rq(sum_ci x[p][ci] * w[co][ci]). */
export function conv1x1(x: Int8Array, pixels: number, cin: number, w: Int8Array, cout: number, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  // Blocking of two pixels by four output channels (two packed pairs): each load feeds two
  // multiply-adds, each multiply-add does two MACs.
  const wp = packedPairs(w, cout, cin);
  const pix2 = pixels & ~1, cout4 = cout & ~3;
  let p = 0;
  for (; p < pix2; p += 2) {
    const xa = p * cin, xb = xa + cin;
    let co = 0;
    for (; co < cout4; co += 4) {
      const w01 = (co >> 1) * cin, w23 = w01 + cin;
      let a01 = 0, a23 = 0, b01 = 0, b23 = 0;
      for (let ci = 0; ci < cin; ci++) {
        const u = x[xa + ci], v = x[xb + ci];
        const k01 = wp[w01 + ci], k23 = wp[w23 + ci];
        a01 += u * k01; a23 += u * k23;
        b01 += v * k01; b23 += v * k23;
      }
      const a0 = Math.round(a01 / PACK), a2 = Math.round(a23 / PACK), b0 = Math.round(b01 / PACK), b2 = Math.round(b23 / PACK);
      store4(y, acc, p * cout + co, co, a0, a01 - a0 * PACK, a2, a23 - a2 * PACK, rq);
      store4(y, acc, (p + 1) * cout + co, co, b0, b01 - b0 * PACK, b2, b23 - b2 * PACK, rq);
    }
    for (; co < cout; co++) {
      conv1x1Single(x, xa, cin, w, co, rq, y, acc, p * cout + co);
      conv1x1Single(x, xb, cin, w, co, rq, y, acc, (p + 1) * cout + co);
    }
  }
  for (; p < pixels; p++) for (let co = 0; co < cout; co++) conv1x1Single(x, p * cin, cin, w, co, rq, y, acc, p * cout + co);
}

function conv1x1Single(x: Int8Array, xb: number, cin: number, w: Int8Array, co: number, rq: Requant, y: Int8Array, acc: Int32Array | undefined, o: number): void {
  const wb = co * cin;
  let a = 0;
  for (let ci = 0; ci < cin; ci++) a += x[xb + ci] * w[wb + ci];
  if (acc) acc[o] = a;
  y[o] = requantCode(a, rq.S[co], rq.B[co], 2 ** rq.n, 2 ** (rq.n - 1), rq.lo);
}

function store4(y: Int8Array, acc: Int32Array | undefined, o: number, co: number, a0: number, a1: number, a2: number, a3: number, rq: Requant): void {
  if (acc) { acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3; }
  const div = 2 ** rq.n, half = 2 ** (rq.n - 1), S = rq.S, B = rq.B, lo = rq.lo;
  y[o] = requantCode(a0, S[co], B[co], div, half, lo);
  y[o + 1] = requantCode(a1, S[co + 1], B[co + 1], div, half, lo);
  y[o + 2] = requantCode(a2, S[co + 2], B[co + 2], div, half, lo);
  y[o + 3] = requantCode(a3, S[co + 3], B[co + 3], div, half, lo);
}

/**
 * Offset conv: 1x1 conv to one channel (at the given stride) whose requantized t, clamped to
 * [0, dmax], is the dilation of each output pixel.
 */
export function offsetConv(x: Int8Array, h: number, w: number, cin: number, stride: number, wts: Int8Array, S: number, B: number, n: number, dmax: number, d: Uint8Array, acc?: Int32Array): void {
  const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
  const div = 2 ** n, half = 2 ** (n - 1);
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const xb = ((oy * stride) * w + ox * stride) * cin;
      let a = 0;
      for (let ci = 0; ci < cin; ci++) a += x[xb + ci] * wts[ci];
      const o = oy * wo + ox;
      if (acc) acc[o] = a;
      const t = Math.floor((a * S + half) / div) + B;
      d[o] = t < 0 ? 0 : t > dmax ? dmax : t;
    }
}

/**
 * Square (deformable) depthwise 3x3: output (y,x), tap (i,j) reads input (y*s + i*d, x*s + j*d)
 * with d from the dilation map `dmap` (one per output pixel) or the constant `dconst`.
 * Out-of-image taps read the channel's pad code. Weights [C][9], tap = (i+1)*3 + (j+1).
 */
export function depthwise3x3(x: Int8Array, h: number, w: number, c: number, stride: number, dmap: Uint8Array | null, dconst: number, wts: Int8Array, pad: Int8Array, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
  const div = 2 ** rq.n, half = 2 ** (rq.n - 1), lo = rq.lo, S = rq.S, B = rq.B;
  const wt = new Int32Array(9 * c); // tap-major so the channel loop walks memory in order
  for (let ch = 0; ch < c; ch++) for (let t = 0; t < 9; t++) wt[t * c + ch] = wts[ch * 9 + t];
  const off = new Int32Array(9); // element offset of each tap's pixel, -1 when outside the image
  const c2 = 2 * c, c3 = 3 * c, c4 = 4 * c, c5 = 5 * c, c6 = 6 * c, c7 = 7 * c, c8 = 8 * c;
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const o = oy * wo + ox;
      const d = dmap ? dmap[o] : dconst;
      let inside = true;
      for (let t = 0; t < 9; t++) {
        const iy = oy * stride + (((t / 3) | 0) - 1) * d, ix = ox * stride + ((t % 3) - 1) * d;
        const ok = iy >= 0 && iy < h && ix >= 0 && ix < w;
        off[t] = ok ? (iy * w + ix) * c : -1;
        inside = inside && ok;
      }
      const yb = o * c;
      if (inside) {
        // Common case: nine taps in the image, accumulated in a register per channel.
        const o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5], o6 = off[6], o7 = off[7], o8 = off[8];
        for (let ch = 0; ch < c; ch++) {
          const a = x[o0 + ch] * wt[ch] + x[o1 + ch] * wt[c + ch] + x[o2 + ch] * wt[c2 + ch] +
            x[o3 + ch] * wt[c3 + ch] + x[o4 + ch] * wt[c4 + ch] + x[o5 + ch] * wt[c5 + ch] +
            x[o6 + ch] * wt[c6 + ch] + x[o7 + ch] * wt[c7 + ch] + x[o8 + ch] * wt[c8 + ch];
          if (acc) acc[yb + ch] = a;
          y[yb + ch] = requantCode(a, S[ch], B[ch], div, half, lo);
        }
      } else {
        for (let ch = 0; ch < c; ch++) {
          let a = 0;
          for (let t = 0; t < 9; t++) a += (off[t] < 0 ? pad[ch] : x[off[t] + ch]) * wt[t * c + ch];
          if (acc) acc[yb + ch] = a;
          y[yb + ch] = requantCode(a, S[ch], B[ch], div, half, lo);
        }
      }
    }
}

/** Stem: full 3x3 conv, pad 1, stride s; weights [Cout][ky][kx][Cin]; out-of-image taps read pad[ci]. */
export function stemConv(x: Int8Array, h: number, w: number, cin: number, stride: number, wts: Int8Array, cout: number, pad: Int8Array, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
  const div = 2 ** rq.n, half = 2 ** (rq.n - 1), lo = rq.lo, S = rq.S, B = rq.B;
  const k = 9 * cin;
  const patch = new Int32Array(k);
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      // Gather the receptive field once, then one dot product per output channel.
      for (let ky = 0; ky < 3; ky++) {
        const iy = oy * stride + ky - 1;
        for (let kx = 0; kx < 3; kx++) {
          const ix = ox * stride + kx - 1;
          const pb = (ky * 3 + kx) * cin;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          const xb = (iy * w + ix) * cin;
          for (let ci = 0; ci < cin; ci++) patch[pb + ci] = inside ? x[xb + ci] : pad[ci];
        }
      }
      const yb = (oy * wo + ox) * cout;
      for (let co = 0; co < cout; co++) {
        const wb = co * k;
        let a = 0;
        for (let t = 0; t < k; t++) a += patch[t] * wts[wb + t];
        if (acc) acc[yb + co] = a;
        y[yb + co] = requantCode(a, S[co], B[co], div, half, lo);
      }
    }
}

/** Max pool 3x3, stride 2, padding 1; taps outside the image are ignored (not padded). */
export function maxpool3x3s2(x: Int8Array, h: number, w: number, c: number, y: Int8Array): void {
  const ho = Math.floor((h - 1) / 2) + 1, wo = Math.floor((w - 1) / 2) + 1;
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const yb = (oy * wo + ox) * c;
      y.fill(-128, yb, yb + c);
      for (let iy = Math.max(0, 2 * oy - 1); iy <= Math.min(h - 1, 2 * oy + 1); iy++)
        for (let ix = Math.max(0, 2 * ox - 1); ix <= Math.min(w - 1, 2 * ox + 1); ix++) {
          const xb = (iy * w + ix) * c;
          for (let ch = 0; ch < c; ch++) if (x[xb + ch] > y[yb + ch]) y[yb + ch] = x[xb + ch];
        }
    }
}

/** Nearest-neighbour upsample x2: y[Y][X] = x[Y>>1][X>>1]. */
export function upsample2x(x: Int8Array, h: number, w: number, c: number, y: Int8Array): void {
  const w2 = 2 * w;
  for (let oy = 0; oy < 2 * h; oy++)
    for (let ox = 0; ox < w2; ox++) {
      const xb = ((oy >> 1) * w + (ox >> 1)) * c;
      y.set(x.subarray(xb, xb + c), (oy * w2 + ox) * c);
    }
}

/** Channel shuffle, 2 groups: output channel k = i*2 + g takes input channel g*(C/2) + i. */
export function shuffle2(x: Int8Array, pixels: number, c: number, y: Int8Array): void {
  const half = c >> 1;
  for (let p = 0; p < pixels; p++) {
    const b = p * c;
    for (let i = 0; i < half; i++) {
      y[b + 2 * i] = x[b + i];
      y[b + 2 * i + 1] = x[b + half + i];
    }
  }
}

/** Copies channels [c0, c0 + cs) of every pixel of x (c channels) into channels [d0, d0 + cs) of y (cy channels). */
export function copyChannels(x: Int8Array, pixels: number, c: number, c0: number, cs: number, y: Int8Array, cy: number, d0: number): void {
  for (let p = 0; p < pixels; p++) y.set(x.subarray(p * c + c0, p * c + c0 + cs), p * cy + d0);
}
