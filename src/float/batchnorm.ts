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
  // Each loop runs over one channel at a time (stride c) with its sums in locals: about three
  // times faster in V8 than channel-innermost loops that update arrays of c sums.
  const op = tf.customGrad(((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => {
    const xv = xt.dataSync() as Float32Array, gv = gt.dataSync() as Float32Array, bv = bt.dataSync() as Float32Array;
    const L = xv.length, m = L / c;
    const { mean, variance } = stats;
    const inv = new Float64Array(c);
    const y = new Float32Array(L);
    for (let j = 0; j < c; j++) {
      // One pass, shifted by the channel's first value so that E[d^2] - E[d]^2 does not cancel.
      const K = xv[j];
      let a = 0, b = 0;
      for (let o = j; o < L; o += c) {
        const d = xv[o] - K;
        a += d;
        b += d * d;
      }
      const mu = a / m;
      mean[j] = K + mu;
      variance[j] = Math.max(0, b / m - mu * mu);
      inv[j] = 1 / Math.sqrt(variance[j] + eps);
      // y = gamma (x - mean) inv + beta
      const g = gv[j] * inv[j], sh = bv[j] - mean[j] * g;
      for (let o = j; o < L; o += c) y[o] = xv[o] * g + sh;
    }
    return {
      value: tf.tensor(y, xt.shape),
      // dx = gamma inv / m (m dy - sum dy - xhat sum(dy xhat)); dgamma = sum(dy xhat); dbeta = sum dy;
      // xhat = (x - mean) inv is recomputed from x (kept by this closure) rather than stored.
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const sdy = new Float32Array(c), sdyx = new Float32Array(c);
        const dx = new Float32Array(L);
        for (let j = 0; j < c; j++) {
          const mu = mean[j];
          let a = 0, b = 0;
          for (let o = j; o < L; o += c) {
            const gy = g[o];
            a += gy;
            b += gy * (xv[o] - mu);
          }
          sdy[j] = a;
          sdyx[j] = b * inv[j];
          // dx = A dy + B x + C with the per-channel constants of the expression above.
          const k = (gv[j] * inv[j]) / m, A = k * m, B = -k * sdyx[j] * inv[j], C = -k * sdy[j] - B * mu;
          for (let o = j; o < L; o += c) dx[o] = A * g[o] + B * xv[o] + C;
        }
        return [tf.tensor(dx, xt.shape), tf.tensor1d(sdyx), tf.tensor1d(sdy)];
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
