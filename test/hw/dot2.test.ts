/**
 * hw/cn_dot2.v (K cn_mul2 DSP-packed multipliers + adder trees + accumulators) against exact
 * integer dot products: every per-beat partial sum and every finished accumulator, under random
 * clock-enable stalls and valid bubbles (whose junk first/last flags must be ignored), with the
 * documented latencies checked for every output.
 */
import { describe, expect, it } from 'vitest';
import { INT4_MAX, INT4_MIN, INT8_MAX, INT8_MIN } from '../../src/numerics/requant.ts';
import { Rng } from '../../src/util/rng.ts';
import { Mismatches, buildTb, pick, runTb, schedule } from './compute-harness.ts';

/** cn_mul2 LATENCY (hw/cn_mul2.v). */
const MUL_LATENCY = 3;
/** cn_dot2: SUM_LAT = 3 + ceil(log2 K), LATENCY = SUM_LAT + 1 (hw/cn_dot2.v). */
const sumLatency = (k: number) => MUL_LATENCY + Math.ceil(Math.log2(k));

interface Beat {
  first: boolean;
  last: boolean;
  a: number[];
  w0: number[];
  w1: number[];
}

function makeBeats(rng: Rng, k: number): Beat[] {
  const beats: Beat[] = [];
  const int = (lo: number, hi: number) => rng.int(lo, hi);
  const vec = (f: () => number) => Array.from({ length: k }, f);
  const aX = [INT8_MIN, INT8_MAX, 0, -1, 1];
  const wX = [INT4_MIN, INT4_MAX, 0, -1, 1];
  /** Appends one dot product of `len` beats whose operands come from `gen`. */
  const dot = (len: number, gen: () => { a: number[]; w0: number[]; w1: number[] }) => {
    for (let j = 0; j < len; j++) beats.push({ first: j === 0, last: j === len - 1, ...gen() });
  };

  // 1. Every extreme pair of (a, w0, w1) on lane 0, single-beat dot products; other lanes random extremes.
  for (const a of aX)
    for (const w0 of wX)
      for (const w1 of wX)
        dot(1, () => ({ a: [a, ...vec(() => pick(rng, aX)).slice(1)], w0: [w0, ...vec(() => pick(rng, wX)).slice(1)], w1: [w1, ...vec(() => pick(rng, wX)).slice(1)] }));
  // 2. Largest |sums|: all a = -128 with all w = -8 (+1024 per MAC) or w = 7 (-896), both channels.
  dot(1, () => ({ a: vec(() => INT8_MIN), w0: vec(() => INT4_MIN), w1: vec(() => INT4_MAX) }));
  dot(1, () => ({ a: vec(() => INT8_MIN), w0: vec(() => INT4_MAX), w1: vec(() => INT4_MIN) }));
  dot(1, () => ({ a: vec(() => INT8_MAX), w0: vec(() => INT4_MIN), w1: vec(() => INT4_MAX) }));
  // 3. A long dot product of extremes: the accumulators grow to ~+-1000 * K * 600 (beyond 16 bits).
  dot(600, () => ({ a: vec(() => INT8_MIN), w0: vec(() => INT4_MIN), w1: vec(() => INT4_MAX) }));
  dot(600, () => ({ a: vec(() => INT8_MIN), w0: vec(() => INT4_MAX), w1: vec(() => pick(rng, [INT4_MIN, INT4_MAX])) }));
  // 4. Random dot products of random lengths (1..12 beats), uniform and extreme-heavy operands.
  while (beats.length < 6000) {
    const extreme = rng.float() < 0.3;
    const av = () => (extreme ? pick(rng, aX) : int(INT8_MIN, INT8_MAX));
    const wv = () => (extreme ? pick(rng, wX) : int(INT4_MIN, INT4_MAX));
    dot(int(1, 12), () => ({ a: vec(av), w0: vec(wv), w1: vec(wv) }));
  }
  return beats;
}

