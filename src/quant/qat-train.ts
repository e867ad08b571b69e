/**
 * `codenet train --qat`: quantization-aware fine-tuning of a trained float model. Activation
 * quantizers are calibrated once on the calibration images and frozen, and so are the weight scales
 * (chosen for the float model as `codenet quantize` chooses them; or learned from there, LSQ, with
 * --learn-scales); batch norm uses its moving
 * statistics (folded, as the exporter folds it); then the training loop of src/float/train.ts runs
 * over the integer forward of src/quant/qat.ts, and the result is exported with the same quantizer
 * the forward used, so the exported integer model is exactly the one trained.
 *
 * On two threads a worker (src/quant/qat-worker.ts) loads the same float model and calibrates the
 * same frozen quantizers from the same images (qatSetup, deterministic), then computes the gradient
 * of half of every batch. Batch norm is frozen, so the split changes nothing but the order of sums.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../float/model.ts';
import { loadFloatModel, saveFloatModel } from '../float/io.ts';
import { checkClasses, checkStepOptions, gradientThreads, runSteps, type Forward, type StepOptions, type TrainLog } from '../float/train.ts';
import { GradientWorker } from '../float/parallel.ts';
import type { Model } from '../ir/model.ts';
import { centerNetHeads } from '../detect/heads.ts';
import { calibrateActivations, quantizeWeights, validated, type QuantizeOptions, type WeightQuantOptions } from './quantize.ts';
import { qatForward } from './qat.ts';
import { startFromPtq } from './qat-init.ts';
import { fail } from '../util/errors.ts';
import { QAT_LR_FLOOR, QAT_OFFSET_LR } from '../float/defaults.ts';
import { labelledBatches, type BatchSource, type TrainDataSpec } from '../data/batches.ts';

/** What a QAT worker needs to rebuild the main thread's setup (src/quant/qat-worker.ts). */
export interface QatSetupOptions extends QuantizeOptions {
  /** The float model's input size (checked). */
  input: number;
  /** The trained float model to fine-tune. */
  from: string;
  /** Calibration images (uint8 HWC of the model's input size) for the frozen activation ranges. */
  calib: Uint8Array[];
  /** Train the weight scales too (LSQ), from the chosen ones as a start; the offset convs' stay. Default: frozen. */
  learnScales?: boolean;
  /**
   * Where the fine-tuning starts: 'float' (the float model, rounded to nearest on the frozen grid)
   * or 'ptq' (the weights `codenet quantize` would export: learned rounding and bias correction
   * on the calibration images, as `biasCorrection` / `adaround` say; src/quant/qat-init.ts).
   */
  init?: QatInit;
  /** Fine-tune on a VOC or COCO folder (src/data/batches.ts) instead of the built-in set. */
  dataSpec?: TrainDataSpec;
}

export type QatInit = 'float' | 'ptq';

/** Training steps, and the quantizer's options (activation ranges and weight scales, as `codenet quantize`). */
export interface QatOptions extends StepOptions, QatSetupOptions {
  /** Folder for the fine-tuned float model. */
  out: string;
  /** Threads computing gradients (1 or 2; default as float training). */
  threads?: number;
  log?: (msg: string) => void;
}

export interface QatLog extends TrainLog {
  calibrationImages: number;
}

