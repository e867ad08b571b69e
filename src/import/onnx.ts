/**
 * Reads an ONNX file (protobuf, decoded by the `onnx-proto` package: the official onnx.proto
 * compiled with protobufjs) into plain objects: nodes with decoded attributes, constant tensors as
 * Float64Array (every value codenet reads fits a double exactly), external data read from files
 * beside the model and confined to its folder. Every problem with the file is a UserError naming it.
 */
import onnxProto from 'onnx-proto';
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { fail } from '../util/errors.ts';

const { onnx } = onnxProto;

export interface Const {
  dims: number[];
  /** Values in row-major order (int64 beyond 2^53 lose precision: only clamped bounds are that large). */
  data: Float64Array;
  /** true for integer and bool tensors (Div truncates, Cast keeps the kind). */
  int: boolean;
  /** The ONNX data type of a tensor read from the file (2 uint8, 3 int8, 6 int32, ...); computed constants have none. */
  type?: number;
}

export type Attr = number | string | number[] | string[] | Const | undefined;

export interface Node {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, Attr>;
}

export interface GraphInput { name: string; elemType: number; dims: Array<number | string> }

export interface OnnxModel {
  file: string;
  /** Version of the default (ai.onnx) opset. */
  opset: number;
  domains: Map<string, number>;
  nodes: Node[];
  initializers: Map<string, Const>;
  inputs: GraphInput[];
  outputs: string[];
}

