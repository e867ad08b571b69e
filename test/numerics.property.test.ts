/**
 * Property tests of the integer numerics and the golden kernels against BigInt references
 * written here from the spec (docs/numerics.md), so float64 shortcuts in src/ cannot hide.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dilationFromT, outputCode, requantT, requantTFor } from '../src/numerics/requant.ts';
import { conv1x1, depthwise3x3 } from '../src/golden/kernels.ts';

// ---- BigInt reference ----

/** t = ((acc*S + 2^(n-1)) >> n) + B; BigInt >> is a floor shift for negative values too. */
function refT(acc: bigint, S: bigint, B: bigint, n: number): bigint {
  const sh = BigInt(n);
  return ((acc * S + (1n << (sh - 1n))) >> sh) + B;
}
function refCode(t: bigint, lo: bigint): bigint {
  const q = t - 128n;
  return q < lo ? lo : q > 127n ? 127n : q;
}
function refDilation(t: bigint, dmax: bigint): bigint {
  return t < 0n ? 0n : t > dmax ? dmax : t;
}

// ---- arbitraries ----

const ACC_MAX = 2 ** 23 - 1;
const accArb = fc.oneof(
  fc.constantFrom(ACC_MAX, -ACC_MAX, 0, 1, -1),
  fc.integer({ min: -ACC_MAX, max: ACC_MAX }),
  fc.integer({ min: -300, max: 300 }),
);
const int16Arb = fc.oneof(fc.constantFrom(-32768, 32767, 0, 1, -1), fc.integer({ min: -32768, max: 32767 }));
const shiftArb = fc.oneof(fc.constantFrom(1, 31), fc.integer({ min: 1, max: 31 }));
const int8Arb = fc.oneof(fc.constantFrom(-128, 127), fc.integer({ min: -128, max: 127 }));
const int4Arb = fc.oneof(fc.constantFrom(-8, 7), fc.integer({ min: -8, max: 7 }));
const loArb = fc.oneof(fc.constant(-128), fc.integer({ min: -128, max: 127 }));
/** Requantization parameters biased towards values that do not saturate everything. */
const rqArb = (c: number) => fc.record({
  S: fc.array(int16Arb, { minLength: c, maxLength: c }),
  B: fc.array(fc.oneof(int16Arb, fc.integer({ min: -200, max: 400 })), { minLength: c, maxLength: c }),
  n: fc.oneof(shiftArb, fc.integer({ min: 8, max: 20 })),
  lo: loArb,
});
const vec = <T>(arb: fc.Arbitrary<T>, n: number) => fc.array(arb, { minLength: n, maxLength: n });

