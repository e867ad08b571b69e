/**
 * QAT's starting point from post-training quantization: the weights are refined as `codenet
 * quantize` refines them (learned rounding and bias correction on the calibration images,
 * src/quant/refine.ts) against QAT's own frozen quantizers, and the float model is then set so
 * that the exporter's quantizer, with the frozen scales, gives exactly those codes and biases:
 * the first QAT step runs the post-training model instead of the float model rounded to nearest.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layer, Model } from '../ir/model.ts';
import { OPS } from '../ops/index.ts';
import { floatBinding } from './graph.ts';
import { batchNormParams, type WeightQuantOptions } from './quantize.ts';
import { refineWeights, type RefineLayer } from './refine.ts';
import { fail } from '../util/errors.ts';

export interface PtqStart {
  biasCorrection: boolean;
  adaround: boolean;
  iterations?: number;
}

/** Refines `m`'s weights on `calib` with `wq`'s frozen scales and writes them back into `fm` (in place). */
export function startFromPtq(fm: tf.LayersModel, m: Model, wq: WeightQuantOptions, calib: Uint8Array[], o: PtqStart): RefineLayer[] {
  const chosen: Array<{ l: Layer; codes: Int8Array; shift: Float64Array; constant: Set<number> }> = [];
  // Written back only after the fit: refineWeights folds each layer's float weights as it goes.
  const report = refineWeights(fm, m, calib, wq, { ...o, onLayer: (l, codes, shift, constant) => chosen.push({ l, codes, shift, constant }) });
  for (const c of chosen) writeBack(fm, m, wq, c.l, c.codes, c.shift, c.constant);
  return report;
}

/**
 * Sets layer `l`'s float kernel to `s * q / g` (g = gamma / sqrt(var + eps), the batch-norm fold;
 * 1 without one) and adds `shift` to its folded bias (through beta, else the conv's bias), so that
 * folding and rounding on the frozen scales give back `codes`. Constant channels stay as they are.
 */
function writeBack(fm: tf.LayersModel, m: Model, wq: WeightQuantOptions, l: Layer, codes: Int8Array, shift: Float64Array, constant: Set<number>): void {
  const p = floatBinding(fm).params.get(l.name)!;
  const s = wq.fixedScales?.get(l.name) ?? fail(`QAT: no frozen weight scales for layer "${l.name}"`);
  const conv = fm.getLayer(p.conv), vars = conv.getWeights();
  const cout = m.tensors.get(l.outputs[0])!.shape[2], fan = OPS[l.op].fanIn(m.tensors.get(l.inputs[0])!.shape[2]);
  const kernel = Float32Array.from(vars[0].dataSync());
  const bias = vars.length > 1 ? Float32Array.from(vars[1].dataSync()) : undefined;
  const bn = p.bn ? fm.getLayer(p.bn) : undefined;
  const bp = bn ? batchNormParams(bn) : undefined;
  const center = bn ? bn.getConfig().center !== false : false;
  const beta = bp ? Float32Array.from(bp.beta) : undefined;
  for (let co = 0; co < cout; co++) {
    if (constant.has(co)) continue;
    const g = bp ? bp.gamma[co] / Math.sqrt(bp.variance[co] + bp.eps) : 1;
    for (let i = 0; i < fan; i++) kernel[i * cout + co] = (s[co] * codes[co * fan + i]) / g; // TensorFlow's layout: index * cout + co
    if (beta && center) beta[co] += shift[co];
    else if (bias) bias[co] += shift[co] / g;
  }
  tf.tidy(() => {
    conv.setWeights([tf.tensor(kernel, vars[0].shape), ...(bias ? [tf.tensor(bias, vars[1].shape)] : [])]);
    if (bn && beta && center) {
      const at = bn.getConfig().scale === false ? 0 : 1; // beta follows gamma when there is one
      bn.setWeights(bn.getWeights().map((t, k) => (k === at ? tf.tensor(beta, t.shape) : t)));
    }
  });
}
