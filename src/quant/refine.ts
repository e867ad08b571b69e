/**
 * Bias correction and learned rounding (AdaRound) of the weights, layer by layer on the
 * calibration images, after the activation quantizers and the weight scales are chosen
 * (docs/training.md, "Post-training quantization").
 *
 * The layers are quantized in the integer model's order. Each layer sees its input as the
 * integer model computes it: the golden model's kernels (src/golden) run every finished layer on
 * every calibration image, so the codes a layer is fitted on are exactly the codes the exported
 * model feeds it, and the errors of the layers before it are part of what it corrects. Its target
 * is the float model's folded pre-activation output (conv with batch norm folded) on the float
 * input. Per output channel c, with x the dequantized input taps of an output pixel and t_c the
 * target there, the layer's real pre-activation output is s_c q_c . x + b_c (numerics.md section
 * 10), and everything needed is a few moments over the calibration pixels: E[x], E[x x^T] (one
 * matrix per layer, per channel for a depthwise layer), E[x t_c], E[t_c].
 *
 * - Learned rounding: each weight rounds down or up, q = floor(w / s) + h, h in {0, 1}, chosen to
 *   minimise the channel's output error E[(s q . x - t_c)^2] (its covariance form with bias
 *   correction, whose mean the bias then removes). AdaRound (Nagel et al. 2020): h relaxed to a
 *   rectified sigmoid of a free variable, the error plus an annealed regulariser that drives every
 *   h to 0 or 1, by Adam; then h rounded. A channel keeps round-to-nearest where that errs less on
 *   the calibration data.
 * - Bias correction: b_c += E[t_c] - (s_c q_c . E[x] + b_c), folded into B as biases are (so to
 *   the nearest output code). An offset conv's B is a whole dilation step: it is chosen with the
 *   codes instead (dilationFit).
 * Deterministic: fixed iteration counts, float64 sums in a fixed order.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layer, Model } from '../ir/model.ts';
import { runLayer, type TensorData } from '../golden/run.ts';
import { imageCodes } from '../zoo/image.ts';
import { imagesToTensor, IMAGENET_MEAN } from '../float/model.ts';
import { OPS } from '../ops/index.ts';
import { progress } from '../util/progress.ts';
import { floatBinding } from './graph.ts';
import { batchNormParams, foldedWeights, quantizeLayer, quantizeWeights, type WeightQuantOptions } from './quantize.ts';
import { ADAROUND_ITERATIONS, dot, learnedRounding, quadratic, roundingError } from './adaround.ts';


export interface RefineOptions {
  biasCorrection: boolean;
  adaround: boolean;
  /** Learned-rounding iterations (default ADAROUND_ITERATIONS). */
  iterations?: number;
  /** Called with every tensor's codes on every image as this integer simulation computed them (tests hold the golden model to them). */
  onTensor?: (image: number, tensor: string, codes: TensorData) => void;
  /** Called with each layer's chosen codes (IR order) and the shift added to its folded bias (QAT starts from them: qat-init.ts). */
  onLayer?: (layer: Layer, codes: Int8Array, shift: Float64Array, constantChannels: Set<number>) => void;
}

/** One layer's output error on the calibration images (mean squared, over outputs and channels), with the target's mean square. */
export interface RefineLayer {
  layer: string;
  /** Round to nearest, the bias as folded. */
  nearest: number;
  /** The weights and bias exported. */
  refined: number;
  signal: number;
}

/** Images the float model runs at once. */
const BATCH = 8;
/**
 * The float targets of every layer on every image are held at once (float32): at most this many
 * values, so at a large input the fit uses the first images that fit (codenet-tiny-skip: 554 at 64 px, 34 at 256).
 */
const TARGET_VALUES = 64 * 2 ** 20;

/**
 * Quantizes the weights of every layer of `m` (activation quantizers set) with bias correction
 * and / or learned rounding on `images`; S, B, n and the int weights are set in place, exactly as
 * quantizeWeights sets them but for the codes and the bias. Returns each layer's error.
 */
