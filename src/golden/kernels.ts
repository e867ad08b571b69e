/**
 * Golden-model kernels: NHWC int8 codes in typed arrays, exact integer arithmetic
 * (docs/numerics.md). No allocation per element; each kernel writes into a caller's buffer.
 * When `acc` is given, the raw accumulators are stored there too (conformance tests read them).
 */
import { INT8_MAX } from '../numerics/requant.ts';
import { windowOut } from '../ops/shape.ts';

export interface Requant {
  S: Int16Array;
  B: Int16Array;
  n: number;
  /** Lower clamp of the output code: -128, or the output zero code with ReLU. */
  lo: number;
}

// Inlined numerics.requantT + outputCode; test/numerics.property.test.ts and test/kernels.test.ts
// check the kernels against references written from the spec. `inv` is 2^-n: multiplying the
// exact numerator by a power of two is exact, so it equals the division, and costs less.
function requantCode(acc: number, S: number, B: number, inv: number, half: number, lo: number): number {
  const q = Math.floor((acc * S + half) * inv) + B - 128;
  return q < lo ? lo : q > CODE_MAX ? CODE_MAX : q;
}
/** INT8_MAX as a constant of this module: the optimizer folds it, an imported binding is loaded per use. */
const CODE_MAX = INT8_MAX;

/**
 * Two int4/int8 weights packed in one float64, w0 * 2^24 + w1: one multiply-add then accumulates
 * two dot products exactly (|each| < 2^23 is proven by the loader, so the sum stays below 2^47 and
 * the low field never borrows across). The software twin of packing two products into one DSP.
 */
const PACK = 2 ** 24;
const UNPACK = 2 ** -24;

/** Packs weights per call (cout*cin work, nothing beside the pixels*cout*cin MACs): no stale cache. */
function packedPairs(w: Int8Array, cout: number, cin: number): Float64Array {
  const wp = new Float64Array((cout >> 1) * cin);
  for (let co = 0; co + 1 < cout; co += 2)
    for (let ci = 0; ci < cin; ci++) wp[(co >> 1) * cin + ci] = w[co * cin + ci] * PACK + w[(co + 1) * cin + ci];
  return wp;
}

/**
 * 1x1 convolution, stride 1: y[p][co] = rq(sum_ci x[p][ci] * w[co][ci]).
 * Blocking of four pixels by four output channels (two packed pairs): per input channel six loads
 * feed eight multiply-adds of two MACs each. The input is widened to float64 once (pixels*cin
 * work) so the inner loop loads no int8 to convert. The accumulators of four pixels are unpacked
 * into a row buffer and requantized in one plain loop per pixel (requantRow).
 */
export function conv1x1(x: Int8Array, pixels: number, cin: number, w: Int8Array, cout: number, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  const wp = packedPairs(w, cout, cin);
  const xf = new Float64Array(pixels * cin);
  for (let i = 0; i < xf.length; i++) xf[i] = x[i];
  const row = new Float64Array(4 * cout);
  const cout4 = cout & ~3;
  for (let p = 0; p < pixels; p += 4) {
    const np = Math.min(4, pixels - p);
    if (np === 4) {
      const xa = p * cin, xb = xa + cin, xc = xb + cin, xd = xc + cin;
      for (let co = 0; co < cout4; co += 4) {
        const w01 = (co >> 1) * cin, w23 = w01 + cin;
        let a01 = 0, a23 = 0, b01 = 0, b23 = 0, c01 = 0, c23 = 0, d01 = 0, d23 = 0;
        for (let ci = 0; ci < cin; ci++) {
          const k01 = wp[w01 + ci], k23 = wp[w23 + ci];
          const u = xf[xa + ci], v = xf[xb + ci], s = xf[xc + ci], t = xf[xd + ci];
          a01 += u * k01; a23 += u * k23;
          b01 += v * k01; b23 += v * k23;
          c01 += s * k01; c23 += s * k23;
          d01 += t * k01; d23 += t * k23;
        }
        unpack2(row, co, a01, a23);
        unpack2(row, cout + co, b01, b23);
        unpack2(row, 2 * cout + co, c01, c23);
        unpack2(row, 3 * cout + co, d01, d23);
      }
    } else {
      for (let i = 0; i < np; i++) {
        const xa = (p + i) * cin;
        for (let co = 0; co < cout4; co += 4) {
          const w01 = (co >> 1) * cin, w23 = w01 + cin;
          let a01 = 0, a23 = 0;
          for (let ci = 0; ci < cin; ci++) {
            const u = xf[xa + ci];
            a01 += u * wp[w01 + ci]; a23 += u * wp[w23 + ci];
          }
          unpack2(row, i * cout + co, a01, a23);
        }
      }
    }
    // Odd output channels past the last block of four: one plain dot product each.
    for (let i = 0; i < np; i++)
      for (let co = cout4; co < cout; co++) {
        const xa = (p + i) * cin, wb = co * cin;
        let a = 0;
        for (let ci = 0; ci < cin; ci++) a += xf[xa + ci] * w[wb + ci];
        row[i * cout + co] = a;
      }
    requantRow(row, np * cout, cout, rq, y, p * cout, acc);
  }
}

