import { Option } from 'commander';
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Model } from '../ir/model.ts';
import { loadModelFile } from '../ir/load.ts';
import { cachedZooModel } from '../zoo/cache.ts';
import { ZOO, findZooSpec } from '../zoo/specs.ts';
import { fail } from '../util/errors.ts';
import { safeSlug } from '../util/paths.ts';

export interface ModelArgOptions {
  seed?: number;
  classes?: number;
}

/**
 * A `<model>` argument: a zoo name (built with the given seed, or loaded from the build cache
 * when an earlier run built it: src/zoo/cache.ts) or a model file.
 */
export function resolveModel(arg: string, opts: ModelArgOptions = {}): Model {
  if (findZooSpec(arg)) return cachedZooModel(arg, opts);
  if (existsSync(arg)) return loadModelFile(arg);
  fail(`model "${arg}" is neither a zoo model (${ZOO.map((z) => z.name).join(', ')}) nor an existing file`);
}

/**
 * The name default output paths use for a `<model>` argument: a zoo name as it is, a model file
 * by its file name without the extension (`runs/trained.json` -> `trained`), so a trained model
 * never lands in the folder of the random-weight zoo model its metadata may name. Made file-name
 * safe by safeSlug (src/util/paths.ts) where it is used.
 */
export function modelArgName(arg: string): string {
  if (findZooSpec(arg)) return arg;
  const base = basename(arg);
  return base.slice(0, base.length - extname(base).length) || base;
}

/**
 * The report file of a `codenet sim` run: sim-report.json for the folder's own model,
 * sim-report-<model>.json for `--model` (the zoo name or the file's name, made safe), so another
 * model never overwrites the folder's.
 */
export function simReportName(modelArg?: string): string {
  return modelArg ? `sim-report-${safeSlug(modelArgName(modelArg))}.json` : 'sim-report.json';
}

/** Parses an integer option, naming the flag in the error. */
export function intOption(flag: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) fail(`${flag} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
}

/** --ema: momentum of the moving average of per-batch activation ranges, in [0, 1). */
export function emaOption(v: string): number {
  const k = Number(v);
  if (!(k >= 0 && k < 1)) fail(`--ema must be a momentum in [0, 1), e.g. 0.9, got "${v}"`);
  return k;
}

/** --percentile, --weight-percentile: a range's percentile, in (50, 100] (100 = min/max). */
export const percentileOption = (flag: string) => (v: string): number => {
  const p = Number(v);
  if (!(p > 50 && p <= 100)) fail(`${flag} must be a number in (50, 100], got "${v}"`);
  return p;
};

/** --weight-scale: how each output channel's int4 weight scale is chosen (src/quant/quantize.ts weightRange). */
export const weightScaleOption = (prefix = '') =>
  new Option('--weight-scale <mode>', `${prefix}weight scale per output channel: mse (the range with the least squared rounding and clipping error) or max (the largest |w|; --weight-percentile implies max)`)
    .choices(['mse', 'max'])
    .default('mse');
