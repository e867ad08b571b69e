/**
 * The integer graph (docs/ir.md) of a float model: read off the layer graph of a TensorFlow.js
 * layers model, whatever its topology (a zoo network, an imported one, one built with
 * src/float/graph-builder.ts), so the quantizer, QAT and the SQNR report never need to know which
 * network it is.
 *
 * - A conv (Conv2D, DepthwiseConv2D, the deformable depthwise layer) with the batch norm and ReLU
 *   after it is one integer layer named after the conv: batch norm folds into its weights, ReLU is
 *   the requantizer's floor, and a zero padding before it is the integer kernel's own padding.
 * - A 1x1 conv to one channel that only feeds deformable layers' offset inputs is an `offset` layer.
 * - ChannelSlice layers that tile one tensor's channels are one `split`.
 * - Concatenate, ChannelShuffle, UpSampling2D and MaxPooling2D are concat, shuffle, upsample and maxpool.
 * Anything else is refused, naming the layer, its class and why.
 *
 * Layers come out in depth-first post-order from the outputs (inputs in order): for the zoo
 * networks, exactly the order of src/zoo/graph.ts (a test holds the quantized models byte-identical).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Layer, Model, Tensor } from '../ir/model.ts';
import type { OpName } from '../ir/schema.ts';
import type { ZooSpec } from '../zoo/specs.ts';
import { buildTopology } from '../zoo/graph.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../float/model.ts';
import { findCenterNetHeads } from '../detect/heads.ts';
import { fail } from '../util/errors.ts';
import { OPS, windowOut } from '../ops/index.ts';

type FL = tf.layers.Layer;
type Shape3 = [number, number, number];

/** Where the float values of the integer graph live in the float model. */
export interface FloatBinding {
  /** IR tensor -> the float layer whose output it is (after its batch norm and ReLU). */
  source: Map<string, string>;
  /** IR layer with weights -> its conv layer and the batch norm folded into it. */
  params: Map<string, { conv: string; bn?: string }>;
  /**
   * IR tensor -> the cap m of the capped ReLU (ReLU6: m = 6; tfjs ReLU maxValue, Activation
   * 'relu6') of the conv that writes it. The integer layer is an ordinary ReLU layer; the cap is
   * its output quantizer's top code, pinned to m by the quantizer (docs/numerics.md section 10).
   */
  caps: Map<string, number>;
}

export interface IntegerGraph extends FloatBinding {
  /** Topology and shapes; weights and activation quantizers not yet set (scale 1, zero 0). */
  model: Model;
}

export const SUPPORTED_LAYERS = 'Conv2D (3x3 on the input image, stride 1, 2 or 4: the stem; 1x1, stride 1), ' +
  'DepthwiseConv2D (3x3, stride 1 or 2, dilation 1..15 at stride 1), CodenetDeformDepthwise (its offset a 1x1 conv to 1 channel), ' +
  'BatchNormalization and ReLU (or ReLU6, a capped ReLU) after a conv, ZeroPadding2D before a 3x3 conv or max pool, MaxPooling2D (3x3, stride 2), ' +
  'Concatenate (channels), CodenetChannelSlice (slices tiling a tensor\'s channels), CodenetChannelShuffle, UpSampling2D (x2, nearest)';

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D', 'CodenetDeformDepthwise']);
const MAX_DILATION = 15;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cfg = (l: FL): Record<string, any> => l.getConfig();
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

/** The cap of a tfjs ReLU layer's maxValue (undefined: none), which must be a finite positive number. */
function capOf(l: FL, max: unknown): number | undefined {
  if (max == null) return undefined;
  if (typeof max !== 'number' || !(max > 0) || !Number.isFinite(max)) refuse(l, `a ReLU capped at ${String(max)}; a cap must be a positive number (ReLU6: 6)`);
  return max;
}

function refuse(l: FL, why: string): never {
  fail(`float layer "${l.name}" (${l.getClassName()}): ${why}. Supported: ${SUPPORTED_LAYERS}`);
}

