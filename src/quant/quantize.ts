/**
 * The W4A8 post-training quantizer (docs/numerics.md section 10): a float model of the supported
 * layers (any graph: src/quant/graph.ts derives the integer topology from its layers) and
 * calibration images in, an integer model (docs/ir.md) out, that runs unchanged in the golden
 * model and on the accelerator.
 *
 * 1. Batch norm is folded into the conv before it: w' = w * g / sqrt(v + eps), b' = beta - m * g / sqrt(v + eps).
 * 2. Weights: symmetric per output channel, int4 (-8..7) with scale max|w'| / 7 (or a percentile
 *    of |w'|: larger weights clip), the stem int8 (/127).
 * 3. Activations: int8 per tensor, asymmetric, range [min, max] (always containing 0) from the
 *    calibration images, or a percentile of them, or an EMA of per-batch ranges; then frozen. The
 *    output of a capped ReLU (ReLU6) has its top code pinned to the cap (capPins). Tensors an op only moves (split,
 *    concat, shuffle, upsample, maxpool) share one quantizer with their inputs: the concat of a
 *    ShuffleNet unit makes a whole stage's chain one quantizer, as the numerics require.
 * 4. Per output channel M = s_w s_x / s_y; n is the largest shift that keeps every S = round(M 2^n)
 *    in int16; B = round(128 + z_y + (b' - s_w s_x sum_i z_x,i w_i) / s_y). The offset conv maps its
 *    real output to the integer dilation: s_y = 1 and no +128, so t = round(real offset) and
 *    d = clamp(t, 0, dmax), the float layer's round-half-up.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layer, Model, Tensor } from '../ir/model.ts';
import { validateModel } from '../ir/load.ts';
import { modelToDef } from '../ir/save.ts';
import { INT16_MAX, INT16_MIN, SHIFT_MAX, SHIFT_MIN } from '../numerics/requant.ts';
import { findZooSpec, type ZooSpec } from '../zoo/specs.ts';
import { describeModel, floatBinding, integerGraph, zooDifference } from './graph.ts';
import { imageCodes } from '../zoo/image.ts';
import { IMAGENET_MEAN, imagesToTensor } from '../float/model.ts';
import { fail } from '../util/errors.ts';
import { OPS } from '../ops/index.ts';
import { progress } from '../util/progress.ts';
import { actQuantParams, mseRange, RangeHistogram } from './act-range.ts';
import { refineWeights, type RefineLayer } from './refine.ts';
import { ADAROUND_ITERATIONS } from './adaround.ts';

export interface QuantizeOptions {
  /**
   * The zoo network the float model must be (checked: exit 2 if its layers are not that network);
   * it names the model. Without it, a float model that is the zoo network of its name is named and
   * described as that network, any other keeps its own name.
   */
  zoo?: ZooSpec;
  /** Activation range: 100 = min/max (default); e.g. 99.99 clips the rarest values. */
  percentile?: number;
  /**
   * Momentum of an exponential moving average of the per-batch ranges (batches of CALIB_BATCH
   * images), instead of the range over all images; e.g. 0.9.
   */
  ema?: number;
  /** Weight scale per output channel from this percentile of |w| (larger weights clip); 100 = the largest. */
  weightPercentile?: number;
  /**
   * How each output channel's weight scale is chosen (weightRange): 'mse' (default) minimises the
   * squared rounding and clipping error; 'max' takes the largest |w|, as does any weightPercentile.
   */
  weightScale?: WeightScaleMode;
  /**
   * How activation ranges are chosen: 'percentile' (here the default: min/max, or `percentile`,
   * or `ema`) or 'mse' (per quantizer the clipping range of least quantization error over the
   * calibration activations: src/quant/act-range.ts).
   */
  actRange?: ActRangeMode;
  /** Correct each layer's bias by its mean output error on the calibration images (src/quant/refine.ts). */
  biasCorrection?: boolean;
  /** Learned rounding (AdaRound) of the weights on the calibration images (src/quant/refine.ts). */
  adaround?: boolean;
  /** Iterations of learned rounding per output channel (default ADAROUND_ITERATIONS). */
  adaroundIterations?: number;
}

export type WeightScaleMode = 'max' | 'mse';
export type ActRangeMode = 'mse' | 'percentile';

