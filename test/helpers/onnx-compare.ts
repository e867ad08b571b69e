// Runs an ONNX file in onnxruntime-web (WebAssembly) and its codenet import (TensorFlow.js) on the
// same NCHW input; the outputs are compared in NCHW order.
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { buildTfModel } from '../../src/import/graph.ts';
import { convertOnnx } from '../../src/import/run.ts';

ort.env.wasm.numThreads = 1; // the 2 cores are shared; one thread is deterministic too

/** ONNX Runtime's outputs (flat NCHW, in graph output order). */
export async function runOrt(file: string, input: Float32Array, dims: number[]): Promise<Array<{ name: string; dims: number[]; data: Float32Array }>> {
  const s = await ort.InferenceSession.create(readFileSync(file));
  try {
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    return s.outputNames.map((name) => ({ name, dims: [...r[name].dims], data: r[name].data as Float32Array }));
  } finally {
    await s.release();
  }
}

/** NCHW -> NHWC and back for one image. */
export function toNhwc(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) y[i * c + k] = x[k * h * w + i];
  return y;
}
export function toNchw(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) y[k * h * w + i] = x[i * c + k];
  return y;
}

/** codenet's float model of the import, run on an NCHW input: outputs NCHW, in graph output order (heads first). */
export function runImported(file: string, input: Float32Array, opts: { heads?: string } = {}): { outputs: Float32Array[]; order: string[]; notes: string[] } {
  const r = convertOnnx(file, opts);
  const { h, w, c } = r.graph.input;
  const fm = buildTfModel(r.graph);
  const x = tf.tensor4d(toNhwc(input, c, h, w), [1, h, w, c]);
  const ys = [fm.predict(x)].flat() as tf.Tensor[];
  const outputs = ys.map((y) => { const [, oh, ow, oc] = y.shape as number[]; return toNchw(y.dataSync() as Float32Array, oc, oh, ow); });
  tf.dispose([x, ...ys]);
  fm.dispose();
  return { outputs, order: fm.outputNames, notes: r.notes };
}

/** Largest |a - b| relative to the range of b (max - min, at least 1e-6). */
export function relError(a: Float32Array, b: Float32Array): number {
  let lo = Infinity, hi = -Infinity, err = 0;
  for (let i = 0; i < b.length; i++) { lo = Math.min(lo, b[i]); hi = Math.max(hi, b[i]); err = Math.max(err, Math.abs(a[i] - b[i])); }
  return a.length === b.length ? err / Math.max(hi - lo, 1e-6) : Infinity;
}

/** A deterministic input in [-1, 1). */
export function seededInput(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s / 2 ** 32) * 2 - 1; });
}
