/**
 * `codenet quantize` (src/cli/commands/quantize.ts loads this lazily: TensorFlow.js starts only
 * for the commands that need it).
 */
import { basename, dirname, join } from 'node:path';
import { writeFilesAtomically } from '../io/atomic.ts';
import { readNpy } from '../io/npy.ts';
import { serializeModel } from '../ir/save.ts';
import { initBackend } from '../float/model.ts';
import { loadFloatModel } from '../float/io.ts';
import { makeDataset } from '../data/shapes.ts';
import { findZooSpec, ZOO } from '../zoo/specs.ts';
import { quantizeFloatModel, type WeightScaleMode } from './quantize.ts';
import { layerErrors } from './sqnr.ts';
import { sqnrReport, sqnrSvg } from './report.ts';
import { fail } from '../util/errors.ts';

export interface QuantizeCliOptions { calib: string; out: string; zoo?: string; percentile: number; ema?: number; weightPercentile?: number; weightScale: WeightScaleMode; seed: number }

/** --calib: "builtin:N" (N images of the built-in data set's train split) or a uint8 .npy [N,H,W,3]. */
export function calibrationImages(arg: string, size: number, seed: number): Uint8Array[] {
  const m = /^builtin(?::(\d+))?$/.exec(arg);
  if (m) return makeDataset({ seed, count: Number(m[1] ?? 32), size, split: 'train' }).map((s) => s.image);
  const a = readNpy(arg);
  if (a.dtype !== 'uint8' || a.shape.length !== 4 || a.shape[1] !== size || a.shape[2] !== size || a.shape[3] !== 3 || a.shape[0] < 1)
    fail(`calibration data ${arg} must be uint8 RGB images [N, ${size}, ${size}, 3], got ${a.dtype} (${a.shape.join(', ')})`);
  const n = size * size * 3;
  return Array.from({ length: a.shape[0] }, (_, i) => (a.data as Uint8Array).slice(i * n, (i + 1) * n));
}

export async function runQuantize(path: string, o: QuantizeCliOptions): Promise<void> {
  await initBackend({ log: (s) => process.stderr.isTTY && process.stderr.write(`${s}\n`) });
  const fm = await loadFloatModel(path);
  const name = o.zoo ?? fm.name;
  const spec = findZooSpec(name) ?? fail(`float model ${path} is named "${fm.name}", not a zoo network; give its structure with --zoo (${ZOO.map((z) => z.name).join(', ')})`);
  const size = fm.inputs[0].shape[1] as number;
  const images = calibrationImages(o.calib, size, o.seed);
  const { model, activations, activationImages, clampedBias, constantChannels } = quantizeFloatModel(fm, spec, images, { percentile: o.percentile, ema: o.ema, weightPercentile: o.weightPercentile, weightScale: o.weightScale });
  // The error of what the hardware computes: the golden model against the float model.
  const sample = images.slice(0, activationImages);
  const float = activations;
  const report = sqnrReport(model.name, sample.length, layerErrors(model, sample, float, (l) => model.layers.find((x) => x.name === l)!.dmax));
  const stem = basename(o.out).replace(/\.json$/, '');
  writeFilesAtomically(dirname(o.out), [
    { name: basename(o.out), data: serializeModel(model) },
    { name: `${stem}.sqnr.json`, data: JSON.stringify(report, null, 2) + '\n' },
    { name: `${stem}.sqnr.svg`, data: sqnrSvg(report) },
  ]);
  const worst = report.layers.filter((l) => typeof l.sqnrDb === 'number').sort((a, b) => a.sqnrDb! - b.sqnrDb!)[0];
  console.log(`wrote ${o.out}: ${model.name} W4A8, ${model.layers.length} layers, calibrated on ${images.length} images (range percentile ${o.percentile}${o.ema !== undefined ? `, EMA momentum ${o.ema}` : ''})`);
  if (constantChannels?.length)
    console.log(`note: ${constantChannels.length} output channel(s) were constant in training (batch-norm variance about 0), exported as constants: ${constantChannels.slice(0, 4).join('; ')}${constantChannels.length > 4 ? '; ...' : ''}`);
  if (clampedBias?.length)
    console.log(`note: ${clampedBias.length} output channel(s) have a folded bias beyond int16 B, clamped (their outputs saturate either way): ${clampedBias.slice(0, 4).join('; ')}${clampedBias.length > 4 ? '; ...' : ''}`);
  console.log(`SQNR against the float model: worst ${worst ? `${worst.sqnrDb!.toFixed(1)} dB at ${worst.tensor}` : 'n/a'}; ${join(dirname(o.out), `${stem}.sqnr.json`)} and .svg`);
}
