/**
 * hw/cn_requant.v against src/numerics/requant.ts, bit for bit: every output of thousands of
 * vectors (all extremes, random, values steered to the clamp and rounding boundaries), under random
 * clock-enable stalls and valid bubbles, with the documented latency checked for every beat.
 */
import { describe, expect, it } from 'vitest';
import { dilationFromT, outputCode, requantT } from '../../src/numerics/requant.ts';
import { Rng } from '../../src/util/rng.ts';
import { Mismatches, buildTb, pick, runTb, schedule } from './compute-harness.ts';

/** cn_requant LATENCY (hw/cn_requant.v). */
const LATENCY = 6;
const ACC_MAX = 2 ** 23 - 1;

interface Beat {
  n: number;
  lo: number;
  mode: number;
  dmax: number;
  acc: number[];
  S: number[];
  B: number[];
}

function expected(b: Beat): number[] {
  return b.acc.map((acc, l) => {
    const t = requantT(acc, b.S[l], b.B[l], b.n);
    return b.mode === 0 ? outputCode(t, b.lo) & 0xff : dilationFromT(t, b.dmax);
  });
}

/** Independent BigInt reference of t, to make sure the float64 reference itself is exact here. */
function requantTBig(acc: number, S: number, B: number, n: number): number {
  const p = BigInt(acc) * BigInt(S) + (n > 0 ? 1n << BigInt(n - 1) : 0n);
  // BigInt >> is an arithmetic (floor) shift for negative values.
  return Number(p >> BigInt(n)) + B;
}

function makeBeats(rng: Rng, lanes: number): Beat[] {
  const beats: Beat[] = [];
  const int = (lo: number, hi: number) => rng.int(lo, hi);
  const clampAcc = (a: number) => Math.max(-ACC_MAX, Math.min(ACC_MAX, a));
  const ctl = () => {
    const mode = rng.float() < 0.3 ? 1 : 0;
    return { mode, lo: rng.float() < 0.5 ? -128 : int(-128, 127), dmax: int(0, 15) };
  };

  // 1. Cross product of extremes (lane 0 carries the vector; other lanes get random extremes).
  const accX = [ACC_MAX, -ACC_MAX, -(2 ** 23), 0, 1, -1, 2 ** 22, -(2 ** 22)];
  const sX = [-32768, 32767, -1, 0, 1];
  const bX = [-32768, 32767, 0, 128, -1];
  const nX = [1, 31, 0, 2, 16, 30];
  const ctlX = [
    { mode: 0, lo: -128, dmax: 0 },
    { mode: 0, lo: 0, dmax: 0 },
    { mode: 0, lo: 127, dmax: 0 },
    { mode: 1, lo: -128, dmax: 15 },
    { mode: 1, lo: 0, dmax: 0 },
    { mode: 1, lo: 5, dmax: 7 },
  ];
  for (const acc of accX)
    for (const S of sX)
      for (const B of bX)
        for (const n of nX) {
          const c = ctlX[beats.length % ctlX.length];
          const b: Beat = { n, ...c, acc: [acc], S: [S], B: [B] };
          for (let l = 1; l < lanes; l++) {
            b.acc.push(pick(rng, accX));
            b.S.push(pick(rng, sX));
            b.B.push(pick(rng, bX));
          }
          beats.push(b);
        }

  // 2. Uniform random over the whole legal space (mostly saturating).
  for (let i = 0; i < 1500; i++) {
    const b: Beat = { n: int(1, 31), ...ctl(), acc: [], S: [], B: [] };
    for (let l = 0; l < lanes; l++) {
      b.acc.push(int(-ACC_MAX, ACC_MAX));
      b.S.push(int(-32768, 32767));
      b.B.push(int(-32768, 32767));
    }
    beats.push(b);
  }

  // 3. Steered: pick S, n, B and a target t near the clamp boundaries, solve for acc (retrying
  //    the lane's S and B until the acc that reaches the target is a legal accumulator).
  for (let i = 0; i < 3000; i++) {
    const c = ctl();
    const n = rng.float() < 0.2 ? pick(rng, [1, 31]) : int(1, 31);
    const b: Beat = { n, ...c, acc: [], S: [], B: [] };
    for (let l = 0; l < lanes; l++) {
      const target = c.mode === 0 ? int(Math.min(c.lo, 0) + 128 - 5, 260) : int(-2, c.dmax + 2);
      let S = 1, B = 0, acc = ACC_MAX + 1;
      for (let tries = 0; tries < 20 && Math.abs(acc) > ACC_MAX; tries++) {
        S = rng.float() < 0.5 ? int(-32768, 32767) : int(-64, 64);
        if (S === 0) S = 1;
        B = rng.float() < 0.5 ? int(-300, 300) : int(-32768, 32767);
        acc = Math.round(((target - B) * 2 ** n) / S) + int(-2, 2);
      }
      b.acc.push(clampAcc(acc));
      b.S.push(S);
      b.B.push(B);
    }
    beats.push(b);
  }

  // 4. Rounding ties: acc * S = k * 2^n + 2^(n-1) + {-1, 0, +1} (S = +-1), where floor(x + 1/2) flips.
  for (let i = 0; i < 1000; i++) {
    const n = int(1, 22);
    const b: Beat = { n, mode: 0, lo: -128, dmax: 0, acc: [], S: [], B: [] };
    for (let l = 0; l < lanes; l++) {
      const S = rng.float() < 0.5 ? 1 : -1;
      const kMax = Math.floor(ACC_MAX / 2 ** n) - 1;
      const k = int(-Math.min(kMax, 300), Math.min(kMax, 300));
      const prod = k * 2 ** n + 2 ** (n - 1) + int(-1, 1);
      b.acc.push(clampAcc(prod * S));
      b.S.push(S);
      b.B.push(int(-200, 200));
    }
    beats.push(b);
  }
  return beats;
}