class Walker {
  readonly tensors = new Map<string, Tensor>();
  readonly layers: Layer[] = [];
  readonly source = new Map<string, string>();
  readonly params = new Map<string, { conv: string; bn?: string }>();
  readonly caps = new Map<string, number>();
  /** Float layer -> the IR tensor of its output. */
  private readonly done = new Map<string, string>();
  private readonly readersOf = new Map<string, FL[]>();
  private readonly outputLayers: Set<string>;
  /** IR tensors whose values are >= 0 (after a ReLU, and moved since). */
  private readonly nonNegative = new Set<string>();

  constructor(private readonly fm: tf.LayersModel) {
    this.outputLayers = new Set(fm.outputs.map((o) => o.sourceLayer.name));
    for (const l of fm.layers) {
      if (l.inboundNodes.length !== 1) refuse(l, `it is applied ${l.inboundNodes.length} times (shared weights); each integer layer has its own`);
      for (const p of this.inputs(l)) this.readersOf.set(p.name, [...(this.readersOf.get(p.name) ?? []), l]);
    }
  }

  inputs(l: FL): FL[] {
    return l.getClassName() === 'InputLayer' ? [] : [l.input].flat().map((s) => s.sourceLayer as FL);
  }

  private readers(l: FL): FL[] {
    return this.readersOf.get(l.name) ?? [];
  }

  private shape(l: FL): Shape3 {
    if (Array.isArray(l.output)) refuse(l, `it has ${l.output.length} outputs; integer layers have one`);
    const s = l.output.shape;
    if (s.length !== 4 || s.slice(1).some((v) => !(Number(v) >= 1))) refuse(l, `its output has shape [${s}]; the integer graph holds [N, H, W, C] maps of fixed size`);
    return s.slice(1) as Shape3;
  }

  /** The single input of `l`, which `l` alone reads: the two fuse into one integer layer. */
  private fusedInput(l: FL): FL {
    const [p] = this.inputs(l);
    const others = this.readers(p).filter((r) => r !== l).map((r) => `"${r.name}"`);
    if (others.length || this.outputLayers.has(p.name))
      refuse(p, `its output is read by ${others.length ? others.join(', ') : 'the model outputs'} besides "${l.name}", but the integer layer fuses the two and keeps only the output of "${l.name}"`);
    return p;
  }

  visit(l: FL): string {
    const hit = this.done.get(l.name);
    if (hit !== undefined) return hit;
    const t = this.emit(l);
    this.done.set(l.name, t);
    return t;
  }

  private addTensor(name: string, shape: Shape3, kind: Tensor['kind'] = 'act'): string {
    if (this.tensors.has(name)) fail(`float model "${this.fm.name}": two integer tensors would be named "${name}"; rename one of the float layers`);
    this.tensors.set(name, { name, shape, kind, scale: 1, zero: 0, pad: new Int8Array(shape[2]) });
    return name;
  }

  private add(l: FL, op: OpName, inputs: string[], attrs: Partial<Layer> = {}): string {
    const out = this.addTensor(l.name, this.shape(l), op === 'offset' ? 'dilation' : 'act');
    this.layers.push({ name: l.name, op, inputs, outputs: [out], stride: 1, relu: false, dilation: 1, dmax: 0, ...attrs });
    return out;
  }

  /** A layer that only moves codes: its output is >= 0 where all its inputs are. */
  private move(l: FL, op: OpName, inputs: string[]): string {
    const out = this.add(l, op, inputs);
    this.source.set(out, l.name);
    if (inputs.every((t) => this.nonNegative.has(t))) this.nonNegative.add(out);
    return out;
  }

