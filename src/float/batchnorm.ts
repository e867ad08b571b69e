/**
 * Batch norm in training mode as one op. tfjs-layers builds it from about 45 kernels a layer
 * (moments, the normalisation, the moving averages, their gradients and the copies the tape keeps),
 * close to half of the ~3,900 kernels of a codenet-tiny-skip training step, and on wasm a kernel
 * costs ~25 us of dispatch however small its tensor: a fixed ~90 ms a step. Here the forward and
 * backward passes are JavaScript loops over channels-last data, one kernel each way.
 *
 * Same mathematics as tfjs-layers' BatchNormalization.call with training=true (axis -1):
 * batch mean and biased variance over every axis but the last, y = gamma (x - mean) /
 * sqrt(var + eps) + beta, moving statistics v <- v - (v - batch) (1 - momentum); the gradient is
 * that of the whole expression, through the batch statistics. A test compares values, moving
 * statistics and gradients with tfjs-layers' own.
 */
import * as tf from '@tensorflow/tfjs';

/** The batch statistics of the last forward pass, per channel. */
export interface BatchStats {
  mean: Float64Array;
  variance: Float64Array;
}

/** Training-mode batch norm of x (channels last) by gamma, beta [C]; also returns the batch statistics. */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): { y: tf.Tensor; stats: BatchStats } {
  const c = x.shape[x.shape.length - 1];
  const stats: BatchStats = { mean: new Float64Array(c), variance: new Float64Array(c) };
  const op = tf.customGrad(((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => {
    const xv = xt.dataSync() as Float32Array, gv = gt.dataSync(), bv = bt.dataSync();
    const m = xv.length / c;
    const { mean, variance } = stats;
    for (let o = 0; o < xv.length; o += c) for (let j = 0; j < c; j++) mean[j] += xv[o + j];
    for (let j = 0; j < c; j++) mean[j] /= m;
    for (let o = 0; o < xv.length; o += c) for (let j = 0; j < c; j++) { const u = xv[o + j] - mean[j]; variance[j] += u * u; }
    const inv = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      variance[j] /= m;
      inv[j] = 1 / Math.sqrt(variance[j] + eps);
    }
    // xhat is kept for the backward pass (one array the size of x).
    const xhat = new Float32Array(xv.length), y = new Float32Array(xv.length);
    for (let o = 0; o < xv.length; o += c)
      for (let j = 0; j < c; j++) {
        const h = (xv[o + j] - mean[j]) * inv[j];
        xhat[o + j] = h;
        y[o + j] = gv[j] * h + bv[j];
      }
    return {
      value: tf.tensor(y, xt.shape),
      // dx = gamma inv / m (m dy - sum dy - xhat sum(dy xhat)); dgamma = sum(dy xhat); dbeta = sum dy.
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const sdy = new Float64Array(c), sdyx = new Float64Array(c);
        for (let o = 0; o < g.length; o += c)
          for (let j = 0; j < c; j++) {
            sdy[j] += g[o + j];
            sdyx[j] += g[o + j] * xhat[o + j];
          }
        const k = new Float64Array(c);
        for (let j = 0; j < c; j++) k[j] = (gv[j] * inv[j]) / m;
        const dx = new Float32Array(g.length);
        for (let o = 0; o < g.length; o += c)
          for (let j = 0; j < c; j++) dx[o + j] = k[j] * (m * g[o + j] - sdy[j] - xhat[o + j] * sdyx[j]);
        return [tf.tensor(dx, xt.shape), tf.tensor1d(Float32Array.from(sdyx)), tf.tensor1d(Float32Array.from(sdy))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return { y: op(x, gamma, beta) as tf.Tensor, stats };
}

/** The fields of tfjs-layers' BatchNormalization this file reads (not in its public typings). */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor;
}

/** v <- v - (v - batch) (1 - momentum), as tfjs-layers' doMovingAverage. */
function movingAverage(v: tf.LayerVariable, batch: Float64Array, momentum: number): void {
  const old = v.read().dataSync();
  const next = new Float32Array(old.length);
  for (let j = 0; j < old.length; j++) next[j] = old[j] - (old[j] - batch[j]) * (1 - momentum);
  const t = tf.tensor1d(next);
  v.write(t);
  t.dispose();
}

let installed = false;

/**
 * Makes every BatchNormalization layer run batchNormTraining when it trains (channels-last, with
 * gamma and beta), on every backend but tfjs-node, whose native kernels have no dispatch cost to
 * save. Inference, and any other configuration, keeps tfjs-layers' own code.
 */
export function installFastBatchNorm(): void {
  if (installed) return;
  installed = true;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as BatchNormLayer;
  const own = proto.call;
  proto.call = function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const last = this.axis === -1 || this.axis === x.rank - 1;
    if (!kwargs?.training || !last || !this.gamma || !this.beta || tf.getBackend() === 'tensorflow') return own.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const { y, stats } = batchNormTraining(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
      movingAverage(this.movingMean, stats.mean, this.momentum);
      movingAverage(this.movingVariance, stats.variance, this.momentum);
      return y;
    });
  };
}
