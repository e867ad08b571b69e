/**
 * Compares float training runs (one per seed) by their train-log.json: the loss terms, the
 * gradient norm, the batch-norm moving variances and the deformable layers' dilations, at a few
 * points of the run and at its end, one column per run. `npm run bench:accuracy -- --seeds ...`
 * prints it after the runs; `--compare-logs DIR,DIR` (folders holding train-log.json, or the
 * files) prints it for earlier runs; or `node bin/run-ts.mjs scripts/train-log-compare.ts DIR...`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TrainInterval, TrainLog } from '../src/float/train.ts';
import { UserError } from '../src/util/errors.ts';
import { WARMUP_STEPS } from '../src/float/defaults.ts';

function readLog(path: string): TrainLog {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'train-log.json') : path;
  if (!existsSync(file)) throw new UserError(`no training log at ${file}`);
  const log = JSON.parse(readFileSync(file, 'utf8')) as TrainLog;
  if (!Array.isArray(log.loss)) throw new UserError(`${file}: not a train-log.json (no "loss")`);
  return log;
}

const f3 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** The early point the collapsed batch-norm channels are counted at: the end of float training's warm-up. */
const EARLY_STEP = WARMUP_STEPS;

/** The interval that holds `fraction` of the run (the last one for 1). */
const at = (iv: TrainInterval[], fraction: number) => iv[Math.min(iv.length - 1, Math.max(0, Math.ceil(fraction * iv.length) - 1))];

/** The comparison table's lines; `names` label the runs (default: the paths). */
export function compareTrainLogs(paths: string[], names: string[] = paths): string[] {
  if (!paths.length) throw new UserError('--compare-logs: give the folders (or train-log.json files) to compare, separated by commas');
  const logs = paths.map(readLog);
  const rows: string[][] = [['', ...names]];
  const add = (label: string, f: (l: TrainLog) => string) => rows.push([label, ...logs.map(f)]);
  add('steps', (l) => String(l.steps));
  add('final loss (mean of last 50)', (l) => f3(l.loss.slice(-50).reduce((a, v) => a + v, 0) / Math.min(50, l.loss.length)));
  const iv = (l: TrainLog) => l.intervals ?? [];
  if (logs.every((l) => !iv(l).length)) {
    rows.push(['(no intervals: these logs predate the per-interval record)', ...logs.map(() => '')]);
    return table(rows);
  }
  for (const frac of [0.1, 0.5, 1]) {
    const pct = `${Math.round(100 * frac)}%`;
    for (const term of ['hm', 'wh', 'reg'] as const) add(`loss ${term} at ${pct}`, (l) => f3(iv(l).length ? at(iv(l), frac).loss[term] : undefined));
    add(`grad norm at ${pct} (mean/max)`, (l) => (iv(l).length ? `${f3(at(iv(l), frac).gradNorm.mean)}/${f3(at(iv(l), frac).gradNorm.max)}` : '-'));
  }
  // Batch norm at the end: the layer whose variance is smallest, and the channels collapsed to ~0.
  add('BN: smallest moving variance (layer)', (l) => {
    const bn = iv(l).at(-1)?.batchNorm ?? [];
    const low = bn.reduce((a, b) => (b.min < a.min ? b : a), bn[0]);
    return low ? `${f3(low.min)} (${low.layer})` : '-';
  });
  add('BN: largest moving variance (layer)', (l) => {
    const bn = iv(l).at(-1)?.batchNorm ?? [];
    const hi = bn.reduce((a, b) => (b.max > a.max ? b : a), bn[0]);
    return hi ? `${f3(hi.max)} (${hi.layer})` : '-';
  });
  const collapsed = (x?: TrainInterval) => (x?.batchNorm ?? []).reduce((a, b) => a + b.low, 0);
  add('BN: channels with variance < 1e-4', (l) => String(collapsed(iv(l).at(-1))));
  const low = (x?: TrainInterval) => (x?.batchNorm ? String(collapsed(x)) : '-');
  // ...and when they collapsed: a channel whose input ReLU died early (docs/training.md, "Why seeds differ").
  add(`BN: such channels at step ${EARLY_STEP} / 50%`, (l) => `${low(iv(l).find((x) => x.to >= EARLY_STEP))} / ${low(iv(l).length ? at(iv(l), 0.5) : undefined)}`);
  // Dilations: each deformable layer's mean and its most common value, at the middle and the end.
  const layers = [...new Set(logs.flatMap((l) => (iv(l).at(-1)?.dilation ?? []).map((d) => d.layer)))];
  for (const name of layers)
    for (const frac of [0.5, 1])
      add(`dilation ${name} at ${Math.round(100 * frac)}% (mean, mode)`, (l) => {
        const d = iv(l).length ? at(iv(l), frac).dilation?.find((x) => x.layer === name) : undefined;
        if (!d) return '-';
        const mode = d.share.indexOf(Math.max(...d.share));
        return `${d.mean.toFixed(2)}, ${mode} (${Math.round(100 * d.share[mode])}%)`;
      });
  return table(rows);
}

function table(rows: string[][]): string[] {
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((v, i) => (i ? v.padStart(width[i]) : v.padEnd(width[i]))).join('  '));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of compareTrainLogs(process.argv.slice(2))) console.log(line);
}
