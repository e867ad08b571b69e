/**
 * Quantizers in an ONNX graph: QuantizeLinear/DequantizeLinear (QDQ, as PyTorch and ONNX Runtime
 * write them) and QONNX Quant nodes (as Brevitas writes them). Their parameters, and the codes and
 * dequantized values of the constants they quantize, computed as the ops compute them (float32
 * division, then rounding: half to even for QDQ and QONNX "ROUND"). lower.ts keeps the
 * dequantized weights in the float model and the quantizers as hints (hints.ts).
 */
import type { Const, Node } from './onnx.ts';
import type { QuantizerHint, WeightHint } from './hints.ts';

export const QONNX_DOMAINS = new Set(['qonnx.custom_op.general', 'finn.custom_op.general', 'finn', 'onnx.brevitas']);

export interface Quantizer {
  node: string;
  format: 'qdq' | 'qonnx';
  bits: number;
  signed: boolean;
  narrow: boolean;
  qmin: number;
  qmax: number;
  rounding: string;
  /** The axis of the quantized tensor that `scale` and `zero` run along; undefined: one of each. */
  axis?: number;
  scale: Float64Array;
  zero: Float64Array;
}

/** A constant that is the dequantization of integer codes (a quantized weight or bias). */
export interface ConstQuant { q: Quantizer; codes: Float64Array; dims: number[] }

const f32 = Math.fround;
const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Rounding of the QONNX modes (docs of qonnx Quant); 'half_even' is QDQ's and QONNX's ROUND. */
export function roundBy(mode: string, v: number): number {
  const f = Math.floor(v), d = v - f;
  switch (mode) {
    case 'half_even': case 'round': return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
    case 'ceil': return Math.ceil(v);
    case 'floor': return f;
    case 'up': return v < 0 ? Math.floor(v) : Math.ceil(v);
    case 'down': return Math.trunc(v);
    case 'half_up': return d === 0.5 ? (v < 0 ? f : f + 1) : Math.round(v);
    case 'half_down': return d === 0.5 ? (v < 0 ? f + 1 : f) : Math.round(v);
    default: throw new Error(`rounding mode ${mode}`);
  }
}
const ROUNDING = new Set(['round', 'ceil', 'floor', 'up', 'down', 'half_up', 'half_down']);

/** The index along q.axis of each element of a tensor of `dims`, or 0 for a per-tensor quantizer. */
function channelOf(q: Quantizer, dims: number[]): (i: number) => number {
  if (q.axis === undefined) return () => 0;
  const inner = size(dims.slice(q.axis + 1)), n = dims[q.axis];
  return (i) => Math.floor(i / inner) % n;
}

/** Checks that q's parameters fit a tensor of `dims` (else the reason). */
export function fits(q: Quantizer, dims: number[]): string | undefined {
  if (q.axis === undefined) return undefined;
  if (q.axis >= dims.length || dims[q.axis] !== q.scale.length) return `${q.scale.length} scales along axis ${q.axis} of a tensor of shape [${dims}]`;
  return undefined;
}

/** The graph's integer codes (zero point included) of constant values `x` of shape `dims`. */
export function quantizeConst(q: Quantizer, x: Float64Array, dims: number[]): Float64Array {
  const ch = channelOf(q, dims);
  return x.map((v, i) => {
    const c = ch(i), s = q.scale[c], z = q.zero[q.zero.length === 1 ? 0 : c];
    if (q.format === 'qdq') return Math.min(q.qmax, Math.max(q.qmin, roundBy('half_even', f32(f32(v) / f32(s))) + z));
    const y = f32(f32(f32(v) / f32(s)) + z);
    return roundBy(q.rounding, Math.min(q.qmax, Math.max(q.qmin, y)));
  });
}

/** Real values (float32, as the graph computes them) of codes of shape `dims`. */
export function dequantizeConst(q: Quantizer, codes: Float64Array, dims: number[]): Float64Array {
  const ch = channelOf(q, dims);
  return codes.map((v, i) => {
    const c = ch(i);
    return f32((v - q.zero[q.zero.length === 1 ? 0 : c]) * f32(q.scale[c]));
  });
}

/** The code range of an ONNX integer type (QDQ's zero point type). */
const QDQ_TYPES: Record<number, { bits: number; signed: boolean }> = { 2: { bits: 8, signed: false }, 3: { bits: 8, signed: true }, 4: { bits: 16, signed: false }, 5: { bits: 16, signed: true }, 6: { bits: 32, signed: true } };

/**
 * The quantizer of a QuantizeLinear or DequantizeLinear node: scale, zero point (its type gives the
 * code range; none: uint8), axis (opset 13; per-axis when the scale has more than one value).
 * `type` is the code type when it is known otherwise (DequantizeLinear of an integer initializer).
 * Throws with the reason when it is not one codenet reads.
 */
export function qdqQuantizer(n: Node, scale: Const, zero: Const | undefined, rank: number, type?: number): Quantizer {
  const t = zero?.type ?? type ?? 2;
  const kind = QDQ_TYPES[t];
  if (!kind) throw new Error(`a zero point of ONNX type ${t}; codenet reads uint8, int8, uint16, int16 and int32 codes`);
  if (zero && zero.data.length !== scale.data.length) throw new Error(`${scale.data.length} scales and ${zero.data.length} zero points`);
  if ([...scale.data].some((s) => !(s > 0) || !Number.isFinite(s))) throw new Error(`a scale that is not a positive number (${[...scale.data].find((s) => !(s > 0))})`);
  const a = Number(n.attrs.get('axis') ?? 1);
  const axis = scale.data.length > 1 ? (a < 0 ? a + rank : a) : undefined;
  const qmin = kind.signed ? -(2 ** (kind.bits - 1)) : 0, qmax = kind.signed ? 2 ** (kind.bits - 1) - 1 : 2 ** kind.bits - 1;
  return { node: n.name, format: 'qdq', ...kind, narrow: false, qmin, qmax, rounding: 'half_even', axis, scale: Float64Array.from(scale.data), zero: zero ? Float64Array.from(zero.data) : new Float64Array(scale.data.length) };
}

