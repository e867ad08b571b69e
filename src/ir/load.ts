import { readFileSync, statSync } from 'node:fs';
import { ModelSchema, type LayerDef, type ModelDef, type TensorDef } from './schema.ts';
import { decodePayload } from './payload.ts';
import { fastTensorsAndLayers } from './fast-parse.ts';
import type { Layer, Model, Tensor } from './model.ts';
import { fanIn } from './model.ts';
import { OPS, at, type OpDef } from '../ops/index.ts';
import { ACC_LIMIT, accumulatorBound } from '../numerics/requant.ts';
import { UserError, describeZodIssues, fail } from '../util/errors.ts';
import { MAX_ACTIVATION_BYTES, MAX_LAYERS, MAX_METADATA_DEPTH, MAX_MODEL_FILE_BYTES, MAX_TENSORS, MAX_TENSOR_ELEMENTS, jsonDepth, limitText } from './limits.ts';

/** Reads, parses and validates a model file; every problem is a UserError naming the file. */
export function loadModelFile(path: string): Model {
  let text: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail(`cannot read model file ${path}: it is a folder`);
    if (st.size > MAX_MODEL_FILE_BYTES) fail(`model file ${path} has ${st.size.toLocaleString('en-US')} bytes, more than the limit of ${limitText(MAX_MODEL_FILE_BYTES)} (docs/ir.md section 13)`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
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
  checkCounts(json, where);
  return buildModel(fastParse(json) ?? zodParse(json, where), where);
}

function zodParse(json: unknown, where: string): ModelDef {
  const parsed = ModelSchema.safeParse(json);
  if (!parsed.success) throw new UserError(describeZodIssues(`model file ${where}`, parsed.error.issues, (path) => layerLabel(json, path)));
  return parsed.data;
}

/**
 * The schema's result through the fast path for tensors and layers (src/ir/fast-parse.ts) and zod
 * for the rest (with an empty tensor record and the first layer in their place); undefined when
 * any part needs zod's full look.
 */
function fastParse(json: unknown): ModelDef | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const j = json as Record<string, unknown>;
  const fast = fastTensorsAndLayers(j);
  if (!fast) return undefined;
  const shell = ModelSchema.safeParse({ ...j, tensors: {}, layers: (j.layers as unknown[]).slice(0, 1) });
  if (!shell.success) return undefined;
  return { ...shell.data, tensors: fast.tensors, layers: fast.layers };
}