describe('numerics against BigInt', () => {
  it('requantT equals ((acc*S + 2^(n-1)) >> n) + B', () => {
    fc.assert(fc.property(accArb, int16Arb, int16Arb, shiftArb, (acc, S, B, n) => {
      expect(requantT(acc, S, B, n)).toBe(Number(refT(BigInt(acc), BigInt(S), BigInt(B), n)));
    }), { numRuns: 20000 });
  });

  it('requantTFor(n) (powers of two hoisted for a layer loop) equals requantT and the reference', () => {
    fc.assert(fc.property(accArb, int16Arb, int16Arb, shiftArb, (acc, S, B, n) => {
      expect(requantTFor(n)(acc, S, B)).toBe(Number(refT(BigInt(acc), BigInt(S), BigInt(B), n)));
    }), { numRuns: 20000 });
    for (const acc of [ACC_MAX, -ACC_MAX, 0, 1, -1])
      for (const S of [-32768, 32767, -1, 0, 1])
        for (const n of [1, 2, 15, 16, 23, 24, 30, 31]) expect(requantTFor(n)(acc, S, 7)).toBe(requantT(acc, S, 7, n));
  });

  it('requantT on the extremes', () => {
    for (const acc of [ACC_MAX, -ACC_MAX, 0, 1, -1])
      for (const S of [-32768, 32767, -1, 0, 1])
        for (const B of [-32768, 32767, 0])
          for (const n of [1, 2, 15, 16, 23, 24, 30, 31])
            expect(requantT(acc, S, B, n), `acc=${acc} S=${S} B=${B} n=${n}`).toBe(Number(refT(BigInt(acc), BigInt(S), BigInt(B), n)));
  });

  it('requantT rounds exact halves up (towards +infinity), also for negative products', () => {
    // acc*S = k*2^n + 2^(n-1) + delta sits on (delta = 0) or next to a rounding tie.
    const tieArb = fc.integer({ min: 1, max: 22 }).chain((n) => fc.record({
      n: fc.constant(n),
      k: fc.integer({ min: -(2 ** (22 - n)), max: 2 ** (22 - n) - 1 }),
      delta: fc.constantFrom(-1, 0, 1),
      sign: fc.constantFrom(1, -1),
      B: int16Arb,
    }));
    fc.assert(fc.property(tieArb, ({ n, k, delta, sign, B }) => {
      const acc = k * 2 ** n + 2 ** (n - 1) + delta;
      fc.pre(Math.abs(acc) <= ACC_MAX);
      expect(requantT(sign * acc, sign, B, n)).toBe(Number(refT(BigInt(sign * acc), BigInt(sign), BigInt(B), n)));
      if (delta === 0) expect(requantT(acc, 1, 0, n)).toBe(k + 1);
    }), { numRuns: 3000 });
  });

  it('outputCode equals clamp(t - 128, lo, 127)', () => {
    const tArb = fc.oneof(
      fc.integer({ min: -400, max: 400 }),
      fc.constantFrom(-1, 0, 255, 256, 127, 128, -(2 ** 38), 2 ** 38),
      fc.maxSafeInteger(),
      fc.tuple(accArb, int16Arb, int16Arb, shiftArb).map(([a, S, B, n]) => Number(refT(BigInt(a), BigInt(S), BigInt(B), n))),
    );
    fc.assert(fc.property(tArb, loArb, (t, lo) => {
      expect(outputCode(t, lo)).toBe(Number(refCode(BigInt(t), BigInt(lo))));
    }), { numRuns: 10000 });
  });

  it('dilationFromT equals clamp(t, 0, dmax)', () => {
    const tArb = fc.oneof(fc.integer({ min: -20, max: 40 }), fc.constantFrom(-1, 0, 15, 16), fc.maxSafeInteger());
    fc.assert(fc.property(tArb, fc.integer({ min: 0, max: 15 }), (t, dmax) => {
      expect(dilationFromT(t, dmax)).toBe(Number(refDilation(BigInt(t), BigInt(dmax))));
    }), { numRuns: 5000 });
  });
});

// ---- kernels ----

/** Naive conv1x1 from the spec: acc[p][co] = sum_ci x[p][ci] * w[co][ci]. */
function refConv1x1(x: number[], pixels: number, cin: number, w: number[], cout: number, S: number[], B: number[], n: number, lo: number) {
  const acc: bigint[] = [], y: bigint[] = [];
  for (let p = 0; p < pixels; p++)
    for (let co = 0; co < cout; co++) {
      let a = 0n;
      for (let ci = 0; ci < cin; ci++) a += BigInt(x[p * cin + ci]) * BigInt(w[co * cin + ci]);
      acc.push(a);
      y.push(refCode(refT(a, BigInt(S[co]), BigInt(B[co]), n), BigInt(lo)));
    }
  return { acc, y };
}

/**
 * Naive (deformable) depthwise 3x3 from the spec: output (oy, ox), tap (i, j) in {-1,0,1}^2 reads
 * input (oy*stride + i*d, ox*stride + j*d); out-of-image taps read pad[c]; weight w[c][(i+1)*3 + (j+1)].
 */
function refDepthwise(x: number[], h: number, w: number, c: number, stride: number, dmap: number[] | null, dconst: number,
  wts: number[], pad: number[], S: number[], B: number[], n: number, lo: number) {
  const ho = Math.ceil(h / stride), wo = Math.ceil(w / stride);
  const acc: bigint[] = [], y: bigint[] = [];
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++) {
      const d = dmap ? dmap[oy * wo + ox] : dconst;
      for (let ch = 0; ch < c; ch++) {
        let a = 0n;
        for (const i of [-1, 0, 1])
          for (const j of [-1, 0, 1]) {
            const iy = oy * stride + i * d, ix = ox * stride + j * d;
            const v = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[(iy * w + ix) * c + ch] : pad[ch];
            a += BigInt(v) * BigInt(wts[ch * 9 + (i + 1) * 3 + (j + 1)]);
          }
        acc.push(a);
        y.push(refCode(refT(a, BigInt(S[ch]), BigInt(B[ch]), n), BigInt(lo)));
      }
    }
  return { acc, y };
}

