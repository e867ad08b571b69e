import { readFileSync } from 'node:fs';
import { ModelSchema, type LayerDef, type ModelDef, type TensorDef } from './schema.ts';
import { decodePayload } from './payload.ts';
import type { Layer, Model, Tensor } from './model.ts';
import { fanIn } from './model.ts';
import { ACC_LIMIT, accumulatorBound } from '../numerics/requant.ts';
import { UserError, describeZodIssues, fail } from '../util/errors.ts';

/** Reads, parses and validates a model file; every problem is a UserError naming the file. */
export function loadModelFile(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read model file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`model file ${path} is not valid JSON (truncated or corrupt?): ${(e as Error).message}`);
  }
  return validateModel(json, path);
}

/** Validates a parsed model object (schema, payloads, shapes, graph, accumulator bound). */
export function validateModel(json: unknown, where: string): Model {
  if (json && typeof json === 'object' && 'format' in json && (json as { format: unknown }).format === 'codenet-ir' &&
      'version' in json && (json as { version: unknown }).version !== 1) {
    const v = (json as { version: unknown }).version;
    fail(`model file ${where}: format version ${JSON.stringify(v)} is not supported (this codenet reads version 1, a number)`);
  }
  const parsed = ModelSchema.safeParse(json);
  if (!parsed.success) throw new UserError(describeZodIssues(`model file ${where}`, parsed.error.issues));
  return buildModel(parsed.data, where);
}

function buildModel(def: ModelDef, where: string): Model {
  const err = (msg: string): never => fail(`model file ${where}: ${msg}`);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(def.tensors)) tensors.set(name, makeTensor(name, t, err));

  // Graph connectivity: each tensor has one producer (a layer or a graph input), every input exists.
  const producer = new Map<string, string>();
  for (const [list, what] of [[def.inputs, 'inputs'], [def.outputs, 'outputs']] as const)
    list.forEach((n, i) => { if (list.indexOf(n) !== i) err(`graph ${what} lists "${n}" twice`); });
  for (const n of def.inputs) {
    if (!tensors.has(n)) err(`graph input "${n}" is not a declared tensor`);
    if (tensors.get(n)!.kind !== 'act') err(`graph input "${n}" must be an activation tensor (dilation maps are made by offset layers)`);
    producer.set(n, '(graph input)');
  }
  const size = def.metadata.inputSize;
  const first = tensors.get(def.inputs[0]);
  if (size && first && (first.shape[0] !== size[0] || first.shape[1] !== size[1]))
    err(`metadata.inputSize [${size}] does not match graph input "${first.name}" of shape [${first.shape}]`);
  const names = new Set<string>();
  for (const l of def.layers) {
    if (names.has(l.name)) err(`layer name "${l.name}" is used twice`);
    names.add(l.name);
    for (const o of l.outputs) {
      if (!tensors.has(o)) err(`layer "${l.name}" writes tensor "${o}", which is not declared`);
      if (producer.has(o)) err(`tensor "${o}" is written by both ${producer.get(o)} and layer "${l.name}"`);
      producer.set(o, `layer "${l.name}"`);
    }
  }
  for (const l of def.layers)
    for (const i of l.inputs) if (!producer.has(i)) err(`layer "${l.name}" reads tensor "${i}", which no layer or graph input produces (dangling input)`);
  for (const o of def.outputs) if (!producer.has(o)) err(`graph output "${o}" is not produced by any layer or graph input`);

  const layers = topoSort(def.layers, def.inputs, err).map((l) => makeLayer(l, tensors, err));
  const model: Model = { name: def.metadata.name ?? 'model', metadata: def.metadata, tensors, layers, inputs: def.inputs, outputs: def.outputs };
  for (const l of layers) checkLayer(l, model, err);
  return model;
}

