/**
 * Constant folding of ONNX shape arithmetic. Exporters compute reshape targets and split points
 * from `Shape` of a tensor (PyTorch's `x.size()` and `chunk` become Shape -> Gather -> Div -> ...);
 * with a fixed input size every such value is a constant, so the importer evaluates these ops here
 * and only the layers themselves reach the float model.
 */
import type { Attr, Const, Node } from './onnx.ts';

export const FOLDABLE = new Set(['Constant', 'Identity', 'Dropout', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Floor', 'Ceil', 'Round', 'Min', 'Max', 'Slice', 'Reshape', 'ConstantOfShape', 'Transpose', 'Range', 'Sqrt', 'Reciprocal']);

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const strides = (dims: number[]) => dims.map((_, i) => size(dims.slice(i + 1)));
export const scalar = (v: number, int = false): Const => ({ dims: [], data: Float64Array.of(v), int });
const ints = (c: Const | undefined) => (c ? Array.from(c.data) : undefined);
const axis = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** NumPy broadcasting of two constants. */
function broadcast(a: Const, b: Const, f: (x: number, y: number) => number, int: boolean): Const {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pa = [...Array(rank - a.dims.length).fill(1), ...a.dims], pb = [...Array(rank - b.dims.length).fill(1), ...b.dims];
  const dims = pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) throw new Error(`shapes [${a.dims}] and [${b.dims}] do not broadcast`);
    return Math.max(d, pb[i]);
  });
  const sa = strides(pa), sb = strides(pb), so = strides(dims);
  const data = new Float64Array(size(dims));
  for (let i = 0; i < data.length; i++) {
    let ia = 0, ib = 0;
    dims.forEach((_, k) => {
      const c = Math.floor(i / so[k]) % dims[k];
      if (pa[k] > 1) ia += c * sa[k];
      if (pb[k] > 1) ib += c * sb[k];
    });
    data[i] = f(a.data[ia], b.data[ib]);
  }
  return { dims, data, int };
}

/** Elements of `c` at the multi-indices produced by `index` for every position of `dims`. */
function gatherBy(c: Const, dims: number[], index: (pos: number[]) => number): Const {
  const so = strides(dims), data = new Float64Array(size(dims));
  for (let i = 0; i < data.length; i++) data[i] = c.data[index(dims.map((d, k) => Math.floor(i / so[k]) % d))];
  return { dims, data, int: c.int };
}

const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/**
 * Evaluates node `n` on constant inputs (`shapeOf` gives the NCHW shape of a non-constant tensor
 * for Shape). Returns the outputs, or throws an Error whose message says why (the caller names the node).
 */
