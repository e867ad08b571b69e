/**
 * Structured channel pruning of a float model (any graph of the layers src/float/graph-builder.ts
 * makes): which conv outputs can lose channels, how a choice of kept channels travels through the
 * graph, and the pruned model itself, made by slicing weights and batch norms.
 *
 * A prunable group is a Conv2D's output channels (its `filters`) whose every path forward ends at
 * the input side of another conv: through batch norm, ReLU, padding, depthwise and deformable
 * depthwise convs (channel by channel), max pool, upsample and concatenation (channels keep their
 * place in the concat). A path that reaches a split (ChannelSlice), a channel shuffle, a
 * deformable layer's offset input or a model output fixes the group: those need the width they
 * have. In a ShuffleNetV2 unit with concatenation instead of residual adds this leaves each
 * branch's internal width (pw1 -> dw -> pw2) prunable and keeps what concat and shuffle require
 * (the units' outputs); in the decoder and heads, the block outputs and the heads' hidden widths.
 */
import * as tf from '@tensorflow/tfjs';
import { fail } from '../util/errors.ts';

type FL = tf.layers.Layer;

/** Layers whose output channels are their first input's channels, one for one. */
const CHANNELWISE = new Set(['BatchNormalization', 'ReLU', 'Activation', 'ZeroPadding2D', 'DepthwiseConv2D', 'MaxPooling2D', 'UpSampling2D', 'CodenetDeformDepthwise']);

export interface PruneGroup {
  /** The Conv2D whose output channels these are. */
  conv: string;
  /** Its output channels in the unpruned model. */
  width: number;
  /** The channel-wise layers (batch norm, depthwise convs, ...) that carry these channels. */
  carriers: string[];
  /** The convs that read these channels (their input side shrinks). */
  readers: string[];
}

export interface GraphInfo {
  fm: tf.LayersModel;
  /** Layers in the model's (topological) order. */
  layers: FL[];
  inputsOf: Map<string, FL[]>;
  groups: PruneGroup[];
}

const inputs = (l: FL): FL[] => (l.getClassName() === 'InputLayer' ? [] : [l.input].flat().map((s) => s.sourceLayer as FL));
const channels = (l: FL): number => {
  const s = (Array.isArray(l.output) ? l.output[0] : l.output).shape;
  return Number(s[s.length - 1]);
};

/** The prunable groups of `fm` and its layer graph. */
export function analyseGraph(fm: tf.LayersModel): GraphInfo {
  const layers = fm.layers as FL[];
  const inputsOf = new Map<string, FL[]>(), readersOf = new Map<string, { l: FL; slot: number }[]>();
  for (const l of layers) {
    if (l.inboundNodes.length !== 1) fail(`float layer "${l.name}" is applied ${l.inboundNodes.length} times (shared weights); prune needs each layer applied once`);
    const ins = inputs(l);
    inputsOf.set(l.name, ins);
    ins.forEach((p, slot) => readersOf.set(p.name, [...(readersOf.get(p.name) ?? []), { l, slot }]));
  }
  const outputs = new Set(fm.outputs.map((o) => o.sourceLayer.name));
  const groups: PruneGroup[] = [];
  for (const conv of layers) {
    if (conv.getClassName() !== 'Conv2D' || outputs.has(conv.name) || channels(conv) < 2) continue;
    const carriers: string[] = [], readers: string[] = [];
    let ok = true;
    const walk = (l: FL): void => {
      for (const { l: r, slot } of readersOf.get(l.name) ?? []) {
        const cls = r.getClassName();
        if (cls === 'Conv2D') readers.includes(r.name) || readers.push(r.name);
        else if ((CHANNELWISE.has(cls) && slot === 0) || cls === 'Concatenate') {
          if (outputs.has(r.name)) ok = false;
          if (!carriers.includes(r.name)) carriers.push(r.name);
          walk(r);
        } else ok = false; // a split, a shuffle, an offset input, or a layer prune does not know
      }
    };
    if (!(readersOf.get(conv.name)?.length)) continue;
    walk(conv);
    if (ok && readers.length) groups.push({ conv: conv.name, width: channels(conv), carriers, readers });
  }
  return { fm, layers, inputsOf, groups };
}

/**
 * The groups that make a detection head work: the heads' hidden widths (groups read by a conv that
 * is a model output: hm.pw1 -> hm.dw -> hm) and what feeds those (groups read by a head-hidden
 * conv: the last decoder block and the stem skip). Cutting them to a few channels collapses the
 * detector (every head reads them; a fine-tune cannot recover a bottleneck of 8 channels), so
 * prune gives them their own floor (--head-min-keep).
 */
