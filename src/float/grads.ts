/**
 * The conv backprop kernels tfjs-backend-wasm 4.22 lacks, so the float model trains on wasm
 * (XNNPACK forward passes, matmuls and element-wise ops) instead of the pure-JavaScript cpu
 * backend. wasm registers Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput, but not:
 * - Conv2DBackpropFilter: a wasm matmul (x^T dy) for 1x1 stride-1 convs, which are almost all of
 *   the network's; a direct loop otherwise (the stem: 27 weights per output channel);
 * - DepthwiseConv2dNativeBackpropFilter and ...Input: direct loops (9 taps a channel: cheap).
 * The loops follow tfjs's own definitions (any stride, padding and dilation, NHWC); a test
 * compares every kernel with the cpu backend's.
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
 * Visits every (output pixel, tap) pair whose input pixel is inside the image:
 * fn(input pixel offset / channels, output pixel offset / channels, tap index).
 */
function forEachTap(c: Info, fn: (xp: number, yp: number, tap: number) => void): void {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = c;
  const { filterHeight: kh, filterWidth: kw, dilationHeight: dh, dilationWidth: dw } = c;
  const top = c.padInfo.top, left = c.padInfo.left;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const yp = (b * ho + oy) * wo + ox;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - left + kx * dw;
            if (ix >= 0 && ix < w) fn((b * h + iy) * w + ix, yp, ky * kw + kx);
          }
        }
      }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

/** A zero-filled float32 output of `shape` and heap views of `ins`, filled by `body`. */
function loopKernel(args: KernelArgs, shape: number[], ins: tf.TensorInfo[], body: (out: Float32Array, views: Float32Array[]) => void): tf.TensorInfo {
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

function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy, fs, c } = filterGradArgs(args, false);
  const [ci, co] = [fs[2], fs[3]];
  if (fs[0] === 1 && fs[1] === 1 && c.strideHeight === 1 && c.strideWidth === 1 && c.padInfo.top === 0 && c.padInfo.left === 0) {
    // dW[ci][co] = sum over pixels of x[p][ci] dy[p][co]: one matmul, on views of x and dy.
    const rows = c.batchSize * c.outHeight * c.outWidth;
    const mm = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc({
      inputs: { a: { dataId: x.dataId, shape: [1, rows, ci], dtype: 'float32' }, b: { dataId: dy.dataId, shape: [1, rows, co], dtype: 'float32' } },
      backend: args.backend as tf.KernelBackend,
      attrs: { transposeA: true, transposeB: false },
    }) as tf.TensorInfo;
    return { dataId: mm.dataId, shape: fs, dtype: 'float32' };
  }
  return loopKernel(args, fs, [x, dy], (g, [xv, dv]) => forEachTap(c, (xp, yp, tap) => {
    const gBase = tap * ci * co;
    for (let i = 0; i < ci; i++) {
      const v = xv[xp * ci + i];
      if (v === 0) continue;
      const row = gBase + i * co;
      for (let o = 0; o < co; o++) g[row + o] += v * dv[yp * co + o];
    }
  }));
}

function depthwiseBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy, fs, c } = filterGradArgs(args, true);
  const [ch, m] = [fs[2], fs[3]];
  return loopKernel(args, fs, [x, dy], (g, [xv, dv]) => forEachTap(c, (xp, yp, tap) => {
    const gBase = tap * ch * m, xb = xp * ch, yb = yp * ch * m;
    for (let k = 0; k < ch; k++) for (let q = 0; q < m; q++) g[gBase + k * m + q] += xv[xb + k] * dv[yb + k * m + q];
  }));
}

function depthwiseBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = args.attrs as ConvAttrs;
  const xs = a.inputShape!;
  const c = convInfo(xs, filter.shape, a, true);
  const [ch, m] = [filter.shape[2], filter.shape[3]];
  return loopKernel(args, xs, [filter, dy], (g, [fv, dv]) => forEachTap(c, (xp, yp, tap) => {
    const fBase = tap * ch * m, xb = xp * ch, yb = yp * ch * m;
    for (let k = 0; k < ch; k++) {
      let s = 0;
      for (let q = 0; q < m; q++) s += dv[yb + k * m + q] * fv[fBase + k * m + q];
      g[xb + k] += s;
    }
  }));
}

let registered = false;

/** Registers the three kernels for the wasm backend (once; tfjs-backend-wasm must be imported). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  const kernels: Array<[string, typeof conv2DBackpropFilter]> = [
    ['Conv2DBackpropFilter', conv2DBackpropFilter],
    ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter],
    ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput],
  ];
  for (const [kernelName, fn] of kernels)
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc });
}