  private emit(l: FL): string {
    const c = cfg(l);
    switch (l.getClassName()) {
      case 'InputLayer': {
        if (l !== this.fm.inputs[0].sourceLayer) refuse(l, 'the integer model has one input, the image');
        const shape = this.shape(l);
        if (shape[2] !== 3) refuse(l, `the input has ${shape[2]} channels; the integer model takes RGB images (3)`);
        const t = this.addTensor(l.name, shape);
        const img = this.tensors.get(t)!;
        // Real 0 after the float model's normalisation (imagesToTensor) is the mean pixel: its code pads.
        img.scale = 1 / (255 * IMAGENET_STD);
        img.pad = Int8Array.from(IMAGENET_MEAN.map((m) => Math.round(255 * m) - 128));
        this.source.set(t, l.name);
        return t;
      }
      case 'ReLU': case 'Activation': case 'BatchNormalization': case 'Conv2D': case 'DepthwiseConv2D': case 'CodenetDeformDepthwise':
        return this.convGroup(l);
      case 'MaxPooling2D': {
        if (pair(c.poolSize).join() !== '3,3' || pair(c.strides).join() !== '2,2') refuse(l, `pool ${pair(c.poolSize).join('x')} stride ${pair(c.strides).join('x')}; the integer maxpool is 3x3 stride 2`);
        if (c.dataFormat !== 'channelsLast') refuse(l, 'data format must be channelsLast');
        const { input, zeroPad } = this.padded(l, 1, 2, 3);
        const x = this.visit(input);
        // The integer maxpool ignores taps outside the image; a zero pad is the same only for values >= 0.
        if (zeroPad && !this.nonNegative.has(x)) refuse(l, `it max-pools zero padding over "${input.name}", which is not after a ReLU: the integer maxpool ignores taps outside the image, which equals zero padding only for values >= 0 (pad with padding 'same' where it is symmetric, or pool after a ReLU)`);
        return this.move(l, 'maxpool', [x]);
      }
      case 'Concatenate':
        if (c.axis !== -1 && c.axis !== 3) refuse(l, `axis ${c.axis}; the integer concat joins channels (axis -1)`);
        return this.move(l, 'concat', this.inputs(l).map((p) => this.visit(p)));
      case 'UpSampling2D':
        if (pair(c.size).join() !== '2,2' || (c.interpolation ?? 'nearest') !== 'nearest') refuse(l, `size ${pair(c.size).join('x')}, ${c.interpolation}; the integer upsample is x2 nearest`);
        return this.move(l, 'upsample', [this.visit(this.inputs(l)[0])]);
      case 'CodenetChannelShuffle':
        return this.move(l, 'shuffle', [this.visit(this.inputs(l)[0])]);
      case 'CodenetChannelSlice':
        return this.split(l);
      case 'ZeroPadding2D':
        refuse(l, 'zero padding is supported only as the padding of the one 3x3 conv, depthwise conv or max pool that reads it');
      default:
        refuse(l, 'no integer op computes this layer');
    }
  }

  /**
   * The input of a layer with a 3x3 window and the padding it needs (`need` pixels each side, as
   * the integer kernel reads pad codes there): a ZeroPadding2D of exactly that before a 'valid'
   * window, or 'same' padding where TensorFlow's is that (symmetric: it is not for an even input at stride 2).
   */
  private padded(l: FL, need: number, stride: number, extent: number): { input: FL; zeroPad: boolean } {
    const c = cfg(l);
    const [p] = this.inputs(l);
    if (p.getClassName() === 'ZeroPadding2D' && c.padding === 'valid') {
      const pad = cfg(p).padding as [[number, number], [number, number]];
      if (pad.flat().some((v) => v !== need)) refuse(p, `padding [${pad.flat()}] before "${l.name}", which needs ${need} pixel(s) on every side`);
      this.fusedInput(l); // the pad belongs to this layer alone
      return { input: this.inputs(p)[0], zeroPad: true };
    }
    if (need === 0 && c.padding === 'valid') return { input: p, zeroPad: false };
    const [h, w] = this.shape(p);
    const same = (v: number) => {
      const out = Math.ceil(v / stride);
      return out === windowOut(v, stride) && Math.floor(Math.max((out - 1) * stride + extent - v, 0) / 2) === need;
    };
    if (c.padding !== 'same' || !same(h) || !same(w))
      refuse(l, `padding '${c.padding}' on a ${h}x${w} input at stride ${stride}: the integer kernel pads ${need} pixel(s) on every side (use ZeroPadding2D(${need}) and padding 'valid')`);
    return { input: p, zeroPad: false };
  }

