// src/float/batchnorm.ts (training-mode batch norm as one op) against tfjs's own ops, and
// src/float/maxpool-grad.ts against the cpu backend's MaxPoolGrad.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/float/model.ts';
import { batchNormTraining } from '../src/float/batchnorm.ts';

beforeAll(async () => { expect(await initBackend()).toBe('wasm'); });

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
}

describe('batchNormTraining', () => {
  const x = tf.add(tf.mul(tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 1), 3), 2) as tf.Tensor4D;
  const gamma = tf.randomNormal([6], 1, 0.5, 'float32', 2), beta = tf.randomNormal([6], 0, 1, 'float32', 3);
  const r = tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 4);
  const eps = 1e-5;
  /** tfjs-layers' training path: tf.moments, then tf.batchNorm, gradients through both. */
  const reference = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(xx, [0, 1, 2]);
    return tf.batchNorm(xx, mean, variance, b, g, eps);
  };
  const ours = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTraining(xx, g, b, eps).y;

  it('forward: the values and batch statistics of tf.moments + tf.batchNorm', () => {
    close(ours(x, gamma, beta).dataSync(), reference(x, gamma, beta).dataSync());
    const { stats } = batchNormTraining(x, gamma, beta, eps);
    const m = tf.moments(x, [0, 1, 2]);
    close(stats.mean, m.mean.dataSync());
    close(stats.variance, m.variance.dataSync());
  });

  it('backward: the gradients of x, gamma and beta through the batch statistics', () => {
    const loss = (f: typeof ours) => (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(f(xx, g, b)), r));
    const want = tf.grads(loss(reference))([x, gamma, beta]);
    const got = tf.grads(loss(ours))([x, gamma, beta]);
    for (let i = 0; i < 3; i++) close(got[i].dataSync(), want[i].dataSync());
  });

  it("BatchNormalization layers use it when training: output and moving statistics as tfjs-layers' formula; inference unchanged", () => {
    const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: eps });
    layer.build(x.shape);
    layer.setWeights([gamma, beta, tf.fill([6], 0.5), tf.fill([6], 2)]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    close(y.dataSync(), reference(x, gamma, beta).dataSync());
    const m = tf.moments(x, [0, 1, 2]);
    const [, , mm, mv] = layer.getWeights();
    close(mm.dataSync(), tf.sub(0.5, tf.mul(tf.sub(0.5, m.mean), 0.1)).dataSync());
    close(mv.dataSync(), tf.sub(2, tf.mul(tf.sub(2, m.variance), 0.1)).dataSync());
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    close(inference.dataSync(), tf.batchNorm(x, mm, mv, beta, gamma, eps).dataSync());
  });
});

describe('wasm MaxPoolGrad', () => {
  const cases: Array<{ what: string; x: [number, number, number, number]; size: number; stride: number; pad: 'valid' | 'same'; relu: boolean }> = [
    { what: 'the stem pool (3x3 stride 2, valid) after ReLU: ties among zeros', x: [2, 9, 9, 5], size: 3, stride: 2, pad: 'valid', relu: true },
    { what: '3x3 stride 1, same padding', x: [1, 6, 7, 3], size: 3, stride: 1, pad: 'same', relu: false },
    { what: '2x2 stride 2, odd sizes', x: [2, 7, 5, 4], size: 2, stride: 2, pad: 'valid', relu: false },
  ];
  for (const c of cases)
    it(`${c.what}: the cpu backend's gradient`, () => {
      const x = tf.tidy(() => {
        const v = tf.round(tf.randomNormal(c.x, 0, 2, 'float32', 5)); // integer values: many ties
        return c.relu ? tf.relu(v) : v;
      }) as tf.Tensor4D;
      const shape = tf.tidy(() => tf.maxPool(x, c.size, c.stride, c.pad).shape);
      const r = tf.randomNormal(shape, 0, 1, 'float32', 6);
      const grad = (b: string) => {
        tf.setBackend(b);
        return tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, c.size, c.stride, c.pad), r)))(x).dataSync();
      };
      const want = grad('cpu');
      const got = grad('wasm');
      close(got, want, 1e-6);
    });
});
