import type { Layer, Model } from '../ir/model.ts';
import { fanIn, tensorSize } from '../ir/model.ts';

export interface LayerSummary {
  name: string;
  op: string;
  inputs: number[][];
  output: number[];
  macs: number;
  weights: number;
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totals: { layers: number; macs: number; params: number; weightBytes4bit: number; sizeMiB4bit: number };
}

/** MACs of a layer: output elements times fan-in (ops without weights count 0). */
export function layerMacs(l: Layer, m: Model): number {
  return tensorSize(m.tensors.get(l.outputs[0])!) * fanIn(l, m);
}

/** Weight count from the shapes alone, so a topology without weights can be summarized too. */
export function layerWeights(l: Layer, m: Model): number {
  return m.tensors.get(l.outputs[0])!.shape[2] * fanIn(l, m);
}

export function summarize(m: Model): ModelSummary {
  const layers = m.layers.map((l) => ({
    name: l.name,
    op: l.op,
    inputs: l.inputs.map((n) => [...m.tensors.get(n)!.shape]),
    output: [...m.tensors.get(l.outputs[0])!.shape],
    macs: layerMacs(l, m),
    weights: layerWeights(l, m),
  }));
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  const params = layers.reduce((a, l) => a + l.weights, 0);
  // Model size as the paper gives it: every weight at 4 bits.
  const weightBytes4bit = params / 2;
  return { name: m.name, layers, totals: { layers: layers.length, macs, params, weightBytes4bit, sizeMiB4bit: weightBytes4bit / 2 ** 20 } };
}