function makeTensor(name: string, t: TensorDef, err: (m: string) => never): Tensor {
  const [, , c] = t.shape;
  if (t.kind === 'dilation') {
    if (c !== 1) err(`tensor "${name}" is a dilation map and must have 1 channel, not ${c}`);
    return { name, shape: t.shape, kind: 'dilation', scale: 1, zero: 0, pad: new Int8Array(1) };
  }
  if (t.scale === undefined || t.zero === undefined || t.pad === undefined) err(`tensor "${name}" needs scale, zero and pad`);
  const pad = Array.isArray(t.pad) ? Int8Array.from(t.pad) : new Int8Array(c).fill(t.pad as number);
  if (pad.length !== c) err(`tensor "${name}" has ${pad.length} pad codes for ${c} channels`);
  return { name, shape: t.shape, kind: 'act', scale: t.scale!, zero: t.zero!, pad };
}

function topoSort(layers: LayerDef[], inputs: string[], err: (m: string) => never): LayerDef[] {
  const ready = new Set(inputs);
  const pending = [...layers];
  const out: LayerDef[] = [];
  while (pending.length) {
    const i = pending.findIndex((l) => l.inputs.every((t) => ready.has(t)));
    if (i < 0) err(`the graph has a cycle through layer(s) ${pending.map((l) => `"${l.name}"`).slice(0, 4).join(', ')}`);
    const [l] = pending.splice(i, 1);
    for (const o of l.outputs) ready.add(o);
    out.push(l);
  }
  return out;
}