  /** A conv with the batch norm and ReLU after it, ending at `end`: one integer layer. */
  private convGroup(end: FL): string {
    let l = end, relu = false, bn: FL | undefined, cap: number | undefined;
    if (l.getClassName() === 'ReLU' || l.getClassName() === 'Activation') {
      const a = l.getClassName() === 'Activation' ? cfg(l).activation : 'relu';
      if (a !== 'relu' && a !== 'relu6') refuse(l, `activation "${a}"; the integer layers have ReLU (and ReLU6) only`);
      cap = a === 'relu6' ? 6 : capOf(l, cfg(l).maxValue);
      relu = true;
      l = this.fusedInput(l);
    }
    if (l.getClassName() === 'BatchNormalization') {
      if (cfg(l).axis !== -1 && cfg(l).axis !== 3) refuse(l, `axis ${cfg(l).axis}; batch norm folds per channel (axis -1)`);
      bn = l;
      l = this.fusedInput(l);
    }
    if (!CONVS.has(l.getClassName()))
      refuse(end, `${relu ? 'ReLU' : 'batch norm'} follows "${l.name}" (${l.getClassName()}), but it folds only into a conv (or the conv's batch norm) before it`);
    const c = cfg(l);
    const act = c.activation ?? 'linear';
    if ((act === 'relu' || act === 'relu6') && !bn && !relu) [relu, cap] = [true, act === 'relu6' ? 6 : undefined];
    else if (act !== 'linear') refuse(l, `activation "${act}"${act === 'relu' || act === 'relu6' ? ' before a batch norm or ReLU layer' : ''}; give a linear conv, then batch norm, then ReLU`);
    if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') refuse(l, 'data format must be channelsLast');

    const name = l.name;
    let out: string;
    const kind = l.getClassName();
    if (kind === 'CodenetDeformDepthwise') {
      const [x, off] = this.inputs(l);
      const xs = this.visit(x);
      out = this.add(l, 'dwdeform', [xs, this.visit(off)], { stride: 1, relu });
      if (this.tensors.get(this.done.get(off.name)!)!.kind !== 'dilation') refuse(off, 'the offset input of a deformable layer must be a 1x1 conv to one channel (with its batch norm), read by deformable layers only');
    } else if (kind === 'DepthwiseConv2D') {
      const [s] = pair(c.strides), [d, d2] = pair(c.dilationRate ?? 1);
      if (pair(c.kernelSize).join() !== '3,3' || (c.depthMultiplier ?? 1) !== 1) refuse(l, `kernel ${pair(c.kernelSize).join('x')}, depth multiplier ${c.depthMultiplier}; the integer depthwise conv is 3x3, multiplier 1`);
      if (pair(c.strides)[1] !== s || ![1, 2].includes(s)) refuse(l, `strides [${pair(c.strides)}]; the integer depthwise conv has stride 1 or 2`);
      // (tfjs-layers ignores a DepthwiseConv2D's dilation; src/float/depthwise-dilation.ts applies it.)
      if (d2 !== d || d < 1 || d > MAX_DILATION || (d > 1 && s !== 1)) refuse(l, `dilation [${d},${d2}] at stride ${s}; the integer depthwise conv has one dilation 1..${MAX_DILATION}, and 1 at stride 2`);
      const { input } = this.padded(l, d, s, 2 * d + 1);
      out = this.add(l, 'dw3x3', [this.visit(input)], { stride: s, relu, dilation: d });
    } else {
      const k = pair(c.kernelSize), [s] = pair(c.strides);
      if (pair(c.dilationRate ?? 1).join() !== '1,1') refuse(l, `dilation [${pair(c.dilationRate)}]; the integer convs are not dilated`);
      if (pair(c.strides)[1] !== s) refuse(l, `strides [${pair(c.strides)}]; the integer layers take one stride`);
      if (k.join() === '1,1') {
        if (s !== 1) refuse(l, `a 1x1 conv at stride ${s}; the integer conv1x1 has stride 1`);
        const { input } = this.padded(l, 0, 1, 1);
        const xs = this.visit(input);
        const offsetOf = this.readers(end).filter((r) => r.getClassName() === 'CodenetDeformDepthwise' && this.inputs(r)[1] === end);
        if (offsetOf.length) {
          const dmax = new Set(offsetOf.map((r) => cfg(r).dmax as number));
          if (offsetOf.length !== this.readers(end).length || this.outputLayers.has(end.name) || this.inputs(offsetOf[0])[0] === end)
            refuse(end, 'it is the offset input of a deformable layer and read as features too; an offset conv\'s output is a dilation map, read by deformable layers only');
          if (relu || c.filters !== 1 || dmax.size !== 1) refuse(l, `an offset conv must be a 1x1 conv to one channel without ReLU, read by deformable layers of one dmax (it has ${c.filters} filters${relu ? ', ReLU' : ''}, dmax ${[...dmax]})`);
          out = this.add(l, 'offset', [xs], { dmax: [...dmax][0] });
        } else out = this.add(l, 'conv1x1', [xs], { relu });
      } else if (k.join() === '3,3') {
        const { input } = this.padded(l, 1, s, 3);
        if (input !== this.fm.inputs[0].sourceLayer) refuse(l, 'a full 3x3 conv is the stem, which reads the input image (other layers are 1x1 or depthwise)');
        if (![1, 2, 4].includes(s)) refuse(l, `stride ${s}; the stem has stride 1, 2 or 4`);
        out = this.add(l, 'stem', [this.visit(input)], { stride: s, relu });
      } else refuse(l, `kernel ${k.join('x')}; convs are 1x1, or 3x3 on the input image (the stem)`);
    }
    if (out !== name) throw new Error(`integer layer ${out} is not named after its conv ${name}`);
    this.source.set(out, end.name);
    this.params.set(out, { conv: name, ...(bn ? { bn: bn.name } : {}) });
    if (relu) this.nonNegative.add(out);
    if (cap !== undefined) this.caps.set(out, cap); // (an offset conv with a ReLU is refused above)
    return out;
  }