export function refineWeights(fm: tf.LayersModel, m: Model, all: Uint8Array[], wq: WeightQuantOptions, o: RefineOptions): RefineLayer[] {
  // The weight scales as calibration chooses them (the codes of this pass are replaced layer by layer).
  const scales = quantizeWeights(fm, m, { ...wq, clamped: undefined, constant: undefined });
  const perImage = m.layers.filter((l) => OPS[l.op].weights).reduce((n, l) => n + m.tensors.get(l.outputs[0])!.shape.reduce((a, b) => a * b), 0);
  const images = all.slice(0, Math.max(1, Math.floor(TARGET_VALUES / perImage)));
  const targets = floatTargets(fm, m, images);
  const values = images.map((img) => new Map<string, TensorData>([[m.inputs[0], imageCodes(img)]]));
  const lastUse = new Map<string, number>();
  m.layers.forEach((l, i) => l.inputs.forEach((t) => lastUse.set(t, i)));
  const out: RefineLayer[] = [];
  const bar = progress(`refining ${m.name}`);
  m.layers.forEach((l, li) => {
    bar.update(li, m.layers.length);
    if (OPS[l.op].weights) {
      const st = layerMoments(m, l, values, targets.get(l.name)!);
      const { w, b, constantChannels } = foldedWeights(fm, l, m);
      const s = scales.get(l.name)!;
      const { qmin, qmax } = OPS[l.op].weights!;
      const F = w[0].length, C = w.length;
      const codes = new Int8Array(C * F), shift = new Float64Array(C);
      const xT = m.tensors.get(l.inputs[0])!, dilation = m.tensors.get(l.outputs[0])!.kind === 'dilation';
      let nearest = 0, refined = 0, signal = 0;
      for (let c = 0; c < C; c++) {
        const { G, h, mx, mt, tt } = st.channel(c);
        signal += tt;
        if (constantChannels.has(c)) continue; // exported as its constant (quantizeLayer)
        const rtn = Int8Array.from(w[c], (v) => Math.max(qmin, Math.min(qmax, Math.round(v / s[c]))));
        if (dilation) {
          const fit = dilationFit(G, h, mx, mt, tt, rtn, w[c], s[c], xT.scale * xT.zero, qmin, qmax, o);
          codes.set(fit.q, c * F);
          shift[c] = fit.B - b[c] + s[c] * xT.scale * xT.zero * fit.q.reduce((a, v) => a + v, 0); // quantizeLayer's B is then fit.B
          nearest += meanSquare(G, h, mx, mt, tt, rtn, s[c], b[c]);
          refined += fit.error;
          continue;
        }
        // Fitted on the covariance when the bias then removes the mean error; else on the error with the bias as it is (target t - b).
        const [Gc, hc] = o.biasCorrection ? [centeredG(G, mx), Float64Array.from(h, (v, i) => v - mx[i] * mt)] : [G, Float64Array.from(h, (v, i) => v - b[c] * mx[i])];
        const q = bestRounding(Gc, hc, w[c], s[c], rtn, qmin, qmax, o);
        codes.set(q, c * F);
        const mean = s[c] * dot(q, mx) + b[c];
        if (o.biasCorrection) shift[c] = mt - mean;
        nearest += meanSquare(G, h, mx, mt, tt, rtn, s[c], b[c]);
        refined += meanSquare(G, h, mx, mt, tt, q, s[c], b[c] + shift[c]);
      }
      out.push({ layer: l.name, nearest: nearest / C, refined: refined / C, signal: signal / C });
      o.onLayer?.(l, codes, shift, constantChannels);
      quantizeLayer(fm, l, m, { ...wq, fixedScales: new Map([[l.name, s]]), graphCodes: new Map([[l.name, codes]]), biasShift: new Map([[l.name, shift]]) });
    }
    // The finished layer on every image: the next layers' inputs, as the golden model computes them.
    values.forEach((v, k) => {
      const outs = runLayer(m, l, v);
      l.outputs.forEach((t, j) => { v.set(t, outs[j]); o.onTensor?.(k, t, outs[j]); });
      for (const t of l.inputs) if (lastUse.get(t) === li && !m.outputs.includes(t)) v.delete(t);
    });
  });
  bar.finish();
  return out;
}

