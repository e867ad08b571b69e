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
    const gt = { hm: tf.tensor4d([1, 0.5], [1, 1, 2, 1]), wh: tf.tensor4d([4, 2, 0, 0], [1, 1, 2, 2]), reg: tf.tensor4d([0.25, 0.5, 0, 0], [1, 1, 2, 2]), mask: tf.tensor4d([1, 0], [1, 1, 2, 1]), weight: tf.tensor4d([1, 0], [1, 1, 2, 1]) };
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

  it('dense regression: wh and reg also around the centre, weighted by the Gaussian, reg pointing at the centre', async () => {
    await tf.setBackend('cpu');
    const box = { x0: 4, y0: 4, x1: 20, y1: 28, cls: 1 }; // centre (12, 16) px = cell (3, 4) at stride 4
    const sparse = makeTargets([box], 32, 32, 2);
    const t = makeTargets([box], 32, 32, 2, 4, 128, { dense: true });
    const W = t.width, c = 4 * W + 3;
    expect(Array.from(t.hm)).toEqual(Array.from(sparse.hm)); // the heat map is the same
    expect(t.regWeight[c]).toBe(1);
    expect(Array.from(t.regMask)).toEqual(Array.from(sparse.regMask));
    for (const [dx, dy] of [[1, 0], [0, -1], [1, 1]]) {
      const p = c + dy * W + dx;
      expect(t.regWeight[p]).toBeGreaterThan(0);
      expect(t.regWeight[p]).toBeLessThan(1);
      expect([t.wh[2 * p], t.wh[2 * p + 1]]).toEqual([4, 6]);
      expect(t.reg[2 * p]).toBeCloseTo(3 - (3 + dx), 6); // from the cell to the centre (3, 4) in cells
      expect(t.reg[2 * p + 1]).toBeCloseTo(4 - (4 + dy), 6);
    }
    expect(sparse.regWeight.reduce((a, v) => a + v, 0)).toBe(1);
    // the L1 terms are the weighted mean: an error at a neighbour counts with its weight
    const g = stackTargets([t]);
    const wh = tf.add(g.wh, tf.mul(g.weight, 1)); // off by 1 wherever there is weight
    const l = centerNetLoss({ hm: tf.fill(g.hm.shape, -20), wh, reg: g.reg }, g);
    const sw = t.regWeight.reduce((a, v) => a + v, 0);
    expect(l.wh.dataSync()[0]).toBeCloseTo((2 * t.regWeight.reduce((a, v) => a + v * v, 0)) / (2 * sw + 1e-4), 4);
  });
});