  /** Channel slices of one tensor that tile its channels, in order: one integer split, outputs named after the slices. */
  private split(l: FL): string {
    const [p] = this.inputs(l);
    const x = this.visit(p);
    const slices = this.readers(p).filter((r) => r.getClassName() === 'CodenetChannelSlice').sort((a, b) => cfg(a).begin - cfg(b).begin);
    let next = 0;
    for (const s of slices) {
      if (cfg(s).begin !== next) refuse(s, `it takes channels ${cfg(s).begin}..${cfg(s).begin + cfg(s).size - 1} of "${p.name}", but the slices of a tensor must tile its channels in order (the integer split) and the previous ones end at ${next - 1}`);
      next += cfg(s).size;
    }
    const c = this.shape(p)[2];
    if (next !== c || slices.length < 2) refuse(l, `the slices of "${p.name}" take ${next} of its ${c} channels in ${slices.length} part(s); the integer split cuts all channels into two or more parts`);
    // Named as the zoo names it: slices "<base>.0", "<base>.1", ... make layer "<base>".
    const base = slices[0].name.replace(/\.0$/, '');
    let name = slices.every((s, i) => s.name === `${base}.${i}`) ? base : `${slices[0].name}.split`;
    while (this.fm.layers.some((f) => f.name === name)) name += '.split';
    const outputs = slices.map((s) => this.addTensor(s.name, this.shape(s)));
    this.layers.push({ name, op: 'split', inputs: [x], outputs, stride: 1, relu: false, dilation: 1, dmax: 0 });
    slices.forEach((s) => {
      this.done.set(s.name, s.name);
      this.source.set(s.name, s.name);
      if (this.nonNegative.has(x)) this.nonNegative.add(s.name);
    });
    return l.name;
  }
}

