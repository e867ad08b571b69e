/**
 * `codenet train`: Adam on the CenterNet loss (src/float/loss.ts) over freshly rendered batches of
 * the built-in data set (every step new images: no epochs, no overfitting to a fixed set), with a
 * cosine learning-rate decay. Float training here; quantization-aware fine-tuning (src/quant/qat.ts)
 * runs the same loop over the integer forward.
 */
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, imagesToTensor, initBackend } from './model.ts';
import { centerNetLoss, stackTargets } from './loss.ts';
import { loadFloatModel, saveFloatModel } from './io.ts';
import { makeDataset, makeTargets, NUM_CLASSES } from '../data/shapes.ts';
import type { ZooSpec } from '../zoo/specs.ts';
import { fail } from '../util/errors.ts';
import { progress } from '../util/progress.ts';

export interface StepOptions {
  input: number;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  /**
   * Wall-clock budget in minutes: no step after the first starts past it (steps is then an upper
   * bound), the cosine following whichever of steps and time is further along. The accuracy
   * benchmark's 30-minute limit holds however busy the machine is.
   */
  minutes?: number;
}

export interface TrainOptions extends StepOptions {
  spec: ZooSpec;
  out: string;
  /** Continue from this float model instead of a fresh one. */
  resume?: string;
  log?: (msg: string) => void;
}

export interface TrainLog {
  backend: string;
  steps: number;
  batch: number;
  input: number;
  seconds: number;
  imagesPerSecond: number;
  /** Total loss every step. */
  loss: number[];
}

/** Cosine decay from lr to lr / 20 over the run (fresh data every step: no epochs to schedule by). */
export const learningRate = (lr: number, step: number, steps: number): number =>
  lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / Math.max(1, steps))));

export function checkStepOptions(o: StepOptions): void {
  for (const [k, v, min] of [['steps', o.steps, 1], ['batch', o.batch, 1], ['input', o.input, 16]] as const)
    if (!Number.isInteger(v) || v < min) fail(`--${k} must be a whole number >= ${min}, got ${v}`);
  if (!(o.lr > 0 && o.lr < 1)) fail(`--lr must be in (0, 1), got ${o.lr}`);
  if (o.minutes !== undefined && !(o.minutes > 0)) fail(`--minutes must be > 0, got ${o.minutes}`);
}

/** The network's three outputs for a batch (images as uint8 HWC and as the normalised tensor). */
export type Forward = (images: Uint8Array[], x: tf.Tensor4D) => { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor };

/**
 * The training loop: `steps` Adam steps on fresh batches (data stream `seed`), optimising `vars`
 * (default: every trainable variable). Returns the loss of every step and the wall time.
 */
export function runSteps(o: StepOptions & { label: string; forward: Forward; vars?: tf.Variable[] }): { loss: number[]; seconds: number } {
  const opt = tf.train.adam(o.lr);
  const rate = opt as unknown as { learningRate: number };
  const loss: number[] = [];
  const bar = progress(o.label);
  const t0 = performance.now();
  const budget = o.minutes === undefined ? Infinity : o.minutes * 60;
  for (let step = 0; step < o.steps; step++) {
    const elapsed = (performance.now() - t0) / 1000;
    if (step > 0 && elapsed >= budget) break;
    rate.learningRate = learningRate(o.lr, Math.max(step / o.steps, elapsed / budget), 1);
    const batch = makeDataset({ seed: o.seed * 1_000_003 + step, count: o.batch, size: o.input, split: 'train' });
    const images = batch.map((s) => s.image);
    const x = imagesToTensor(images, o.input, o.input);
    const gt = stackTargets(batch.map((s) => makeTargets(s.boxes, o.input, o.input, NUM_CLASSES)));
    const l = opt.minimize(() => centerNetLoss(o.forward(images, x), gt).total, true, o.vars) as tf.Scalar;
    loss.push(l.dataSync()[0]);
    tf.dispose([x, gt.hm, gt.wh, gt.reg, gt.mask, l]);
    if (!Number.isFinite(loss[step])) fail(`training diverged at step ${step} (loss ${loss[step]}); lower --lr`);
    const s = (performance.now() - t0) / 1000;
    bar.update(step + 1, o.steps, `loss ${loss[step].toFixed(3)}, ${(((step + 1) * o.batch) / s).toFixed(1)} images/s`);
  }
  bar.finish();
  opt.dispose();
  return { loss, seconds: (performance.now() - t0) / 1000 };
}

export async function trainFloat(o: TrainOptions): Promise<TrainLog> {
  checkStepOptions(o);
  const backend = await initBackend({ log: o.log });
  const fm = o.resume ? await loadFloatModel(o.resume) : buildFloatModel(o.spec, { classes: NUM_CLASSES, seed: o.seed, input: o.input });
  if (fm.inputs[0].shape[1] !== o.input) fail(`model ${o.resume} takes ${fm.inputs[0].shape[1]}-pixel images, --input is ${o.input}`);
  const forward: Forward = (_images, x) => {
    const [hm, wh, reg] = fm.apply(x, { training: true }) as tf.Tensor[];
    return { hm, wh, reg };
  };
  const { loss, seconds } = runSteps({ ...o, label: `training ${o.spec.name} (${backend})`, forward });
  await saveFloatModel(fm, o.out);
  return { backend, steps: loss.length, batch: o.batch, input: o.input, seconds, imagesPerSecond: (loss.length * o.batch) / seconds, loss };
}