/**
 * An offset conv (its output the dilation, s_y = 1): t = round(M acc + B) with B a whole number,
 * so its bias cannot move by less than a whole dilation step, and B's rounding alone would shift
 * every pixel's offset by up to half a step, flipping the dilation wherever the float offset lies
 * within that of a rounding boundary. So B is chosen with the codes: for each B near the one that
 * matches the mean, the codes are fitted (learned, or to nearest) to the target minus B, on the
 * raw inputs r = x + s_x z_x (M acc = s q . r), and the pair of least error E[(s q . r + B - t)^2]
 * is kept.
 */
export function dilationFit(G: Float64Array, h: Float64Array, mx: Float64Array, mt: number, tt: number, rtn: Int8Array, w: ArrayLike<number>, s: number, c: number, qmin: number, qmax: number, o: RefineOptions): { q: Int8Array; B: number; error: number } {
  const F = mx.length;
  const mr = Float64Array.from(mx, (v) => v + c);
  const Gr = Float64Array.from(G, (v, k) => v + c * (mx[Math.floor(k / F)] + mx[k % F]) + c * c);
  const hr = Float64Array.from(h, (v) => v + c * mt);
  const B0 = Math.round(mt - s * dot(rtn, mr));
  let best = { q: rtn, B: B0, error: Infinity };
  for (const B of [B0 - 1, B0, B0 + 1]) {
    const hB = Float64Array.from(hr, (v, i) => v - B * mr[i]);
    const q = bestRounding(Gr, hB, w, s, rtn, qmin, qmax, o);
    const error = roundingError(Gr, hB, q, s) + tt - 2 * B * mt + B * B;
    if (error < best.error) best = { q, B, error };
  }
  return best;
}

/** One channel's codes: learned rounding when it is on and errs less on the moments than round-to-nearest `rtn`, else `rtn`. */
function bestRounding(G: Float64Array, h: Float64Array, w: ArrayLike<number>, s: number, rtn: Int8Array, qmin: number, qmax: number, o: RefineOptions): Int8Array {
  if (!o.adaround) return rtn;
  const learned = learnedRounding(G, h, w, s, qmin, qmax, o.iterations ?? ADAROUND_ITERATIONS);
  return roundingError(G, h, learned, s) < roundingError(G, h, rtn, s) ? learned : rtn;
}

/** The covariance E[x x^T] - E[x] E[x]^T (once per matrix: a full layer's channels share theirs). */
const covariances = new WeakMap<Float64Array, Float64Array>();
function centeredG(G: Float64Array, mx: Float64Array): Float64Array {
  let Gc = covariances.get(G);
  if (!Gc) {
    const F = mx.length;
    Gc = new Float64Array(F * F);
    for (let i = 0; i < F; i++) for (let j = 0; j < F; j++) Gc[i * F + j] = G[i * F + j] - mx[i] * mx[j];
    covariances.set(G, Gc);
  }
  return Gc;
}

/** E[(s q . x + b - t)^2] from the raw moments. */
function meanSquare(G: Float64Array, h: Float64Array, mx: Float64Array, mt: number, tt: number, q: ArrayLike<number>, s: number, b: number): number {
  return s * s * quadratic(G, q) + 2 * s * b * dot(q, mx) + b * b - 2 * s * dot(q, h) - 2 * b * mt + tt;
}


