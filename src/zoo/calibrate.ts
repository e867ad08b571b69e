import type { Layer, Model, QuantParams } from '../ir/model.ts';
import { tensorSize } from '../ir/model.ts';
import { runLayer, type TensorData } from '../golden/run.ts';
import { INT16_MAX, INT16_MIN, SHIFT_MAX, SHIFT_MIN, dilationFromT, outputCode, requantTFor } from '../numerics/requant.ts';
import { Rng } from '../util/rng.ts';
import { OPS } from '../ops/index.ts';

/**
 * Turns a zoo topology into a realistic random-weight integer model: random weights, then S, B
 * and n chosen layer by layer from the accumulator statistics of a calibration image, so that
 * activations use the int8 range without saturating and dilation maps span 0..dmax.
 */

/** Scale of every activation tensor of a random model (metadata only; the hardware never sees it). */
const ACT_SCALE = 1 / 16;
/** Zero code of ReLU outputs: the ReLU floor sits one sigma below the mean (about 16% of outputs). */
const RELU_ZERO = -96;
const RELU_TARGET = { mean: RELU_ZERO + 40, sigma: 40 };
const LINEAR_TARGET = { mean: 0, sigma: 32 };

export function randomWeights(m: Model, rng: Rng): void {
  for (const l of m.layers) {
    const rule = OPS[l.op].weights;
    if (!rule) continue;
    const cout = m.tensors.get(l.outputs[0])!.shape[2];
    const cin = m.tensors.get(l.inputs[0])!.shape[2];
    const count = cout * OPS[l.op].fanIn(cin);
    const stem = rule.dtype === 'int8';
    const w = new Int8Array(count);
    // Bell-shaped like trained weights; int4 uses its full range [-8, 7].
    for (let i = 0; i < count; i++) w[i] = stem ? clamp(Math.round(rng.normal() * 40), -128, 127) : clamp(Math.round(rng.normal() * 2.5), -8, 7);
    l.quant = { weights: w, weightDtype: rule.dtype, S: new Int16Array(cout), B: new Int16Array(cout), n: 16 };
  }
}

/**
 * Sets tensor quantization (scale, zero, pad) and every layer's S, B, n by running the
 * calibration images (statistics pooled over all of them).
 */
export function calibrate(m: Model, images: Int8Array[], onLayer?: (done: number, total: number, name: string) => void): void {
  const values = images.map((img) => new Map<string, TensorData>([[m.inputs[0], img]]));
  for (const [i, l] of m.layers.entries()) {
    onLayer?.(i, m.layers.length, l.name);
    assignOutputQuant(m, l);
    if (l.quant) calibrateLayer(m, l, values);
    else for (const v of values) runLayer(m, l, v).forEach((t, i) => v.set(l.outputs[i], t));
  }
}

function assignOutputQuant(m: Model, l: Layer): void {
  const src = m.tensors.get(l.inputs[0])!;
  for (const name of l.outputs) {
    const t = m.tensors.get(name)!;
    if (t.kind === 'dilation') continue;
    if (l.quant) {
      t.scale = ACT_SCALE;
      t.zero = l.relu ? RELU_ZERO : 0;
    } else {
      // Ops that move codes keep their input's quantization (the loader checks this).
      t.scale = src.scale;
      t.zero = src.zero;
    }
    t.pad.fill(t.zero); // zero padding in real terms
  }
}

function calibrateLayer(m: Model, l: Layer, values: Array<Map<string, TensorData>>): void {
  const q = l.quant as QuantParams;
  const y = m.tensors.get(l.outputs[0])!;
  const accs = values.map((v) => {
    const a = new Map<string, Int32Array>();
    runLayer(m, l, v, a); // with placeholder S/B/n: only the accumulators matter here
    return a.get(y.name)!;
  });
  const c = y.shape[2];
  const { mean, std } = channelStats(accs, c);
  const target = l.op === 'offset'
    ? { mean: l.dmax / 2 - 128, sigma: Math.max(1, l.dmax) / 2.5 }
    : l.relu ? RELU_TARGET : LINEAR_TARGET;
  const mult = std.map((s) => target.sigma / Math.max(s, 1));
  q.n = largestShift(mult);
  for (let ch = 0; ch < c; ch++) {
    q.S[ch] = Math.round(mult[ch] * 2 ** q.n);
    q.B[ch] = clamp(Math.round(128 + target.mean - (q.S[ch] * mean[ch]) / 2 ** q.n), INT16_MIN, INT16_MAX);
  }
  // Outputs from the accumulators with the final parameters: the same numerics the kernels use.
  const lo = l.relu ? y.zero : -128;
  const requant = requantTFor(q.n);
  accs.forEach((acc, k) => {
    const out = l.op === 'offset' ? new Uint8Array(tensorSize(y)) : new Int8Array(tensorSize(y));
    for (let i = 0; i < acc.length; i++) {
      const ch = i % c;
      const t = requant(acc[i], q.S[ch], q.B[ch]);
      out[i] = l.op === 'offset' ? dilationFromT(t, l.dmax) : outputCode(t, lo);
    }
    values[k].set(y.name, out);
  });
}

/** The largest n whose S = round(mult * 2^n) fits int16 for every channel: the most precision. */
function largestShift(mult: number[]): number {
  const peak = Math.max(...mult.map(Math.abs));
  for (let n = SHIFT_MAX; n >= SHIFT_MIN; n--) if (Math.round(peak * 2 ** n) <= INT16_MAX) return n;
  throw new Error(`multiplier ${peak} does not fit int16 S at any shift`); // targets keep it below 40
}

function channelStats(accs: Int32Array[], c: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(c), sq = new Float64Array(c);
  for (const acc of accs)
    for (let i = 0; i < acc.length; i++) {
      const ch = i % c;
      sum[ch] += acc[i];
      sq[ch] += acc[i] * acc[i];
    }
  const count = accs.reduce((a, acc) => a + acc.length, 0) / c;
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (s, ch) => Math.sqrt(Math.max(0, s / count - mean[ch] ** 2)));
  return { mean, std };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
