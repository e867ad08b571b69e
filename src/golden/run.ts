import type { Layer, Model, Tensor } from '../ir/model.ts';
import { tensorSize } from '../ir/model.ts';
import * as k from './kernels.ts';
import { fail } from '../util/errors.ts';

/** Activation codes (int8) or a dilation map (uint8), NHWC. */
export type TensorData = Int8Array | Uint8Array;

export interface RunOptions {
  /** Keep every tensor (for --dump-layers and per-layer comparison); otherwise only graph outputs. */
  keepAll?: boolean;
  /** Also record the raw accumulators of conv layers, by output tensor name. */
  accumulators?: Map<string, Int32Array>;
  /** Called after each layer (calibration reads tensors as they appear). */
  onLayer?: (layer: Layer, outputs: TensorData[]) => void;
}

/** Runs the golden model. `inputs` maps graph input names to int8 codes of the declared shape. */
export function runGolden(model: Model, inputs: Map<string, Int8Array>, opts: RunOptions = {}): Map<string, TensorData> {
  const values = new Map<string, TensorData>();
  for (const name of model.inputs) {
    const v = inputs.get(name);
    const t = model.tensors.get(name)!;
    if (!v) fail(`no data given for graph input "${name}"`);
    if (v.length !== tensorSize(t)) fail(`graph input "${name}" holds ${v.length} values, shape [${t.shape}] needs ${tensorSize(t)}`);
    values.set(name, v);
  }
  // Free tensors after their last reader unless all are kept.
  const lastUse = new Map<string, number>();
  model.layers.forEach((l, i) => l.inputs.forEach((n) => lastUse.set(n, i)));
  const keep = new Set(model.outputs);
  model.layers.forEach((l, i) => {
    const outs = runLayer(model, l, values, opts.accumulators);
    l.outputs.forEach((n, j) => values.set(n, outs[j]));
    opts.onLayer?.(l, outs);
    if (!opts.keepAll) for (const n of l.inputs) if (lastUse.get(n) === i && !keep.has(n)) values.delete(n);
  });
  return values;
}

export function runLayer(m: Model, l: Layer, values: Map<string, TensorData>, accs?: Map<string, Int32Array>): TensorData[] {
  const t = (n: string): Tensor => m.tensors.get(n)!;
  const xT = t(l.inputs[0]);
  const yT = t(l.outputs[0]);
  const x = values.get(l.inputs[0]) as Int8Array;
  const [h, w, c] = xT.shape;
  const y = new Int8Array(tensorSize(yT));
  const acc = accs && l.quant ? new Int32Array(tensorSize(yT)) : undefined;
  if (acc) accs!.set(yT.name, acc);
  const q = l.quant!;
  const rq = () => ({ S: q.S, B: q.B, n: q.n, lo: l.relu ? yT.zero : -128 });
  switch (l.op) {
    case 'stem':
      k.stemConv(x, h, w, c, l.stride, q.weights, yT.shape[2], xT.pad, rq(), y, acc);
      return [y];
    case 'conv1x1':
      k.conv1x1(x, h * w, c, q.weights, yT.shape[2], rq(), y, acc);
      return [y];
    case 'offset': {
      const d = new Uint8Array(tensorSize(yT));
      k.offsetConv(x, h, w, c, l.stride, q.weights, q.S[0], q.B[0], q.n, l.dmax, d, acc);
      return [d];
    }
    case 'dw3x3':
      k.depthwise3x3(x, h, w, c, l.stride, null, l.dilation, q.weights, xT.pad, rq(), y, acc);
      return [y];
    case 'dwdeform':
      k.depthwise3x3(x, h, w, c, l.stride, values.get(l.inputs[1]) as Uint8Array, 0, q.weights, xT.pad, rq(), y, acc);
      return [y];
    case 'maxpool':
      k.maxpool3x3s2(x, h, w, c, y);
      return [y];
    case 'upsample':
      k.upsample2x(x, h, w, c, y);
      return [y];
    case 'shuffle':
      k.shuffle2(x, h * w, c, y);
      return [y];
    case 'split': {
      let c0 = 0;
      return l.outputs.map((n) => {
        const o = t(n);
        const v = new Int8Array(tensorSize(o));
        k.copyChannels(x, h * w, c, c0, o.shape[2], v, o.shape[2], 0);
        c0 += o.shape[2];
        return v;
      });
    }
    case 'concat': {
      let d0 = 0;
      for (const n of l.inputs) {
        const it = t(n);
        k.copyChannels(values.get(n) as Int8Array, h * w, it.shape[2], 0, it.shape[2], y, yT.shape[2], d0);
        d0 += it.shape[2];
      }
      return [y];
    }
  }
}
