/**
 * Post-training quantization with the quantization an ONNX graph already carries (QDQ pairs, QONNX
 * Quant nodes), as `codenet import` kept it in quant-hints.json (src/import/hints.ts): the
 * graph's weight codes and activation scales are used where codenet's integer model represents
 * them exactly, and every place where it cannot is reported (docs/import.md section 5):
 *
 * - Activations: int8 per tensor, asymmetric. A graph quantizer of 8 bits (uint8 or int8, any zero
 *   point) is exact: with the same scale, int8 code q is codenet's code q and uint8 code q is q - 128. A
 *   narrow or narrower range keeps the grid but clips further out; per-channel scales take the
 *   union of the channels' ranges; more than 8 bits is calibrated. Tensors that split, concat,
 *   shuffle, upsample and maxpool join share one quantizer: unequal graph quantizers in one such
 *   group take the widest of them. A capped ReLU is exact when the top code is at most the cap.
 * - Weights: int4 codes -8..7 per output channel (stem int8), zero point 0. The graph's codes minus
 *   their zero point are used as they are where they fit (a per-tensor scale is the same scale for
 *   every channel; batch norm after the conv scales each channel's scale); otherwise (8-bit codes
 *   on a non-stem layer, scales along another axis) codenet chooses int4 codes for the graph's
 *   dequantized weights, and the report gives the error.
 * - Biases, quantized or not, are real numbers folded into B, rounded to the output step.
 * - The input image's quantizer is not used: codenet's input codes are pixel - 128.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Model } from '../ir/model.ts';
import type { QuantHints, QuantizerHint } from '../import/hints.ts';
import { floatBinding } from './graph.ts';
import { batchNormParams, calibrateActivations, foldedWeights, quantGroups, quantizeWeights, validated, weightCodeRange, type QuantizeOptions, type QuantizeResult } from './quantize.ts';
import { fail } from '../util/errors.ts';
import { OPS } from '../ops/index.ts';

export interface GraphQuantRow {
  kind: 'activation' | 'weights' | 'bias' | 'input' | 'import';
  /** The integer tensor or layer (or the ONNX node for what the import could not carry over). */
  name: string;
  /** exact: the graph's quantizer as it is; approximated: a different one (why says how); calibrated: the graph has none; ignored: not used. */
  status: 'exact' | 'approximated' | 'calibrated' | 'ignored';
  graph: string;
  codenet: string;
  why?: string;
  /** Requantized weights: RMS of (codenet's weights - the graph's) / RMS of the graph's, and the largest difference / the largest |weight|. */
  error?: { rms: number; max: number };
}

const g6 = (v: number) => Number(v.toPrecision(6));
const describe = (h: QuantizerHint) => `${h.signed ? 'int' : 'uint'}${h.bits}${h.narrow ? ' narrow' : ''} ${h.qmin}..${h.qmax}, ${h.granularity}${h.scale.length === 1 ? `, scale ${g6(h.scale[0])}, zero ${h.zero[0]}` : `, scales ${g6(Math.min(...h.scale))}..${g6(Math.max(...h.scale))}`} (${h.format})`;

/** codenet's activation quantizer for a graph quantizer: scale, zero and whether it is exact (else why); or calibrate. */
function actQuant(h: QuantizerHint): { scale: number; zero: number; exact: boolean; why?: string } | { calibrate: string } {
  if (h.bits > 8) return { calibrate: `${h.bits}-bit codes; codenet's activations are 8-bit: calibrated` };
  const why: string[] = [];
  let scale: number, zero: number;
  if (h.granularity !== 'tensor') {
    // One quantizer over the union of the channels' ranges.
    const lo = Math.min(0, ...h.scale.map((s, c) => s * (h.qmin - h.zero[h.zero.length === 1 ? 0 : c])));
    const hi = Math.max(0, ...h.scale.map((s, c) => s * (h.qmax - h.zero[h.zero.length === 1 ? 0 : c])));
    scale = (hi - lo) / 255;
    zero = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
    why.push(`scales per ${h.granularity}; codenet has one quantizer per tensor: the union of their ranges, [${g6(lo)}, ${g6(hi)}]`);
  } else {
    // Signed codes are codenet's int8 codes; unsigned ones shift by -128 (uint8 0..255 -> -128..127).
    scale = h.scale[0];
    zero = h.signed ? h.zero[0] : h.zero[0] - 128;
    if (zero < -128 || zero > 127) return { calibrate: `zero point ${h.zero[0]}: codenet's zero code would be ${zero}, outside int8: calibrated` };
    if (h.qmax - h.qmin !== 255) why.push(`codes ${h.qmin}..${h.qmax}; codenet keeps the scale and zero point (the same grid) with codes -128..127, so it clips at [${g6(scale * (-128 - zero))}, ${g6(scale * (127 - zero))}] instead of [${g6(scale * (h.qmin - h.zero[0]))}, ${g6(scale * (h.qmax - h.zero[0]))}]`);
  }
  if (h.rounding !== 'half_even') why.push(`the graph rounds ${h.rounding}, codenet's requantizer to nearest`);
  return { scale, zero, exact: !why.length, ...(why.length ? { why: why.join('; ') } : {}) };
}

