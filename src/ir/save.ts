import { writeFileSync } from 'node:fs';
import { IR_FORMAT, IR_VERSION, type LayerDef, type ModelDef, type TensorDef } from './schema.ts';
import { encodePayload } from './payload.ts';
import type { Layer, Model } from './model.ts';
import { OPS, type OpDef } from '../ops/index.ts';

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
  const op = OPS[l.op] as OpDef;
  const def: Record<string, unknown> = { name: l.name, inputs: l.inputs, outputs: l.outputs, op: l.op, ...op.fileFields(l) };
  if (op.weights) {
    const q = l.quant;
    if (!q) throw new Error(`layer ${l.name} (${l.op}) has no weights`);
    const cout = m.tensors.get(l.outputs[0])!.shape[2];
    const cin = m.tensors.get(l.inputs[0])!.shape[2];
    def.weights = encodePayload(q.weightDtype, op.weights.shape(cin, cout), q.weights);
    def.S = encodePayload('int16', [cout], q.S);
    def.B = encodePayload('int16', [cout], q.B);
    def.n = q.n;
  }
  return def as LayerDef;
}

export function serializeModel(m: Model): string {
  return JSON.stringify(modelToDef(m)) + '\n';
}

export function saveModelFile(m: Model, path: string): void {
  writeFileSync(path, serializeModel(m));
}
