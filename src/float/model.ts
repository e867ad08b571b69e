/**
 * The CoDeNet zoo networks as TensorFlow.js (layers API) models, for float training before
 * quantization. Layer names mirror zoo/graph.ts (`stem`, `stage2.0.b1.dw`, `dec1.offset`,
 * `dec1.deform`, `hm`, ...); every conv except the head outputs is followed by batch norm
 * (`<name>.bn`), then ReLU where the integer graph has one (`<name>.relu`).
 *
 * The co-designed deformable op is two layers, as in the integer graph:
 * - `deci.offset`: a 1x1 conv to one channel (with bias, initialised to dilation 1);
 * - `deci.deform` (DeformDepthwise): d = clamp(floor(offset + 0.5), 0, dmax) per output pixel
 *   (round half up, like the requantizer), with a straight-through gradient (identity inside
 *   [0, dmax], 0 outside); then a depthwise 3x3 whose tap (i, j), i, j in {-1, 0, 1}, reads input
 *   (y + i*d, x + j*d), zero outside the image (real 0 = the pad code of the integer model).
 *   The forward pass is exact (a per-pixel choice among dilated depthwise convolutions), and the
 *   straight-through d gets the gradient of the sampling position (see deformDepthwise).
 *
 * Padding mirrors the integer kernels: stride-s 3x3 convs and the max pool pad one pixel on each
 * side ("valid" after a 1-pixel zero pad), so an HxW input gives floor((H - 1) / s) + 1 rows.
 */
import * as tf from '@tensorflow/tfjs';
import type { ZooSpec } from '../zoo/specs.ts';
import { fail } from '../util/errors.ts';
import { registerWasmTrainingKernels } from './grads.ts';
import { registerWasmMaxPoolGrad } from './maxpool-grad.ts';
import { installFastBatchNorm } from './batchnorm.ts';
import { installDepthwiseDilation } from './depthwise-dilation.ts';
import { buildFloatGraph, type FloatGraph } from './graph-builder.ts';
import { zooGraph } from '../zoo/graph.ts';

// ---------------------------------------------------------------------------------------------
// Backend.

/**
 * tfjs-node when installed; else tfjs with the wasm backend, which trains too once the conv
 * backprop kernels it lacks are registered (src/float/grads.ts; about 20x the cpu backend's speed);
 * the pure-JavaScript cpu backend only if wasm fails to load. Logs and returns the backend name.
 */
export async function initBackend(opts: { log?: (msg: string) => void } = {}): Promise<string> {
  const nodeName = '@tensorflow/tfjs-node';
  let ok = false;
  try {
    await import(nodeName);
    ok = await tf.setBackend('tensorflow');
  } catch {
    ok = false;
  }
  let wasm = false;
  if (!ok) {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
      registerWasmMaxPoolGrad();
      wasm = await tf.setBackend('wasm');
    } catch {
      wasm = false;
    }
  }
  if (!ok && !wasm) await tf.setBackend('cpu');
  installFastBatchNorm();
  await tf.ready();
  opts.log?.(`tfjs backend: ${tf.getBackend()}${ok ? '' : ' (tfjs-node not installed)'}`);
  return tf.getBackend();
}

// ---------------------------------------------------------------------------------------------
// Custom layers.

/**
 * d = clamp(floor(v + 0.5), 0, dmax) forward. The gradient passes straight through inside
 * [0, dmax], and outside it only where a descent step moves v back towards the range: with the
 * usual clipped estimator an offset conv that overshoots once (Adam's first steps move a 1x1 conv
 * over ~100 channels by several units) never gets a gradient again, and every trained decoder
 * layer ended with one fixed dilation, 0 or dmax, at every pixel.
 */
export function roundDilationSTE(v: tf.Tensor, dmax: number): tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: tf.clipByValue(tf.floor(tf.add(x, 0.5)), 0, dmax),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => dilationGradient(saved[0], dy, dmax),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(v);
}

/** The gradient `dy` of a dilation computed from offset `v`, where the estimator above passes it (QAT's too). */
export function dilationGradient(v: tf.Tensor, dy: tf.Tensor, dmax: number): tf.Tensor {
  const inward = tf.logicalOr(tf.logicalAnd(tf.less(v, 0), tf.less(dy, 0)), tf.logicalAnd(tf.greater(v, dmax), tf.greater(dy, 0)));
  const pass = tf.logicalOr(tf.logicalAnd(tf.greaterEqual(v, 0), tf.lessEqual(v, dmax)), inward);
  return tf.mul(dy, tf.cast(pass, 'float32'));
}