export function foldNode(n: Node, ins: Array<Const | undefined>, attr: (k: string) => Attr, opset: number): Const[] {
  const [x, y] = ins;
  const need = (c: Const | undefined): Const => c ?? (() => { throw new Error('a required input is missing'); })();
  switch (n.op) {
    case 'Constant': {
      const v = attr('value') ?? attr('value_float') ?? attr('value_int') ?? attr('value_floats') ?? attr('value_ints');
      if (typeof v === 'number') return [scalar(v, attr('value_int') !== undefined)];
      if (Array.isArray(v)) return [{ dims: [v.length], data: Float64Array.from(v as number[]), int: attr('value_ints') !== undefined }];
      if (v && typeof v === 'object') return [v as Const];
      throw new Error('no supported value attribute');
    }
    case 'Identity': case 'Dropout': return [need(x)];
    case 'Shape': {
      const d = need(x).dims, r = d.length;
      const s = axis(Number(attr('start') ?? 0), r), e = attr('end') === undefined ? r : axis(Number(attr('end')), r);
      const out = d.slice(Math.max(0, s), Math.min(r, e));
      return [{ dims: [out.length], data: Float64Array.from(out), int: true }];
    }
    case 'Gather': {
      const d = need(x), idx = need(y), ax = axis(Number(attr('axis') ?? 0), d.dims.length);
      const dims = [...d.dims.slice(0, ax), ...idx.dims, ...d.dims.slice(ax + 1)];
      const sd = strides(d.dims), si = strides(idx.dims);
      return [gatherBy(d, dims, (p) => {
        const ip = p.slice(ax, ax + idx.dims.length).reduce((a, c, k) => a + c * si[k], 0);
        const j = axis(idx.data[ip], d.dims[ax]);
        const full = [...p.slice(0, ax), j, ...p.slice(ax + idx.dims.length)];
        return full.reduce((a, c, k) => a + c * sd[k], 0);
      })];
    }
    case 'Unsqueeze': case 'Squeeze': {
      const d = need(x);
      const axes = ints(opset >= 13 ? y : undefined) ?? (attr('axes') as number[] | undefined);
      if (n.op === 'Unsqueeze') {
        const r = d.dims.length + (axes ?? []).length, dims = [...d.dims];
        for (const a of (axes ?? []).map((a) => axis(a, r)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
        return [{ ...d, dims }];
      }
      const drop = new Set((axes ?? d.dims.map((v, i) => (v === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => axis(a, d.dims.length)));
      return [{ ...d, dims: d.dims.filter((_, i) => !drop.has(i)) }];
    }
    case 'Concat': {
      const cs = ins.filter((c): c is Const => !!c && size(c.dims) > 0);
      if (!cs.length) return [need(x)];
      const ax = axis(Number(attr('axis')), cs[0].dims.length);
      const dims = [...cs[0].dims];
      dims[ax] = cs.reduce((a, c) => a + c.dims[ax], 0);
      const outer = size(dims.slice(0, ax)), data: number[] = [];
      for (let o = 0; o < outer; o++) for (const c of cs) { const blk = size(c.dims.slice(ax)); data.push(...c.data.subarray(o * blk, (o + 1) * blk)); }
      return [{ dims, data: Float64Array.from(data), int: cs.every((c) => c.int) }];
    }
    case 'Cast': {
      const to = Number(attr('to')), d = need(x), int = INT_TYPES.has(to);
      return [{ dims: d.dims, data: d.data.map((v) => (to === 9 ? Number(v !== 0) : int ? Math.trunc(v) : to === 1 ? Math.fround(v) : v)), int }];
    }
    case 'Add': return [broadcast(need(x), need(y), (a, b) => a + b, x!.int && y!.int)];
    case 'Sub': return [broadcast(need(x), need(y), (a, b) => a - b, x!.int && y!.int)];
    case 'Mul': return [broadcast(need(x), need(y), (a, b) => a * b, x!.int && y!.int)];
    case 'Div': { const int = need(x).int && need(y).int; return [broadcast(x!, y!, (a, b) => (int ? Math.trunc(a / b) : a / b), int)]; }
    case 'Min': return [ins.map(need).reduce((a, b) => broadcast(a, b, Math.min, a.int && b.int))];
    case 'Max': return [ins.map(need).reduce((a, b) => broadcast(a, b, Math.max, a.int && b.int))];
    case 'Neg': return [{ ...need(x), data: x!.data.map((v) => -v) }];
    case 'Floor': return [{ ...need(x), data: x!.data.map(Math.floor) }];
    case 'Ceil': return [{ ...need(x), data: x!.data.map(Math.ceil) }];
    case 'Sqrt': return [{ ...need(x), data: x!.data.map(Math.sqrt) }];
    case 'Reciprocal': return [{ ...need(x), data: x!.data.map((v) => 1 / v) }];
    case 'Round': return [{ ...need(x), data: x!.data.map((v) => { const f = Math.floor(v), r = v - f; return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f; }) }];
    case 'Slice': {
      const d = need(x), r = d.dims.length;
      const starts = ints(opset >= 10 ? ins[1] : undefined) ?? (attr('starts') as number[]);
      const ends = ints(opset >= 10 ? ins[2] : undefined) ?? (attr('ends') as number[]);
      const axes = (ints(ins[3]) ?? (attr('axes') as number[] | undefined) ?? starts.map((_, i) => i)).map((a) => axis(a, r));
      const steps = ints(ins[4]) ?? starts.map(() => 1);
      const lo = d.dims.map(() => 0), step = d.dims.map(() => 1), dims = [...d.dims];
      axes.forEach((a, k) => {
        const dim = d.dims[a], st = steps[k];
        if (!st) throw new Error('a slice step is 0');
        const clampS = (v: number) => (v < 0 ? v + dim : v);
        let s = clampS(starts[k]), e = clampS(ends[k]);
        if (st > 0) { s = Math.min(Math.max(s, 0), dim); e = Math.min(Math.max(e, 0), dim); dims[a] = Math.max(0, Math.ceil((e - s) / st)); }
        else { s = Math.min(Math.max(s, -1), dim - 1); e = Math.min(Math.max(e, -1), dim - 1); dims[a] = Math.max(0, Math.ceil((s - e) / -st)); }
        lo[a] = s; step[a] = st;
      });
      const sd = strides(d.dims);
      return [gatherBy(d, dims, (p) => p.reduce((acc, c, k) => acc + (lo[k] + c * step[k]) * sd[k], 0))];
    }
    case 'Reshape': {
      const d = need(x), target = Array.from(need(y).data);
      return [{ ...d, dims: reshapeDims(d.dims, target, Number(attr('allowzero') ?? 0) === 1) }];
    }
    case 'ConstantOfShape': {
      const dims = Array.from(need(x).data), v = attr('value') as Const | undefined;
      return [{ dims, data: new Float64Array(size(dims)).fill(v ? v.data[0] : 0), int: v?.int ?? false }];
    }
    case 'Transpose': {
      const d = need(x), perm = (attr('perm') as number[] | undefined) ?? d.dims.map((_, i) => d.dims.length - 1 - i);
      const sd = strides(d.dims);
      return [gatherBy(d, perm.map((p) => d.dims[p]), (p) => p.reduce((a, c, k) => a + c * sd[perm[k]], 0))];
    }
    case 'Range': {
      const [s, l, dl] = ins.map((c) => need(c).data[0]), out: number[] = [];
      for (let v = s; dl > 0 ? v < l : v > l; v += dl) out.push(v);
      return [{ dims: [out.length], data: Float64Array.from(out), int: need(x).int }];
    }
  }
  throw new Error('not a shape-arithmetic op');
}

/** Reshape target dims with ONNX's 0 (copy, unless allowzero) and -1 (inferred). */
export function reshapeDims(from: number[], target: number[], allowzero: boolean): number[] {
  const dims = target.map((t, i) => (t === 0 && !allowzero ? from[i] : t));
  const known = dims.filter((t) => t !== -1).reduce((a, b) => a * b, 1);
  const out = dims.map((t) => (t === -1 ? size(from) / known : t));
  if (size(out) !== size(from) || out.some((t) => !Number.isInteger(t) || t < 0)) throw new Error(`cannot reshape [${from}] to [${target}]`);
  return out;
}
