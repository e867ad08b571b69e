/**
 * A fast path for the two large parts of a model file, `tensors` and `layers`: plain checks that
 * accept only what the zod schema (src/ir/schema.ts) accepts and build exactly the object zod
 * would return (same keys in the same order, defaults filled in). zod walks a million-entry model
 * several times slower and allocates far more; here anything unusual (a wrong type, a value out
 * of range, an unknown or undefined key) returns undefined and the caller runs zod, which names
 * the problem. So zod stays the specification; test/ir-load.test.ts checks that both agree on
 * the zoo models and on thousands of mutated ones.
 */
import { BASE64, type LayerDef, type Payload, type TensorDef } from './schema.ts';

type Obj = Record<string, unknown>;

function plainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

const intIn = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const dim = (v: unknown): v is number => intIn(v, 1, 65536);
const int8 = (v: unknown): v is number => intIn(v, -128, 127);
const name = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 200;

/** Only these keys, none of them undefined. */
function onlyKeys(o: Obj, allowed: ReadonlySet<string>): boolean {
  for (const k of Object.keys(o)) if (!allowed.has(k) || o[k] === undefined) return false;
  return true;
}

function names(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || v.length < 1) return undefined;
  for (let i = 0; i < v.length; i++) if (!name(v[i])) return undefined;
  return v.slice();
}

const TENSOR_KEYS = new Set(['shape', 'kind', 'scale', 'zero', 'pad']);

function tensor(v: unknown): TensorDef | undefined {
  if (!plainObject(v) || !onlyKeys(v, TENSOR_KEYS)) return undefined;
  const s = v.shape;
  if (!Array.isArray(s) || s.length !== 3 || !dim(s[0]) || !dim(s[1]) || !dim(s[2])) return undefined;
  const kind = Object.hasOwn(v, 'kind') ? v.kind : 'act'; // a default replaces only a missing key, not null
  if (kind !== 'act' && kind !== 'dilation') return undefined;
  const out: TensorDef = { shape: [s[0], s[1], s[2]], kind };
  if (Object.hasOwn(v, 'scale')) {
    if (typeof v.scale !== 'number' || !Number.isFinite(v.scale) || !(v.scale > 0)) return undefined;
    out.scale = v.scale;
  }
  if (Object.hasOwn(v, 'zero')) {
    if (!int8(v.zero)) return undefined;
    out.zero = v.zero;
  }
  if (Object.hasOwn(v, 'pad')) {
    const p = v.pad;
    if (Array.isArray(p)) {
      if (p.length < 1) return undefined;
      for (let i = 0; i < p.length; i++) if (!int8(p[i])) return undefined;
      out.pad = p.slice();
    } else if (int8(p)) out.pad = p;
    else return undefined;
  }
  return out;
}

const PAYLOAD_KEYS = new Set(['dtype', 'shape', 'data']);

function payload(v: unknown): Payload | undefined {
  if (!plainObject(v) || !onlyKeys(v, PAYLOAD_KEYS)) return undefined;
  if (v.dtype !== 'int4' && v.dtype !== 'int8' && v.dtype !== 'int16') return undefined;
  const s = v.shape;
  if (!Array.isArray(s) || s.length < 1 || s.length > 4) return undefined;
  for (let i = 0; i < s.length; i++) if (!dim(s[i])) return undefined;
  if (typeof v.data !== 'string' || !BASE64.test(v.data)) return undefined;
  return { dtype: v.dtype, shape: s.slice(), data: v.data };
}

/** Own fields of each op, in schema order, with their check and default. */
type Field = [key: string, ok: (v: unknown) => boolean, dflt?: unknown];
const stride12 = (v: unknown) => v === 1 || v === 2;
const bool = (v: unknown) => typeof v === 'boolean';
const QUANT = ['weights', 'S', 'B', 'n'];
const OPS: Record<string, { fields: Field[]; quant: boolean }> = {
  stem: { fields: [['stride', (v) => v === 1 || v === 2 || v === 4], ['relu', bool]], quant: true },
  conv1x1: { fields: [['relu', bool]], quant: true },
  offset: { fields: [['stride', stride12, 1], ['dmax', (v) => intIn(v, 0, 15)]], quant: true },
  dw3x3: { fields: [['stride', stride12], ['dilation', (v) => intIn(v, 0, 15), 1], ['relu', bool]], quant: true },
  dwdeform: { fields: [['stride', stride12], ['relu', bool]], quant: true },
  maxpool: { fields: [], quant: false },
  upsample: { fields: [], quant: false },
  split: { fields: [], quant: false },
  concat: { fields: [], quant: false },
  shuffle: { fields: [['groups', (v) => v === 2, 2]], quant: false },
};
const LAYER_KEYS = new Map(Object.entries(OPS).map(([op, d]) => [op, new Set(['name', 'inputs', 'outputs', 'op', ...d.fields.map((f) => f[0]), ...(d.quant ? QUANT : [])])]));

function layer(v: unknown): LayerDef | undefined {
  if (!plainObject(v) || typeof v.op !== 'string') return undefined;
  const d = Object.hasOwn(OPS, v.op) ? OPS[v.op] : undefined;
  if (!d || !onlyKeys(v, LAYER_KEYS.get(v.op)!) || !name(v.name)) return undefined;
  const inputs = names(v.inputs);
  const outputs = names(v.outputs);
  if (!inputs || !outputs) return undefined;
  const out: Obj = { name: v.name, inputs, outputs, op: v.op };
  for (const [k, ok, dflt] of d.fields) {
    const x = Object.hasOwn(v, k) ? v[k] : dflt;
    if (x === undefined || !ok(x)) return undefined;
    out[k] = x;
  }
  if (d.quant) {
    for (const k of ['weights', 'S', 'B'] as const) {
      const p = payload(v[k]);
      if (!p) return undefined;
      out[k] = p;
    }
    if (!intIn(v.n, 1, 31)) return undefined;
    out.n = v.n;
  }
  return out as unknown as LayerDef;
}

/**
 * `tensors` and `layers` of a model object as zod would return them, or undefined when zod must
 * look (anything it might reject, or that this fast path does not cover).
 */
export function fastTensorsAndLayers(json: Obj): { tensors: Record<string, TensorDef>; layers: LayerDef[] } | undefined {
  const t = json.tensors;
  const l = json.layers;
  if (!plainObject(t) || !Array.isArray(l) || l.length < 1) return undefined;
  const tensors: Record<string, TensorDef> = {};
  for (const k of Object.keys(t)) {
    if (!name(k) || k === '__proto__') return undefined;
    const x = tensor(t[k]);
    if (!x) return undefined;
    tensors[k] = x;
  }
  const layers: LayerDef[] = new Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const x = layer(l[i]);
    if (!x) return undefined;
    layers[i] = x;
  }
  return { tensors, layers };
}