/**
 * The post-training quantizer `codenet quantize` and the accuracy benchmark use by default: MSE
 * activation ranges, bias correction and learned rounding (docs/training.md says what each
 * gained). The library functions default to none of them (the plain calibration quantizer, which
 * QAT calibrates with and whose output tests hold byte for byte).
 */
export const PTQ_DEFAULTS = { actRange: 'mse', biasCorrection: true, adaround: true } as const satisfies QuantizeOptions;

/** How weights become integers: options shared by post-training quantization and QAT. */
export interface WeightQuantOptions {
  /** Clamp a B beyond int16 instead of failing (see quantizeWeights). */
  saturateBias?: boolean;
  /** With saturateBias: each clamped B is listed here ("layer channel c: B v"). */
  clamped?: string[];
  /** Channels exported as constants (see foldedWeights) are listed here ("layer channel c"). */
  constant?: string[];
  weightPercentile?: number;
  weightScale?: WeightScaleMode;
  /** Weight scales by layer to use as they are (QAT freezes the first step's), instead of choosing them. */
  fixedScales?: Map<string, Float64Array>;
  /**
   * Int weight codes by layer (integer-model order) to use as they are, with their fixedScales:
   * the ONNX graph's own (src/quant/graph-quant.ts). A channel exported as a constant keeps 0.
   */
  graphCodes?: Map<string, Int8Array>;
  /** Real values added to the folded biases by layer (bias correction, src/quant/refine.ts), folded into B as biases are. */
  biasShift?: Map<string, Float64Array>;
}

/** The weight range of one output channel: the largest |w|, or a percentile of |w| (never 0 unless all are). */
function weightPeak(w: Float64Array, percentile: number): number {
  if (percentile >= 100) {
    let top = 0;
    for (let i = 0; i < w.length; i++) top = Math.max(top, Math.abs(w[i]));
    return top;
  }
  const a = Float64Array.from(w, Math.abs).sort();
  const top = a[a.length - 1];
  const p = a[Math.floor((percentile / 100) * (a.length - 1))];
  return p > 0 ? p : top;
}

/**
 * The weight range of one output channel as the quantizer uses it (scale = range / qmax):
 * with 'max' or a weightPercentile, the largest |w| or that percentile of |w|; else ('mse') the range among
 * largest |w| * (1 - k/50), k = 0..25, whose codes clamp(round(w / s), qmin, qmax) * s are
 * nearest the weights in squared error: a narrower range clips the largest weights but rounds
 * the others more finely, which at 4 bits often wins (a 3x3 depthwise kernel has one large tap).
 */
export function weightRange(w: Float64Array, qmin: number, qmax: number, o: { weightPercentile?: number; weightScale?: WeightScaleMode }): number {
  const top = weightPeak(w, 100);
  if (o.weightScale === 'max' || o.weightPercentile !== undefined) return weightPeak(w, o.weightPercentile ?? 100);
  let best = top, bestErr = Infinity;
  for (let k = 0; k <= 25 && top > 0; k++) {
    const r = top * (1 - k / 50), s = r / qmax;
    let err = 0;
    for (let i = 0; i < w.length; i++) {
      const c = Math.round(w[i] / s), q = c < qmin ? qmin : c > qmax ? qmax : c;
      const e = w[i] - q * s;
      err += e * e;
    }
    if (err < bestErr) [best, bestErr] = [r, err];
  }
  return best;
}

/** Calibration images run through the float model at once. */
const CALIB_BATCH = 4;

/** The float layer whose output is IR tensor `t` of model `m` of float model `fm` (after its batch norm and ReLU). */
function floatSource(fm: tf.LayersModel, m: Model, t: string): string {
  return floatBinding(fm).source.get(t) ?? fail(`integer model ${m.name}: tensor "${t}" is not in the integer graph of float model "${fm.name}"`);
}