/**
 * Square deformable depthwise 3x3 sampling: x [N,H,W,C], d [N,H,W,1] (integer values),
 * kernel [3,3,C,1]; tap (i, j) reads x[y + i*d][x + j*d], zero outside the image.
 *
 * One custom op with direct loops, forward and backward: the decoder maps are small (a few
 * hundred pixels), so a formulation from tfjs ops (pads, slices and masks per tap and dilation
 * value: about 2,000 kernels a training step) spent its time in kernel dispatch.
 *
 * Gradients: x and the kernel get the exact gradient of the sum; d (straight-through) gets the
 * derivative of the sampling position, as bilinear sampling at the integer corner would give it:
 * d tap / d d = i * (x[y0+1][x0] - x[y0][x0]) + j * (x[y0][x0+1] - x[y0][x0]) at the tap's pixel
 * (y0, x0), a pixel beyond the last row or column reading 0.
 * Sums of integer-valued inputs are exact (QAT's integer path relies on it: partial sums < 2^23).
 */
export function deformDepthwise(x: tf.Tensor4D, d: tf.Tensor4D, kernel: tf.Tensor): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  /**
   * Every in-image tap as (output pixel, input pixel, tap index = (i + 1) * 3 + j + 1), in the order
   * pixel by pixel, tap by tap. The loops below run over this list (not through a callback per tap,
   * which V8 did not inline: the op took about 10% of a training step).
   */
  const taps = (dv: Float32Array): Int32Array => {
    const list = new Int32Array(n * h * w * 9 * 3);
    let e = 0;
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          const p = (b * h + y) * w + xx, dd = Math.round(dv[p]);
          for (let i = -1; i <= 1; i++) {
            const iy = y + i * dd;
            if (iy < 0 || iy >= h) continue;
            for (let j = -1; j <= 1; j++) {
              const ix = xx + j * dd;
              if (ix < 0 || ix >= w) continue;
              list[e++] = p;
              list[e++] = (b * h + iy) * w + ix;
              list[e++] = (i + 1) * 3 + j + 1;
            }
          }
        }
    return list.subarray(0, e);
  };
  const op = tf.customGrad(((xt: tf.Tensor4D, dt: tf.Tensor4D, kt: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([xt, dt, kt]);
    const xv = xt.dataSync() as Float32Array, kv = kt.dataSync() as Float32Array;
    const list = taps(dt.dataSync() as Float32Array);
    const out = new Float32Array(n * h * w * c);
    for (let e = 0; e < list.length; e += 3) {
      const o = list[e] * c, s = list[e + 1] * c, kb = list[e + 2] * c;
      for (let ch = 0; ch < c; ch++) out[o + ch] += kv[kb + ch] * xv[s + ch];
    }
    return {
      value: tf.tensor4d(out, [n, h, w, c]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ds, ks] = saved;
        const xv2 = xs.dataSync() as Float32Array, kv2 = ks.dataSync() as Float32Array, gv = dy.dataSync() as Float32Array;
        const list2 = taps(ds.dataSync() as Float32Array);
        const dx = new Float32Array(n * h * w * c), dk = new Float64Array(9 * c), dd = new Float32Array(n * h * w);
        for (let e = 0; e < list2.length; e += 3) {
          const p = list2[e], q = list2[e + 1], t = list2[e + 2];
          const i = Math.floor(t / 3) - 1, j = (t % 3) - 1;
          const o = p * c, s = q * c, kb = t * c;
          const qy = Math.floor(q / w) % h, qx = q % w;
          const down = qy + 1 < h ? s + w * c : -1, right = qx + 1 < w ? s + c : -1;
          let g = 0;
          if (down >= 0 && right >= 0)
            // Most taps: both neighbours inside the image (the same sums as the general loop).
            for (let ch = 0; ch < c; ch++) {
              const dyv = gv[o + ch], kk = kv2[kb + ch], xq = xv2[s + ch];
              dx[s + ch] += dyv * kk;
              dk[kb + ch] += dyv * xq;
              g += dyv * kk * (i * (xv2[down + ch] - xq) + j * (xv2[right + ch] - xq));
            }
          else
            for (let ch = 0; ch < c; ch++) {
              const dyv = gv[o + ch], kk = kv2[kb + ch], xq = xv2[s + ch];
              dx[s + ch] += dyv * kk;
              dk[kb + ch] += dyv * xq;
              const slope = i * ((down >= 0 ? xv2[down + ch] : 0) - xq) + j * ((right >= 0 ? xv2[right + ch] : 0) - xq);
              g += dyv * kk * slope;
            }
          dd[p] += g;
        }
        return [tf.tensor4d(dx, [n, h, w, c]), tf.tensor4d(dd, [n, h, w, 1]), tf.tensor4d(Float32Array.from(dk), [3, 3, c, 1])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, d, tf.reshape(kernel, [3, 3, c, 1])) as tf.Tensor4D;
}

/** `deci.deform`: inputs [x, offset]; the offset conv's raw output becomes the dilation map. */
export class DeformDepthwise extends tf.layers.Layer {
  static className = 'CodenetDeformDepthwise';
  readonly dmax: number;
  readonly seed: number;
  private kernel?: tf.LayerVariable;
  constructor(config: { dmax: number; seed?: number; name?: string; trainable?: boolean }) {
    super(config);
    this.dmax = config.dmax;
    this.seed = config.seed ?? 1;
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xs = (inputShape as tf.Shape[])[0];
    const c = xs[3] as number;
    this.kernel = this.addWeight('depthwise_kernel', [3, 3, c, 1], 'float32', tf.initializers.heNormal({ seed: this.seed }));
    this.built = true;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (inputShape as tf.Shape[])[0];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [x, off] = inputs as tf.Tensor[];
    return tf.tidy(() => deformDepthwise(x as tf.Tensor4D, roundDilationSTE(off, this.dmax) as tf.Tensor4D, this.kernel!.read()));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dmax: this.dmax, seed: this.seed };
  }
}

/** Takes `size` channels from `begin` (the integer graph's split outputs). */
export class ChannelSlice extends tf.layers.Layer {
  static className = 'CodenetChannelSlice';
  readonly begin: number;
  readonly size: number;
  constructor(config: { begin: number; size: number; name?: string }) {
    super(config);
    this.begin = config.begin;
    this.size = config.size;
  }
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const t = s as tf.Shape;
    return [t[0], t[1], t[2], this.size];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.slice(x, [0, 0, 0, this.begin], [-1, -1, -1, this.size]);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), begin: this.begin, size: this.size };
  }
}