/**
 * The quantizer of a QONNX Quant node (x, scale, zeropt, bitwidth; attributes signed, narrow,
 * rounding_mode) on a tensor of `dims`: scale and zero point broadcast (NumPy rules) as scalars or
 * along one axis. Throws with the reason when it is not one codenet reads.
 */
export function qonnxQuantizer(n: Node, scale: Const, zero: Const, bitwidth: Const, dims: number[]): Quantizer {
  const bits = bitwidth.data[0];
  if (bitwidth.data.length !== 1 || !Number.isInteger(bits) || bits < 2 || bits > 32) throw new Error(`bit width ${[...bitwidth.data]}; codenet reads one integer bit width of 2 to 32 bits`);
  const signed = Number(n.attrs.get('signed') ?? 1) !== 0, narrow = Number(n.attrs.get('narrow') ?? 0) !== 0;
  const rounding = String(n.attrs.get('rounding_mode') ?? 'ROUND').toLowerCase();
  if (!ROUNDING.has(rounding)) throw new Error(`rounding_mode "${rounding}"`);
  /** The one axis of `dims` that `c` varies along (broadcast from the right), or undefined for a scalar. */
  const axisOf = (c: Const, what: string): number | undefined => {
    if (c.data.length === 1) return undefined;
    const off = dims.length - c.dims.length;
    const big = c.dims.map((d, i) => [d, i + off]).filter(([d]) => d > 1);
    if (off < 0 || big.length !== 1 || big[0][0] !== dims[big[0][1]]) throw new Error(`a ${what} of shape [${c.dims}] on a tensor of shape [${dims}]; codenet reads one value, or one per index of one axis`);
    return big[0][1];
  };
  const axis = axisOf(scale, 'scale'), za = axisOf(zero, 'zero point');
  if (za !== undefined && za !== axis) throw new Error(`the zero point varies along axis ${za}, the scale along ${axis ?? 'none'}`);
  if ([...scale.data].some((s) => !(s > 0) || !Number.isFinite(s))) throw new Error('a scale that is not a positive number');
  if ([...zero.data].some((z) => !Number.isInteger(z))) throw new Error(`a zero point that is not an integer (${[...zero.data].find((z) => !Number.isInteger(z))})`);
  const qmin = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0;
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
  const zeroAll = zero.data.length === 1 && scale.data.length > 1 ? new Float64Array(scale.data.length).fill(zero.data[0]) : Float64Array.from(zero.data);
  return { node: n.name, format: 'qonnx', bits, signed, narrow, qmin, qmax, rounding: rounding === 'round' ? 'half_even' : rounding, axis, scale: Float64Array.from(scale.data), zero: zeroAll };
}

export function sameQuantizer(a: Quantizer, b: Quantizer): boolean {
  const eq = (x: Float64Array, y: Float64Array) => x.length === y.length && x.every((v, i) => v === y[i]);
  return a.axis === b.axis && a.qmin === b.qmin && a.qmax === b.qmax && eq(a.scale, b.scale) && eq(a.zero, b.zero);
}

/** The hint of a quantizer; `channelAxis` is the axis that is "per channel" (0 for weights, 1 for NCHW activations). */
export function quantizerHint(q: Quantizer, channelAxis: number): QuantizerHint {
  const granularity = q.axis === undefined ? 'tensor' : q.axis === channelAxis ? 'channel' : `axis ${q.axis}`;
  return { node: q.node, format: q.format, bits: q.bits, signed: q.signed, narrow: q.narrow, qmin: q.qmin, qmax: q.qmax, rounding: q.rounding, granularity, scale: [...q.scale], zero: [...q.zero] };
}

/**
 * The hint of a conv's quantized weight (ONNX [Cout][Cin/group][kh][kw]): per output channel scale
 * and zero point (a per-tensor quantizer repeated), and the codes minus their zero point in the
 * integer model's order (stem [Cout][ky][kx][Cin], others [Cout][fan-in]). A quantizer along
 * another axis keeps its scales as they are, without codes.
 */
export function weightHint(w: ConstQuant, role: 'stem' | 'dw' | 'conv1x1' | 'offset' | 'deform', bias?: Quantizer): WeightHint {
  const h = quantizerHint(w.q, 0);
  const out: WeightHint = { ...h, ...(bias ? { bias: quantizerHint(bias, 0) } : {}) };
  if (h.granularity !== 'tensor' && h.granularity !== 'channel') return out;
  const [cout, cpg, kh, kw] = w.dims, taps = kh * kw;
  const per = (a: number[]) => (a.length === 1 ? new Array(cout).fill(a[0]) : a);
  out.scale = per(h.scale);
  out.zero = per(h.zero);
  const codes = new Array<number>(w.codes.length);
  for (let co = 0; co < cout; co++)
    for (let ci = 0; ci < cpg; ci++)
      for (let t = 0; t < taps; t++) {
        const v = w.codes[(co * cpg + ci) * taps + t] - out.zero[co];
        codes[role === 'stem' ? (co * taps + t) * cpg + ci : (co * cpg + ci) * taps + t] = v;
      }
  out.codes = codes;
  return out;
}