/** Every (a, w0, w1) in int8 x int4 x int4, one single-beat dot product each (K = 1). */
function exhaustiveBeats(): Beat[] {
  const beats: Beat[] = [];
  for (let a = INT8_MIN; a <= INT8_MAX; a++)
    for (let w0 = INT4_MIN; w0 <= INT4_MAX; w0++)
      for (let w1 = INT4_MIN; w1 <= INT4_MAX; w1++) beats.push({ first: true, last: true, a: [a], w0: [w0], w1: [w1] });
  return beats;
}

function runDot2(k: number, seed: number, gen: (rng: Rng, k: number) => Beat[] = makeBeats): { beats: number; dots: number; maxAbsAcc: number; mismatches: Mismatches } {
  const exe = buildTb({ top: 'cn_dot2', sources: ['hw/cn_dot2.v', 'hw/cn_mul2.v'], tb: 'test/hw/tb_cn_dot2.cpp', params: { K: k } });
  const rng = new Rng(seed);
  const beats = gen(rng, k);
  const payload = (b: Beat) => [b.first ? 1 : 0, b.last ? 1 : 0, ...b.a, ...b.w0, ...b.w1];
  const junk = () => [rng.int(0, 1), rng.int(0, 1), ...Array.from({ length: k }, () => rng.int(INT8_MIN, INT8_MAX)),
    ...Array.from({ length: 2 * k }, () => rng.int(INT4_MIN, INT4_MAX))];
  const sch = schedule(rng, beats.map(payload), junk, { stall: 0.1, bubble: 0.1, drain: sumLatency(k) + 5, burst: 1500 });
  const lines = runTb(exe, sch.rows, [k]);
  const sums = lines.filter((l) => l.startsWith('S '));
  const accs = lines.filter((l) => l.startsWith('A '));
  const mm = new Mismatches();
  mm.extra('lines other than S/A', 0, lines.length - sums.length - accs.length);
  mm.extra('partial-sum outputs', beats.length, sums.length);
  const L = sumLatency(k);
  let acc0 = 0, acc1 = 0, dots = 0, maxAbsAcc = 0;
  beats.forEach((b, i) => {
    let s0 = 0, s1 = 0;
    for (let j = 0; j < k; j++) {
      s0 += b.a[j] * b.w0[j];
      s1 += b.a[j] * b.w1[j];
    }
    mm.check(`partial sums of beat ${i}`, `S ${sch.accepted[i] + L} ${s0} ${s1}`, sums[i]);
    acc0 = b.first ? s0 : acc0 + s0;
    acc1 = b.first ? s1 : acc1 + s1;
    if (b.last) {
      mm.check(`accumulators of dot product ${dots} (ends at beat ${i})`, `A ${sch.accepted[i] + L + 1} ${acc0} ${acc1}`, accs[dots]);
      maxAbsAcc = Math.max(maxAbsAcc, Math.abs(acc0), Math.abs(acc1));
      dots++;
    }
  });
  mm.extra('accumulator outputs', dots, accs.length);
  return { beats: beats.length, dots, maxAbsAcc, mismatches: mm };
}

describe('cn_dot2 (Verilator) computes exact packed dot products', () => {
  it('K = 4: 8 MACs per beat on 4 multipliers, partial sums and accumulators', () => {
    const r = runDot2(4, 0xd072);
    expect(r.beats).toBeGreaterThanOrEqual(6000);
    expect(r.maxAbsAcc).toBeGreaterThan(2 ** 21);
    expect(r.mismatches.count, r.mismatches.summary()).toBe(0);
  });

  it('K = 3 (tree padded to 4 leaves)', () => {
    const r = runDot2(3, 0xd073);
    expect(r.mismatches.count, r.mismatches.summary()).toBe(0);
  });

  it('K = 1 (no adder tree)', () => {
    const r = runDot2(1, 0xd071);
    expect(r.mismatches.count, r.mismatches.summary()).toBe(0);
  });

  it('cn_mul2 exhaustively: all 2^16 (a, w0, w1) through K = 1', () => {
    const r = runDot2(1, 0xd070, exhaustiveBeats);
    expect(r.beats).toBe(65536);
    expect(r.mismatches.count, r.mismatches.summary()).toBe(0);
  });
});