export interface GraphQuantPlan {
  /** Int weight codes and scales (batch norm folded) by layer, for quantizeWeights. */
  codes: Map<string, Int8Array>;
  scales: Map<string, Float64Array>;
  rows: GraphQuantRow[];
  /** Layers whose graph weights codenet requantized (their rows get the error after quantizeWeights). */
  requantized: Set<string>;
}

/**
 * Sets the activation quantizers of `m` (calibrated, frozen) from the graph's where it has them,
 * and plans the weights: the graph's codes and scales where they fit, by layer.
 */
export function applyGraphQuant(fm: tf.LayersModel, m: Model, hints: QuantHints): GraphQuantPlan {
  const rows: GraphQuantRow[] = [];
  const binding = floatBinding(fm);
  for (const name of Object.keys(hints.activations))
    if (!m.tensors.has(name)) fail(`quant-hints.json: activation "${name}" is not a tensor of the integer graph of "${fm.name}" (import the ONNX model again)`);
  for (const name of Object.keys(hints.weights))
    if (!binding.params.has(name)) fail(`quant-hints.json: weights of "${name}", which is not a layer with weights of the integer graph of "${fm.name}" (import the ONNX model again)`);

  // Activations, one group of tensors sharing a quantizer at a time.
  const groups = quantGroups(m);
  const members = new Map<string, string[]>();
  for (const [t, g] of groups) if (t !== m.inputs[0] && m.tensors.get(t)!.kind === 'act') members.set(g, [...(members.get(g) ?? []), t]);
  for (const ts of members.values()) {
    const cands = ts.filter((t) => hints.activations[t]).map((t) => ({ t, h: hints.activations[t], q: actQuant(hints.activations[t]) }));
    const usable = cands.filter((c) => !('calibrate' in c.q)) as Array<{ t: string; h: QuantizerHint; q: { scale: number; zero: number; exact: boolean; why?: string } }>;
    for (const c of cands) if ('calibrate' in c.q) rows.push({ kind: 'activation', name: c.t, status: 'approximated', graph: describe(c.h), codenet: 'calibrated', why: c.q.calibrate });
    if (!usable.length) {
      if (!cands.length) for (const t of ts) if (producedByConv(m, t)) rows.push({ kind: 'activation', name: t, status: 'calibrated', graph: 'none', codenet: quantText(m, t), why: 'the graph does not quantize this tensor' });
      continue;
    }
    // The widest graph quantizer of the group (the one that clips least).
    const pick = usable.reduce((a, b) => (b.q.scale * 255 > a.q.scale * 255 ? b : a));
    for (const t of ts) {
      const x = m.tensors.get(t)!;
      x.scale = pick.q.scale;
      x.zero = pick.q.zero;
      x.pad.fill(pick.q.zero);
    }
    const shared = ts.length > 1 ? `, shared by ${ts.length} tensors` : '';
    for (const c of usable) {
      const same = c.q.scale === pick.q.scale && c.q.zero === pick.q.zero;
      const why = [c.q.why, same ? undefined : `"${c.t}" shares one quantizer with ${ts.filter((t) => t !== c.t).map((t) => `"${t}"`).slice(0, 4).join(', ')}${ts.length > 5 ? ', ...' : ''} (split, concat, shuffle, upsample and maxpool move codes without requantizing, so a concat chain is one quantizer): the widest of their graph quantizers, that of "${pick.t}", is used`].filter(Boolean).join('; ');
      rows.push({ kind: 'activation', name: c.t, status: same && c.q.exact ? 'exact' : 'approximated', graph: describe(c.h), codenet: `${quantText(m, c.t)}${shared}`, ...(why ? { why } : {}) });
    }
    for (const t of ts) {
      const cap = binding.caps.get(t), x = m.tensors.get(t)!;
      const top = x.scale * (127 - x.zero);
      if (cap !== undefined && top > cap * (1 + 1e-9))
        rows.push({ kind: 'activation', name: t, status: 'approximated', graph: `ReLU capped at ${cap}`, codenet: quantText(m, t), why: `the top code is ${g6(top)}, above the cap: the integer layer clamps at its top code, not at ${cap} (exact when the quantizer's top is at most the cap)` });
    }
  }
  if (hints.input) rows.push({ kind: 'input', name: m.inputs[0], status: 'ignored', graph: describe(hints.input), codenet: `pixel - 128, scale ${g6(m.tensors.get(m.inputs[0])!.scale)} (numerics.md section 3)`, why: 'codenet\'s input codes are the pixels themselves (finer than, or as fine as, the graph\'s input quantizer)' });

  // Weights.
  const codes = new Map<string, Int8Array>(), scales = new Map<string, Float64Array>(), requantized = new Set<string>();
  const anyWeights = Object.keys(hints.weights).length > 0;
  for (const l of m.layers) {
    if (!binding.params.has(l.name)) continue; // layers with weights
    const h = hints.weights[l.name];
    const { qmin, qmax } = weightCodeRange(l.op);
    const type = OPS[l.op].weights!.dtype;
    if (!h) {
      if (anyWeights) rows.push({ kind: 'weights', name: l.name, status: 'calibrated', graph: 'none', codenet: `${type} per output channel`, why: 'the graph does not quantize these weights: codenet chose the scales' });
      continue;
    }
    const cout = m.tensors.get(l.outputs[0])!.shape[2];
    if (h.bias) rows.push({ kind: 'bias', name: l.name, status: 'approximated', graph: describe(h.bias), codenet: 'folded into B', why: 'codenet adds the (dequantized) bias in the requantizer\'s B, rounded to the output step (numerics.md section 10)' });
    if (!h.codes) {
      requantized.add(l.name);
      rows.push({ kind: 'weights', name: l.name, status: 'approximated', graph: describe(h), codenet: `${type} per output channel`, why: `the graph's scales run along ${h.granularity} of the ONNX weight; codenet has one per output channel: requantized from the graph's weights` });
      continue;
    }
    const lo = Math.min(...h.codes), hi = Math.max(...h.codes);
    if (lo < qmin || hi > qmax) {
      requantized.add(l.name);
      rows.push({ kind: 'weights', name: l.name, status: 'approximated', graph: describe(h), codenet: `${type} per output channel`, why: `codes ${lo}..${hi} (zero point removed) on a ${l.op} layer, whose ${type} codes are ${qmin}..${qmax}: requantized from the graph's weights` });
      continue;
    }
    const p = binding.params.get(l.name)!;
    const bn = p.bn ? batchNormParams(fm.getLayer(p.bn)) : undefined;
    if (h.codes.length % cout || h.scale.length !== cout) fail(`quant-hints.json: weights of "${l.name}" have ${h.codes.length} codes and ${h.scale.length} scales; the layer has ${cout} output channels`);
    codes.set(l.name, Int8Array.from(h.codes));
    scales.set(l.name, Float64Array.from(h.scale, (s, co) => (bn ? (s * bn.gamma[co]) / Math.sqrt(bn.variance[co] + bn.eps) : s)));
    rows.push({ kind: 'weights', name: l.name, status: 'exact', graph: describe(h), codenet: `${type}, the graph's codes and scales${bn ? ' (times the batch norm after the conv)' : ''}`, ...(h.granularity === 'tensor' ? { why: 'one scale for the tensor: the same scale for every output channel' } : {}) });
  }
  for (const n of hints.notes) rows.push({ kind: 'import', name: n.what, status: n.status, graph: '-', codenet: n.status === 'ignored' ? 'not used' : 'approximated', why: n.why });
  return { codes, scales, rows, requantized };
}

