/**
 * Adam over all trained weights as one flat Float32Array (tfjs's defaults: beta1 0.9,
 * beta2 0.999, epsilon 1e-7). tfjs's optimizer runs about ten kernels per variable, a quarter of
 * the kernels of a training step of a small network; here the update is one JavaScript loop, and
 * the gradients it takes are flat arrays that a second thread can add to (src/float/parallel.ts).
 */
import * as tf from '@tensorflow/tfjs';

export class FlatAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  private readonly scale: Float32Array;
  /** `lrScale`: a factor on the learning rate per weight (default 1 everywhere). */
  constructor(size: number, lrScale?: Float32Array, private readonly beta1 = 0.9, private readonly beta2 = 0.999, private readonly epsilon = 1e-7) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.scale = lrScale ?? new Float32Array(size).fill(1);
  }
  /** One step on `params` in place. */
  step(params: Float32Array, grads: Float32Array, lr: number): void {
    this.t++;
    const { m, v, scale, beta1: b1, beta2: b2, epsilon: eps } = this;
    const a = (lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      params[i] -= (a * scale[i] * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  }
}

/**
 * Per-weight learning-rate factors for `vars` in readFlat's order: `offsetScale` for the offset
 * convs (`<dec>.offset`), 1 elsewhere. An offset conv is a 1x1 conv over ~100 channels to one
 * output, the dilation: Adam moves every weight by about the learning rate each step, so at the
 * full rate the dilation jumps by units a step and the decoder's dilations settle by chance in the
 * first steps (deformable convolution nets train their offset layers at a tenth of the rate).
 */
export function offsetLrScale(vars: tf.Variable[], offsetScale: number): Float32Array {
  const out = new Float32Array(vars.reduce((s, v) => s + v.size, 0)).fill(1);
  let o = 0;
  for (const v of vars) {
    if (/\.offset\/(kernel|bias)/.test(v.name)) out.fill(offsetScale, o, o + v.size);
    o += v.size;
  }
  return out;
}

/** The variables' values, concatenated in order. */
export function readFlat(vars: tf.Variable[]): Float32Array {
  const out = new Float32Array(vars.reduce((s, v) => s + v.size, 0));
  let o = 0;
  for (const v of vars) {
    out.set(v.dataSync() as Float32Array, o);
    o += v.size;
  }
  return out;
}

/** Assigns consecutive slices of `flat` to the variables. */
export function writeFlat(vars: tf.Variable[], flat: Float32Array): void {
  let o = 0;
  for (const v of vars) {
    const t = tf.tensor(flat.subarray(o, o + v.size), v.shape);
    v.assign(t);
    t.dispose();
    o += v.size;
  }
}
