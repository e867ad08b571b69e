// Data-parallel float training (src/float/parallel.ts, float-worker.ts) and the flat Adam
// (src/float/adam.ts) that applies the combined gradient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, initBackend } from '../src/float/model.ts';
import { FlatAdam, readFlat, writeFlat } from '../src/float/adam.ts';
import { GradientWorker } from '../src/float/parallel.ts';
import { floatForward, halfBatchGradients, runSteps, type Forward } from '../src/float/train.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { NUM_CLASSES } from '../src/data/shapes.ts';

beforeAll(async () => { await initBackend(); });

describe('flat Adam', () => {
  it('takes the steps of tfjs Adam (same betas and epsilon)', () => {
    const w0 = [0.5, -1.25, 2, 0.01];
    const v = tf.variable(tf.tensor1d(w0));
    const opt = tf.train.adam(0.05);
    const target = tf.tensor1d([1, 2, -3, 0.5]);
    const loss = () => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar;
    const flat = Float32Array.from(w0);
    const adam = new FlatAdam(flat.length);
    for (let s = 0; s < 5; s++) {
      const g = Float32Array.from(flat, (x, i) => 2 * (x - [1, 2, -3, 0.5][i]));
      adam.step(flat, g, 0.05);
      opt.minimize(loss);
    }
    const want = v.dataSync();
    for (let i = 0; i < flat.length; i++) expect(flat[i]).toBeCloseTo(want[i], 5);
  });

  it('reads and writes variables as one flat array, in order', () => {
    const a = tf.variable(tf.tensor2d([[1, 2], [3, 4]])), b = tf.variable(tf.tensor1d([5]));
    expect(Array.from(readFlat([a, b]))).toEqual([1, 2, 3, 4, 5]);
    writeFlat([a, b], Float32Array.from([9, 8, 7, 6, 5.5]));
    expect(Array.from(a.dataSync())).toEqual([9, 8, 7, 6]);
    expect(b.dataSync()[0]).toBe(5.5);
  });
});

describe('gradient worker', () => {
  const spec = findZooSpec('codenet-tiny-skip')!;
  let worker: GradientWorker;
  afterAll(async () => { await worker?.close(); });

  it('computes, on its own thread, bit for bit the gradient this thread computes for the same weights and samples', async () => {
    worker = new GradientWorker({ kind: 'float', spec, classes: NUM_CLASSES, input: 32, seed: 4 });
    const fm = buildFloatModel(spec, { classes: NUM_CLASSES, input: 32, seed: 9 }); // other initial weights: the request carries them
    const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
    const weights = readFlat(vars);
    const req = { weights, stream: 12345, from: 2, to: 5 };
    const remote = await worker.request(req);
    const local = halfBatchGradients(floatForward(fm), vars, { stream: req.stream, from: req.from, to: req.to, input: 32 });
    expect(remote.grads.length).toBe(weights.length);
    expect(remote.objects).toBe(local.objects);
    expect(remote.objects).toBeGreaterThan(0);
    expect(remote.loss).toBe(local.loss);
    expect(Buffer.from(remote.grads.buffer).equals(Buffer.from(local.grads.buffer))).toBe(true);
    expect(local.grads.some((g) => g !== 0)).toBe(true);
    // a request whose weights do not fit the network fails with a message naming both sizes
    await expect(worker.request({ ...req, weights: weights.subarray(1) })).rejects.toThrow(/weights sent, the network has/);
  }, 60_000);
});

describe('training schedule', () => {
  it('a time budget that does not stop the run leaves the model unchanged, even when the first step is slow', async () => {
    // The first step takes 2 s (as JIT warm-up does), then 20 quick steps fit well inside 12 s. A
    // schedule that followed elapsed time where it led (2 s / 12 s > 1 / 20 at step 1) would give
    // other weights; the schedule by steps gives the same ones.
    const spec = findZooSpec('codenet-tiny')!;
    const train = async (minutes?: number) => {
      const fm = buildFloatModel(spec, { classes: NUM_CLASSES, seed: 4, input: 64 });
      const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
      const plain = floatForward(fm);
      let calls = 0;
      const forward: Forward = (images, x) => {
        if (calls++ === 0) for (const end = performance.now() + 2000; performance.now() < end;);
        return plain(images, x);
      };
      const r = await runSteps({ input: 64, steps: 20, batch: 1, lr: 2e-2, seed: 1, minutes, label: 'schedule test', forward, vars });
      expect(r.loss.length).toBe(20); // the budget did not stop it
      return readFlat(vars);
    };
    const timed = await train(0.2), untimed = await train();
    expect(Buffer.from(timed.buffer).equals(Buffer.from(untimed.buffer))).toBe(true);
  }, 60_000);
});
