/**
 * CenterNet training loss for the float model, on the targets of data/shapes.ts makeTargets:
 * - heat map: penalty-reduced focal loss (alpha 2, beta 4) on sigmoid(hm) clamped to
 *   [1e-4, 1 - 1e-4], summed and divided by the number of objects (at least 1);
 * - wh and reg: L1 weighted by regWeight (1 at the centre cells; with dense targets also the
 *   Gaussian around them), divided by 2 * the sum of weights + 1e-4 (CenterNet's RegL1Loss: the
 *   mean over the masked entries, when only centre cells have weight);
 * - total = hm + 0.1 * wh + reg (CenterNet's default weights).
 * Tensors are NHWC; targets are stacked per batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Targets } from '../data/shapes.ts';

export interface LossParts {
  total: tf.Scalar;
  hm: tf.Scalar;
  wh: tf.Scalar;
  reg: tf.Scalar;
}

export function stackTargets(targets: Targets[]): { hm: tf.Tensor4D; wh: tf.Tensor4D; reg: tf.Tensor4D; mask: tf.Tensor4D; weight: tf.Tensor4D } {
  const { height: H, width: W, classes: C } = targets[0];
  const cat = (arrs: ArrayLike<number>[], per: number) => {
    const out = new Float32Array(arrs.length * per);
    arrs.forEach((a, i) => out.set(Array.from(a), i * per));
    return out;
  };
  const n = targets.length;
  return {
    hm: tf.tensor4d(cat(targets.map((t) => t.hm), H * W * C), [n, H, W, C]),
    wh: tf.tensor4d(cat(targets.map((t) => t.wh), H * W * 2), [n, H, W, 2]),
    reg: tf.tensor4d(cat(targets.map((t) => t.reg), H * W * 2), [n, H, W, 2]),
    mask: tf.tensor4d(cat(targets.map((t) => t.regMask), H * W), [n, H, W, 1]),
    weight: tf.tensor4d(cat(targets.map((t) => t.regWeight), H * W), [n, H, W, 1]),
  };
}

export function centerNetLoss(
  pred: { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor },
  gt: { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor; mask: tf.Tensor; weight: tf.Tensor },
): LossParts {
  return tf.tidy(() => {
    const p = tf.clipByValue(tf.sigmoid(pred.hm), 1e-4, 1 - 1e-4);
    const pos = tf.cast(tf.equal(gt.hm, 1), 'float32'), neg = tf.sub(1, pos);
    const posLoss = tf.sum(tf.mul(tf.mul(tf.log(p), tf.square(tf.sub(1, p))), pos));
    const negLoss = tf.sum(tf.mul(tf.mul(tf.mul(tf.log(tf.sub(1, p)), tf.square(p)), tf.pow(tf.sub(1, gt.hm), 4)), neg));
    const numPos = tf.sum(gt.mask);
    const hm = tf.div(tf.neg(tf.add(posLoss, negLoss)), tf.maximum(numPos, 1)) as tf.Scalar;
    const denom = tf.add(tf.mul(tf.sum(gt.weight), 2), 1e-4);
    const l1 = (a: tf.Tensor, b: tf.Tensor) => tf.div(tf.sum(tf.mul(tf.abs(tf.sub(a, b)), gt.weight)), denom) as tf.Scalar;
    const wh = l1(pred.wh, gt.wh), reg = l1(pred.reg, gt.reg);
    const total = tf.addN([hm, tf.mul(wh, 0.1), reg]) as tf.Scalar;
    return { total, hm, wh, reg };
  });
}
