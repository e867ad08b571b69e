import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { WeightAverage } from '../src/float/ema.ts';

describe('WeightAverage (float training --weight-ema)', () => {
  it('averages every variable with the decay min(d, (1+t)/(10+t)) and writes the average back', () => {
    const a = tf.variable(tf.tensor1d([0, 10])), b = tf.variable(tf.tensor2d([[1]]));
    const avg = new WeightAverage([a, b], 0.2);
    let ea = [0, 10], eb = 1;
    for (let t = 0; t < 4; t++) {
      const va = [t + 1, 10 - 2 * (t + 1)], vb = 3 * t;
      a.assign(tf.tensor1d(va));
      b.assign(tf.tensor2d([[vb]]));
      avg.update();
      const d = Math.min(0.2, (1 + t) / (10 + t));
      ea = ea.map((e, i) => d * e + (1 - d) * va[i]);
      eb = d * eb + (1 - d) * vb;
    }
    avg.write();
    const got = [...a.dataSync(), ...b.dataSync()], want = [...ea, eb];
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 5));
    expect(got[0]).not.toBe(4); // not the last value
  });
});
