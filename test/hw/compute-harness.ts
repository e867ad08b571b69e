/**
 * Shared harness of the compute-datapath RTL tests (cn_requant, cn_dot2, cn_dw3x3_pe): builds a
 * Verilator testbench through the cached buildVerilated, turns a list of beats into a cycle-by-cycle
 * stimulus with random clock-enable stalls and valid bubbles, runs it and parses the outputs.
 *
 * Timing contract checked by every test: a beat accepted in a cycle with en = 1 and in_valid = 1
 * is taken by the consumer exactly LATENCY en = 1 cycles later (the testbench prints, for each
 * output it takes, how many en = 1 cycles preceded it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildVerilated } from '../../src/sim/verilator.ts';
import { Rng } from '../../src/util/rng.ts';

export interface TbSpec {
  top: string;
  sources: string[];
  tb: string;
  params?: Record<string, number>;
}

/** Builds (or reuses) the Verilator executable of a compute testbench. */
export function buildTb(spec: TbSpec): string {
  return buildVerilated({
    top: spec.top,
    sources: spec.sources,
    cppSources: [spec.tb],
    includeDirs: ['test/hw'],
    params: spec.params,
  });
}

/** Writes the stimulus rows, runs the testbench with (stimulus, output, ...args), returns its output lines. */
export function runTb(exe: string, rows: ReadonlyArray<ReadonlyArray<number>>, args: ReadonlyArray<string | number>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cn-tb-'));
  try {
    const stim = join(dir, 'stim.txt');
    const out = join(dir, 'out.txt');
    writeFileSync(stim, rows.map((r) => r.join(' ')).join('\n') + '\n');
    execFileSync(exe, [stim, out, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Schedule {
  /** One row per cycle: [en, in_valid, ...payload]. */
  rows: number[][];
  /** For beat i: the number of en = 1 cycles before the cycle that accepted it. */
  accepted: number[];
}

export interface ScheduleOptions {
  /** Probability of an en = 0 cycle (whatever in_valid and the payload say, nothing may move). */
  stall: number;
  /** Probability of an en = 1, in_valid = 0 cycle (junk payload that must be ignored). */
  bubble: number;
  /** en = 1 idle cycles appended after the last beat so every output drains (at least the latency). */
  drain: number;
  /** Beats before this index go back to back (no stalls, no bubbles): full-throughput check. */
  burst?: number;
}

/** Interleaves the beats with stalls and bubbles; `junk` makes a random payload for the idle cycles. */
export function schedule(rng: Rng, beats: ReadonlyArray<ReadonlyArray<number>>, junk: () => number[], o: ScheduleOptions): Schedule {
  const rows: number[][] = [];
  const accepted: number[] = [];
  const burst = o.burst ?? 0;
  let e = 0;
  const p = (prob: number) => rng.float() < prob;
  for (let i = 0; i < beats.length; ) {
    if (i >= burst && p(o.stall)) {
      rows.push([0, rng.int(0, 1), ...junk()]);
    } else if (i >= burst && p(o.bubble)) {
      rows.push([1, 0, ...junk()]);
      e++;
    } else {
      rows.push([1, 1, ...beats[i]]);
      accepted.push(e);
      e++;
      i++;
    }
  }
  for (let d = 0; d < o.drain; ) {
    if (p(o.stall)) rows.push([0, rng.int(0, 1), ...junk()]);
    else {
      rows.push([1, 0, ...junk()]);
      d++;
    }
  }
  return { rows, accepted };
}

/** Collects mismatches between expected and observed output lines; reports the first few. */
export class Mismatches {
  count = 0;
  private first: string[] = [];
  check(what: string, expected: string, actual: string | undefined): void {
    if (expected === actual) return;
    this.count++;
    if (this.first.length < 5) this.first.push(`${what}: expected "${expected}", got "${actual ?? '(missing)'}"`);
  }
  /** Every observed line must be expected: extra outputs (e.g. a spurious valid) are mismatches too. */
  extra(what: string, expectedCount: number, actualCount: number): void {
    if (actualCount !== expectedCount) {
      this.count++;
      this.first.push(`${what}: expected ${expectedCount} output lines, got ${actualCount}`);
    }
  }
  summary(): string {
    return this.count === 0 ? 'no mismatches' : `${this.count} mismatches; first: ${this.first.join(' | ')}`;
  }
}

/** Picks one element of a list. */
export function pick<T>(rng: Rng, xs: ReadonlyArray<T>): T {
  return xs[rng.int(0, xs.length - 1)];
}