/** Float activations of every IR tensor (NHWC, batch of the images), by tensor name. */
export function floatActivations(fm: tf.LayersModel, m: Model, images: Uint8Array[]): Map<string, Float32Array> {
  const [h, w] = m.tensors.get(m.inputs[0])!.shape;
  const names = [...m.tensors.keys()].filter((t) => t !== m.inputs[0]);
  const probe = tf.model({ inputs: fm.inputs, outputs: names.map((t) => fm.getLayer(floatSource(fm, m, t)).output as tf.SymbolicTensor) });
  const x = imagesToTensor(images, h, w);
  const ys = [probe.predict(x)].flat() as tf.Tensor[]; // one output: a tensor, not a list
  const out = new Map<string, Float32Array>();
  names.forEach((t, i) => {
    const want = [images.length, ...m.tensors.get(t)!.shape];
    if (ys[i].shape.join() !== want.join()) fail(`float layer "${floatSource(fm, m, t)}" outputs [${ys[i].shape}], integer tensor "${t}" is [${want}]`);
    out.set(t, ys[i].dataSync() as Float32Array);
  });
  out.set(m.inputs[0], x.dataSync() as Float32Array);
  tf.dispose([x, ...ys]);
  return out;
}

/** Union-find over tensor names: ops that only move codes tie their tensors to one quantizer (tensor -> its group's name). */
export function quantGroups(m: Model): Map<string, string> {
  const parent = new Map([...m.tensors.keys()].map((t) => [t, t]));
  const find = (t: string): string => (parent.get(t) === t ? t : find(parent.get(t)!));
  for (const l of m.layers)
    if (!OPS[l.op].weights) for (const t of [...l.inputs, ...l.outputs]) parent.set(find(t), find(l.inputs[0]));
  return new Map([...m.tensors.keys()].map((t) => [t, find(t)]));
}

function range(v: Float32Array, percentile: number): [number, number] {
  if (percentile >= 100) {
    let lo = 0, hi = 0;
    for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
    return [lo, hi];
  }
  const s = Float32Array.from(v).sort();
  const k = Math.min(s.length - 1, Math.floor((percentile / 100) * (s.length - 1)));
  return [Math.min(0, s[s.length - 1 - k]), Math.max(0, s[k])];
}

function setActQuant(t: Tensor, lo: number, hi: number): void {
  const { scale, zero } = actQuantParams(lo, hi);
  t.scale = scale;
  t.zero = zero;
  t.pad.fill(t.zero); // zero padding in real terms
}

/**
 * The folded float weights [Cout][fan-in] (IR order) and biases of an IR layer.
 *
 * A channel that batch norm saw constant (its output's standard deviation over the training data,
 * |gamma| sqrt(var / (var + eps)), below half an output code) becomes a constant: weights 0, bias
 * beta. Such a channel (e.g. a depthwise channel whose input channel is a dead ReLU) otherwise
 * folds to weights of gamma / sqrt(eps), hundreds of times the others: its multiplier alone would
 * set the layer's shift n and take the precision of every other channel's S, and its constant
 * term (B) would cancel a huge accumulator instead of standing alone.
 */
export function foldedWeights(fm: tf.LayersModel, l: Layer, m: Model, constant?: string[]): { w: Float64Array[]; b: Float64Array; constantChannels: Set<number> } {
  const p = floatBinding(fm).params.get(l.name) ?? fail(`integer model ${m.name}: layer "${l.name}" is not in the integer graph of float model "${fm.name}"`);
  const vars = fm.getLayer(p.conv).getWeights();
  const cout = m.tensors.get(l.outputs[0])!.shape[2];
  const cin = m.tensors.get(l.inputs[0])!.shape[2];
  const rule = OPS[l.op].weights ?? fail(`integer model ${m.name}: layer "${l.name}" (${l.op}) has no weights`);
  const want = rule.floatKernel(cin, cout);
  if (!vars.length || vars[0].shape.join() !== want.join())
    fail(`float layer "${p.conv}" has a kernel of shape [${vars[0]?.shape ?? ''}], integer layer "${l.name}" needs [${want}]`);
  // The kernel flat in TensorFlow's layout: stem [3][3][cin][cout], depthwise [3][3][cout][1], 1x1 [1][1][cin][cout].
  const kernel = vars[0].dataSync();
  const b = vars.length > 1 ? Float64Array.from(vars[1].dataSync()) : new Float64Array(cout);
  const w: Float64Array[] = [];
  for (let co = 0; co < cout; co++) {
    // IR order: stem (ky, kx, ci), depthwise (ky, kx), 1x1 (ci); each the kernel's index times cout, plus co.
    const fan = OPS[l.op].fanIn(cin);
    const row = new Float64Array(fan);
    for (let i = 0; i < fan; i++) row[i] = kernel[i * cout + co];
    w.push(row);
  }
  const constantChannels = new Set<number>();
  if (p.bn) {
    const { gamma, beta, mean, variance, eps } = batchNormParams(fm.getLayer(p.bn));
    const y = m.tensors.get(l.outputs[0])!;
    for (let co = 0; co < cout; co++) {
      const g = gamma[co] / Math.sqrt(variance[co] + eps);
      if (y.kind !== 'dilation' && Math.abs(gamma[co]) * Math.sqrt(variance[co] / (variance[co] + eps)) < 0.5 * y.scale) {
        constant?.push(`${l.name} channel ${co}`);
        constantChannels.add(co);
        w[co].fill(0);
        b[co] = beta[co];
        continue;
      }
      for (let i = 0; i < w[co].length; i++) w[co][i] *= g;
      b[co] = beta[co] + (b[co] - mean[co]) * g;
    }
  }
  return { w, b, constantChannels };
}