/** Per output channel: E[x x^T], E[x t], E[x], E[t], E[t^2] over the calibration pixels. */
interface Moments {
  channel(c: number): { G: Float64Array; h: Float64Array; mx: Float64Array; mt: number; tt: number };
}

/**
 * The moments of layer `l` over every image: its input taps as the integer layer reads them
 * (dequantized codes, pad codes outside the image), and the float targets.
 */
function layerMoments(m: Model, l: Layer, values: Map<string, TensorData>[], targets: Float32Array[]): Moments {
  const xT = m.tensors.get(l.inputs[0])!, yT = m.tensors.get(l.outputs[0])!;
  const rule = OPS[l.op].weights!;
  const C = yT.shape[2], cin = xT.shape[2], F = OPS[l.op].fanIn(cin);
  const depthwise = rule.layout === 'depthwise';
  // Dequantized code: the image's zero is exact per channel (numerics.md section 3).
  const zx = (i: number) => (rule.readsImage ? 255 * IMAGENET_MEAN[i % cin] - 128 : xT.zero);
  const zs = Float64Array.from({ length: F }, (_, i) => zx(i));
  const groups = depthwise ? C : 1;
  const G = new Float64Array(groups * F * F), mx = new Float64Array(groups * F);
  const h = new Float64Array(C * F), mt = new Float64Array(C), tt = new Float64Array(C);
  let n = 0;
  values.forEach((v, k) => {
    const taps = layerTaps(m, l, v); // [P][F] codes, depthwise [P][C][9]
    const t = targets[k];
    const P = t.length / C;
    n += P;
    const x = new Float64Array(F);
    for (let p = 0; p < P; p++) {
      for (let g = 0; g < groups; g++) {
        const o = (p * groups + g) * F;
        for (let i = 0; i < F; i++) x[i] = xT.scale * (taps[o + i] - zs[i]);
        const Gg = g * F * F;
        for (let i = 0; i < F; i++) {
          const xi = x[i];
          mx[g * F + i] += xi;
          const row = Gg + i * F;
          for (let j = i; j < F; j++) G[row + j] += xi * x[j];
        }
        // The channels this group of taps feeds: its own (depthwise) or all.
        const [c0, c1] = depthwise ? [g, g + 1] : [0, C];
        for (let c = c0; c < c1; c++) {
          const tv = t[p * C + c];
          mt[c] += tv;
          tt[c] += tv * tv;
          const hc = c * F;
          for (let i = 0; i < F; i++) h[hc + i] += x[i] * tv;
        }
      }
    }
  });
  // Means; the upper triangles mirrored.
  for (let g = 0; g < groups; g++)
    for (let i = 0; i < F; i++)
      for (let j = i; j < F; j++) G[g * F * F + j * F + i] = G[g * F * F + i * F + j] /= n;
  for (const a of [mx, h, mt, tt]) for (let i = 0; i < a.length; i++) a[i] /= n;
  // One view per matrix, so a full layer's channels share one (and its covariance).
  const Gs = Array.from({ length: groups }, (_, g) => G.subarray(g * F * F, (g + 1) * F * F));
  return {
    channel: (c) => {
      const g = depthwise ? c : 0;
      return { G: Gs[g], h: h.subarray(c * F, (c + 1) * F), mx: mx.subarray(g * F, (g + 1) * F), mt: mt[c], tt: tt[c] };
    },
  };
}

/**
 * The input codes each output pixel of layer `l` reads, tap by tap: a 1x1 layer's input pixel
 * directly; a 3x3 layer's through its own golden kernel, with one-hot weights, reading the
 * accumulators (so strides, dilations, dilation maps and pad codes are exactly the kernel's).
 */
