// Data-parallel float training (src/float/parallel.ts, float-worker.ts) and the flat Adam
// (src/float/adam.ts) that applies the combined gradient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, initBackend } from '../src/float/model.ts';
import { FlatAdam, offsetLrScale, readFlat, writeFlat } from '../src/float/adam.ts';
import { GradientWorker } from '../src/float/parallel.ts';
import { defaultWarmup, floatForward, halfBatchGradients, learningRate, PLAN_STEPS, runSteps, type Forward } from '../src/float/train.ts';
import { MAX_STEPS, WARMUP_STEPS } from '../src/float/defaults.ts';
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

  it('scales the step per weight: the offset convs of a zoo network at their fraction of the rate', () => {
    const fm = buildFloatModel(findZooSpec('codenet-tiny-skip')!, { classes: NUM_CLASSES, seed: 1, input: 32 });
    const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
    const scale = offsetLrScale(vars, 0.25);
    let o = 0;
    const scaled: string[] = [];
    for (const v of vars) {
      const part = scale.subarray(o, (o += v.size));
      if (part.every((x) => x === 0.25)) scaled.push(v.name);
      else expect(part.every((x) => x === 1)).toBe(true);
    }
    expect(scaled).toEqual(['dec1.offset/kernel', 'dec1.offset/bias', 'dec2.offset/kernel', 'dec2.offset/bias', 'dec3.offset/kernel', 'dec3.offset/bias']);
    // Adam's first step moves every weight by the rate (times its factor) against its gradient's sign.
    const w = Float32Array.from([1, 1, 1]);
    new FlatAdam(3, Float32Array.from([1, 0.1, 0])).step(w, Float32Array.from([3, -2, 5]), 0.5);
    [0.5, 1.05, 1].forEach((want, i) => expect(w[i]).toBeCloseTo(want, 5));
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
  });
});

