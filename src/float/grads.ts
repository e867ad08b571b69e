/**
 * Training kernels for the wasm backend. tfjs-backend-wasm 4.22 runs forward passes, matmuls and
 * element-wise ops (XNNPACK), but registers no Conv2DBackpropFilter and no depthwise backprop, and
 * its Conv2DBackpropInput is a direct loop. Registered here:
 * - Conv2DBackpropFilter: the patch matrix (x^T for a 1x1 conv) times dy, one XNNPACK conv;
 * - Conv2DBackpropInput of a 1x1 stride-1 conv: dy W^T, one XNNPACK conv (else wasm's own);
 * - DepthwiseConv2dNativeBackpropFilter and ...Input: direct loops over a cached table of taps;
 * - FusedBatchNorm's gradient without tfjs's tile of the whole activation (any backend).
 * The loops follow tfjs's own definitions (any stride, padding and dilation, NHWC); a test
 * compares every kernel with the cpu backend's. Together with the one-op deformable layer they
 * took a codenet-tiny-skip training step (64 px, batch 16) from 827 ms to 309 ms.
 */
import * as tf from '@tensorflow/tfjs';

type Backend = {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
};

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: number[];
  inputShape?: number[];
}

/** Output geometry and padding as tfjs defines them. */
function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs, depthwise: boolean) {
  if ((a.dataFormat ?? 'NHWC') !== 'NHWC') throw new Error('codenet wasm conv backprop: NHWC only');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, depthwise,
  );
}

type Info = ReturnType<typeof convInfo>;

/**
 * Every (output pixel, tap) pair whose input pixel is inside the image, as triples
 * (input pixel offset / channels, output pixel offset / channels, tap index) in one Int32Array:
 * the kernels loop over it without a call per tap. Cached by geometry (a training step meets the
 * same few dozen shapes every time).
 */
const tapTables = new Map<string, Int32Array>();
function tapTable(c: Info): Int32Array {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = c;
  const { filterHeight: kh, filterWidth: kw, dilationHeight: dh, dilationWidth: dw } = c;
  const top = c.padInfo.top, left = c.padInfo.left;
  const key = [n, h, w, ho, wo, sh, sw, kh, kw, dh, dw, top, left].join(',');
  const hit = tapTables.get(key);
  if (hit) return hit;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const yp = (b * ho + oy) * wo + ox;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - left + kx * dw;
            if (ix >= 0 && ix < w) out.push((b * h + iy) * w + ix, yp, ky * kw + kx);
          }
        }
      }
  const t = Int32Array.from(out);
  if (tapTables.size > 256) tapTables.clear();
  tapTables.set(key, t);
  return t;
}

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

/** A zero-filled float32 output of `shape` and heap views of `ins`, filled by `body`. */
export function loopKernel(args: KernelArgs, shape: number[], ins: tf.TensorInfo[], body: (out: Float32Array, views: Float32Array[]) => void): tf.TensorInfo {
  const be = args.backend as Backend;
  const out = be.makeOutput(shape, 'float32'); // before the views: it may grow the heap
  const g = be.typedArrayFromHeap(out);
  g.fill(0);
  body(g, ins.map((t) => be.typedArrayFromHeap(t)));
  return out;
}

/** The inputs and geometry of a filter-gradient kernel (x, dy; attrs.filterShape). */
function filterGradArgs(args: KernelArgs, depthwise: boolean) {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const fs = (args.attrs as ConvAttrs).filterShape!;
  return { x, dy, fs, c: convInfo(x.shape, fs, args.attrs as ConvAttrs, depthwise) };
}

/** wasm's forward Conv2D (XNNPACK) of x [1, 1, rows, k] by a [1, 1, k, cols] filter: a fast matmul. */
function xnnMatmul(be: tf.KernelBackend, x: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo {
  return tf.getKernel('Conv2D', 'wasm')!.kernelFunc({
    inputs: { x, filter }, backend: be, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 },
  }) as tf.TensorInfo;
}

const is1x1 = (c: Info) => c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 && c.strideWidth === 1 && c.padInfo.top === 0 && c.padInfo.left === 0;

