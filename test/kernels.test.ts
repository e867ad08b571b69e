import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as k from '../src/golden/kernels.ts';
import { dilationFromT, outputCode, requantT } from '../src/numerics/requant.ts';

// Naive references written from docs/numerics.md, one element at a time, for the kernels that
// test/numerics.property.test.ts does not cover (stem, offset, maxpool, upsample, shuffle, channel copies).

describe('golden kernels against per-element references', () => {
  it('stem conv 3x3 (strides 1, 2, 4; per-channel pad)', () => {
    fc.assert(fc.property(
      fc.record({ h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), cout: fc.integer({ min: 1, max: 5 }), stride: fc.constantFrom(1, 2, 4), n: fc.integer({ min: 1, max: 31 }), relu: fc.boolean(), seed: fc.integer() }),
      ({ h, w, cout, stride, n, relu, seed }) => {
        const rnd = mulberry(seed);
        const x = Int8Array.from({ length: h * w * 3 }, () => rnd(-128, 127));
        const wts = Int8Array.from({ length: cout * 27 }, () => rnd(-128, 127));
        const pad = Int8Array.from([rnd(-128, 127), rnd(-128, 127), rnd(-128, 127)]);
        const S = Int16Array.from({ length: cout }, () => rnd(-32768, 32767));
        const B = Int16Array.from({ length: cout }, () => rnd(-32768, 32767));
        const lo = relu ? rnd(-128, 127) : -128;
        const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
        const y = new Int8Array(ho * wo * cout), acc = new Int32Array(ho * wo * cout);
        k.stemConv(x, h, w, 3, stride, wts, cout, pad, { S, B, n, lo }, y, acc);
        for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) for (let co = 0; co < cout; co++) {
          let a = 0;
          for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let ci = 0; ci < 3; ci++) {
            const iy = oy * stride + ky - 1, ix = ox * stride + kx - 1;
            const v = iy < 0 || iy >= h || ix < 0 || ix >= w ? pad[ci] : x[(iy * w + ix) * 3 + ci];
            a += v * wts[((co * 3 + ky) * 3 + kx) * 3 + ci];
          }
          const o = (oy * wo + ox) * cout + co;
          expect(acc[o]).toBe(a);
          expect(y[o]).toBe(outputCode(requantT(a, S[co], B[co], n), lo));
        }
      }), { numRuns: 60 });
  });

  it('offset conv gives clamp(t, 0, dmax) per output pixel (strides 1, 2)', () => {
    fc.assert(fc.property(
      fc.record({ h: fc.integer({ min: 1, max: 8 }), w: fc.integer({ min: 1, max: 8 }), cin: fc.integer({ min: 1, max: 20 }), stride: fc.constantFrom(1, 2), dmax: fc.integer({ min: 0, max: 15 }), n: fc.integer({ min: 1, max: 20 }), seed: fc.integer() }),
      ({ h, w, cin, stride, dmax, n, seed }) => {
        const rnd = mulberry(seed);
        const x = Int8Array.from({ length: h * w * cin }, () => rnd(-128, 127));
        const wts = Int8Array.from({ length: cin }, () => rnd(-8, 7));
        const S = rnd(-32768, 32767), B = rnd(-40, 40);
        const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
        const d = new Uint8Array(ho * wo);
        k.offsetConv(x, h, w, cin, stride, wts, S, B, n, dmax, d);
        for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
          let a = 0;
          for (let ci = 0; ci < cin; ci++) a += x[(oy * stride * w + ox * stride) * cin + ci] * wts[ci];
          expect(d[oy * wo + ox]).toBe(dilationFromT(requantT(a, S, B, n), dmax));
        }
      }), { numRuns: 100 });
  });

  it('maxpool 3x3 s2 ignores out-of-image taps', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (h, w, c, seed) => {
      const rnd = mulberry(seed);
      const x = Int8Array.from({ length: h * w * c }, () => rnd(-128, 127));
      const ho = Math.floor((h - 1) / 2) + 1, wo = Math.floor((w - 1) / 2) + 1;
      const y = new Int8Array(ho * wo * c);
      k.maxpool3x3s2(x, h, w, c, y);
      for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) for (let ch = 0; ch < c; ch++) {
        let m = -Infinity;
        for (let i = -1; i <= 1; i++) for (let j = -1; j <= 1; j++) {
          const iy = 2 * oy + i, ix = 2 * ox + j;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x[(iy * w + ix) * c + ch]);
        }
        expect(y[(oy * wo + ox) * c + ch]).toBe(m);
      }
    }), { numRuns: 100 });
  });

  it('upsample x2, shuffle (2 groups), split and concat move codes exactly', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (h, w, half, seed) => {
      const rnd = mulberry(seed);
      const c = 2 * half;
      const x = Int8Array.from({ length: h * w * c }, () => rnd(-128, 127));
      const up = new Int8Array(4 * h * w * c);
      k.upsample2x(x, h, w, c, up);
      for (let y = 0; y < 2 * h; y++) for (let xx = 0; xx < 2 * w; xx++) for (let ch = 0; ch < c; ch++)
        expect(up[(y * 2 * w + xx) * c + ch]).toBe(x[((y >> 1) * w + (xx >> 1)) * c + ch]);
      const sh = new Int8Array(h * w * c);
      k.shuffle2(x, h * w, c, sh);
      for (let p = 0; p < h * w; p++) for (let i = 0; i < half; i++) for (let g = 0; g < 2; g++)
        expect(sh[p * c + 2 * i + g]).toBe(x[p * c + g * half + i]);
      // split into [half, half] then concat back is the identity
      const a = new Int8Array(h * w * half), b = new Int8Array(h * w * half), back = new Int8Array(h * w * c);
      k.copyChannels(x, h * w, c, 0, half, a, half, 0);
      k.copyChannels(x, h * w, c, half, half, b, half, 0);
      k.copyChannels(a, h * w, half, 0, half, back, c, 0);
      k.copyChannels(b, h * w, half, 0, half, back, c, half);
      expect(Array.from(back)).toEqual(Array.from(x));
      for (let p = 0; p < h * w; p++) expect(b[p * half]).toBe(x[p * c + half]);
    }), { numRuns: 100 });
  });
});

/** Small seeded integer source for the references (independent of src/util/rng.ts). */
function mulberry(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + Math.floor(r * (hi - lo + 1));
  };
}