function makeLayer(l: LayerDef, tensors: Map<string, Tensor>, err: (m: string) => never): Layer {
  const layer: Layer = {
    name: l.name, op: l.op, inputs: l.inputs, outputs: l.outputs,
    stride: 'stride' in l ? l.stride : 1,
    relu: 'relu' in l ? l.relu : false,
    dilation: 'dilation' in l ? l.dilation : 1,
    dmax: 'dmax' in l ? l.dmax : 0,
  };
  if ('weights' in l) {
    const where = (f: string) => `layer "${l.name}" field ${f}`;
    const wantW = l.op === 'stem' ? 'int8' : 'int4';
    if (l.weights.dtype !== wantW) err(`${where('weights')}: dtype must be ${wantW} for op ${l.op}, not ${l.weights.dtype}`);
    for (const f of ['S', 'B'] as const) if (l[f].dtype !== 'int16') err(`${where(f)}: dtype must be int16, not ${l[f].dtype}`);
    const dec = (f: 'weights' | 'S' | 'B') => {
      const v = decodePayload(l[f]);
      return typeof v === 'string' ? err(`${where(f)}: ${v}`) : v;
    };
    layer.quant = { weights: dec('weights') as Int8Array, weightDtype: wantW, S: dec('S') as Int16Array, B: dec('B') as Int16Array, n: l.n };
    const cin = tensors.get(l.inputs[0])?.shape[2] ?? 0;
    const cout = tensors.get(l.outputs[0])?.shape[2] ?? 0;
    const wantShape = l.op === 'stem' ? [cout, 3, 3, cin] : l.op === 'conv1x1' || l.op === 'offset' ? [cout, cin] : [cout, 9];
    if (!sameShape(l.weights.shape, wantShape)) err(`${where('weights')}: shape [${l.weights.shape}] should be [${wantShape}]`);
    for (const f of ['S', 'B'] as const) if (!sameShape(l[f].shape, [cout])) err(`${where(f)}: shape [${l[f].shape}] should be [${cout}] (one per output channel)`);
  }
  return layer;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const ARITY: Record<string, [number, number]> = {
  stem: [1, 1], conv1x1: [1, 1], offset: [1, 1], dw3x3: [1, 1], dwdeform: [2, 1], maxpool: [1, 1],
  upsample: [1, 1], shuffle: [1, 1], split: [1, -2], concat: [-2, 1],
};

/** Output shape and quantization rules per op (docs/ir.md, "Layer rules"). */
function checkLayer(l: Layer, m: Model, err: (msg: string) => never): void {
  const at = `layer "${l.name}" (${l.op})`;
  const [ni, no] = ARITY[l.op];
  const arity = (want: number, got: number, what: string) => {
    if (want > 0 ? got !== want : got < -want) err(`${at} takes ${want > 0 ? want : `at least ${-want}`} ${what}, got ${got}`);
  };
  arity(ni, l.inputs.length, 'input(s)');
  arity(no, l.outputs.length, 'output(s)');
  const ins = l.inputs.map((n) => m.tensors.get(n)!);
  const outs = l.outputs.map((n) => m.tensors.get(n)!);
  const x = ins[0];
  const y = outs[0];
  const [h, w, c] = x.shape;
  const expect = (t: Tensor, shape: number[], kind: 'act' | 'dilation' = 'act') => {
    if (t.kind !== kind) err(`${at}: tensor "${t.name}" must be ${kind === 'act' ? 'an activation' : 'a dilation map'}`);
    if (!sameShape(t.shape, shape)) err(`${at}: tensor "${t.name}" has shape [${t.shape}], expected [${shape}]`);
  };
  const sameQuant = (a: Tensor, b: Tensor) => {
    if (a.scale !== b.scale || a.zero !== b.zero)
      err(`${at}: tensors "${a.name}" (s=${a.scale}, z=${a.zero}) and "${b.name}" (s=${b.scale}, z=${b.zero}) must share scale and zero code`);
  };
  // Every data input is an activation; dwdeform's second input is its dilation map (checked below).
  for (const t of l.op === 'dwdeform' ? ins.slice(0, 1) : ins) if (t.kind !== 'act') err(`${at}: input "${t.name}" must be an activation tensor`);
  const down = (s: number) => [Math.floor((h - 1) / s) + 1, Math.floor((w - 1) / s) + 1];
  switch (l.op) {
    case 'stem':
      if (c !== 3) err(`${at}: input "${x.name}" must have 3 channels (RGB), has ${c}`);
      expect(y, [...down(l.stride), y.shape[2]]);
      break;
    case 'conv1x1':
      expect(y, [h, w, y.shape[2]]);
      break;
    case 'offset':
      expect(y, [...down(l.stride), 1], 'dilation');
      break;
    case 'dw3x3':
      expect(y, [...down(l.stride), c]);
      break;
    case 'dwdeform': {
      expect(y, [...down(l.stride), c]);
      expect(ins[1], [...down(l.stride), 1], 'dilation');
      break;
    }
    case 'maxpool':
      expect(y, [...down(2), c]);
      sameQuant(x, y);
      break;
    case 'upsample':
      expect(y, [2 * h, 2 * w, c]);
      sameQuant(x, y);
      break;
    case 'shuffle':
      if (c % 2) err(`${at}: channel shuffle with 2 groups needs an even channel count, "${x.name}" has ${c}`);
      expect(y, [h, w, c]);
      sameQuant(x, y);
      break;
    case 'split': {
      let total = 0;
      for (const o of outs) { expect(o, [h, w, o.shape[2]]); sameQuant(x, o); total += o.shape[2]; }
      if (total !== c) err(`${at}: outputs hold ${total} channels, input "${x.name}" has ${c}`);
      break;
    }
    case 'concat': {
      let total = 0;
      for (const t of ins) { if (t.shape[0] !== y.shape[0] || t.shape[1] !== y.shape[1]) err(`${at}: input "${t.name}" is ${t.shape[0]}x${t.shape[1]}, output is ${y.shape[0]}x${y.shape[1]}`); sameQuant(t, y); total += t.shape[2]; }
      expect(y, [y.shape[0], y.shape[1], total]);
      break;
    }
  }
  if (l.quant) {
    let maxAbs = 0;
    for (const v of l.quant.weights) maxAbs = Math.max(maxAbs, Math.abs(v));
    const bound = accumulatorBound(fanIn(l, m), maxAbs);
    if (bound >= ACC_LIMIT)
      err(`${at}: accumulator bound fan_in*128*max|w| = ${fanIn(l, m)}*128*${maxAbs} = ${bound} is not below 2^23 = ${ACC_LIMIT}; the 24-bit accumulator could overflow`);
  }
}
