// Small ONNX graphs for the importer's tests, encoded with onnx-proto (the importer's own parser
// package), so op configurations can be tested against ONNX Runtime without PyTorch.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type AttrVal = number | number[] | string | { f: number } | { floats: number[] } | onnxProto.onnx.ITensorProto;

export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; name?: string; domain?: string; attrs?: Record<string, AttrVal> }

/** A float32 (or int64 with type 7) initializer. */
export function tensor(name: string, dims: number[], data: ArrayLike<number>, type = 1): onnxProto.onnx.ITensorProto {
  return type === 7 ? { name, dims, dataType: 7, int64Data: Array.from(data) } : { name, dims, dataType: 1, floatData: Array.from(data) };
}

function attr(name: string, v: AttrVal): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('f' in v && typeof v.f === 'number' && Object.keys(v).length === 1) return { name, type: T.FLOAT, f: v.f };
  if ('floats' in v && Object.keys(v).length === 1) return { name, type: T.FLOATS, floats: (v as { floats: number[] }).floats };
  return { name, type: T.TENSOR, t: v as onnxProto.onnx.ITensorProto };
}

export interface GraphSpec {
  input: { name?: string; dims: Array<number | string> };
  outputs: string[];
  nodes: NodeSpec[];
  inits?: onnxProto.onnx.ITensorProto[];
  opset?: number;
  domains?: Record<string, number>;
  extraInputs?: Array<{ name: string; dims: number[] }>;
}

export function buildOnnx(g: GraphSpec): Uint8Array {
  const vi = (name: string, dims: Array<number | string>) => ({
    name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'codenet-test',
    opsetImport: [{ domain: '', version: g.opset ?? 17 }, ...Object.entries(g.domains ?? {}).map(([domain, version]) => ({ domain, version }))],
    graph: {
      name: 'g',
      node: g.nodes.map((n, i) => ({ opType: n.op, input: n.inputs, output: n.outputs, name: n.name ?? `/${n.op}_${i}`, domain: n.domain ?? '', attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)) })),
      initializer: g.inits ?? [],
      input: [vi(g.input.name ?? 'x', g.input.dims), ...(g.extraInputs ?? []).map((e) => vi(e.name, e.dims))],
      output: g.outputs.map((o) => ({ name: o })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Seeded values in [-1, 1) (xorshift32). */
export function rand(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return ((s / 2 ** 32) * 2 - 1) * scale; });
}

/** The offsets template of the square: channel 2k = ky - 1, 2k + 1 = kx - 1 (tap k = 3 ky + kx). */
export const SQUARE_TEMPLATE = Array.from({ length: 18 }, (_, ch) => (ch % 2 ? (Math.floor(ch / 2) % 3) - 1 : Math.floor(Math.floor(ch / 2) / 3) - 1));
