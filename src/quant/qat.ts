/**
 * The quantization-aware forward pass: what the hardware computes, inside a TensorFlow.js graph
 * that trains the float model (docs/training.md, "Quantization-aware fine-tuning").
 *
 * Every layer runs twice:
 * - the integer path computes the codes exactly as docs/numerics.md defines them: the int weights,
 *   S, B and n that the exporter derives (quantizeWeights) from the current float weights and the
 *   frozen activation quantizers, an exact accumulator (tf convolutions of integer-valued float32
 *   tensors: every partial sum is below 2^23, so float32 holds it exactly, in any order), and the
 *   requantization (requantT: round half up, saturation, ReLU floor, integer dilation) in float64;
 * - the float path is the folded float layer (batch norm folded with its moving statistics, the
 *   weights fake-quantized to s_w * w_int; learned scales s_w get their gradient here too) applied
 *   to the dequantized input, and gives only the gradient: its value is replaced by the
 *   dequantized integer output, and the gradient passes where the output did not saturate
 *   (straight-through estimator). The dilation passes its
 *   gradient inside [0, dmax] and, outside it, the gradient that moves it back, as the float
 *   layer's roundDilationSTE does.
 * So the loss is computed on exactly the outputs of the exported integer model; the test holds
 * the codes of every tensor equal to the golden model's.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layer, Model, Tensor } from '../ir/model.ts';
import { dilationFromT, outputCode, requantTFor } from '../numerics/requant.ts';
import { imageCodes } from '../zoo/image.ts';
import { deformDepthwise, dilationGradient, imagesToTensor } from '../float/model.ts';
import { quantizeWeights, weightCodeRange, type WeightQuantOptions } from './quantize.ts';
import { floatBinding } from './graph.ts';
import { fail } from '../util/errors.ts';
import { OPS } from '../ops/index.ts';

type T4 = tf.Tensor4D;

export interface QatOutputs {
  /** Dequantized values of every tensor (differentiable along the float path), [N,H,W,C]. */
  real: Map<string, T4>;
  /** Integer codes of every tensor (integer-valued float32, no gradient), [N,H,W,C]. */
  codes: Map<string, T4>;
}

/**
 * Forward `value`, backward dy times `mask` (everywhere without one): the straight-through
 * estimator. With `dmax` the "mask" holds a dilation's requantized offsets t instead, and the
 * gradient passes where the float layer's estimator passes it (inside [0, dmax], and outside it
 * where a step moves t back).
 */
