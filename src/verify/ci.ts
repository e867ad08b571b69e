import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Model } from '../ir/model.ts';
import type { SimResult } from '../sim/run.ts';
import { describeMismatch } from '../sim/compare.ts';
import { describeZodIssues, fail } from '../util/errors.ts';
import type { VerifyCase } from './cases.ts';
import { junitXml, type CaseResult } from './junit.ts';

/**
 * What `codenet verify` needs to run in CI: cases for the user's own models (--model), a
 * deterministic split of the jobs over runners (--shard K/N), the merge of the shards' JSON results
 * (--merge) and the JUnit report of `codenet sim --junit`.
 */

/** A verify case for a model the user gave (zoo name or file) with its input codes. */
export function modelCase(name: string, seed: number, model: Model, input: Int8Array): VerifyCase {
  return { name, seed, user: true, build: () => ({ model, input }) };
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses `K/N` (1 <= K <= N). */
export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count || count > 10_000) fail(`--shard takes K/N with 1 <= K <= N, e.g. 2/4, not "${v}"`);
  return { index, count };
}

/** The jobs of shard K/N: job j (in the order of the unsharded run) when j % N == K - 1. */
export function shardJobs<T>(jobs: readonly T[], shard: Shard | undefined): T[] {
  return shard ? jobs.filter((_, j) => j % shard.count === shard.index - 1) : [...jobs];
}

const CaseResultSchema = z.strictObject({
  name: z.string(),
  seed: z.number().int(),
  simulator: z.string(),
  passed: z.boolean(),
  message: z.string().optional(),
  seconds: z.number().min(0),
  cycles: z.number().int().min(0).optional(),
  elements: z.number().int().min(0).optional(),
});

const ShardSchema = z.strictObject({ index: z.number().int().min(1), count: z.number().int().min(1) });

/** The file of `codenet verify --json` (one shard's or a merge's). */
export const VerifyJsonSchema = z.object({
  board: z.string(),
  hw: z.record(z.string(), z.unknown()),
  /** The shard this run was (absent: every job). */
  shard: ShardSchema.optional(),
  /** A merge: the shards it was made of. */
  shards: z.array(ShardSchema).optional(),
  builds: z.array(CaseResultSchema),
  results: z.array(CaseResultSchema),
});
export type VerifyJson = z.infer<typeof VerifyJsonSchema>;

/** Reads a verify JSON file; a malformed one is a user error naming the file. */
export function readVerifyJson(path: string): VerifyJson {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${path} is not a readable verify JSON file (codenet verify --json): ${(e as Error).message}`);
  }
  const r = VerifyJsonSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(path, r.error.issues));
  return r.data;
}

/** Merges shard results into one report, in file order; every file must be of the same board. */
export function mergeVerifyJson(files: ReadonlyArray<{ path: string; data: VerifyJson }>): VerifyJson {
  if (!files.length) fail('--merge needs at least one verify JSON file');
  const first = files[0];
  for (const f of files)
    if (f.data.board !== first.data.board || JSON.stringify(f.data.hw) !== JSON.stringify(first.data.hw))
      fail(`${f.path} is a run on ${f.data.board}, ${first.path} one on ${first.data.board} with ${f.data.board === first.data.board ? 'another hardware config' : 'another board'}; merge shards of one configuration`);
  const shards = files.flatMap((f) => f.data.shards ?? (f.data.shard ? [f.data.shard] : []));
  const seen = new Map<string, string>();
  for (const f of files)
    for (const r of [...f.data.builds, ...f.data.results]) {
      const k = `${r.name} on ${r.simulator}`;
      // builds repeat in every shard that uses the simulator; a job must not
      if (r.name !== 'build' && seen.has(k)) fail(`${k} is in both ${seen.get(k)} and ${f.path}: merge each shard's file once`);
      seen.set(k, f.path);
    }
  return {
    board: first.data.board, hw: first.data.hw,
    ...(shards.length ? { shards } : {}),
    builds: files.flatMap((f) => f.data.builds),
    results: files.flatMap((f) => f.data.results),
  };
}

/** The shards K/N that a merge of shards of N lacks (empty when it is no shard merge or complete). */
export function missingShards(j: VerifyJson): string[] {
  const have = j.shards ?? (j.shard ? [j.shard] : []);
  const counts = [...new Set(have.map((s) => s.count))];
  if (counts.length > 1) return [`shards of ${counts.join(' and ')} mixed`];
  if (!counts.length) return [];
  const n = counts[0];
  return Array.from({ length: n }, (_, i) => i + 1).filter((k) => !have.some((s) => s.index === k)).map((k) => `${k}/${n}`);
}

/** The JUnit XML of a verify JSON (a shard's name goes into the suite names). */
export function verifyJunit(j: VerifyJson): string {
  const name = j.shard ? `codenet verify (shard ${j.shard.index}/${j.shard.count})` : j.shards ? `codenet verify (merged shards ${j.shards.map((s) => `${s.index}/${s.count}`).join(', ')})` : 'codenet verify';
  return junitXml([...j.builds, ...j.results], name);
}

/**
 * JUnit XML of one `codenet sim` run: one <testcase> per layer (bit-exact or not), the first
 * differing one with the element; a run that did not finish is one failed testcase "run".
 */
export function simJunitXml(dir: string, r: { model: string; simulator: string; seconds: number } & ({ result: SimResult } | { error: string })): string {
  const sim = r.simulator;
  const cases: CaseResult[] = 'error' in r
    ? [{ name: 'run', seed: 0, simulator: sim, passed: false, seconds: r.seconds, message: r.error }]
    : r.result.layers.map((l, i) => ({
      name: l.name, seed: 0, simulator: sim, passed: l.match,
      seconds: i === 0 ? r.seconds : 0, // the run as a whole: on the first layer, so the suite adds up
      ...(l.cycles ? { cycles: l.cycles } : {}),
      ...(l.match ? {} : {
        message: r.result.firstMismatch?.layer === l.name ? describeMismatch(r.result.firstMismatch)
          : `layer "${l.name}" (${l.op}) differs from the golden model too${r.result.firstMismatch ? `; the first layer that differs is "${r.result.firstMismatch.layer}"` : ''}`,
      }),
    }));
  return junitXml(cases, `codenet sim ${dir} (${r.model})`, 'codenet.sim', false);
}