/** Channel shuffle, 2 groups: output channel k = i*2 + g takes input channel g*(C/2) + i. */
export class ChannelShuffle extends tf.layers.Layer {
  static className = 'CodenetChannelShuffle';
  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return s as tf.Shape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, 2, c / 2]), [0, 1, 2, 4, 3]), [n, h, w, c]);
    });
  }
}

tf.serialization.registerClass(DeformDepthwise);
tf.serialization.registerClass(ChannelSlice);
tf.serialization.registerClass(ChannelShuffle);
installDepthwiseDilation(); // imported models have dilated depthwise convs (src/import)

// ---------------------------------------------------------------------------------------------
// Network.

export interface FloatModelOptions {
  classes: number;
  /** Input side (default spec.input); any size works, the topology is the same. */
  input?: number;
  /** Seed of the weight initialisers. */
  seed?: number;
}

export function buildFloatModel(spec: ZooSpec, opts: FloatModelOptions): tf.LayersModel {
  return buildFloatGraph(zooFloatGraph(spec, opts));
}

/** A zoo network as a float graph description (src/float/graph-builder.ts): the zoo's one description (src/zoo/graph.ts), checked for float training. */
export function zooFloatGraph(spec: ZooSpec, opts: FloatModelOptions): FloatGraph {
  const s = opts.input ?? spec.input;
  if (!Number.isInteger(s) || s < 8) fail(`float model input must be a whole number >= 8, got ${s}`);
  if (spec.skips && s % 32) fail(`${spec.name} with decoder skips needs an input side divisible by 32, got ${s}`);
  if (!Number.isInteger(opts.classes) || opts.classes < 1) fail(`classes must be a whole number >= 1, got ${opts.classes}`);
  return zooGraph(spec, opts.classes, s, opts.seed);
}

export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = 0.226;

/** RGB uint8 HWC images -> normalised float batch [N,H,W,3] (real 0 = the mean pixel, the pad value). */
export function imagesToTensor(images: Uint8Array[], h: number, w: number): tf.Tensor4D {
  const out = new Float32Array(images.length * h * w * 3);
  images.forEach((img, n) => {
    for (let i = 0; i < h * w * 3; i++) out[n * h * w * 3 + i] = (img[i] / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD;
  });
  return tf.tensor4d(out, [images.length, h, w, 3]);
}