/** The float model, its frozen quantizers (in the integer model m) and the QAT forward pass. */
export async function qatSetup(o: QatSetupOptions): Promise<{ fm: tf.LayersModel; m: Model; wq: WeightQuantOptions; forward: Forward; vars: tf.Variable[]; syncScales: () => void; data?: BatchSource }> {
  const fm = await loadFloatModel(o.from);
  if (fm.inputs[0].shape[1] !== o.input) fail(`model ${o.from} takes ${fm.inputs[0].shape[1]}-pixel images, --input is ${o.input}`);
  const { model: m } = calibrateActivations(fm, o.calib, o);
  const heads = centerNetHeads(m.outputs, m.outputs.map((t) => m.tensors.get(t)!.shape[2]), `float model ${o.from}`);
  const [hm, wh, reg] = [heads.hm, heads.wh, heads.reg].map((i) => m.outputs[i]);
  const data = o.dataSpec ? labelledBatches(o.dataSpec) : undefined;
  checkClasses(m.tensors.get(hm)!.shape[2], o.from, data);
  // Moving mean and variance are not trainable: batch norm stays frozen, as the export folds it.
  const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
  const wq: WeightQuantOptions = { saturateBias: true, weightPercentile: o.weightPercentile, weightScale: o.weightScale };
  // The weight scales are chosen once, for the float model (as `codenet quantize` would), and then
  // frozen or learned, never chosen afresh: a channel's chosen scale jumped whenever its largest
  // weights moved, shifting the whole channel's grid under the weights (docs/training.md).
  wq.fixedScales = quantizeWeights(fm, m, wq);
  // Learned scales train as log s (always positive) by their own gradient (qat.ts
  // learnedFakeQuant), after the float weights in `vars`; the offset convs' stay frozen with
  // their weights (QAT_OFFSET_LR).
  const logScales = new Map<string, tf.Variable>();
  if (o.learnScales) {
    for (const l of m.layers) {
      const s = wq.fixedScales.get(l.name);
      if (s && l.op !== 'offset') logScales.set(l.name, tf.variable(tf.tensor1d(Float32Array.from(s, Math.log))));
    }
  }
  // The integer path and the export read the scales from wq.fixedScales.
  const syncScales = () => { for (const [name, v] of logScales) wq.fixedScales!.set(name, Float64Array.from(v.dataSync(), Math.exp)); };
  syncScales();
  const forward: Forward = (images) => {
    syncScales();
    const r = qatForward(fm, m, images, wq, o.learnScales ? logScales : undefined).real;
    return { hm: r.get(hm)!, wh: r.get(wh)!, reg: r.get(reg)! };
  };
  return { fm, m, wq, forward, vars: [...vars, ...logScales.values()], syncScales, data };
}

export async function trainQat(o: QatOptions): Promise<{ log: QatLog; model: Model }> {
  checkStepOptions(o);
  const threads = gradientThreads(o.threads);
  const backend = await initBackend({ log: o.log });
  const { fm, m, wq, forward, vars, syncScales, data } = await qatSetup(o);
  // The worker needs only the quantizers: every request brings the current weights.
  if (o.init === 'ptq') startFromPtq(fm, m, wq, o.calib, { biasCorrection: o.biasCorrection ?? true, adaround: o.adaround ?? true, iterations: o.adaroundIterations });
  const init = { kind: 'qat', zoo: o.zoo, input: o.input, from: o.from, calib: o.calib, actRange: o.actRange, percentile: o.percentile, ema: o.ema, weightPercentile: o.weightPercentile, weightScale: o.weightScale, learnScales: o.learnScales, dataSpec: o.dataSpec };
  const helper = threads > 1 ? new GradientWorker(init, new URL('./qat-worker.ts', import.meta.url)) : undefined;
  try {
    const { loss, seconds, plannedSteps, intervals } = await runSteps({ ...o, data, offsetLr: o.offsetLr ?? QAT_OFFSET_LR, lrFloor: o.lrFloor ?? QAT_LR_FLOOR, label: `QAT ${m.name} (${backend}, ${threads} thread${threads > 1 ? 's' : ''})`, forward, vars, helper });
    m.metadata = { ...m.metadata, quantizer: 'codenet W4A8 quantization-aware fine-tuning', qatSteps: loss.length, qatBatch: o.batch, qatWeightScales: o.learnScales ? 'learned' : 'frozen', qatInit: o.init ?? 'float' };
    syncScales(); // the last step's scales
    quantizeWeights(fm, m, wq);
    const model = validated(m, `QAT-exported ${m.name}`);
    await saveFloatModel(fm, o.out);
    const log = { backend, threads, steps: loss.length, batch: o.batch, input: o.input, seconds, imagesPerSecond: (loss.length * o.batch) / seconds, loss, calibrationImages: o.calib.length, plannedSteps, ...(data ? { data: data.description } : {}), intervals };
    return { log, model };
  } finally {
    await helper?.close();
    tf.dispose(vars.slice(fm.trainableWeights.length)); // the learned scales, if any
  }
}