/**
 * The integer graph of float model `fm` (its layers must be of the supported kinds; exit 2
 * naming the first that is not). Metadata: name (`name`, default the float model's), classes (the
 * hm head's channels, if it has CenterNet heads), inputSize, dmax (of the offset layers).
 */
export function integerGraph(fm: tf.LayersModel, name = fm.name): IntegerGraph {
  if (fm.inputs.length !== 1) fail(`float model "${fm.name}" has ${fm.inputs.length} inputs; the integer model takes one image`);
  const w = new Walker(fm);
  const outputs = fm.outputs.map((o) => w.visit(o.sourceLayer as FL));
  const input = w.visit(fm.inputs[0].sourceLayer as FL);
  for (const o of outputs) if (w.tensors.get(o)!.kind !== 'act') fail(`float model "${fm.name}": output "${o}" is an offset conv's dilation map; outputs are feature maps`);
  const model: Model = { name, metadata: {}, tensors: w.tensors, layers: w.layers, inputs: [input], outputs };
  describeModel(model, name);
  return { model, source: w.source, params: w.params, caps: w.caps };
}

/** The integer model's metadata, in the key order of src/zoo/graph.ts (the zoo's description when given). */
export function describeModel(m: Model, name: string, description?: string): void {
  const [h, w] = m.tensors.get(m.inputs[0])!.shape;
  const heads = findCenterNetHeads(m.outputs, m.outputs.map((o) => m.tensors.get(o)!.shape[2]));
  const dmax = Math.max(-1, ...m.layers.filter((l) => OPS[l.op].outputKind === 'dilation').map((l) => l.dmax));
  m.name = name;
  m.metadata = {
    name, ...(heads ? { classes: m.tensors.get(m.outputs[heads.hm])!.shape[2] } : {}), inputSize: [h, w],
    ...(description !== undefined ? { description } : {}), ...(dmax >= 0 ? { dmax } : {}),
  };
}

const bindings = new WeakMap<tf.LayersModel, FloatBinding>();

/** The float layers behind every integer tensor and layer of `fm` (walked once per model: QAT asks every step). */
export function floatBinding(fm: tf.LayersModel): FloatBinding {
  let b = bindings.get(fm);
  if (!b) {
    const { source, params, caps } = integerGraph(fm);
    bindings.set(fm, (b = { source, params, caps }));
  }
  return b;
}

/** How integer graph `m` differs from the zoo network `spec` at m's input size (undefined: it is that network). */
export function zooDifference(m: Model, spec: ZooSpec): string | undefined {
  const [h, w] = m.tensors.get(m.inputs[0])!.shape;
  if (h !== w) return `its input is ${h}x${w}, the zoo networks take square images`;
  const classes = Number(m.metadata.classes ?? 1);
  let z: Model;
  try {
    z = buildTopology({ ...spec, input: h }, classes);
  } catch (e) {
    return (e as Error).message;
  }
  const layer = (l: Layer) => JSON.stringify([l.name, l.op, l.inputs, l.outputs, l.stride, l.relu, l.dilation, l.dmax]);
  const tensor = (t: Tensor) => JSON.stringify([t.name, t.shape, t.kind]);
  for (let i = 0; i < Math.max(m.layers.length, z.layers.length); i++) {
    const [a, b] = [m.layers[i], z.layers[i]];
    if (!a || !b || layer(a) !== layer(b)) return `integer layer ${i} is ${a ? layer(a) : 'missing'}, ${spec.name} has ${b ? layer(b) : 'none'}`;
  }
  const [ta, tb] = [[...m.tensors.values()].map(tensor), [...z.tensors.values()].map(tensor)];
  const i = ta.findIndex((t, k) => t !== tb[k]);
  if (i >= 0 || ta.length !== tb.length) return `tensor ${ta[i] ?? 'missing'} where ${spec.name} has ${tb[i] ?? 'none'}`;
  if (JSON.stringify([m.inputs, m.outputs]) !== JSON.stringify([z.inputs, z.outputs])) return `inputs/outputs ${m.inputs}/${m.outputs}, ${spec.name} has ${z.inputs}/${z.outputs}`;
  return undefined;
}
