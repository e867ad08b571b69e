import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { centerNetLoss, stackTargets } from '../src/float/loss.ts';
import { makeTargets } from '../src/data/shapes.ts';

describe('CenterNet loss', () => {
  it('matches a hand computation on a 1x2 grid', async () => {
    await tf.setBackend('cpu');
    // cell 0 is an object centre (gt 1), cell 1 a negative with gt 0.5; one class
    const lg = (p: number) => Math.log(p / (1 - p));
    const pred = { hm: tf.tensor4d([lg(0.8), lg(0.3)], [1, 1, 2, 1]), wh: tf.tensor4d([3, 1, 9, 9], [1, 1, 2, 2]), reg: tf.tensor4d([0.5, 0.5, 7, 7], [1, 1, 2, 2]) };
    const gt = { hm: tf.tensor4d([1, 0.5], [1, 1, 2, 1]), wh: tf.tensor4d([4, 2, 0, 0], [1, 1, 2, 2]), reg: tf.tensor4d([0.25, 0.5, 0, 0], [1, 1, 2, 2]), mask: tf.tensor4d([1, 0], [1, 1, 2, 1]) };
    const l = centerNetLoss(pred, gt);
    const hm = -(Math.log(0.8) * 0.2 ** 2 + Math.log(0.7) * 0.3 ** 2 * 0.5 ** 4);
    expect(l.hm.dataSync()[0]).toBeCloseTo(hm, 5);
    expect(l.wh.dataSync()[0]).toBeCloseTo(2 / (2 + 1e-4), 5);
    expect(l.reg.dataSync()[0]).toBeCloseTo(0.25 / (2 + 1e-4), 5);
    expect(l.total.dataSync()[0]).toBeCloseTo(hm + 0.2 / (2 + 1e-4) + 0.25 / (2 + 1e-4), 5);
  });

  it('is near zero for predictions equal to the targets at the centres', async () => {
    await tf.setBackend('cpu');
    const t = makeTargets([{ x0: 4, y0: 4, x1: 20, y1: 28, cls: 1 }], 32, 32, 2);
    const g = stackTargets([t]);
    const logits = tf.where(tf.equal(g.hm, 1), tf.fill(g.hm.shape, 20), tf.fill(g.hm.shape, -20));
    const l = centerNetLoss({ hm: logits, wh: g.wh, reg: g.reg }, g);
    expect(l.total.dataSync()[0]).toBeLessThan(1e-3);
    expect(g.mask.sum().dataSync()[0]).toBe(1);
  });
});