/** Limits on counts and nesting, checked before the schema walks the file (docs/ir.md section 13). */
function checkCounts(json: unknown, where: string): void {
  if (!json || typeof json !== 'object') return; // the schema names it
  const j = json as Record<string, unknown>;
  const over = (what: string, n: number, max: number) =>
    fail(`model file ${where}: ${what} ${n.toLocaleString('en-US')}, more than the limit of ${limitText(max)} (docs/ir.md section 13)`);
  if (Array.isArray(j.layers) && j.layers.length > MAX_LAYERS) over('field layers: layer count', j.layers.length, MAX_LAYERS);
  for (const f of ['inputs', 'outputs'] as const) {
    const v = j[f];
    if (Array.isArray(v) && v.length > MAX_TENSORS) over(`field ${f}: name count`, v.length, MAX_TENSORS);
  }
  if (jsonDepth(j.metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH)
    fail(`model file ${where}: field metadata is nested more than ${MAX_METADATA_DEPTH} levels deep (docs/ir.md section 13)`);
}

/** ' (layer "name", op "x")' after a schema issue's field path inside layers[i], so the message names the layer. */
function layerLabel(json: unknown, path: ReadonlyArray<PropertyKey>): string {
  if (path[0] !== 'layers' || typeof path[1] !== 'number') return '';
  const l = (json as { layers?: unknown[] }).layers?.[path[1]] as { name?: unknown; op?: unknown } | undefined;
  if (!l || typeof l !== 'object') return '';
  const name = typeof l.name === 'string' ? `layer ${JSON.stringify(l.name.length > 60 ? `${l.name.slice(0, 60)}...` : l.name)}` : '';
  const op = typeof l.op === 'string' && path.length > 2 && path[2] !== 'op' ? `, op ${JSON.stringify(l.op.slice(0, 20))}` : '';
  return name || op ? ` (${name || 'layer'}${op})` : '';
}

function buildModel(def: ModelDef, where: string): Model {
  const err = (msg: string): never => fail(`model file ${where}: ${msg}`);
  const tensors = new Map<string, Tensor>();
  let activationBytes = 0;
  for (const name in def.tensors) {
    const t = def.tensors[name];
    const [h, w, c] = t.shape;
    if (tensors.size >= MAX_TENSORS) err(`field tensors: more than the limit of ${limitText(MAX_TENSORS)} tensors (docs/ir.md section 13)`);
    if (h * w * c > MAX_TENSOR_ELEMENTS)
      err(`tensor "${name}" field shape: [${t.shape}] has ${(h * w * c).toLocaleString('en-US')} elements, more than the limit of ${limitText(MAX_TENSOR_ELEMENTS)} per tensor (docs/ir.md section 13)`);
    activationBytes += h * w * c;
    tensors.set(name, makeTensor(name, t, err));
  }
  if (activationBytes > MAX_ACTIVATION_BYTES)
    err(`field tensors: the tensors hold ${activationBytes.toLocaleString('en-US')} bytes together, more than the limit of ${limitText(MAX_ACTIVATION_BYTES)} of activations (docs/ir.md section 13)`);

  // Graph connectivity: each tensor has one producer (a layer's index, or -1: a graph input), every input exists.
  const producer = new Map<string, number>();
  const producerText = (p: number) => (p < 0 ? '(graph input)' : `layer "${def.layers[p].name}"`);
  for (const [list, what] of [[def.inputs, 'inputs'], [def.outputs, 'outputs']] as const) {
    const seen = new Set<string>();
    for (const n of list) {
      if (seen.has(n)) err(`graph ${what} lists "${n}" twice`);
      seen.add(n);
    }
  }
  for (const n of def.inputs) {
    if (!tensors.has(n)) err(`graph input "${n}" is not a declared tensor`);
    if (tensors.get(n)!.kind !== 'act') err(`graph input "${n}" must be an activation tensor (dilation maps are made by offset layers)`);
    producer.set(n, -1);
  }
  const size = def.metadata.inputSize;
  const first = tensors.get(def.inputs[0]);
  if (size && first && (first.shape[0] !== size[0] || first.shape[1] !== size[1]))
    err(`metadata.inputSize [${size}] does not match graph input "${first.name}" of shape [${first.shape}]`);
  const names = new Set<string>();
  def.layers.forEach((l, i) => {
    if (names.has(l.name)) err(`layer name "${l.name}" is used twice`);
    names.add(l.name);
    for (const o of l.outputs) {
      if (!tensors.has(o)) err(`layer "${l.name}" writes tensor "${o}", which is not declared`);
      const p = producer.get(o);
      if (p !== undefined) err(`tensor "${o}" is written by both ${producerText(p)} and layer "${l.name}"`);
      producer.set(o, i);
    }
  });
  for (const l of def.layers)
    for (const i of l.inputs) if (!producer.has(i)) err(`layer "${l.name}" reads tensor "${i}", which no layer or graph input produces (dangling input)`);
  for (const o of def.outputs) if (!producer.has(o)) err(`graph output "${o}" is not produced by any layer or graph input`);

  const order = topoSort(def.layers, producer, err);
  const layers = new Array<Layer>(order.length);
  for (let k = 0; k < order.length; k++) layers[k] = makeLayer(def.layers[order[k]], tensors, err);
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

/**
 * Topological order, as indices into `layers`: repeatedly the first layer in file order whose
 * inputs are all available (docs/ir.md section 7). Kahn's algorithm with a min-heap of file
 * indices gives exactly that order in O(n log n): a layer enters the heap when the last of its
 * inputs appears, and the smallest index in the heap is the first ready layer in file order.
 * `producer` maps every tensor a layer reads to the index of the layer writing it (-1: a graph input).
 */
function topoSort(layers: LayerDef[], producer: Map<string, number>, err: (m: string) => never): Int32Array {
  const n = layers.length;
  // Edges producer -> reader, once per listed input, in compressed rows (no array per layer).
  const missing = new Int32Array(n);
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++)
    for (const t of layers[i].inputs) {
      const p = producer.get(t)!;
      if (p >= 0) { missing[i]++; start[p + 1]++; }
    }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const readers = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++)
    for (const t of layers[i].inputs) {
      const p = producer.get(t)!;
      if (p >= 0) readers[fill[p]++] = i;
    }
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (missing[i] === 0) heap.push(i);
  const order = new Int32Array(n);
  let taken = 0;
  while (heap.size) {
    const i = heap.pop();
    order[taken++] = i;
    for (let e = start[i]; e < start[i + 1]; e++) if (--missing[readers[e]] === 0) heap.push(readers[e]);
  }
  if (taken < n) {
    // Every layer still missing an input is on a cycle or after one; name the first few in file order.
    const left: string[] = [];
    for (let i = 0; i < n && left.length < 4; i++) if (missing[i] > 0) left.push(`"${layers[i].name}"`);
    err(`the graph has a cycle through layer(s) ${left.join(', ')}`);
  }
  return order;
}