/** A batch norm layer's parameters (gamma 1 and beta 0 where it has none). */
export function batchNormParams(bn: tf.layers.Layer): { gamma: number[]; beta: number[]; mean: number[]; variance: number[]; eps: number } {
  const c = bn.getConfig(), v = bn.getWeights().map((t) => t.arraySync() as number[]);
  const gamma = c.scale === false ? v[v.length - 1].map(() => 1) : v.shift()!;
  const beta = c.center === false ? v[v.length - 1].map(() => 0) : v.shift()!;
  return { gamma, beta, mean: v[0], variance: v[1], eps: Number(c.epsilon ?? 1e-3) };
}

/** The int weight codes of a layer: int8 for the stem, int4 elsewhere (numerics.md). */
export const weightCodeRange = (op: Layer['op']): { qmin: number; qmax: number } => {
  const { qmin, qmax } = OPS[op].weights ?? fail(`op ${op} has no weights`);
  return { qmin, qmax };
};

/** Quantizes the weights of one layer and derives S, B and n from the tensors' scales; returns the weight scales. */
export function quantizeLayer(fm: tf.LayersModel, l: Layer, m: Model, o: WeightQuantOptions): Float64Array {
  const { w, b, constantChannels } = foldedWeights(fm, l, m, o.constant);
  const shift = o.biasShift?.get(l.name);
  if (shift) for (let co = 0; co < b.length; co++) b[co] += shift[co];
  const graph = o.graphCodes?.get(l.name);
  const x = m.tensors.get(l.inputs[0])!, y = m.tensors.get(l.outputs[0])!;
  const rule = OPS[l.op].weights!;
  const { qmin, qmax } = rule;
  const cout = w.length, fan = w[0].length, cin = x.shape[2];
  const weights = new Int8Array(cout * fan);
  const M = new Float64Array(cout), K = new Float64Array(cout), scales = new Float64Array(cout);
  // The input's zero code per fan-in element: for the image, per channel and exact (255 mean - 128
  // is not an integer code; its rounding is only the pad code).
  const zx = (i: number) => (rule.readsImage ? 255 * IMAGENET_MEAN[i % cin] - 128 : x.zero);
  const sy = y.kind === 'dilation' ? 1 : y.scale;
  for (let co = 0; co < cout; co++) {
    const fixed = o.fixedScales?.get(l.name)?.[co];
    const peak = fixed === undefined ? weightRange(w[co], qmin, qmax, o) : 0;
    const sw = fixed ?? (peak > 0 ? peak / qmax : 1);
    scales[co] = sw;
    let zsum = 0, nonzero = false;
    const own = graph && !constantChannels.has(co);
    for (let i = 0; i < fan; i++) {
      const q = own ? graph[co * fan + i] : Math.max(qmin, Math.min(qmax, Math.round(w[co][i] / sw)));
      weights[co * fan + i] = q;
      zsum += zx(i) * q;
      nonzero ||= q !== 0;
    }
    M[co] = nonzero ? (sw * x.scale) / sy : 0; // all int weights 0: acc is 0 whatever S is
    K[co] = (y.kind === 'dilation' ? 0 : 128 + y.zero) + (b[co] - sw * x.scale * zsum) / sy;
  }
  const peak = Math.max(...Array.from(M, Math.abs));
  let n = 0;
  for (let k = SHIFT_MAX; k >= SHIFT_MIN && !n; k--) if (Math.round(peak * 2 ** k) <= INT16_MAX) n = k;
  if (!n) fail(`layer "${l.name}": the multiplier ${peak.toExponential(3)} (weight scale x input scale / output scale) does not fit an int16 S at any shift 1..31; the output range of "${y.name}" is too narrow for its input`);
  const S = Int16Array.from(M, (v) => Math.round(v * 2 ** n));
  const B = new Int16Array(cout);
  for (let co = 0; co < cout; co++) {
    let v = Math.round(K[co]);
    if (o.saturateBias && (v < INT16_MIN || v > INT16_MAX)) {
      o.clamped?.push(`${l.name} channel ${co}: B ${v}`);
      v = Math.max(INT16_MIN, Math.min(INT16_MAX, v));
    }
    if (v < INT16_MIN || v > INT16_MAX) fail(`layer "${l.name}", output channel ${co}: the bias term ${v} does not fit int16 B; its output range is too narrow for its bias`);
    B[co] = v;
  }
  l.quant = { weights, weightDtype: rule.dtype, S, B, n };
  return scales;
}