/** Long (protobufjs int64) or number to number. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const DTYPES: Record<number, { name: string; bytes: number; int: boolean; read: (v: DataView, o: number) => number }> = {
  1: { name: 'float32', bytes: 4, int: false, read: (v, o) => v.getFloat32(o, true) },
  2: { name: 'uint8', bytes: 1, int: true, read: (v, o) => v.getUint8(o) },
  3: { name: 'int8', bytes: 1, int: true, read: (v, o) => v.getInt8(o) },
  4: { name: 'uint16', bytes: 2, int: true, read: (v, o) => v.getUint16(o, true) },
  5: { name: 'int16', bytes: 2, int: true, read: (v, o) => v.getInt16(o, true) },
  6: { name: 'int32', bytes: 4, int: true, read: (v, o) => v.getInt32(o, true) },
  7: { name: 'int64', bytes: 8, int: true, read: (v, o) => Number(v.getBigInt64(o, true)) },
  9: { name: 'bool', bytes: 1, int: true, read: (v, o) => v.getUint8(o) },
  10: { name: 'float16', bytes: 2, int: false, read: (v, o) => half(v.getUint16(o, true)) },
  11: { name: 'float64', bytes: 8, int: false, read: (v, o) => v.getFloat64(o, true) },
  12: { name: 'uint32', bytes: 4, int: true, read: (v, o) => v.getUint32(o, true) },
  13: { name: 'uint64', bytes: 8, int: true, read: (v, o) => Number(v.getBigUint64(o, true)) },
};

/** Reads `length` bytes at `offset` of an external data file, confined to the model's folder. */
function externalBytes(file: string, tensor: string, entries: Array<{ key?: string | null; value?: string | null }>): Uint8Array {
  const kv = new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) fail(`${file}: tensor "${tensor}" has external data without a location`);
  const dir = dirname(resolve(file));
  const path = resolve(dir, location);
  if (isAbsolute(location) || !(path + sep).startsWith(dir + sep) || path === dir)
    fail(`${file}: tensor "${tensor}" has its data in "${location}", outside the model's folder (external data must be a relative path beside the model)`);
  if (!existsSync(path)) fail(`${file}: the external data file "${location}" of tensor "${tensor}" is missing (looked for ${path})`);
  const real = realpathSync(path);
  if (!real.startsWith(realpathSync(dir) + sep)) fail(`${file}: the external data file "${location}" of tensor "${tensor}" links outside the model's folder`);
  const size = statSync(real).size;
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : size - offset;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size)
    fail(`${file}: tensor "${tensor}" reads bytes ${offset}..${offset + length} of "${location}", which holds ${size}`);
  const buf = new Uint8Array(length);
  const fd = openSync(real, 'r');
  try {
    readSync(fd, buf, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** A TensorProto's values. */
export function tensorValues(t: onnxProto.onnx.ITensorProto, file: string): Const {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const dt = DTYPES[t.dataType ?? 0] ?? fail(`${file}: tensor "${name}" has ONNX data type ${t.dataType}, which codenet does not read (float, double, float16, integers, bool)`);
  let data: Float64Array;
  const raw = t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL ? externalBytes(file, name, t.externalData ?? []) : t.rawData?.length ? t.rawData : undefined;
  if (raw) {
    if (raw.length !== count * dt.bytes) fail(`${file}: tensor "${name}" of shape [${dims}] (${dt.name}) holds ${raw.length} bytes, expected ${count * dt.bytes}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = dt.read(view, i * dt.bytes);
  } else {
    const k = t.dataType!;
    const src: unknown[] = k === 1 ? t.floatData ?? [] : k === 11 ? t.doubleData ?? [] : k === 7 ? t.int64Data ?? [] : k === 12 || k === 13 ? t.uint64Data ?? [] : t.int32Data ?? [];
    data = Float64Array.from(src, (v) => (k === 10 ? half(num(v)) : num(v)));
    if (data.length !== count) fail(`${file}: tensor "${name}" of shape [${dims}] holds ${data.length} values, expected ${count}`);
  }
  return { dims, data, int: dt.int, type: t.dataType! };
}

function attrValue(a: onnxProto.onnx.IAttributeProto, file: string): Attr {
  const T = onnx.AttributeProto.AttributeType;
  const type = has(a, 'type') ? a.type! : (has(a, 'f') ? T.FLOAT : has(a, 'i') ? T.INT : has(a, 's') ? T.STRING : has(a, 't') ? T.TENSOR : a.floats?.length ? T.FLOATS : a.ints?.length ? T.INTS : a.strings?.length ? T.STRINGS : T.UNDEFINED);
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  switch (type) {
    case T.FLOAT: return a.f ?? 0;
    case T.INT: return num(a.i ?? 0);
    case T.STRING: return text(a.s ?? new Uint8Array());
    case T.TENSOR: return a.t ? tensorValues(a.t, file) : undefined;
    case T.FLOATS: return (a.floats ?? []).map(Number);
    case T.INTS: return (a.ints ?? []).map(num);
    case T.STRINGS: return (a.strings ?? []).map(text);
    default: return undefined; // graphs, sparse tensors, types: no supported op reads them
  }
}

/** Parses an ONNX file; a file that is not one (or is cut short) is a UserError naming it. */
export function readOnnx(file: string): OnnxModel {
  if (!existsSync(file)) fail(`ONNX model ${file} not found`);
  if (statSync(file).isDirectory()) fail(`${file} is a folder; give the .onnx file`);
  const bytes = readFileSync(file);
  let m: onnxProto.onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    fail(`${file} is not a valid ONNX model (truncated, or not an ONNX protobuf file: ${(e as Error).message})`);
  }
  const g = m.graph;
  if (!bytes.length || !num(m.irVersion ?? 0) || !g || !(g.node ?? []).length || !(g.output ?? []).length)
    fail(`${file} is not a valid ONNX model (no IR version, graph, nodes or outputs: truncated, or not an ONNX file)`);
  const domains = new Map<string, number>();
  for (const o of m.opsetImport ?? []) domains.set(o.domain === 'ai.onnx' ? '' : o.domain ?? '', num(o.version ?? 0));
  const opset = domains.get('') ?? fail(`${file} imports no default (ai.onnx) operator set (truncated, or not an ONNX model)`);
  if (opset < 11 || opset > 19) fail(`${file} uses ONNX opset ${opset}; codenet imports opsets 11 to 19 (export again with opset_version between 11 and 19)`);
  const initializers = new Map<string, Const>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', tensorValues(t, file));
  const inputs = (g.input ?? []).filter((i) => !initializers.has(i.name ?? '')).map((i) => ({
    name: i.name ?? '',
    elemType: i.type?.tensorType?.elemType ?? 0,
    dims: (i.type?.tensorType?.shape?.dim ?? []).map((d) => (has(d, 'dimValue') ? num(d.dimValue) : d.dimParam || '?')),
  }));
  const nodes = (g.node ?? []).map((n) => ({
    name: n.name ?? '',
    op: n.opType ?? '',
    domain: n.domain === 'ai.onnx' ? '' : n.domain ?? '',
    inputs: n.input ?? [],
    outputs: n.output ?? [],
    attrs: new Map((n.attribute ?? []).map((a) => [a.name ?? '', attrValue(a, file)] as [string, Attr])),
  }));
  return { file, opset, domains, nodes, initializers, inputs, outputs: (g.output ?? []).map((o) => o.name ?? '') };
}