/** Written by a layer that requantizes into activation codes (a conv; not an offset conv's dilation map). */
const producedByConv = (m: Model, t: string) => m.layers.some((l) => OPS[l.op].weights && OPS[l.op].outputKind === 'act' && l.outputs[0] === t);
const quantText = (m: Model, t: string) => `int8, scale ${g6(m.tensors.get(t)!.scale)}, zero ${m.tensors.get(t)!.zero}`;

/**
 * W4A8 post-training quantization of float model `fm` with the graph's quantization `hints`:
 * calibration (for the tensors the graph does not quantize, and the SQNR report), then the graph's
 * activation quantizers and weight codes where they fit; `graphQuant` lists every tensor and layer
 * with how the graph's quantizer was carried over.
 */
export function quantizeWithGraphQuant(fm: tf.LayersModel, images: Uint8Array[], opts: QuantizeOptions, hints: QuantHints): QuantizeResult & { graphQuant: GraphQuantRow[] } {
  const r = calibrateActivations(fm, images, opts);
  const m = r.model;
  m.metadata = { ...m.metadata, quantizer: 'codenet W4A8 post-training, with the quantization of the ONNX graph', graphQuantization: hints.source };
  const plan = applyGraphQuant(fm, m, hints);
  const clampedBias: string[] = [], constantChannels: string[] = [];
  const scales = quantizeWeights(fm, m, { weightPercentile: opts.weightPercentile, weightScale: opts.weightScale, saturateBias: true, clamped: clampedBias, constant: constantChannels, graphCodes: plan.codes, fixedScales: plan.scales });
  // The error of the requantized weights against the graph's (the float model's are its dequantized ones).
  for (const row of plan.rows) {
    if (row.kind !== 'weights' || !plan.requantized.has(row.name)) continue;
    const l = m.layers.find((x) => x.name === row.name)!;
    const { w } = foldedWeights(fm, l, m);
    const s = scales.get(l.name)!, fan = w[0].length;
    let se = 0, sw = 0, emax = 0, wmax = 0;
    w.forEach((row, co) => row.forEach((v, i) => {
      const e = s[co] * l.quant!.weights[co * fan + i] - v;
      se += e * e; sw += v * v; emax = Math.max(emax, Math.abs(e)); wmax = Math.max(wmax, Math.abs(v));
    }));
    row.error = { rms: sw ? Math.sqrt(se / sw) : 0, max: wmax ? emax / wmax : 0 };
  }
  // The capped ReLUs whose top code is still the cap (a graph quantizer may have replaced the pin).
  const capped = [...floatBinding(fm).caps].filter(([t, cap]) => Math.abs(m.tensors.get(t)!.scale * (127 - m.tensors.get(t)!.zero) - cap) <= 1e-9 * cap).map(([t, cap]) => `${t} [0, ${cap}]`);
  return { ...r, model: validated(m, `quantized ${m.name}`), clampedBias, constantChannels, capped, graphQuant: plan.rows };
}

/** The report's table: the rows that are not exact (all of them in the JSON file). */
export function graphQuantTable(rows: GraphQuantRow[]): string[] {
  const counts = (['exact', 'approximated', 'calibrated', 'ignored'] as const).map((s) => `${rows.filter((r) => r.status === s).length} ${s}`).join(', ');
  const out = [`graph quantization: ${counts}`];
  const odd = rows.filter((r) => r.status !== 'exact');
  if (!odd.length) return out;
  const cells = odd.map((r) => [r.kind, r.name, r.status, r.graph, r.codenet, [r.why, r.error ? `weight error ${(100 * r.error.rms).toFixed(1)}% RMS, ${(100 * r.error.max).toFixed(1)}% of max|w| at worst` : undefined].filter(Boolean).join('; ')]);
  const head = ['kind', 'name', 'status', 'graph', 'codenet', 'why'];
  const width = head.map((h, i) => Math.min(40, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const line = (c: string[]) => c.map((v, i) => (i < c.length - 1 ? v.padEnd(width[i]) : v)).join('  ');
  return [...out, line(head), ...cells.map(line)];
}
