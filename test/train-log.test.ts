// The training log's intervals (src/float/train.ts): every LOG_INTERVAL steps the loss terms, the
// gradient norm, the batch-norm moving variances and the deformable layers' dilations, so runs of
// different seeds can be compared (scripts/train-log-compare.ts). Trains codenet-tiny for 55 steps.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, initBackend } from '../src/float/model.ts';
import { floatForward, LOG_INTERVAL, runSteps, trainingMonitor } from '../src/float/train.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { NUM_CLASSES } from '../src/data/shapes.ts';

beforeAll(async () => { await initBackend(); });

describe('training log intervals', () => {
  it('records means over each interval and the model\'s state at its end', async () => {
    const fm = buildFloatModel(findZooSpec('codenet-tiny')!, { classes: NUM_CLASSES, seed: 2, input: 64 });
    const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
    const steps = LOG_INTERVAL + 5;
    const r = await runSteps({ input: 64, steps, batch: 1, lr: 2e-2, seed: 3, label: 'log test', forward: floatForward(fm), vars, monitor: trainingMonitor(fm, 64) });
    expect(r.intervals.map((i) => [i.from, i.to])).toEqual([[0, LOG_INTERVAL], [LOG_INTERVAL, steps]]);
    const [first, last] = r.intervals;
    // The total is the mean of the steps' losses, and the terms make it up (hm + 0.1 wh + reg).
    const mean = r.loss.slice(0, LOG_INTERVAL).reduce((a, v) => a + v, 0) / LOG_INTERVAL;
    expect(first.loss.total).toBeCloseTo(mean, 4);
    expect(first.loss.hm + 0.1 * first.loss.wh + first.loss.reg).toBeCloseTo(first.loss.total, 3);
    expect(first.gradNorm.mean).toBeGreaterThan(0);
    expect(first.gradNorm.max).toBeGreaterThanOrEqual(first.gradNorm.mean);
    expect(last.lr).toBe(2e-2); // the first PLAN_STEPS steps run at the initial rate
    const bns = fm.layers.filter((l) => l.getClassName() === 'BatchNormalization');
    expect(last.batchNorm!.map((b) => b.layer)).toEqual(bns.map((l) => l.name));
    for (const b of last.batchNorm!) expect(b.min <= b.mean && b.mean <= b.max && b.min > 0, b.layer).toBe(true);
    const deform = fm.layers.filter((l) => l.getClassName() === 'CodenetDeformDepthwise');
    expect(deform.length).toBeGreaterThan(0);
    expect(last.dilation!.map((d) => d.layer)).toEqual(deform.map((l) => l.name));
    for (const d of last.dilation!) {
      expect(d.share.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 9);
      expect(d.share.reduce((a, v, k) => a + v * k, 0)).toBeCloseTo(d.mean, 9);
    }
  });
});