/** Element-by-element comparison with the first difference in the message. */
function expectSame(got: ArrayLike<number>, want: bigint[], what: string, ctx: () => string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (BigInt(got[i]) !== want[i]) expect.fail(`${what}[${i}] = ${got[i]}, reference ${want[i]} (${ctx()})`);
}

describe('kernels against a naive BigInt reference', () => {
  it('conv1x1: accumulators and outputs', () => {
    const arb = fc.record({
      pixels: fc.integer({ min: 1, max: 6 }),
      cin: fc.integer({ min: 1, max: 13 }),
      cout: fc.integer({ min: 1, max: 9 }), // crosses the 4-channel unrolled path and its remainder
    }).chain(({ pixels, cin, cout }) => fc.record({
      pixels: fc.constant(pixels), cin: fc.constant(cin), cout: fc.constant(cout),
      x: vec(int8Arb, pixels * cin),
      w: vec(int4Arb, cout * cin),
      rq: rqArb(cout),
    }));
    fc.assert(fc.property(arb, ({ pixels, cin, cout, x, w, rq }) => {
      const y = new Int8Array(pixels * cout).fill(99);
      const acc = new Int32Array(pixels * cout).fill(0x7fffffff);
      conv1x1(Int8Array.from(x), pixels, cin, Int8Array.from(w), cout,
        { S: Int16Array.from(rq.S), B: Int16Array.from(rq.B), n: rq.n, lo: rq.lo }, y, acc);
      const ref = refConv1x1(x, pixels, cin, w, cout, rq.S, rq.B, rq.n, rq.lo);
      const ctx = () => `pixels=${pixels} cin=${cin} cout=${cout} n=${rq.n} lo=${rq.lo}`;
      expectSame(acc, ref.acc, 'acc', ctx);
      expectSame(y, ref.y, 'y', ctx);
    }), { numRuns: 400 });
  });

  it('conv1x1 at the loader bound: fan_in 8191 with x in {-128, 127}, w in {-8, 7} (|acc| up to 8191*1024 < 2^23)', () => {
    // The largest fan-in the loader accepts for int4 weights (8191*128*8 < 2^23). Extreme
    // accumulators must survive any packing or blocking trick the kernel uses.
    const arb = fc.record({
      pixels: fc.integer({ min: 1, max: 3 }),
      cout: fc.integer({ min: 1, max: 6 }),
      bias: fc.constantFrom(0, 0.5, 1), // all -128*-8, a mix, or all 127*7
      seed: fc.integer(),
    });
    const cin = 8191;
    fc.assert(fc.property(arb, ({ pixels, cout, bias, seed }) => {
      let s = seed | 1;
      const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 32; };
      const x = Array.from({ length: pixels * cin }, () => (bias === 0 ? -128 : bias === 1 ? 127 : rnd() < 0.5 ? -128 : 127));
      const w = Array.from({ length: cout * cin }, () => (bias === 0 ? -8 : bias === 1 ? 7 : rnd() < 0.5 ? -8 : 7));
      const S = Array.from({ length: cout }, (_, i) => (i % 2 ? -32768 : 32767));
      const B = Array.from({ length: cout }, (_, i) => (i % 2 ? 32767 : -32768));
      const y = new Int8Array(pixels * cout);
      const acc = new Int32Array(pixels * cout);
      conv1x1(Int8Array.from(x), pixels, cin, Int8Array.from(w), cout, { S: Int16Array.from(S), B: Int16Array.from(B), n: 31, lo: -128 }, y, acc);
      const ref = refConv1x1(x, pixels, cin, w, cout, S, B, 31, -128);
      const ctx = () => `pixels=${pixels} cout=${cout} bias=${bias}`;
      expectSame(acc, ref.acc, 'acc', ctx);
      expectSame(y, ref.y, 'y', ctx);
    }), { numRuns: 30 });
  });

  // Regression: packed weights were once cached by array identity, so a buffer changed in place
  // or read with another [cout][cin] split used a stale packing.
  it('conv1x1 sees weights changed in place and a new [cout][cin] split of the same buffer', () => {
    const rq = { S: Int16Array.from([1, 1, 1, 1]), B: Int16Array.from([0, 0, 0, 0]), n: 1, lo: -128 };
    const y = new Int8Array(8), acc = new Int32Array(8);
    const w = Int8Array.from([1, 0, 0, 1, 1, 1, 2, 2]); // [4][2]
    conv1x1(Int8Array.from([1, 1, 1, 1]), 2, 2, w, 4, rq, y, acc);
    expect(Array.from(acc)).toEqual([1, 1, 2, 4, 1, 1, 2, 4]);
    w[0] = 7;
    conv1x1(Int8Array.from([1, 1, 1, 1]), 2, 2, w, 4, rq, y, acc);
    expect(Array.from(acc), 'after w[0] = 7').toEqual([7, 1, 2, 4, 7, 1, 2, 4]);
    const w2 = Int8Array.from([1, 2, 3, 4, 5, 6, 7, 7]);
    conv1x1(Int8Array.from([1, 0, 0, 0, 1, 0, 0, 0]), 2, 4, w2, 2, rq, y, acc); // as [2][4]
    conv1x1(Int8Array.from([1, 0, 1, 0]), 2, 2, w2, 4, rq, y, acc); // as [4][2]
    expect(Array.from(acc), 'the same buffer as [4][2]').toEqual([1, 3, 5, 7, 1, 3, 5, 7]);
  });

  it('depthwise3x3: constant and per-pixel dilation, stride 1 and 2, per-channel pad', () => {
    const arb = fc.record({
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      c: fc.integer({ min: 1, max: 5 }),
      stride: fc.constantFrom(1, 2),
      useMap: fc.boolean(),
    }).chain(({ h, w, c, stride, useMap }) => {
      const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
      return fc.record({
        h: fc.constant(h), w: fc.constant(w), c: fc.constant(c), stride: fc.constant(stride),
        dmap: useMap ? vec(fc.integer({ min: 0, max: 15 }), ho * wo) : fc.constant(null),
        dconst: fc.oneof(fc.constantFrom(0, 1, 15), fc.integer({ min: 0, max: 15 })),
        x: vec(int8Arb, h * w * c),
        wts: vec(int4Arb, c * 9),
        pad: vec(int8Arb, c),
        rq: rqArb(c),
      });
    });
    fc.assert(fc.property(arb, ({ h, w, c, stride, dmap, dconst, x, wts, pad, rq }) => {
      const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
      const y = new Int8Array(ho * wo * c).fill(99);
      const acc = new Int32Array(ho * wo * c).fill(0x7fffffff);
      depthwise3x3(Int8Array.from(x), h, w, c, stride, dmap ? Uint8Array.from(dmap) : null, dconst, Int8Array.from(wts),
        Int8Array.from(pad), { S: Int16Array.from(rq.S), B: Int16Array.from(rq.B), n: rq.n, lo: rq.lo }, y, acc);
      const ref = refDepthwise(x, h, w, c, stride, dmap, dconst, wts, pad, rq.S, rq.B, rq.n, rq.lo);
      const ctx = () => `h=${h} w=${w} c=${c} stride=${stride} ${dmap ? `dmap=[${dmap}]` : `d=${dconst}`} n=${rq.n} lo=${rq.lo}`;
      expectSame(acc, ref.acc, 'acc', ctx);
      expectSame(y, ref.y, 'y', ctx);
    }), { numRuns: 400 });
  });

  it('depthwise3x3 without an acc buffer gives the same outputs', () => {
    const x = Int8Array.from({ length: 5 * 7 * 3 }, (_, i) => ((i * 37) % 256) - 128);
    const wts = Int8Array.from({ length: 27 }, (_, i) => (i % 16) - 8);
    const pad = Int8Array.from([-128, 0, 127]);
    const rq = { S: Int16Array.from([300, -32768, 32767]), B: Int16Array.from([5, 100, -7]), n: 9, lo: -128 };
    const a = new Int8Array(3 * 4 * 3), b = new Int8Array(3 * 4 * 3);
    depthwise3x3(x, 5, 7, 3, 2, null, 2, wts, pad, rq, a, new Int32Array(a.length));
    depthwise3x3(x, 5, 7, 3, 2, null, 2, wts, pad, rq, b);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