/** Splits two packed sums (p01 = a0 * 2^24 + a1, p23 likewise) into row[o..o+3]. */
function unpack2(row: Float64Array, o: number, p01: number, p23: number): void {
  // |a1| < 2^23, so rounding p01 / 2^24 to the nearest integer gives a0 (the scaling is exact).
  const a0 = Math.round(p01 * UNPACK), a2 = Math.round(p23 * UNPACK);
  row[o] = a0; row[o + 1] = p01 - a0 * PACK;
  row[o + 2] = a2; row[o + 3] = p23 - a2 * PACK;
}

/** Requantizes `count` accumulators (pixels of `c` channels) from row into y[o..], acc[o..]. */
function requantRow(row: Float64Array, count: number, c: number, rq: Requant, y: Int8Array, o: number, acc?: Int32Array): void {
  const inv = 2 ** -rq.n, half = 2 ** (rq.n - 1), S = rq.S, B = rq.B, lo = rq.lo;
  if (acc) for (let i = 0; i < count; i++) acc[o + i] = row[i];
  for (let b = 0; b < count; b += c)
    for (let ch = 0; ch < c; ch++) y[o + b + ch] = requantCode(row[b + ch], S[ch], B[ch], inv, half, lo);
}

/**
 * Offset conv: 1x1 conv to one channel (at the given stride) whose requantized t, clamped to
 * [0, dmax], is the dilation of each output pixel.
 */
export function offsetConv(x: Int8Array, h: number, w: number, cin: number, stride: number, wts: Int8Array, S: number, B: number, n: number, dmax: number, d: Uint8Array, acc?: Int32Array): void {
  const ho = windowOut(h, stride), wo = windowOut(w, stride);
  const inv = 2 ** -n, half = 2 ** (n - 1);
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const xb = ((oy * stride) * w + ox * stride) * cin;
      let a = 0;
      for (let ci = 0; ci < cin; ci++) a += x[xb + ci] * wts[ci];
      const o = oy * wo + ox;
      if (acc) acc[o] = a;
      const t = Math.floor((a * S + half) * inv) + B;
      d[o] = t < 0 ? 0 : t > dmax ? dmax : t;
    }
}

/**
 * Square (deformable) depthwise 3x3: output (y,x), tap (i,j) reads input (y*s + i*d, x*s + j*d)
 * with d from the dilation map `dmap` (one per output pixel) or the constant `dconst`.
 * Out-of-image taps read the channel's pad code. Weights [C][9], tap = (i+1)*3 + (j+1).
 */
export function depthwise3x3(x: Int8Array, h: number, w: number, c: number, stride: number, dmap: Uint8Array | null, dconst: number, wts: Int8Array, pad: Int8Array, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  const ho = windowOut(h, stride), wo = windowOut(w, stride);
  const row = new Float64Array(c); // one pixel's accumulators, requantized by requantRow
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
          row[ch] = a;
        }
      } else {
        for (let ch = 0; ch < c; ch++) {
          let a = 0;
          for (let t = 0; t < 9; t++) a += (off[t] < 0 ? pad[ch] : x[off[t] + ch]) * wt[t * c + ch];
          row[ch] = a;
        }
      }
      requantRow(row, c, c, rq, y, yb, acc);
    }
}

/** Stem: full 3x3 conv, pad 1, stride s; weights [Cout][ky][kx][Cin]; out-of-image taps read pad[ci]. */
export function stemConv(x: Int8Array, h: number, w: number, cin: number, stride: number, wts: Int8Array, cout: number, pad: Int8Array, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  const ho = windowOut(h, stride), wo = windowOut(w, stride);
  const row = new Float64Array(cout); // one pixel's accumulators, requantized by requantRow
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
        row[co] = a;
      }
      requantRow(row, cout, cout, rq, y, yb, acc);
    }
}

/** Max pool 3x3, stride 2, padding 1; taps outside the image are ignored (not padded). */
export function maxpool3x3s2(x: Int8Array, h: number, w: number, c: number, y: Int8Array): void {
  const ho = windowOut(h, 2), wo = windowOut(w, 2);
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
