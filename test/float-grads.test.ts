// src/float/grads.ts: the conv backprop kernels registered for the wasm backend give tfjs's own
// (cpu backend) gradients, for the convolutions the zoo uses and for general strides and padding.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/float/model.ts';

beforeAll(async () => { expect(await initBackend()).toBe('wasm'); });

/** Gradients of sum(conv(x, f) * r) with respect to x and f on backend `b`. */
function grads(b: string, x: tf.Tensor4D, f: tf.Tensor4D, r: tf.Tensor4D, conv: (x: tf.Tensor4D, f: tf.Tensor4D) => tf.Tensor4D): [Float32Array, Float32Array] {
  tf.setBackend(b);
  const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.mul(conv(xx as tf.Tensor4D, ff as tf.Tensor4D), r)));
  const [dx, df] = g([tf.clone(x), tf.clone(f)]);
  return [dx.dataSync() as Float32Array, df.dataSync() as Float32Array];
}

function close(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst).toBeLessThan(1e-4);
}

const cases: Array<{ what: string; x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: 'valid' | 'same'; depthwise: boolean }> = [
  { what: '1x1 conv (the wasm matmul path)', x: [2, 6, 5, 7], f: [1, 1, 7, 4], stride: 1, pad: 'valid', depthwise: false },
  { what: 'stem-like 3x3 stride-4 conv', x: [2, 13, 13, 3], f: [3, 3, 3, 8], stride: 4, pad: 'valid', depthwise: false },
  { what: '1x1 stride-2 conv (offset at stride 2)', x: [1, 7, 6, 5], f: [1, 1, 5, 1], stride: 2, pad: 'valid', depthwise: false },
  { what: '3x3 conv, same padding', x: [1, 6, 7, 4], f: [3, 3, 4, 5], stride: 2, pad: 'same', depthwise: false },
  { what: 'depthwise 3x3 stride 1', x: [2, 7, 6, 5], f: [3, 3, 5, 1], stride: 1, pad: 'valid', depthwise: true },
  { what: 'depthwise 3x3 stride 1, same padding (input gradient by an XNNPACK conv)', x: [2, 6, 7, 4], f: [3, 3, 4, 1], stride: 1, pad: 'same', depthwise: true },
  { what: 'depthwise 3x3 stride 2, odd sizes', x: [2, 9, 7, 3], f: [3, 3, 3, 1], stride: 2, pad: 'valid', depthwise: true },
  { what: 'depthwise, channel multiplier 2, same padding', x: [1, 5, 6, 3], f: [3, 3, 3, 2], stride: 1, pad: 'same', depthwise: true },
];

describe('wasm conv backprop kernels', () => {
  for (const c of cases)
    it(`${c.what}: input and filter gradients equal the cpu backend's`, () => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
      const f = tf.randomNormal(c.f, 0, 1, 'float32', 2) as tf.Tensor4D;
      const conv = (xx: tf.Tensor4D, ff: tf.Tensor4D) => (c.depthwise ? tf.depthwiseConv2d(xx, ff, c.stride, c.pad) : tf.conv2d(xx, ff, c.stride, c.pad));
      const outShape = tf.tidy(() => conv(x, f).shape);
      const r = tf.randomNormal(outShape, 0, 1, 'float32', 3) as tf.Tensor4D;
      const want = grads('cpu', x, f, r, conv);
      const got = grads('wasm', x, f, r, conv);
      expect(tf.getBackend()).toBe('wasm');
      close(got[0], want[0]);
      close(got[1], want[1]);
    });
});

describe('training gradients of the whole network on wasm', () => {
  it('agree with central finite differences of the CenterNet loss (head, decoder, deformable and backbone layers)', async () => {
    const { buildFloatModel, imagesToTensor } = await import('../src/float/model.ts');
    const { centerNetLoss, stackTargets } = await import('../src/float/loss.ts');
    const { makeDataset, makeTargets, NUM_CLASSES } = await import('../src/data/shapes.ts');
    const { findZooSpec } = await import('../src/zoo/specs.ts');
    const data = makeDataset({ seed: 1, count: 4, size: 64, split: 'train' });
    const fm = buildFloatModel(findZooSpec('codenet-tiny')!, { classes: NUM_CLASSES, seed: 1, input: 64 });
    // Offset convs with zero weights: every dilation is 1 whatever the features, so the loss is
    // smooth in the backbone (no straight-through estimate for finite differences to disagree with).
    for (const l of fm.layers.filter((y) => y.name.endsWith('.offset'))) l.setWeights(l.getWeights().map((w, i) => (i === 0 ? tf.zerosLike(w) : w)));
    const x = imagesToTensor(data.map((s) => s.image), 64, 64);
    const gt = stackTargets(data.map((s) => makeTargets(s.boxes, 64, 64, NUM_CLASSES)));
    const loss = () => {
      const [hm, wh, reg] = fm.apply(x, { training: true }) as tf.Tensor[];
      return centerNetLoss({ hm, wh, reg }, gt).total;
    };
    // Parameters where the loss is smooth at this scale (in the early backbone the many ReLU kinks make
    // finite differences swing with the step; the kernels there are checked one by one above).
    for (const name of ['hm.pw1.bn', 'dec3.pw.bn', 'dec1.pw.bn', 'conv5.bn', 'stage4.1.pw1.bn']) {
      const beta = fm.getLayer(name).trainableWeights[1].read() as tf.Variable;
      const analytic = Object.values(tf.variableGrads(loss, [beta]).grads)[0].dataSync()[0];
      const base = beta.dataSync().slice();
      const at = (d: number) => {
        const v = base.slice();
        v[0] += d;
        beta.assign(tf.tensor1d(v));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      const eps = 3e-3;
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      beta.assign(tf.tensor1d(base));
      expect(Math.abs(analytic - numeric), `${name}: analytic ${analytic}, finite difference ${numeric}`).toBeLessThan(0.1 * Math.abs(numeric) + 3e-3);
    }
  });
});