/** A binary min-heap of non-negative integers. */
class MinHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1] < a[l] ? l + 1 : l;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
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
    const rule = OPS[l.op].weights!;
    const wantW = rule.dtype;
    if (l.weights.dtype !== wantW) err(`${where('weights')}: dtype must be ${wantW} for op ${l.op}, not ${l.weights.dtype}`);
    for (const f of ['S', 'B'] as const) if (l[f].dtype !== 'int16') err(`${where(f)}: dtype must be int16, not ${l[f].dtype}`);
    const dec = (f: 'weights' | 'S' | 'B') => {
      const v = decodePayload(l[f]);
      return typeof v === 'string' ? err(`${where(f)}: ${v}`) : v;
    };
    layer.quant = { weights: dec('weights') as Int8Array, weightDtype: wantW, S: dec('S') as Int16Array, B: dec('B') as Int16Array, n: l.n };
    const cin = tensors.get(l.inputs[0])?.shape[2] ?? 0;
    const cout = tensors.get(l.outputs[0])?.shape[2] ?? 0;
    const wantShape = rule.shape(cin, cout);
    if (!sameShape(l.weights.shape, wantShape)) err(`${where('weights')}: shape [${l.weights.shape}] should be [${wantShape}]`);
    for (const f of ['S', 'B'] as const) if (!sameShape(l[f].shape, [cout])) err(`${where(f)}: shape [${l[f].shape}] should be [${cout}] (one per output channel)`);
  }
  return layer;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// Helpers of checkLayer at module level: no closures per layer (a million-layer model stays fast).
type Err = (msg: string) => never;
function arity(l: Layer, want: number, got: number, what: string, err: Err): void {
  if (want > 0 ? got !== want : got < -want) err(`${at(l)} takes ${want > 0 ? want : `at least ${-want}`} ${what}, got ${got}`);
}

/** Arity, input kinds and the op's own rules (src/ops; docs/ir.md, "Layer rules"), then the accumulator bound. */
function checkLayer(l: Layer, m: Model, err: Err): void {
  const op = OPS[l.op] as OpDef;
  const [ni, no] = op.arity;
  arity(l, ni, l.inputs.length, 'input(s)', err);
  arity(l, no, l.outputs.length, 'output(s)', err);
  const ins: Tensor[] = [];
  for (const n of l.inputs) ins.push(m.tensors.get(n)!);
  const outs: Tensor[] = [];
  for (const n of l.outputs) outs.push(m.tensors.get(n)!);
  // Every data input is an activation (dwdeform's second input is its dilation map, checked by its op).
  for (let i = 0; i < (op.dataInputs ?? ins.length); i++) if (ins[i].kind !== 'act') err(`${at(l)}: input "${ins[i].name}" must be an activation tensor`);
  op.validate(l, ins, outs, err);
  if (l.quant) {
    let maxAbs = 0;
    for (const v of l.quant.weights) maxAbs = Math.max(maxAbs, Math.abs(v));
    const bound = accumulatorBound(fanIn(l, m), maxAbs);
    if (bound >= ACC_LIMIT)
      err(`${at(l)}: accumulator bound fan_in*128*max|w| = ${fanIn(l, m)}*128*${maxAbs} = ${bound} is not below 2^23 = ${ACC_LIMIT}; the 24-bit accumulator could overflow`);
  }
}
