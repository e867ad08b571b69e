/**
 * `codenet quantize` (src/cli/commands/quantize.ts loads this lazily: TensorFlow.js starts only
 * for the commands that need it).
 */
import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { writeFilesAtomically } from '../io/atomic.ts';
import { readNpy } from '../io/npy.ts';
import { serializeModel } from '../ir/save.ts';
import { initBackend } from '../float/model.ts';
import { loadFloatModel } from '../float/io.ts';
import { makeDataset } from '../data/shapes.ts';
import { findZooSpec, ZOO } from '../zoo/specs.ts';
import { PTQ_DEFAULTS, quantizeFloatModel, type ActRangeMode, type QuantizeOptions, type QuantizeResult, type WeightScaleMode } from './quantize.ts';
import { graphQuantTable, quantizeWithGraphQuant, type GraphQuantRow } from './graph-quant.ts';
import { floatModelDir, HINTS_FILE, readQuantHints } from '../import/hints.ts';
import { layerErrors } from './sqnr.ts';
import { sqnrReport, sqnrSvg } from './report.ts';
import { fail } from '../util/errors.ts';
import { DEFAULT_FIT, folderInputs, isFolder, type Fit } from '../data/images.ts';

export interface QuantizeCliOptions { calib: string; fit?: Fit; out: string; zoo?: string; percentile?: number; ema?: number; weightPercentile?: number; weightScale: WeightScaleMode; seed: number;
  /** Activation ranges: mse (the default) or percentile (implied by --percentile and --ema). */
  actRange?: ActRangeMode;
  /** --no-bias-correction, --no-adaround: commander's negatable flags (true unless given). */
  biasCorrection: boolean;
  adaround: boolean;
  adaroundIterations: number;
  /** Use the ONNX graph's quantization (quant-hints.json beside the float model): the default when it is there. */
  useGraphQuant?: boolean;
  /** Ignore quant-hints.json: calibrate every activation and choose every weight scale. */
  calibrate?: boolean;
}

/**
 * --calib: "builtin:N" (N images of the built-in data set's train split), a folder of JPEG / PNG
 * images (all of them, in name order, brought to the model's input by `fit`: src/data/images.ts)
 * or a uint8 .npy [N,H,W,3].
 */
export async function calibrationImages(arg: string, size: number, seed: number, fit: Fit = DEFAULT_FIT): Promise<Uint8Array[]> {
  const m = /^builtin(?::(\d+))?$/.exec(arg);
  if (m) return makeDataset({ seed, count: Number(m[1] ?? 32), size, split: 'train' }).map((s) => s.image);
  if (isFolder(arg)) return folderInputs(arg, size, fit, 'calibration image');
  const a = readNpy(arg);
  if (a.dtype !== 'uint8' || a.shape.length !== 4 || a.shape[1] !== size || a.shape[2] !== size || a.shape[3] !== 3 || a.shape[0] < 1)
    fail(`calibration data ${arg} must be uint8 RGB images [N, ${size}, ${size}, 3], got ${a.dtype} (${a.shape.join(', ')})`);
  const n = size * size * 3;
  return Array.from({ length: a.shape[0] }, (_, i) => (a.data as Uint8Array).slice(i * n, (i + 1) * n));
}

/**
 * The activation-range mode of `codenet quantize` and `codenet train --qat`: --act-range, else
 * percentile where --percentile or --ema is given (they imply it), else `fallback`.
 */
export function chooseActRange(o: { actRange?: ActRangeMode; percentile?: number; ema?: number }, fallback: ActRangeMode): ActRangeMode {
  const actRange = o.actRange ?? (o.percentile !== undefined || o.ema !== undefined ? 'percentile' : fallback);
  if (actRange === 'mse' && (o.percentile !== undefined || o.ema !== undefined)) fail('--act-range mse chooses the ranges itself: leave out --percentile and --ema (or use --act-range percentile)');
  return actRange;
}

