/**
 * `codenet train --qat`: quantization-aware fine-tuning of a trained float model. Activation
 * quantizers are calibrated once on the calibration images and frozen; batch norm uses its moving
 * statistics (folded, as the exporter folds it); then the training loop of src/float/train.ts runs
 * over the integer forward of src/quant/qat.ts, and the result is exported with the same quantizer
 * the forward used, so the exported integer model is exactly the one trained.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../float/model.ts';
import { loadFloatModel, saveFloatModel } from '../float/io.ts';
import { checkStepOptions, runSteps, type StepOptions, type TrainLog } from '../float/train.ts';
import type { Model } from '../ir/model.ts';
import type { ZooSpec } from '../zoo/specs.ts';
import { calibrateActivations, quantizeWeights, validated, type QuantizeOptions } from './quantize.ts';
import { qatForward } from './qat.ts';
import { fail } from '../util/errors.ts';

/** Training steps, and the quantizer's options (activation ranges and weight scales, as `codenet quantize`). */
export interface QatOptions extends StepOptions, QuantizeOptions {
  spec: ZooSpec;
  /** The trained float model to fine-tune. */
  from: string;
  /** Calibration images (uint8 HWC of the model's input size) for the frozen activation ranges. */
  calib: Uint8Array[];
  /** Folder for the fine-tuned float model. */
  out: string;
  log?: (msg: string) => void;
}

export interface QatLog extends TrainLog {
  calibrationImages: number;
}

export async function trainQat(o: QatOptions): Promise<{ log: QatLog; model: Model }> {
  checkStepOptions(o);
  const backend = await initBackend({ log: o.log });
  const fm = await loadFloatModel(o.from);
  if (fm.inputs[0].shape[1] !== o.input) fail(`model ${o.from} takes ${fm.inputs[0].shape[1]}-pixel images, --input is ${o.input}`);
  const { model: m } = calibrateActivations(fm, o.spec, o.calib, o);
  m.metadata = { ...m.metadata, quantizer: 'codenet W4A8 quantization-aware fine-tuning', qatSteps: o.steps, qatBatch: o.batch, ...(o.weightPercentile !== undefined ? { weightPercentile: o.weightPercentile } : {}) };
  // Moving mean and variance are not trainable: batch norm stays frozen, as the export folds it.
  const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
  const wq = { saturateBias: true, weightPercentile: o.weightPercentile };
  const forward = (images: Uint8Array[]) => {
    const r = qatForward(fm, m, images, wq).real;
    return { hm: r.get('hm')!, wh: r.get('wh')!, reg: r.get('reg')! };
  };
  const { loss, seconds } = await runSteps({ ...o, label: `QAT ${o.spec.name} (${backend})`, forward, vars });
  quantizeWeights(fm, m, wq);
  const model = validated(m, `QAT-exported ${o.spec.name}`);
  await saveFloatModel(fm, o.out);
  const log = { backend, threads: 1, steps: o.steps, batch: o.batch, input: o.input, seconds, imagesPerSecond: (o.steps * o.batch) / seconds, loss, calibrationImages: o.calib.length };
  return { log, model };
}
