import { writeFileSync } from 'node:fs';
import { IR_FORMAT, IR_VERSION, type LayerDef, type ModelDef, type TensorDef } from './schema.ts';
import { encodePayload } from './payload.ts';
import type { Layer, Model } from './model.ts';

/** The file form of a model; key order is fixed so the same model always serializes to the same bytes. */
export function modelToDef(m: Model): ModelDef {
  const tensors: Record<string, TensorDef> = {};
  for (const t of m.tensors.values()) {
    if (t.kind === 'dilation') tensors[t.name] = { shape: t.shape, kind: 'dilation' };
    else {
      const uniform = t.pad.every((p) => p === t.pad[0]);
      tensors[t.name] = { shape: t.shape, kind: 'act', scale: t.scale, zero: t.zero, pad: uniform ? t.pad[0] : Array.from(t.pad) };
    }
  }
  return {
    format: IR_FORMAT, version: IR_VERSION, metadata: m.metadata,
    inputs: m.inputs, outputs: m.outputs, tensors, layers: m.layers.map((l) => layerToDef(l, m)),
  };
}

function layerToDef(l: Layer, m: Model): LayerDef {
  const base = { name: l.name, inputs: l.inputs, outputs: l.outputs };
  const q = l.quant;
  const quant = () => {
    if (!q) throw new Error(`layer ${l.name} (${l.op}) has no weights`);
    const cout = m.tensors.get(l.outputs[0])!.shape[2];
    const cin = m.tensors.get(l.inputs[0])!.shape[2];
    const wshape = l.op === 'stem' ? [cout, 3, 3, cin] : l.op === 'conv1x1' || l.op === 'offset' ? [cout, cin] : [cout, 9];
    return {
      weights: encodePayload(q.weightDtype, wshape, q.weights),
      S: encodePayload('int16', [cout], q.S),
      B: encodePayload('int16', [cout], q.B),
      n: q.n,
    };
  };
  switch (l.op) {
    case 'stem': return { ...base, op: 'stem', stride: l.stride as 1 | 2 | 4, relu: l.relu, ...quant() };
    case 'conv1x1': return { ...base, op: 'conv1x1', relu: l.relu, ...quant() };
    case 'offset': return { ...base, op: 'offset', stride: l.stride as 1 | 2, dmax: l.dmax, ...quant() };
    case 'dw3x3': return { ...base, op: 'dw3x3', stride: l.stride as 1 | 2, dilation: l.dilation, relu: l.relu, ...quant() };
    case 'dwdeform': return { ...base, op: 'dwdeform', stride: l.stride as 1 | 2, relu: l.relu, ...quant() };
    case 'shuffle': return { ...base, op: 'shuffle', groups: 2 };
    default: return { ...base, op: l.op };
  }
}

export function serializeModel(m: Model): string {
  return JSON.stringify(modelToDef(m)) + '\n';
}

export function saveModelFile(m: Model, path: string): void {
  writeFileSync(path, serializeModel(m));
}