/**
 * dW[tap][ci][co] = sum over (output pixel, tap) of x[input pixel][ci] dy[pixel][co]: the patch
 * matrix is written transposed ([taps * ci] rows of pixels; for a 1x1 conv simply x^T), then one
 * XNNPACK conv multiplies it by dy. (wasm's BatchMatMul with a transposed operand runs at a fifth
 * of the speed, and a direct loop at a tenth.)
 */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy, fs, c } = filterGradArgs(args, false);
  const be = args.backend as tf.KernelBackend & Backend;
  const [ci, co] = [fs[2], fs[3]];
  const k = fs[0] * fs[1] * ci, rows = c.batchSize * c.outHeight * c.outWidth;
  const patches = be.makeOutput([1, 1, k, rows], 'float32');
  const pv = be.typedArrayFromHeap(patches);
  const xv = be.typedArrayFromHeap(x);
  if (is1x1(c)) {
    for (let r = 0; r < rows; r++) for (let i = 0; i < ci; i++) pv[i * rows + r] = xv[r * ci + i];
  } else {
    pv.fill(0);
    const t = tapTable(c);
    for (let e = 0; e < t.length; e += 3) {
      const xp = t[e], yp = t[e + 1], tap = t[e + 2];
      for (let i = 0; i < ci; i++) pv[(tap * ci + i) * rows + yp] = xv[xp * ci + i];
    }
  }
  const out = xnnMatmul(be, patches, { dataId: dy.dataId, shape: [1, 1, rows, co], dtype: 'float32' });
  be.disposeData(patches.dataId);
  return { dataId: out.dataId, shape: fs, dtype: 'float32' };
}

/** The backend's own kernel, for the cases conv2DBackpropInput does not take over. */
let wasmConv2DBackpropInput: tf.KernelFunc | undefined;

/** For a 1x1 stride-1 conv dx = dy W^T, one XNNPACK conv (wasm's own kernel is a direct loop). */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = args.attrs as ConvAttrs;
  const c = convInfo(a.inputShape!, filter.shape, a, false);
  if (!is1x1(c)) return wasmConv2DBackpropInput!(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const be = args.backend as tf.KernelBackend & Backend;
  const [ci, co] = [filter.shape[2], filter.shape[3]];
  const wt = be.makeOutput([1, 1, co, ci], 'float32');
  const tv = be.typedArrayFromHeap(wt), fv = be.typedArrayFromHeap(filter);
  for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) tv[o * ci + i] = fv[i * co + o];
  const out = xnnMatmul(be, dy, wt);
  be.disposeData(wt.dataId);
  return { dataId: out.dataId, shape: a.inputShape!, dtype: 'float32' };
}

function depthwiseBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy, fs, c } = filterGradArgs(args, true);
  const [ch, m] = [fs[2], fs[3]];
  if (m === 1 && c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1)
    return loopKernel(args, fs, [x, dy], (g, [xv, dv]) => depthwiseFilterStride1(c, g, xv, dv));
  const t = tapTable(c);
  return loopKernel(args, fs, [x, dy], (g, [xv, dv]) => {
    for (let e = 0; e < t.length; e += 3) {
      const xb = t[e] * ch, yb = t[e + 1] * ch * m, gBase = t[e + 2] * ch * m;
      if (m === 1) for (let k = 0; k < ch; k++) g[gBase + k] += xv[xb + k] * dv[yb + k];
      else for (let k = 0; k < ch; k++) for (let q = 0; q < m; q++) g[gBase + k * m + q] += xv[xb + k] * dv[yb + k * m + q];
    }
  });
}

/**
 * Stride 1: for a tap (ky, kx) and an output row, the input pixels read and the dy pixels are two
 * contiguous runs (columns x channels), so the products stream into one accumulator per
 * (column, channel), summed over the columns at the end: no per-pixel bookkeeping.
 */
function depthwiseFilterStride1(c: Info, g: Float32Array, xv: Float32Array, dv: Float32Array): void {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, inChannels: ch } = c;
  const top = c.padInfo.top, left = c.padInfo.left;
  const acc = new Float64Array(wo * ch);
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++) {
      acc.fill(0);
      const ox0 = Math.max(0, left - kx), ox1 = Math.min(wo, w + left - kx); // columns whose input is inside
      if (ox1 <= ox0) continue;
      const len = (ox1 - ox0) * ch;
      for (let b = 0; b < n; b++)
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy - top + ky;
          if (iy < 0 || iy >= h) continue;
          const xs = ((b * h + iy) * w + ox0 - left + kx) * ch, ys = ((b * ho + oy) * wo + ox0) * ch;
          for (let i = 0; i < len; i++) acc[i] += xv[xs + i] * dv[ys + i];
        }
      const gb = (ky * kw + kx) * ch;
      for (let i = 0; i < len; i++) g[gb + (i % ch)] += acc[i];
    }
}

function depthwiseBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = args.attrs as ConvAttrs;
  const xs = a.inputShape!;
  const c = convInfo(xs, filter.shape, a, true);
  const [ch, m] = [filter.shape[2], filter.shape[3]];
  if (m === 1 && c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1) return depthwiseInputByConv(args, c, dy, filter);
  const t = tapTable(c);
  return loopKernel(args, xs, [filter, dy], (g, [fv, dv]) => {
    for (let e = 0; e < t.length; e += 3) {
      const xb = t[e] * ch, yb = t[e + 1] * ch * m, fBase = t[e + 2] * ch * m;
      if (m === 1) for (let k = 0; k < ch; k++) g[xb + k] += dv[yb + k] * fv[fBase + k];
      else
        for (let k = 0; k < ch; k++) {
          let s = 0;
          for (let q = 0; q < m; q++) s += dv[yb + k * m + q] * fv[fBase + k * m + q];
          g[xb + k] += s;
        }
    }
  });
}

/**
 * A stride-1 depthwise conv's input gradient is the full correlation of dy with the kernel turned
 * 180 degrees: one XNNPACK depthwise conv of dy zero-padded to H + kh - 1 rows (kh - 1 - top above)
 * and W + kw - 1 columns.
 */
function depthwiseInputByConv(args: KernelArgs, c: Info, dy: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo {
  const be = args.backend as tf.KernelBackend & Backend;
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, inChannels: ch } = c;
  const hp = h + kh - 1, wp = w + kw - 1, top = kh - 1 - c.padInfo.top, left = kw - 1 - c.padInfo.left;
  const padded = be.makeOutput([n, hp, wp, ch], 'float32');
  const flipped = be.makeOutput([kh, kw, ch, 1], 'float32');
  const pv = be.typedArrayFromHeap(padded), fl = be.typedArrayFromHeap(flipped);
  const dv = be.typedArrayFromHeap(dy), fv = be.typedArrayFromHeap(filter);
  pv.fill(0);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < ho; y++) pv.set(dv.subarray(((b * ho + y) * wo) * ch, ((b * ho + y + 1) * wo) * ch), ((b * hp + y + top) * wp + left) * ch);
  for (let t = 0; t < kh * kw; t++) fl.set(fv.subarray(t * ch, (t + 1) * ch), (kh * kw - 1 - t) * ch);
  const out = tf.getKernel('DepthwiseConv2dNative', 'wasm')!.kernelFunc({
    inputs: { x: padded, filter: flipped }, backend: be, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 },
  }) as tf.TensorInfo;
  be.disposeData(padded.dataId);
  be.disposeData(flipped.dataId);
  return out;
}

let registered = false;

/** Registers the kernels above for the wasm backend (once; tfjs-backend-wasm must be imported). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  registerBatchNormGradient();
  const kernels: Array<[string, typeof conv2DBackpropFilter]> = [
    ['Conv2DBackpropFilter', conv2DBackpropFilter],
    ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter],
    ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput],
  ];
  for (const [kernelName, fn] of kernels)
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc });
  overrideWasmKernel('Conv2DBackpropInput', (own) => {
    wasmConv2DBackpropInput = own;
    return conv2DBackpropInput;
  });
}

/**
 * Replaces wasm's kernel `name` by make(wasm's own kernel function), which may call it for the cases
 * it does not handle. The setupFunc stays: it binds the wasm function the own kernel calls (it runs
 * when the backend initialises, so this must happen before).
 */
export function overrideWasmKernel(name: string, make: (own: tf.KernelFunc) => (args: KernelArgs) => tf.TensorInfo): void {
  const own = tf.getKernel(name, 'wasm');
  if (!own) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', setupFunc: own.setupFunc, kernelFunc: make(own.kernelFunc) as unknown as tf.KernelFunc });
}

/**
 * FusedBatchNorm's gradient with the [C] factors broadcast instead of tiled: tfjs 4.22 tiles
 * rsqrt(variance) to the whole activation before a multiply, the costliest kernel of a training
 * step (a fifth of it). Same mathematics, on any backend; the three full-size products
 * are dy * (scale / sigma), dy * (x - mean) and x - mean.
 */
function registerBatchNormGradient(): void {
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const [x, mean, variance, scale] = saved;
      const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
      const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const sum = (t: tf.Tensor) => (mean.rank === 1 ? tf.reshape(tf.sum(t, axes), mean.shape) : t);
      const inv = tf.rsqrt(tf.add(variance, eps));
      const s = scale ?? tf.scalar(1);
      const dySum = sum(g);
      const dyXm = sum(tf.mul(g, tf.sub(x, mean)));
      return {
        x: () => tf.mul(g, tf.mul(inv, s)),
        mean: () => tf.neg(tf.mul(tf.mul(inv, s), dySum)),
        variance: () => tf.mul(tf.mul(tf.mul(tf.pow(inv, 3), s), -0.5), dyXm),
        scale: () => tf.mul(inv, dyXm),
        offset: () => dySum,
      };
    },
  });
}
