/**
 * Per-channel importance of each prunable group (src/codesign/prune-graph.ts):
 * - bn (default): |gamma| of the batch norm right after the conv (network slimming: a channel whose
 *   scale is near 0 contributes little after normalisation);
 * - l1: the L1 norm of the conv's filter for that output channel;
 * - taylor: first-order Taylor estimate of the loss change when the channel is removed, taken on
 *   the batch norm's affine parameters (|gamma dL/dgamma + beta dL/dbeta|, summed over a few
 *   training batches of the built-in data set, Molchanov et al. 2019).
 * A group without a batch norm after its conv falls back to l1 (recorded per group in the report).
 */
import * as tf from '@tensorflow/tfjs';
import { floatForward, halfBatchGradients } from '../float/train.ts';
import type { GraphInfo, PruneGroup } from './prune-graph.ts';

export const IMPORTANCE_METHODS = ['bn', 'l1', 'taylor'] as const;
export type ImportanceMethod = (typeof IMPORTANCE_METHODS)[number];

export interface GroupImportance {
  method: ImportanceMethod;
  values: number[];
}

/** The batch norm directly after `g.conv` (its only reader), if any. */
function bnAfter(info: GraphInfo, g: PruneGroup): tf.layers.Layer | undefined {
  const readers = info.layers.filter((l) => info.inputsOf.get(l.name)!.some((p) => p.name === g.conv));
  return readers.length === 1 && readers[0].getClassName() === 'BatchNormalization' ? readers[0] : undefined;
}

function l1(info: GraphInfo, g: PruneGroup): number[] {
  const k = info.fm.getLayer(g.conv).getWeights()[0]; // [kh, kw, cin, cout]
  const v = k.dataSync() as Float32Array, cout = k.shape[3]!;
  const out = new Array<number>(cout).fill(0);
  for (let i = 0; i < v.length; i++) out[i % cout] += Math.abs(v[i]);
  return out;
}

/**
 * Importance of every group's channels. `taylorModel` is a second copy of the model (taylor only):
 * the training-mode forward moves its batch norms' moving statistics, which the pruned model must not inherit.
 */
export function channelImportance(info: GraphInfo, method: ImportanceMethod, o: { taylorModel?: tf.LayersModel; seed: number; batches: number; batch: number; input: number }): Map<string, GroupImportance> {
  const out = new Map<string, GroupImportance>();
  const taylorSums = method === 'taylor' ? taylor(info, o) : undefined;
  for (const g of info.groups) {
    const bn = bnAfter(info, g);
    if (!bn || method === 'l1') out.set(g.conv, { method: 'l1', values: l1(info, g) });
    else if (method === 'bn') out.set(g.conv, { method, values: Array.from(bn.getWeights()[0].dataSync(), Math.abs) });
    else out.set(g.conv, { method, values: taylorSums!.get(bn.name)! });
  }
  return out;
}

/** |gamma dL/dgamma + beta dL/dbeta| per channel of every group's batch norm, summed over `batches` batches. */
function taylor(info: GraphInfo, o: { taylorModel?: tf.LayersModel; seed: number; batches: number; batch: number; input: number }): Map<string, number[]> {
  const fm = o.taylorModel!;
  const bns = info.groups.map((g) => bnAfter(info, g)).filter((b): b is tf.layers.Layer => b !== undefined).map((b) => fm.getLayer(b.name));
  // gamma and beta of each batch norm, in that order.
  const vars = bns.flatMap((b) => b.trainableWeights.map((w) => w.read() as tf.Variable));
  const forward = floatForward(fm);
  const sums = bns.map((b) => new Float64Array(b.trainableWeights[0].shape[0]!));
  for (let k = 0; k < o.batches; k++) {
    const { grads } = halfBatchGradients(forward, vars, { stream: o.seed * 1_000_003 + 7919 + k, from: 0, to: o.batch, input: o.input });
    let off = 0;
    bns.forEach((b, i) => {
      const gamma = b.trainableWeights[0].read().dataSync(), beta = b.trainableWeights[1].read().dataSync();
      const c = gamma.length;
      for (let ch = 0; ch < c; ch++) sums[i][ch] += Math.abs(gamma[ch] * grads[off + ch] + beta[ch] * grads[off + c + ch]);
      off += 2 * c;
    });
  }
  return new Map(bns.map((b, i) => [b.name, Array.from(sums[i])]));
}

/** The `n` most important channel indices (ties: the lower index), in ascending order. */
export function topChannels(values: number[], n: number): number[] {
  return values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, n).map((p) => p[1]).sort((a, b) => a - b);
}

/** The share of a group's importance mass that its `n` most important channels hold (1 for a group whose mass is 0). */
export function keptMass(values: number[], n: number): number {
  const sorted = [...values].sort((a, b) => b - a);
  const total = sorted.reduce((a, v) => a + v, 0);
  return total > 0 ? sorted.slice(0, n).reduce((a, v) => a + v, 0) / total : 1;
}