function layerTaps(m: Model, l: Layer, values: Map<string, TensorData>): Float64Array {
  const xT = m.tensors.get(l.inputs[0])!, yT = m.tensors.get(l.outputs[0])!;
  const [, w, cin] = xT.shape, [ho, wo, C] = yT.shape;
  const rule = OPS[l.op].weights!, F = OPS[l.op].fanIn(cin), P = ho * wo;
  const x = values.get(l.inputs[0]) as Int8Array;
  if (rule.layout === 'pointwise') {
    const out = new Float64Array(P * F);
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const src = ((oy * l.stride) * w + ox * l.stride) * cin, dst = (oy * wo + ox) * F;
        for (let i = 0; i < F; i++) out[dst + i] = x[src + i];
      }
    return out;
  }
  const depthwise = rule.layout === 'depthwise';
  const out = new Float64Array(P * (depthwise ? C : 1) * F);
  // Depthwise: run k puts tap k of every channel in that channel. Full 3x3: run r puts tap r C + c in channel c.
  const runs = depthwise ? F : Math.ceil(F / C);
  for (let r = 0; r < runs; r++) {
    const wts = new Int8Array(C * F);
    for (let c = 0; c < C; c++) {
      const tap = depthwise ? r : r * C + c;
      if (tap < F) wts[c * F + tap] = 1;
    }
    const accs = new Map<string, Int32Array>();
    runLayer(m, { ...l, relu: false, quant: { weights: wts, weightDtype: rule.dtype, S: new Int16Array(C), B: new Int16Array(C), n: 1 } }, values, accs);
    const acc = accs.get(yT.name)!;
    for (let p = 0; p < P; p++)
      for (let c = 0; c < C; c++) {
        const tap = depthwise ? r : r * C + c;
        if (tap < F) out[depthwise ? (p * C + c) * F + tap : p * F + tap] = acc[p * C + c];
      }
  }
  return out;
}

/**
 * The float model's pre-activation output of every layer with weights (conv with its batch norm
 * folded, as foldedWeights folds it: gamma / sqrt(var + eps) (conv - mean) + beta), per image, NHWC.
 */
function floatTargets(fm: tf.LayersModel, m: Model, images: Uint8Array[]): Map<string, Float32Array[]> {
  const binding = floatBinding(fm);
  const layers = m.layers.filter((l) => OPS[l.op].weights);
  const probe = tf.model({ inputs: fm.inputs, outputs: layers.map((l) => fm.getLayer(binding.params.get(l.name)!.conv).output as tf.SymbolicTensor) });
  const fold = layers.map((l) => {
    const bn = binding.params.get(l.name)!.bn;
    if (!bn) return undefined;
    const { gamma, beta, mean, variance, eps } = batchNormParams(fm.getLayer(bn));
    const g = gamma.map((v, c) => v / Math.sqrt(variance[c] + eps));
    return { g, c: beta.map((v, c) => v - mean[c] * g[c]) };
  });
  const [h, w] = m.tensors.get(m.inputs[0])!.shape;
  const out = new Map<string, Float32Array[]>(layers.map((l) => [l.name, []]));
  for (let i = 0; i < images.length; i += BATCH) {
    const batch = images.slice(i, i + BATCH);
    const x = imagesToTensor(batch, h, w);
    const ys = [probe.predict(x)].flat() as tf.Tensor[];
    layers.forEach((l, k) => {
      const a = ys[k].dataSync() as Float32Array, per = a.length / batch.length, C = m.tensors.get(l.outputs[0])!.shape[2];
      const f = fold[k];
      if (per !== m.tensors.get(l.outputs[0])!.shape.reduce((a, b) => a * b)) throw new Error(`float layer of "${l.name}" outputs [${ys[k].shape}], integer tensor is [${m.tensors.get(l.outputs[0])!.shape}]`);
      for (let j = 0; j < batch.length; j++) {
        const t = a.slice(j * per, (j + 1) * per);
        if (f) for (let e = 0; e < t.length; e++) t[e] = f.g[e % C] * t[e] + f.c[e % C];
        out.get(l.name)!.push(t);
      }
    });
    tf.dispose([x, ...ys]);
  }
  return out;
}
