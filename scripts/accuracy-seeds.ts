/**
 * `npm run bench:accuracy -- --seeds 0-4`: the seeds' argument, the table of their runs and its
 * summary (mean, standard deviation, minimum per column). Pure functions: bench-accuracy.ts runs
 * the seeds, test/accuracy-seeds.test.ts checks these on made-up results.
 */
import { UserError } from '../src/util/errors.ts';

/** "0-4" (a range), "0,3" (a list), or both ("0-2,7"): the seeds in the order given, no repeats. */
export function parseSeeds(arg: string): number[] {
  const seeds: number[] = [];
  for (const part of arg.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UserError(`--seeds: "${part}" is not a seed or a range (e.g. --seeds 0-4 or --seeds 0,3)`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) throw new UserError(`--seeds: the range ${a}-${b} runs backwards`);
    if (b - a >= 100) throw new UserError(`--seeds: ${b - a + 1} seeds in ${a}-${b}; at most 100 (each is a full run)`);
    for (let s = a; s <= b; s++) {
      if (seeds.includes(s)) throw new UserError(`--seeds: seed ${s} is given twice`);
      seeds.push(s);
    }
  }
  return seeds;
}

/** One seed's run: AP50 in points (undefined where the row failed or was not run), wall-clock minutes. */
export interface SeedRow {
  seed: number;
  float?: number;
  ptq?: number;
  qat?: number;
  minutes: number;
}

export const SEED_COLUMNS = ['float', 'ptq', 'qat', 'qatGap', 'ptqGap', 'minutes'] as const;
export type SeedColumn = (typeof SEED_COLUMNS)[number];
const HEAD: Record<SeedColumn, string> = { float: 'float', ptq: 'calibration only', qat: 'QAT', qatGap: 'QAT - float', ptqGap: 'calib. - float', minutes: 'minutes' };

/** A row's value in a column (the gaps from its AP50s), undefined where it has none. */
export function cell(r: SeedRow, c: SeedColumn): number | undefined {
  if (c === 'qatGap') return r.qat !== undefined && r.float !== undefined ? r.qat - r.float : undefined;
  if (c === 'ptqGap') return r.ptq !== undefined && r.float !== undefined ? r.ptq - r.float : undefined;
  return r[c];
}

export interface ColumnSummary { mean: number; std: number; min: number; n: number }

/** Per column over the seeds that have it: mean, sample standard deviation (0 for one seed), minimum. */
export function summarize(rows: SeedRow[]): Partial<Record<SeedColumn, ColumnSummary>> {
  const out: Partial<Record<SeedColumn, ColumnSummary>> = {};
  for (const c of SEED_COLUMNS) {
    const v = rows.map((r) => cell(r, c)).filter((x): x is number => x !== undefined);
    if (!v.length) continue;
    const mean = v.reduce((a, x) => a + x, 0) / v.length;
    const std = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
    out[c] = { mean, std, min: Math.min(...v), n: v.length };
  }
  return out;
}

/** The printed table: one line per seed, then mean, std and min. */
export function seedTable(rows: SeedRow[]): string[] {
  const s = summarize(rows);
  const fmt = (v: number | undefined, c: SeedColumn) => (v === undefined ? '-' : c === 'qatGap' || c === 'ptqGap' ? (v >= 0 ? '+' : '') + v.toFixed(2) : v.toFixed(c === 'minutes' ? 1 : 2));
  const lines = [['seed', ...SEED_COLUMNS.map((c) => HEAD[c])]];
  for (const r of rows) lines.push([String(r.seed), ...SEED_COLUMNS.map((c) => fmt(cell(r, c), c))]);
  for (const [name, key] of [['mean', 'mean'], ['std', 'std'], ['min', 'min']] as const)
    lines.push([name, ...SEED_COLUMNS.map((c) => (s[c] ? (key === 'std' ? s[c]!.std.toFixed(2) : fmt(s[c]![key], c)) : '-'))]);
  const width = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((v, i) => (i ? v.padStart(width[i]) : v.padEnd(width[i]))).join('  '));
}

/** A seed's row from the accuracy.json its run wrote (AP50 as fractions there, points here). */
export function rowFromAccuracy(seed: number, json: { rows: Array<{ what: string; mAP50?: number }> }, minutes: number): SeedRow {
  const ap = (prefix: string) => {
    const r = json.rows.find((x) => x.what.startsWith(prefix));
    return r?.mAP50 === undefined ? undefined : 100 * r.mAP50;
  };
  return { seed, float: ap('float'), ptq: ap('W4A8 calibration only'), qat: ap('W4A8 after QAT'), minutes };
}