export async function runQuantize(path: string, o: QuantizeCliOptions): Promise<void> {
  await initBackend({ log: (s) => process.stderr.isTTY && process.stderr.write(`${s}\n`) });
  if (o.useGraphQuant && o.calibrate) fail('--use-graph-quant and --calibrate exclude each other (--calibrate ignores the graph\'s quantization)');
  const zoo = o.zoo === undefined ? undefined : (findZooSpec(o.zoo) ?? fail(`--zoo: unknown zoo network "${o.zoo}"; known: ${ZOO.map((z) => z.name).join(', ')}`));
  const fm = await loadFloatModel(path);
  // The graph's quantization, kept by codenet import beside the float model (src/import/hints.ts).
  const hintsFile = join(floatModelDir(path), HINTS_FILE);
  const hints = o.calibrate ? undefined : readQuantHints(path);
  if (o.useGraphQuant && !hints) fail(`--use-graph-quant: there is no ${hintsFile} (codenet import writes it for an ONNX graph with QuantizeLinear/DequantizeLinear or QONNX Quant nodes)`);
  // The integer graph comes from the float model's own layers (src/quant/graph.ts); the zoo is only checked.
  const [h, w] = [fm.inputs[0].shape[1] as number, fm.inputs[0].shape[2] as number];
  if (h !== w) fail(`float model ${path} takes ${h}x${w} images; calibration images are square`);
  const images = await calibrationImages(o.calib, h, o.seed, o.fit);
  const actRange = chooseActRange(o, PTQ_DEFAULTS.actRange);
  const qo: QuantizeOptions = { zoo, actRange, percentile: o.percentile, ema: o.ema, weightPercentile: o.weightPercentile, weightScale: o.weightScale, biasCorrection: o.biasCorrection, adaround: o.adaround, adaroundIterations: o.adaroundIterations };
  const r: QuantizeResult & { graphQuant?: GraphQuantRow[] } = hints ? quantizeWithGraphQuant(fm, images, qo, hints) : quantizeFloatModel(fm, images, qo);
  const { model, activations, activationImages, clampedBias, constantChannels, capped } = r;
  // The error of what the hardware computes: the golden model against the float model.
  const sample = images.slice(0, activationImages);
  const float = activations;
  const report = sqnrReport(model.name, sample.length, layerErrors(model, sample, float, (l) => model.layers.find((x) => x.name === l)!.dmax));
  const stem = basename(o.out).replace(/\.json$/, '');
  writeFilesAtomically(dirname(o.out), [
    { name: basename(o.out), data: serializeModel(model) },
    { name: `${stem}.sqnr.json`, data: JSON.stringify(report, null, 2) + '\n' },
    { name: `${stem}.sqnr.svg`, data: sqnrSvg(report) },
    ...(r.graphQuant ? [{ name: `${stem}.import-quant.json`, data: JSON.stringify({ model: model.name, source: hints!.source, hints: hintsFile, rows: r.graphQuant }, null, 2) + '\n' }] : []),
  ]);
  const worst = report.layers.filter((l) => typeof l.sqnrDb === 'number').sort((a, b) => a.sqnrDb! - b.sqnrDb!)[0];
  console.log(`wrote ${o.out}: ${model.name} W4A8, ${model.layers.length} layers, ${hints ? 'the ONNX graph\'s quantization where it fits, elsewhere ' : ''}calibrated on ${images.length} images (${actRange === 'mse' ? 'activation ranges by MSE search' : `range percentile ${o.percentile ?? 100}`}${o.ema !== undefined ? `, EMA momentum ${o.ema}` : ''}${!hints && o.biasCorrection ? ', bias correction' : ''}${!hints && o.adaround ? `, learned rounding (${o.adaroundIterations} iterations)` : ''})`);
  // (Layers whose error or target is exactly 0 have no SNR.)
  const measured = r.refinement?.filter((l) => l.signal > 0 && l.nearest > 0 && l.refined > 0) ?? [];
  if (measured.length) {
    const db = (f: (l: (typeof measured)[number]) => number) => (measured.reduce((a, l) => a + 10 * Math.log10(l.signal / f(l)), 0) / measured.length).toFixed(1);
    console.log(`layer output SNR on the calibration images (mean over layers): ${db((l) => l.nearest)} dB rounded to nearest, ${db((l) => l.refined)} dB exported`);
  }
  if (r.graphQuant) {
    for (const line of graphQuantTable(r.graphQuant)) console.log(line);
    console.log(`the graph's quantization (${hintsFile}), tensor by tensor: ${join(dirname(o.out), `${stem}.import-quant.json`)}`);
  } else if (o.calibrate && existsSync(hintsFile)) console.log(`note: ${hintsFile} ignored (--calibrate): calibrated activations, codenet's weight scales`);
  if (capped?.length)
    console.log(`note: ${capped.length} tensor(s) after a capped ReLU have their top code at the cap: ${capped.slice(0, 4).join(', ')}${capped.length > 4 ? ', ...' : ''}`);
  if (constantChannels?.length)
    console.log(`note: ${constantChannels.length} output channel(s) were constant in training (batch-norm variance about 0), exported as constants: ${constantChannels.slice(0, 4).join('; ')}${constantChannels.length > 4 ? '; ...' : ''}`);
  if (clampedBias?.length)
    console.log(`note: ${clampedBias.length} output channel(s) have a folded bias beyond int16 B, clamped (their outputs saturate either way): ${clampedBias.slice(0, 4).join('; ')}${clampedBias.length > 4 ? '; ...' : ''}`);
  console.log(`SQNR against the float model: worst ${worst ? `${worst.sqnrDb!.toFixed(1)} dB at ${worst.tensor}` : 'n/a'}; ${join(dirname(o.out), `${stem}.sqnr.json`)} and .svg`);
}
