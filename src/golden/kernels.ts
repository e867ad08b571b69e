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

// Inlined numerics.requantT + outputCode; test/numerics.test.ts checks every kernel against them.
function requantCode(acc: number, S: number, B: number, div: number, half: number, lo: number): number {
  const q = Math.floor((acc * S + half) / div) + B - 128;
  return q < lo ? lo : q > INT8_MAX ? INT8_MAX : q;
}

/** 1x1 convolution, stride 1: y[p][co] = rq(sum_ci x[p][ci] * w[co][ci]). */
export function conv1x1(x: Int8Array, pixels: number, cin: number, w: Int8Array, cout: number, rq: Requant, y: Int8Array, acc?: Int32Array): void {
  const div = 2 ** rq.n, half = 2 ** (rq.n - 1), lo = rq.lo, S = rq.S, B = rq.B;
  // Four output channels per pass reuse each input load four times.
  const cout4 = cout & ~3;
  for (let p = 0; p < pixels; p++) {
    const xb = p * cin, yb = p * cout;
    let co = 0;
    for (; co < cout4; co += 4) {
      const w0 = co * cin, w1 = w0 + cin, w2 = w1 + cin, w3 = w2 + cin;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let ci = 0; ci < cin; ci++) {
        const v = x[xb + ci];
        a0 += v * w[w0 + ci];
        a1 += v * w[w1 + ci];
        a2 += v * w[w2 + ci];
        a3 += v * w[w3 + ci];
      }
      if (acc) { acc[yb + co] = a0; acc[yb + co + 1] = a1; acc[yb + co + 2] = a2; acc[yb + co + 3] = a3; }
      y[yb + co] = requantCode(a0, S[co], B[co], div, half, lo);
      y[yb + co + 1] = requantCode(a1, S[co + 1], B[co + 1], div, half, lo);
      y[yb + co + 2] = requantCode(a2, S[co + 2], B[co + 2], div, half, lo);
      y[yb + co + 3] = requantCode(a3, S[co + 3], B[co + 3], div, half, lo);
    }
    for (; co < cout; co++) {
      const wb = co * cin;
      let a = 0;
      for (let ci = 0; ci < cin; ci++) a += x[xb + ci] * w[wb + ci];
      if (acc) acc[yb + co] = a;
      y[yb + co] = requantCode(a, S[co], B[co], div, half, lo);
    }
  }
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
  const a = new Int32Array(c);
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const o = oy * wo + ox;
      const d = dmap ? dmap[o] : dconst;
      a.fill(0);
      for (let i = -1; i <= 1; i++) {
        const iy = oy * stride + i * d;
        for (let j = -1; j <= 1; j++) {
          const ix = ox * stride + j * d;
          const tb = ((i + 1) * 3 + (j + 1)) * c;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
            for (let ch = 0; ch < c; ch++) a[ch] += pad[ch] * wt[tb + ch];
          } else {
            const xb = (iy * w + ix) * c;
            for (let ch = 0; ch < c; ch++) a[ch] += x[xb + ch] * wt[tb + ch];
          }
        }
      }
      const yb = o * c;
      for (let ch = 0; ch < c; ch++) {
        if (acc) acc[yb + ch] = a[ch];
        y[yb + ch] = requantCode(a[ch], S[ch], B[ch], div, half, lo);
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
