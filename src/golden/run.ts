import type { Layer, Model } from '../ir/model.ts';
import { tensorSize } from '../ir/model.ts';
import { OPS } from '../ops/index.ts';
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

/** One layer through its op's golden kernel (src/ops): the output codes, in the order of `l.outputs`. */
export function runLayer(m: Model, l: Layer, values: Map<string, TensorData>, accs?: Map<string, Int32Array>): TensorData[] {
  const xT = m.tensors.get(l.inputs[0])!;
  const yT = m.tensors.get(l.outputs[0])!;
  const [h, w, c] = xT.shape;
  const acc = accs && l.quant ? new Int32Array(tensorSize(yT)) : undefined;
  if (acc) accs!.set(yT.name, acc);
  const q = l.quant!;
  return OPS[l.op].run({
    model: m, layer: l, values, xT, yT, x: values.get(l.inputs[0]) as Int8Array, h, w, c,
    y: new Int8Array(tensorSize(yT)), acc, q,
    rq: () => ({ S: q.S, B: q.B, n: q.n, lo: l.relu ? yT.zero : -128 }),
  });
}
