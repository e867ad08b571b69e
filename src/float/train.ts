/**
 * `codenet train` (float): Adam on the CenterNet loss (src/float/loss.ts) over freshly rendered
 * batches of the built-in data set (every step new images: no epochs, no overfitting to a fixed
 * set), saving the model in the TensorFlow.js layers format. Quantization-aware fine-tuning is not
 * built yet (issue 5).
 */
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, imagesToTensor, initBackend } from './model.ts';
import { centerNetLoss, stackTargets } from './loss.ts';
import { loadFloatModel, saveFloatModel } from './io.ts';
import { makeDataset, makeTargets, NUM_CLASSES } from '../data/shapes.ts';
import type { ZooSpec } from '../zoo/specs.ts';
import { fail } from '../util/errors.ts';
import { progress } from '../util/progress.ts';

export interface TrainOptions {
  spec: ZooSpec;
  input: number;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
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

export async function trainFloat(o: TrainOptions): Promise<TrainLog> {
  for (const [k, v, min] of [['steps', o.steps, 1], ['batch', o.batch, 1], ['input', o.input, 16]] as const)
    if (!Number.isInteger(v) || v < min) fail(`--${k} must be a whole number >= ${min}, got ${v}`);
  if (!(o.lr > 0 && o.lr < 1)) fail(`--lr must be in (0, 1), got ${o.lr}`);
  const backend = await initBackend({ training: true, log: o.log });
  const fm = o.resume ? await loadFloatModel(o.resume) : buildFloatModel(o.spec, { classes: NUM_CLASSES, seed: o.seed, input: o.input });
  if (fm.inputs[0].shape[1] !== o.input) fail(`model ${o.resume} takes ${fm.inputs[0].shape[1]}-pixel images, --input is ${o.input}`);
  const opt = tf.train.adam(o.lr);
  const loss: number[] = [];
  const bar = progress(`training ${o.spec.name} (${backend})`);
  const t0 = performance.now();
  for (let step = 0; step < o.steps; step++) {
    const batch = makeDataset({ seed: o.seed * 1_000_003 + step, count: o.batch, size: o.input, split: 'train' });
    const x = imagesToTensor(batch.map((s) => s.image), o.input, o.input);
    const gt = stackTargets(batch.map((s) => makeTargets(s.boxes, o.input, o.input, NUM_CLASSES)));
    const l = opt.minimize(() => {
      const [hm, wh, reg] = fm.apply(x, { training: true }) as tf.Tensor[];
      return centerNetLoss({ hm, wh, reg }, gt).total;
    }, true) as tf.Scalar;
    loss.push(l.dataSync()[0]);
    tf.dispose([x, gt.hm, gt.wh, gt.reg, gt.mask, l]);
    if (!Number.isFinite(loss[step])) fail(`training diverged at step ${step} (loss ${loss[step]}); lower --lr`);
    const s = (performance.now() - t0) / 1000;
    bar.update(step + 1, o.steps, `loss ${loss[step].toFixed(3)}, ${(((step + 1) * o.batch) / s).toFixed(1)} images/s`);
  }
  bar.finish();
  const seconds = (performance.now() - t0) / 1000;
  await saveFloatModel(fm, o.out);
  return { backend, steps: o.steps, batch: o.batch, input: o.input, seconds, imagesPerSecond: (o.steps * o.batch) / seconds, loss };
}
