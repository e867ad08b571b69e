/**
 * MaxPoolGrad for the wasm backend: wasm's own took 12 ms for the stem's pool of a 16-image step
 * (a few hundred thousand comparisons); this loop takes 3. The gradient of each output goes to the
 * first largest input of its window, as the cpu backend and TensorFlow define it. A test compares
 * it with the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { loopKernel, overrideWasmKernel, type KernelArgs } from './grads.ts';

function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const { dy, input, output } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo };
  const a = args.attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const p = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, inChannels: ch } = p;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = p;
  const top = p.padInfo.top, left = p.padInfo.left;
  // The forward's output is the window's maximum: the first tap equal to it takes the gradient.
  // Channels innermost in memory: each tap of a window is a contiguous run of ch values; per
  // channel the taps are tried in order until one matches (a loop V8 keeps tight).
  const off = new Int32Array(kh * kw);
  return loopKernel(args, input.shape, [dy, input, output], (dx, [g, x, y]) => {
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let taps = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - top + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - left + kx;
              if (ix >= 0 && ix < w) off[taps++] = ((b * h + iy) * w + ix) * ch;
            }
          }
          const o = ((b * ho + oy) * wo + ox) * ch;
          for (let k = 0; k < ch; k++) {
            const m = y[o + k];
            for (let t = 0; t < taps; t++)
              if (x[off[t] + k] === m) {
                dx[off[t] + k] += g[o + k];
                break;
              }
          }
        }
  });
}

let registered = false;
export function registerWasmMaxPoolGrad(): void {
  if (registered) return;
  registered = true;
  overrideWasmKernel('MaxPoolGrad', () => maxPoolGrad);
}
