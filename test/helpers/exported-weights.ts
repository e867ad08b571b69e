/**
 * The float model with an integer model's exported weights in it: each conv's kernel becomes
 * s_w * w_int divided by its batch norm's factor, so that folded it is exactly what the integer
 * layer multiplies by. What is left between the two models is activation quantization (8 bits).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../src/ir/model.ts';
import { floatBinding } from '../../src/quant/graph.ts';
import { batchNormParams } from '../../src/quant/quantize.ts';

export function loadExportedWeights(fm: tf.LayersModel, m: Model, scales: Map<string, Float64Array>): void {
  for (const l of m.layers.filter((x) => x.quant)) {
    const p = floatBinding(fm).params.get(l.name)!;
    const conv = fm.getLayer(p.conv);
    const [k, ...rest] = conv.getWeights();
    const cout = m.tensors.get(l.outputs[0])!.shape[2], fan = l.quant!.weights.length / cout;
    const bn = p.bn ? batchNormParams(fm.getLayer(p.bn)) : undefined;
    const kv = new Float32Array(k.size);
    for (let co = 0; co < cout; co++) {
      const g = bn ? bn.gamma[co] / Math.sqrt(bn.variance[co] + bn.eps) : 1;
      for (let i = 0; i < fan; i++) kv[i * cout + co] = (scales.get(l.name)![co] * l.quant!.weights[co * fan + i]) / g;
    }
    conv.setWeights([tf.tensor(kv, k.shape), ...rest]);
  }
}