/**
 * Quantizes the weights of every layer of `m` from float model `fm` against the activation
 * quantizers `m` already holds (frozen): S, B, n and int weights in place; the weight scales by layer.
 * `saturateBias` clamps a B beyond int16 instead of failing. B is in output codes, so such a
 * channel's bias alone is 128 times the int8 range: its output is the clamp value unless the conv
 * term alone exceeds about 32,000 codes, with the clamped B as with the exact one. Calibration-only
 * quantization lists the clamped channels; QAT trains exactly the model it exports.
 */
export function quantizeWeights(fm: tf.LayersModel, m: Model, opts: WeightQuantOptions = {}): Map<string, Float64Array> {
  const scales = new Map<string, Float64Array>();
  for (const l of m.layers) if (OPS[l.op].weights) scales.set(l.name, quantizeLayer(fm, l, m, opts));
  return scales;
}

/** A validated copy of `m` (as a model file would load): the same loader checks (accumulator bound, shapes). */
export const validated = (m: Model, what: string): Model => validateModel(JSON.parse(JSON.stringify(modelToDef(m))), what);

export interface QuantizeResult {
  model: Model;
  /** The float activations of the first `activationImages` calibration images, by IR tensor (for reports). */
  activations: Map<string, Float32Array>;
  activationImages: number;
  /** Channels whose B was clamped to int16 (see quantizeWeights). */
  clampedBias?: string[];
  /** Channels exported as constants: batch norm saw them constant (see foldedWeights). */
  constantChannels?: string[];
  /** Outputs of capped ReLUs whose quantizer is pinned to the cap: "tensor [0, m]" (see capPins). */
  capped?: string[];
  /** With bias correction or learned rounding: each layer's reconstruction error (src/quant/refine.ts). */
  refinement?: RefineLayer[];
}

/**
 * Quantizes float model `fm` with RGB calibration images of its input size (uint8 HWC). The
 * integer model passes the same validation as a model file.
 */
export function quantizeFloatModel(fm: tf.LayersModel, images: Uint8Array[], opts: QuantizeOptions = {}): QuantizeResult {
  const { model: m, activations, activationImages, capped } = calibrateActivations(fm, images, opts);
  const clampedBias: string[] = [], constantChannels: string[] = [];
  const wq: WeightQuantOptions = { weightPercentile: opts.weightPercentile, weightScale: opts.weightScale, saturateBias: true, clamped: clampedBias, constant: constantChannels };
  let refinement: RefineLayer[] | undefined;
  if (opts.biasCorrection || opts.adaround) {
    m.metadata = { ...m.metadata, biasCorrection: !!opts.biasCorrection, learnedRounding: opts.adaround ? (opts.adaroundIterations ?? ADAROUND_ITERATIONS) : 0 };
    refinement = refineWeights(fm, m, images, wq, { biasCorrection: !!opts.biasCorrection, adaround: !!opts.adaround, iterations: opts.adaroundIterations });
  } else quantizeWeights(fm, m, wq);
  return { model: validated(m, `quantized ${m.name}`), activations, activationImages, clampedBias, constantChannels, capped, ...(refinement ? { refinement } : {}) };
}