interface Coverage {
  /** Activation outputs strictly inside (lo, 127): neither clamp engaged. */
  actInside: number;
  /** Dilation outputs strictly inside (0, dmax). */
  dilInside: number;
  /** Outputs on each clamp (activation lo / 127, dilation 0 / dmax). */
  clamped: number;
}

function runRequant(lanes: number, seed: number): { vectors: number; mismatches: Mismatches; cov: Coverage } {
  const exe = buildTb({ top: 'cn_requant', sources: ['hw/cn_requant.v'], tb: 'test/hw/tb_cn_requant.cpp', params: { LANES: lanes } });
  const rng = new Rng(seed);
  const beats = makeBeats(rng, lanes);
  // A beat's payload: n lo mode dmax acc[L] S[L] B[L]
  const payload = (b: Beat) => [b.n, b.lo, b.mode, b.dmax, ...b.acc, ...b.S, ...b.B];
  const junk = () => payload({ n: rng.int(0, 31), lo: rng.int(-128, 127), mode: rng.int(0, 1), dmax: rng.int(0, 15),
    acc: Array.from({ length: lanes }, () => rng.int(-(2 ** 23), ACC_MAX)), S: Array.from({ length: lanes }, () => rng.int(-32768, 32767)),
    B: Array.from({ length: lanes }, () => rng.int(-32768, 32767)) });
  const sch = schedule(rng, beats.map(payload), junk, { stall: 0.1, bubble: 0.1, drain: LATENCY + 4, burst: 2000 });
  const lines = runTb(exe, sch.rows, [lanes]);
  const mm = new Mismatches();
  const cov: Coverage = { actInside: 0, dilInside: 0, clamped: 0 };
  mm.extra('output count', beats.length, lines.length);
  beats.forEach((b, i) => {
    for (let l = 0; l < lanes; l++) {
      const t = requantT(b.acc[l], b.S[l], b.B[l], b.n);
      if (b.mode === 0) {
        const q = outputCode(t, b.lo);
        if (q > b.lo && q < 127) cov.actInside++;
        else cov.clamped++;
      } else {
        const d = dilationFromT(t, b.dmax);
        if (d > 0 && d < b.dmax) cov.dilInside++;
        else cov.clamped++;
      }
      mm.check(`reference t, beat ${i} lane ${l}`, String(requantTBig(b.acc[l], b.S[l], b.B[l], b.n)), String(t));
    }
    const exp = `${sch.accepted[i] + LATENCY} ${expected(b).join(' ')}`;
    mm.check(`beat ${i} ${JSON.stringify(b)}`, exp, lines[i]);
  });
  return { vectors: beats.length * lanes, mismatches: mm, cov };
}

describe('cn_requant (Verilator) is bit-exact with src/numerics/requant.ts', () => {
  it('LANES = 1: extremes, random, steered and rounding-tie vectors, stalls and bubbles', () => {
    const r = runRequant(1, 0x5eed01);
    console.log(`cn_requant LANES=1: ${r.vectors} vectors, coverage ${JSON.stringify(r.cov)}`);
    expect(r.vectors).toBeGreaterThan(5000);
    // The vectors must exercise the unclamped paths too, not only saturation.
    expect(r.cov.actInside).toBeGreaterThan(1000);
    expect(r.cov.dilInside).toBeGreaterThan(200);
    expect(r.cov.clamped).toBeGreaterThan(1000);
    expect(r.mismatches.count, r.mismatches.summary()).toBe(0);
  });

  it('LANES = 3: per-lane acc/S/B, shared n/lo/mode/dmax', () => {
    const r = runRequant(3, 0x5eed03);
    expect(r.mismatches.count, r.mismatches.summary()).toBe(0);
  });
});