// The budgets are on a virtual clock, so nothing here depends on the machine's speed; the budgets
// are small (75 s of virtual time) so that the real steps are few (about 270 forward and backward
// passes of codenet-tiny at 64 px), and the tests keep the default timeout of vitest.config.ts.
describe('training schedule', () => {
  const spec = findZooSpec('codenet-tiny')!;
  /** Trains codenet-tiny (seed 4) by runSteps on a virtual clock that each forward pass moves on by stepSeconds(call). */
  const train = async (o: { steps: number; minutes?: number; warmup?: number; stepSeconds?: (call: number) => number; log?: (m: string) => void }) => {
    const fm = buildFloatModel(spec, { classes: NUM_CLASSES, seed: 4, input: 64 });
    const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
    const plain = floatForward(fm);
    let calls = 0, ms = 0;
    const forward: Forward = (images, x) => {
      ms += 1000 * (o.stepSeconds ?? (() => 1))(calls++);
      return plain(images, x);
    };
    const r = await runSteps({ input: 64, steps: o.steps, minutes: o.minutes, warmup: o.warmup, batch: 1, lr: 2e-2, seed: 1, label: 'schedule test', forward, vars, clock: () => ms, log: o.log });
    return { ...r, weights: readFlat(vars) };
  };

  it('a time budget plans the run from the speed of its first steps; --steps with that count gives the same model', async () => {
    // A slow first step (JIT warm-up) is not timed: steps 10..60 take 1 s each, so 60 + floor(0.97 x
    // (75 s - 62 s) / 1 s) = 72 steps fit 1.25 minutes.
    const timed = await train({ steps: 1000, minutes: 1.25, stepSeconds: (k) => (k === 0 ? 3 : 1) });
    expect(timed.plannedSteps).toBe(60 + Math.floor(0.97 * (75 - 62)));
    expect(timed.loss.length).toBe(timed.plannedSteps);
    expect(timed.seconds).toBeLessThanOrEqual(75);
    const repeat = await train({ steps: timed.plannedSteps! });
    expect(repeat.plannedSteps).toBeUndefined();
    expect(Buffer.from(repeat.weights.buffer).equals(Buffer.from(timed.weights.buffer))).toBe(true);
    // --steps bounds the plan (72 steps would fit)
    expect((await train({ steps: 61, minutes: 1.25 })).loss.length).toBe(61);
  });

  it('with a warm-up longer than the planning steps the run is planned at its end, timed from step 60', async () => {
    // Steps 0-59 take 2 s, the rest 1 s: at step 80 (120 + 20 s) the plan is 80 + floor(0.97 x (180 - 140) / 1) = 118 steps of 3 minutes.
    const log: string[] = [];
    const r = await train({ steps: 1000, minutes: 3, warmup: 80, stepSeconds: (k) => (k < 60 ? 2 : 1), log: (m) => log.push(m) });
    expect(r.plannedSteps).toBe(80 + Math.floor(0.97 * 40));
    expect(r.loss.length).toBe(r.plannedSteps);
    // the repeat names the warm-up (a 118-step run's default would be 11 steps; with --resume or --qat, none)
    expect(log.join('\n')).toMatch(/118 steps fit 3 minutes here \(--steps 118 --warmup 80 repeats this run/);
  }, 30_000);

  it('a machine that slows down after the plan stops at the budget and says so', async () => {
    const log: string[] = [];
    const r = await train({ steps: 1000, minutes: 1.25, stepSeconds: (k) => (k < 60 ? 1 : 2), log: (m) => log.push(m) });
    expect(r.plannedSteps).toBe(60 + Math.floor(0.97 * 15));
    expect(r.loss.length).toBe(68); // 60 s + 8 steps of 2 s: the 75 s budget is spent
    expect(log.join('\n')).toMatch(/ran out at step 68 of the 74 planned/);
  });

  it('the learning rate holds for the planning steps, then decays by a cosine to the floor (1/100 by default) over the rest', () => {
    for (let k = 0; k < PLAN_STEPS; k++) expect(learningRate(0.04, k, 100)).toBe(0.04);
    expect(learningRate(0.04, PLAN_STEPS, 100)).toBeCloseTo(0.04, 12);
    expect(learningRate(0.04, PLAN_STEPS + 40, PLAN_STEPS + 80)).toBeCloseTo(0.04 * (0.01 + 0.99 * 0.5), 12);
    expect(learningRate(0.04, PLAN_STEPS + 80, PLAN_STEPS + 80)).toBeCloseTo(0.0004, 12);
    expect(learningRate(0.04, PLAN_STEPS + 80, PLAN_STEPS + 80, 0.05)).toBeCloseTo(0.002, 12);
  });

  it('a warm-up ramps the rate up linearly, the cosine then starting where it ends; its length does not depend on the run\'s (a budget plans the run after step 60)', () => {
    expect(learningRate(0.04, 0, 1000, 0.01, 300)).toBeCloseTo(0.04 / 300, 15);
    expect(learningRate(0.04, 149, 1000, 0.01, 300)).toBeCloseTo(0.02, 15);
    expect(learningRate(0.04, 299, 1000, 0.01, 300)).toBe(0.04);
    for (const k of [0, 59, 200]) expect(learningRate(0.04, k, 1000, 0.01, 300)).toBe(learningRate(0.04, k, 5000, 0.01, 300));
    expect(learningRate(0.04, 300, 1000, 0.01, 300)).toBeCloseTo(0.04, 12);
    expect(learningRate(0.04, 650, 1000, 0.01, 300)).toBeCloseTo(0.04 * (0.01 + 0.99 * 0.5), 12);
    expect(learningRate(0.04, 1000, 1000, 0.01, 300)).toBeCloseTo(0.0004, 12);
    // the default: 300 steps from fresh weights, at most a tenth of a short run, none when resuming
    expect([defaultWarmup(MAX_STEPS), defaultWarmup(1000), defaultWarmup(8), defaultWarmup(MAX_STEPS, 'float/')]).toEqual([WARMUP_STEPS, 100, 0, 0]);
  });
});