export function headGroups(g: GraphInfo): Set<string> {
  const outputs = new Set(g.fm.outputs.map((o) => o.sourceLayer.name));
  const hidden = new Set(g.groups.filter((p) => p.readers.some((r) => outputs.has(r))).map((p) => p.conv));
  const feeding = g.groups.filter((p) => p.readers.some((r) => hidden.has(r))).map((p) => p.conv);
  return new Set([...hidden, ...feeding]);
}

/** Kept channel indices of every layer's output, given each group's kept channels (others keep all). */
export function keptChannels(g: GraphInfo, kept: Map<string, number[]>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  for (const l of g.layers) {
    const ins = g.inputsOf.get(l.name)!;
    const cls = l.getClassName();
    if (cls === 'Conv2D') out.set(l.name, kept.get(l.name) ?? all(channels(l)));
    else if (CHANNELWISE.has(cls)) out.set(l.name, out.get(ins[0].name)!);
    else if (cls === 'Concatenate') {
      const k: number[] = [];
      let base = 0;
      for (const p of ins) {
        for (const c of out.get(p.name)!) k.push(base + c);
        base += channels(p);
      }
      out.set(l.name, k);
    } else {
      for (const p of ins) if (out.get(p.name)!.length !== channels(p)) throw new Error(`prune: layer "${l.name}" (${cls}) reads a pruned tensor`);
      out.set(l.name, all(channels(l)));
    }
  }
  return out;
}

/** Kept channel counts of every layer's output from per-group widths alone (the search's fast path). */
export function keptCounts(g: GraphInfo, widths: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of g.layers) {
    const ins = g.inputsOf.get(l.name)!;
    const cls = l.getClassName();
    if (cls === 'Conv2D') out.set(l.name, widths.get(l.name) ?? channels(l));
    else if (CHANNELWISE.has(cls)) out.set(l.name, out.get(ins[0].name)!);
    else if (cls === 'Concatenate') out.set(l.name, ins.reduce((a, p) => a + out.get(p.name)!, 0));
    else out.set(l.name, channels(l));
  }
  return out;
}

/**
 * `t` at indices `idx` along `axis`, as a new tensor made from its values (tf.gather on the wasm
 * backend leaves a rank-1 result's data recorded with a rank-4 shape, which its fused conv refuses as a bias).
 */
function gather(t: tf.Tensor, idx: number[], axis: number): tf.Tensor {
  const v = t.dataSync() as Float32Array, shape = t.shape;
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1), outer = shape.slice(0, axis).reduce((a, d) => a * d, 1), n = shape[axis];
  const out = new Float32Array(outer * idx.length * inner);
  for (let o = 0; o < outer; o++)
    idx.forEach((c, k) => out.set(v.subarray((o * n + c) * inner, (o * n + c + 1) * inner), (o * idx.length + k) * inner));
  return tf.tensor(out, [...shape.slice(0, axis), idx.length, ...shape.slice(axis + 1)]);
}

/**
 * The pruned model: the same topology with each prunable conv's `filters` set to its kept count,
 * every weight sliced to the kept channels (conv kernels on both sides, depthwise kernels, batch
 * norm's four vectors, biases). A normal float model: quantize, train and every other command take it.
 */
export async function prunedModel(g: GraphInfo, kept: Map<string, number[]>): Promise<tf.LayersModel> {
  const k = keptChannels(g, kept);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const topo = g.fm.toJSON(undefined, false) as any;
  for (const l of topo.config.layers as Array<{ class_name: string; name: string; config: { filters?: number } }>)
    if (l.class_name === 'Conv2D' && kept.has(l.name)) l.config.filters = kept.get(l.name)!.length;
  const pm = await tf.models.modelFromJSON({ modelTopology: topo });
  for (const l of g.layers) {
    const w = l.getWeights();
    if (!w.length) continue;
    const ins = g.inputsOf.get(l.name)!;
    const kin = k.get(ins[0].name)!, kout = k.get(l.name)!;
    const cls = l.getClassName();
    const sliced = tf.tidy(() => {
      if (cls === 'Conv2D') return w.map((t) => (t.rank === 4 ? gather(gather(t, kin, 2), kout, 3) : gather(t, kout, 0)));
      if (cls === 'DepthwiseConv2D' || cls === 'CodenetDeformDepthwise') return w.map((t) => (t.rank === 4 ? gather(t, kin, 2) : gather(t, kin, 0)));
      if (cls === 'BatchNormalization') return w.map((t) => gather(t, kin, 0));
      return fail(`prune: float layer "${l.name}" (${cls}) has weights prune does not know how to slice`);
    });
    pm.getLayer(l.name).setWeights(sliced);
    tf.dispose(sliced);
  }
  return pm;
}