function straightThrough(x: tf.Tensor, value: tf.Tensor, mask?: tf.Tensor, dmax?: number): tf.Tensor {
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    // Saved, so the engine keeps the mask alive until the backward pass.
    if (mask) save([mask]);
    return {
      value: tf.add(tf.mul(input, 0), value),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => (!mask ? dy : dmax === undefined ? tf.mul(dy, saved[0]) : dilationGradient(saved[0], dy, dmax)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/** Int weights of an IR layer in TensorFlow's kernel layout (conv [kh,kw,Cin,Cout], depthwise [3,3,C,1]). */
function intKernel(l: Layer, m: Model): tf.Tensor4D {
  const w = l.quant!.weights;
  const cout = m.tensors.get(l.outputs[0])!.shape[2], cin = m.tensors.get(l.inputs[0])!.shape[2];
  const f = Float32Array.from(w);
  const layout = OPS[l.op].weights!.layout;
  if (layout === 'full3x3') return tf.transpose(tf.tensor4d(f, [cout, 3, 3, cin]), [1, 2, 3, 0]);
  if (layout === 'depthwise') return tf.reshape(tf.transpose(tf.tensor3d(f, [cout, 3, 3]), [1, 2, 0]), [3, 3, cout, 1]);
  return tf.reshape(tf.transpose(tf.tensor2d(f, [cout, cin])), [1, 1, cin, cout]);
}

/** The float layer's kernel and bias with its batch norm folded (moving statistics), differentiable. */
function foldedFloat(fm: tf.LayersModel, l: Layer): { w: tf.Tensor4D; b: tf.Tensor1D } {
  const p = floatBinding(fm).params.get(l.name) ?? fail(`QAT: layer "${l.name}" is not in the integer graph of float model "${fm.name}"`);
  const vars = fm.getLayer(p.conv).getWeights();
  let w = vars[0] as tf.Tensor4D;
  const depthwise = OPS[l.op].weights!.layout === 'depthwise';
  const cout = depthwise ? w.shape[2] : w.shape[3];
  let b = (vars[1] ?? tf.zeros([cout])) as tf.Tensor1D;
  if (p.bn) {
    const bn = fm.getLayer(p.bn);
    const c = bn.getConfig(), v = bn.getWeights();
    // gamma and beta train (where the layer has them); the moving statistics are frozen.
    const gamma = c.scale === false ? tf.ones([cout]) : v.shift()!;
    const beta = c.center === false ? tf.zeros([cout]) : v.shift()!;
    const [mean, variance] = v;
    const eps = Number(c.epsilon ?? 1e-3);
    const g = tf.div(gamma, tf.sqrt(tf.add(variance, eps))) as tf.Tensor1D;
    w = tf.mul(w, depthwise ? tf.reshape(g, [1, 1, cout, 1]) : g) as tf.Tensor4D;
    b = tf.add(beta, tf.mul(tf.sub(b, mean), g)) as tf.Tensor1D;
  }
  return { w, b };
}

/** Per-channel constant sum over the kernel of pad * w: the out-of-image taps' share of acc. */
function padTerm(l: Layer, m: Model, pad: Int8Array): tf.Tensor1D {
  const q = l.quant!, cout = m.tensors.get(l.outputs[0])!.shape[2], fan = q.weights.length / cout;
  const cin = pad.length, full = OPS[l.op].weights!.layout === 'full3x3';
  return tf.tensor1d(Array.from({ length: cout }, (_, co) => {
    let s = 0;
    for (let i = 0; i < fan; i++) s += q.weights[co * fan + i] * (full ? pad[i % cin] : pad[co]);
    return s;
  }));
}

const pad1 = (x: tf.Tensor, value = 0, p = 1): T4 => tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], value) as T4;

/**
 * A stride-1 depthwise 3x3 at dilation d over a padded input, as the sum of its nine taps: tfjs has
 * no gradient for a dilated depthwise conv (the float path needs one; the codes path does not).
 */
export function dilatedDepthwise(xp: T4, w: tf.Tensor4D, d: number): T4 {
  const [n, hp, wp, c] = xp.shape, h = hp - 2 * d, ww = wp - 2 * d;
  let y: tf.Tensor = tf.zeros([n, h, ww, c]);
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++)
      y = tf.add(y, tf.mul(tf.slice(xp, [0, ky * d, kx * d, 0], [n, h, ww, c]), tf.reshape(tf.slice(w, [ky, kx, 0, 0], [1, 1, c, 1]), [c])));
  return y as T4;
}

/** The exact accumulator of a layer with weights, from integer-valued input codes. */
function accumulator(l: Layer, m: Model, codes: Map<string, T4>, wi: tf.Tensor4D): T4 {
  const xT = m.tensors.get(l.inputs[0])!;
  const x = codes.get(l.inputs[0])!;
  const padVec = tf.tensor1d(Float32Array.from(xT.pad));
  // Taps outside the image read the pad code: conv of (x - pad) with zero padding, plus sum pad * w.
  switch (l.op) {
    case 'conv1x1':
    case 'offset':
      return tf.conv2d(x, wi, l.stride, 'valid');
    case 'stem':
      return tf.add(tf.conv2d(pad1(tf.sub(x, padVec)), wi, l.stride, 'valid'), padTerm(l, m, xT.pad));
    case 'dw3x3':
      // Dilation d reads d pixels beyond the edge (0, the centre tap only, has no float layer).
      if (l.dilation < 1) fail(`QAT: dw3x3 layer "${l.name}" has dilation ${l.dilation}; QAT takes 1..15`);
      return tf.add(tf.depthwiseConv2d(pad1(tf.sub(x, padVec), 0, l.dilation), wi, l.stride, 'valid', 'NHWC', l.dilation), padTerm(l, m, xT.pad));
    case 'dwdeform':
      if (l.stride !== 1) fail(`QAT: dwdeform layer "${l.name}" has stride ${l.stride}; only 1 (the zoo's) is supported`);
      return tf.add(deformDepthwise(tf.sub(x, padVec) as T4, codes.get(l.inputs[1])!, wi), padTerm(l, m, xT.pad));
    default:
      fail(`QAT: layer "${l.name}" (${l.op}) has no weights`);
  }
}