/** The integer graph of `fm`, named (and checked) as opts.zoo or as the zoo network it is. */
function namedGraph(fm: tf.LayersModel, zoo?: ZooSpec): Model {
  const { model: m } = integerGraph(fm);
  const spec = zoo ?? findZooSpec(fm.name);
  const diff = spec && zooDifference(m, spec);
  if (zoo && diff) fail(`float model "${fm.name}" does not match the zoo structure of ${zoo.name} (--zoo; leave it out to quantize the model's own structure): ${diff}`);
  if (spec && !diff) describeModel(m, spec.name, spec.description);
  return m;
}

/**
 * The integer topology of float model `fm` with activation quantizers from calibration images of
 * its input size (uint8 HWC); weights not yet quantized (quantizeWeights).
 */
export function calibrateActivations(fm: tf.LayersModel, images: Uint8Array[], opts: QuantizeOptions = {}): QuantizeResult {
  const m = namedGraph(fm, opts.zoo);
  const [h, w] = m.tensors.get(m.inputs[0])!.shape;
  if (!images.length) fail('no calibration images');
  images.forEach((img, i) => { if (img.length !== h * w * 3) fail(`calibration image ${i} holds ${img.length} bytes, the model takes ${h}x${w}x3`); });
  const mse = opts.actRange === 'mse';
  if (mse && (opts.ema !== undefined || (opts.percentile ?? 100) < 100)) fail('activation ranges by MSE search exclude a percentile or an EMA of the ranges (choose one way to set them)');
  m.metadata = { ...m.metadata, quantizer: 'codenet W4A8 post-training', calibrationImages: images.length, ...(mse ? { activationRange: 'mse' } : { percentile: opts.percentile ?? 100 }), ...(opts.weightPercentile !== undefined ? { weightPercentile: opts.weightPercentile } : {}), weightScale: opts.weightPercentile !== undefined ? 'max' : (opts.weightScale ?? 'mse'), ...(opts.ema !== undefined ? { emaMomentum: opts.ema } : {}) };

  // Ranges pooled over every image, a few images at a time (all activations of a batch are held).
  const groups = quantGroups(m);
  const ranges = new Map<string, [number, number]>();
  let first: Map<string, Float32Array> | undefined;
  const pool = (into: Map<string, [number, number]>, g: string, lo: number, hi: number) => {
    const r = into.get(g);
    into.set(g, r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
  };
  // The largest value of each tensor on its own (a shared quantizer pinned by a capped ReLU checks its other members).
  const tensorHi = new Map<string, number>();
  const bar = progress(`calibrating ${m.name}`);
  for (let i = 0; i < images.length; i += CALIB_BATCH) {
    bar.update(i, images.length);
    const acts = floatActivations(fm, m, images.slice(i, i + CALIB_BATCH));
    first ??= acts;
    const batch = new Map<string, [number, number]>();
    for (const [t, v] of acts) {
      if (t === m.inputs[0] || m.tensors.get(t)!.kind === 'dilation') continue;
      const [lo, hi] = range(v, opts.percentile ?? 100);
      pool(batch, groups.get(t)!, lo, hi);
      tensorHi.set(t, Math.max(tensorHi.get(t) ?? 0, hi));
    }
    for (const [g, [lo, hi]] of batch) {
      const r = ranges.get(g), k = opts.ema;
      if (k === undefined || !r) pool(ranges, g, lo, hi);
      else ranges.set(g, [k * r[0] + (1 - k) * lo, k * r[1] + (1 - k) * hi]);
    }
  }
  bar.finish();
  const pins = capPins(m, groups, floatBinding(fm).caps, ranges, tensorHi);
  const chosen = mse ? searchRanges(fm, m, images, groups, ranges) : ranges;
  for (const [t, tensor] of m.tensors) {
    if (t === m.inputs[0] || tensor.kind === 'dilation') continue;
    const pin = pins.get(groups.get(t)!);
    if (pin) {
      tensor.scale = pin.scale;
      tensor.zero = pin.zero;
      tensor.pad.fill(pin.zero);
    } else {
      const [lo, hi] = chosen.get(groups.get(t)!)!;
      setActQuant(tensor, lo, hi);
    }
  }
  const capped = [...pins.values()].flatMap((p) => p.capped.map((t) => `${t} [0, ${p.cap}]`));
  return { model: m, activations: first!, activationImages: Math.min(CALIB_BATCH, images.length), capped };
}

/**
 * The MSE range of every quantizer (src/quant/act-range.ts): a second pass over the images bins
 * each quantizer's values over its [min, max] (all tensors sharing it), then searches the bins.
 */
function searchRanges(fm: tf.LayersModel, m: Model, images: Uint8Array[], groups: Map<string, string>, ranges: Map<string, [number, number]>): Map<string, [number, number]> {
  const hist = new Map([...ranges].map(([g, [lo, hi]]) => [g, new RangeHistogram(lo, hi)]));
  for (let i = 0; i < images.length; i += CALIB_BATCH)
    for (const [t, v] of floatActivations(fm, m, images.slice(i, i + CALIB_BATCH)))
      if (t !== m.inputs[0] && m.tensors.get(t)!.kind !== 'dilation') hist.get(groups.get(t)!)!.add(v);
  return new Map([...hist].map(([g, h]) => [g, mseRange(h)]));
}

/**
 * The output quantizer of a capped ReLU (ReLU6, Clip(0, m)) has its top code at exactly the cap
 * m: the requantizer clamps codes at 127, so the cap then costs nothing and is exact
 * (docs/numerics.md section 10). With scale s = m / k and zero z = 127 - k, code 127 is real
 * s (127 - z) = m and code z is real 0, the ReLU floor: the integer output is the float ReLU6
 * output rounded to that grid. k = 255 (z = -128, s = m / 255) when the quantizer holds only
 * values >= 0; a tensor that shares the quantizer and reaches -a (a concat with a linear tensor)
 * takes k = floor(255 m / (m + a)) so that code -128 still covers it.
 *
 * Tensors that split, concat, shuffle, upsample and maxpool only move share one quantizer (a
 * ShuffleNet stage's concat chain): every capped tensor in it must have the same cap, and the
 * uncapped ones (plain ReLU, linear) must stay below it on the calibration images, or the cap
 * cannot be exact and the model is refused, naming the tensors.
 */
function capPins(m: Model, groups: Map<string, string>, caps: Map<string, number>, ranges: Map<string, [number, number]>, tensorHi: Map<string, number>): Map<string, { scale: number; zero: number; cap: number; capped: string[] }> {
  const members = new Map<string, string[]>();
  for (const l of m.layers)
    if (OPS[l.op].weights && m.tensors.get(l.outputs[0])!.kind === 'act') members.set(groups.get(l.outputs[0])!, [...(members.get(groups.get(l.outputs[0])!) ?? []), l.outputs[0]]);
  const pins = new Map<string, { scale: number; zero: number; cap: number; capped: string[] }>();
  const why = 'split, concat, shuffle, upsample and maxpool move codes without requantizing, so the tensors they join (a ShuffleNet stage\'s concat chain) share one activation quantizer, and a capped ReLU is exact only as that quantizer\'s top code';
  for (const [g, ts] of members) {
    const capped = ts.filter((t) => caps.has(t));
    if (!capped.length) continue;
    const cap = caps.get(capped[0])!;
    const other = capped.find((t) => caps.get(t) !== cap);
    if (other !== undefined)
      fail(`tensors "${capped[0]}" (ReLU capped at ${cap}) and "${other}" (ReLU capped at ${caps.get(other)}) share one quantizer: ${why}; give them the same cap`);
    for (const t of ts.filter((x) => !caps.has(x)))
      if ((tensorHi.get(t) ?? 0) > cap)
        fail(`tensor "${t}" (no cap) shares one quantizer with "${capped[0]}" (ReLU capped at ${cap}): ${why}, which would clip "${t}" at ${cap}, but it reaches ${(tensorHi.get(t) ?? 0).toPrecision(4)} on the calibration images; cap it at ${cap} too, or drop the cap`);
    const a = Math.max(0, -ranges.get(g)![0]);
    const k = Math.floor((255 * cap) / (cap + a));
    if (k < 1) fail(`tensor "${capped[0]}" (ReLU capped at ${cap}) shares one quantizer with tensors reaching ${-a}: the range [${-a}, ${cap}] leaves no code above 0`);
    pins.set(g, { scale: cap / k, zero: 127 - k, cap, capped });
  }
  return pins;
}

/** Calibration images as codes for the golden model. */
export const calibrationCodes = (images: Uint8Array[]): Int8Array[] => images.map(imageCodes);