/**
 * The fake-quantized kernel s * wi with a learned per-channel scale s = exp(logScale) (LSQ, Esser
 * et al. 2020): value s * wi; gradient to w where w / s is inside the code range (1) and nowhere
 * else; gradient to s of (wi - w / s) inside the range and wi where the code clipped.
 */
export function learnedFakeQuant(w: tf.Tensor4D, wi: tf.Tensor4D, logScale: tf.Variable, depthwise: boolean, qmin: number, qmax: number): tf.Tensor4D {
  const f = tf.customGrad(((wf: tf.Tensor, ls: tf.Tensor, save: tf.GradSaveFunc) => {
    const s = tf.exp(ls);
    const sb = depthwise ? tf.reshape(s, [1, 1, -1, 1]) : s;
    const r = tf.div(wf, sb);
    const inside = tf.cast(tf.logicalAnd(tf.greaterEqual(r, qmin - 0.5), tf.lessEqual(r, qmax + 0.5)), 'float32');
    // Saved, so the engine keeps them alive until the backward pass.
    save([s, r, inside, wi]);
    return {
      value: tf.mul(sb, wi),
      gradFunc: (dy: tf.Tensor, [s2, r2, in2, wi2]: tf.Tensor[]) => {
        const dS = tf.mul(dy, tf.add(tf.mul(in2, tf.sub(wi2, r2)), tf.mul(tf.sub(1, in2), wi2)));
        // d/d log s = s * d/ds, summed over everything but the output channel.
        const perChannel = depthwise ? tf.sum(dS, [0, 1, 3]) : tf.sum(dS, [0, 1, 2]);
        return [tf.mul(dy, in2), tf.mul(perChannel, s2)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(w, logScale) as tf.Tensor4D;
}

/** The float path of a layer with weights, on the dequantized inputs (gradient only). */
function floatPath(l: Layer, fm: tf.LayersModel, real: Map<string, T4>, wi: tf.Tensor4D, scales: Float64Array, logScale?: tf.Variable): T4 {
  const { w, b } = foldedFloat(fm, l);
  const depthwise = OPS[l.op].weights!.layout === 'depthwise';
  let wq: tf.Tensor4D;
  if (logScale) {
    const { qmin, qmax } = weightCodeRange(l.op);
    wq = learnedFakeQuant(w, wi, logScale, depthwise, qmin, qmax);
  } else {
    const sw = tf.tensor1d(Float32Array.from(scales));
    wq = straightThrough(w, tf.mul(wi, depthwise ? tf.reshape(sw, [1, 1, -1, 1]) : sw)) as tf.Tensor4D;
  }
  const x = real.get(l.inputs[0])!;
  let y: T4;
  if (l.op === 'dwdeform') y = deformDepthwise(x, real.get(l.inputs[1])!, wq);
  else if (depthwise && l.dilation > 1) y = dilatedDepthwise(pad1(x, 0, l.dilation), wq, l.dilation);
  else if (depthwise) y = tf.depthwiseConv2d(pad1(x), wq, l.stride, 'valid');
  else if (l.op === 'stem') y = tf.conv2d(pad1(x), wq, l.stride, 'valid');
  else y = tf.conv2d(x, wq, l.stride, 'valid');
  return tf.add(y, b) as T4;
}

/** Requantizes an exact accumulator: the output codes and where they did not saturate (a dilation: t itself). */
function requantize(l: Layer, y: Tensor, acc: T4): { codes: Float32Array; live: Float32Array } {
  const a = acc.dataSync();
  const q = l.quant!, c = y.shape[2];
  const codes = new Float32Array(a.length), live = new Float32Array(a.length);
  const dilation = y.kind === 'dilation', lo = l.relu ? y.zero : -128;
  const rq = requantTFor(q.n); // the step's hottest loop: no powers of two per element
  for (let i = 0, co = 0; i < a.length; i++, co = co + 1 === c ? 0 : co + 1) {
    const t = rq(a[i], q.S[co], q.B[co]);
    if (dilation) {
      codes[i] = dilationFromT(t, l.dmax);
      live[i] = t; // the gradient mask follows from t (straightThrough)
    } else {
      codes[i] = outputCode(t, lo);
      live[i] = t - 128 > lo && t - 128 < 127 ? 1 : 0;
    }
  }
  return { codes, live };
}

const dequantize = (codes: T4, t: Tensor): T4 => (t.kind === 'dilation' ? codes : (tf.mul(tf.sub(codes, t.zero), t.scale) as T4));

function shuffle(x: T4): T4 {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, 2, c / 2]), [0, 1, 2, 4, 3]), [n, h, w, c]);
}

/**
 * The QAT forward of float model `fm` on `images` (uint8 HWC of the model's input size) with the
 * activation quantizers of `m` (calibrated, frozen). Quantizes the weights into `m` first (`wq`, as
 * the export will), so after
 * the call `m` is the integer model whose golden run the codes equal. Call inside tf.tidy or an
 * optimizer's minimize.
 */
export function qatForward(fm: tf.LayersModel, m: Model, images: Uint8Array[], wq: WeightQuantOptions = { saturateBias: true }, logScales?: Map<string, tf.Variable>): QatOutputs {
  const scales = quantizeWeights(fm, m, wq);
  const [h, w, c] = m.tensors.get(m.inputs[0])!.shape;
  const n = images.length;
  const codes = new Map<string, T4>(), real = new Map<string, T4>();
  const all = new Float32Array(n * h * w * c);
  images.forEach((img, i) => all.set(imageCodes(img), i * h * w * c));
  codes.set(m.inputs[0], tf.tensor4d(all, [n, h, w, c]));
  real.set(m.inputs[0], imagesToTensor(images, h, w));
  const set = (name: string, q: T4, r: T4) => { codes.set(name, q); real.set(name, r); };
  for (const l of m.layers) {
    const x = codes.get(l.inputs[0])!, xr = real.get(l.inputs[0])!;
    switch (l.op) {
      case 'stem': case 'conv1x1': case 'offset': case 'dw3x3': case 'dwdeform': {
        const yT = m.tensors.get(l.outputs[0])!;
        const wi = intKernel(l, m);
        const acc = accumulator(l, m, codes, wi);
        const { codes: q, live } = requantize(l, yT, acc);
        const qt = tf.tensor4d(q, acc.shape);
        const yf = floatPath(l, fm, real, wi, scales.get(l.name)!, logScales?.get(l.name));
        set(l.outputs[0], qt, straightThrough(yf, dequantize(qt, yT), tf.tensor4d(live, acc.shape), yT.kind === 'dilation' ? l.dmax : undefined) as T4);
        break;
      }
      case 'maxpool':
        // Taps outside the image are ignored: pad below every code (and every real value).
        set(l.outputs[0], tf.maxPool(pad1(x, -128), 3, 2, 'valid'), tf.maxPool(pad1(xr, -1e30), 3, 2, 'valid'));
        break;
      case 'upsample': {
        const [, hh, ww] = x.shape;
        set(l.outputs[0], tf.image.resizeNearestNeighbor(x, [2 * hh, 2 * ww]), tf.image.resizeNearestNeighbor(xr, [2 * hh, 2 * ww]));
        break;
      }
      case 'shuffle':
        set(l.outputs[0], shuffle(x), shuffle(xr));
        break;
      case 'split': {
        let c0 = 0;
        for (const o of l.outputs) {
          const cs = m.tensors.get(o)!.shape[2];
          set(o, tf.slice(x, [0, 0, 0, c0], [-1, -1, -1, cs]), tf.slice(xr, [0, 0, 0, c0], [-1, -1, -1, cs]));
          c0 += cs;
        }
        break;
      }
      case 'concat':
        set(l.outputs[0], tf.concat(l.inputs.map((i) => codes.get(i)!), 3), tf.concat(l.inputs.map((i) => real.get(i)!), 3));
        break;
    }
  }
  return { real, codes };
}
