/**
 * The imported network as a list of codenet float layers, and its TensorFlow.js model. The layers
 * and their names follow src/float/model.ts, so the quantizer reads an imported model as it reads
 * a zoo one: `<conv>` then `<conv>.bn` and `<conv>.relu`, a `<conv>.pad` zero pad before each 3x3
 * conv and the max pool, `<x>.offset` (1x1 conv to one channel) + `<x>.deform` (DeformDepthwise),
 * ChannelSlice, ChannelShuffle, Concatenate, UpSampling2D.
 */
import * as tf from '@tensorflow/tfjs';
import { ChannelShuffle, ChannelSlice, DeformDepthwise } from '../float/model.ts';
import type { WeightHint } from './hints.ts';

export interface BatchNorm { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; epsilon: number }

/** NHWC shape of one image. */
export interface Shape { h: number; w: number; c: number }

interface Common {
  /** Layer name in the float model (assigned last: see nameLayers in lower.ts). */
  name: string;
  /** Name derived from the ONNX node, used unless the layer gets a fixed name. */
  hint: string;
  shape: Shape;
}

export interface ConvLayer extends Common {
  kind: 'conv';
  /** stem: 3x3 over the image; dw: depthwise 3x3; conv1x1; offset: the 1x1 conv to the dilation map. */
  role: 'stem' | 'dw' | 'conv1x1' | 'offset';
  input: Ref;
  kernel: 1 | 3;
  stride: number;
  dilation: number;
  /** Zero pad on each side before a 'valid' conv. */
  pad: number;
  /** TensorFlow layout: [k][k][cin][cout], depthwise [3][3][c][1]. */
  weights: Float32Array;
  bias?: Float32Array;
  bn?: BatchNorm;
  relu?: { max?: number };
  /** The graph's weight quantizer (QDQ, QONNX): the weights above are its dequantized values. */
  wq?: WeightHint;
}

export interface DeformLayer extends Common {
  kind: 'deform';
  input: Ref;
  offset: ConvLayer;
  dmax: number;
  /** [3][3][c][1]. */
  weights: Float32Array;
  bias?: Float32Array;
  bn?: BatchNorm;
  relu?: { max?: number };
  wq?: WeightHint;
}

export type MoveLayer = Common & (
  | { kind: 'upsample' | 'shuffle'; input: Ref }
  /** `same`: TensorFlow's 'same' padding (symmetric for an odd size; it ignores the border, as the integer op does) instead of a zero pad. */
  | { kind: 'maxpool'; input: Ref; same: boolean }
  /** `node`: the ONNX node, for messages. */
  | { kind: 'slice'; input: Ref; begin: number; node: string }
  | { kind: 'concat'; inputs: Ref[] }
);

export type FLayer = ConvLayer | DeformLayer | MoveLayer;
/** A layer's output, or the graph input. */
export type Ref = FLayer | 'input';

export interface FloatGraph {
  name: string;
  input: Shape;
  layers: FLayer[];
  outputs: Ref[];
}

/** The float model of `g`, weights set. */
export function buildTfModel(g: FloatGraph): tf.LayersModel {
  const image = tf.input({ shape: [g.input.h, g.input.w, g.input.c], name: 'image' });
  const out = new Map<Ref, tf.SymbolicTensor>([['input', image]]);
  const weights: Array<[string, tf.Tensor[]]> = [];
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const pad = (name: string, x: tf.SymbolicTensor, p: number) => (p ? apply(tf.layers.zeroPadding2d({ name: `${name}.pad`, padding: p }), x) : x);
  const tail = (l: ConvLayer | DeformLayer, y: tf.SymbolicTensor): tf.SymbolicTensor => {
    // A bias with no batch norm after a deformable layer (DeformDepthwise has none) goes into one.
    const bn = l.bn ?? (l.kind === 'deform' && l.bias ? { gamma: new Float32Array(l.shape.c).fill(1), beta: l.bias, mean: new Float32Array(l.shape.c), variance: new Float32Array(l.shape.c).fill(1), epsilon: 0 } : undefined);
    if (bn) {
      y = apply(tf.layers.batchNormalization({ name: `${l.name}.bn`, momentum: 0.9, epsilon: bn.epsilon }), y);
      weights.push([`${l.name}.bn`, [tf.tensor1d(bn.gamma), tf.tensor1d(bn.beta), tf.tensor1d(bn.mean), tf.tensor1d(bn.variance)]]);
    }
    return l.relu ? apply(tf.layers.reLU({ name: `${l.name}.relu`, ...(l.relu.max !== undefined ? { maxValue: l.relu.max } : {}) }), y) : y;
  };
  for (const l of g.layers) {
    const x = (r: Ref) => out.get(r) ?? (() => { throw new Error(`layer ${l.name} reads a layer built after it`); })();
    let y: tf.SymbolicTensor;
    switch (l.kind) {
      case 'conv': {
        const cin = (l.input === 'input' ? g.input : l.input.shape).c;
        const common = { name: l.name, kernelSize: l.kernel, strides: l.stride, dilationRate: l.dilation, padding: 'valid' as const, useBias: !!l.bias };
        const layer = l.role === 'dw' ? tf.layers.depthwiseConv2d(common) : tf.layers.conv2d({ ...common, filters: l.shape.c });
        y = apply(layer, pad(l.name, x(l.input), l.pad));
        const k = l.role === 'dw' ? [l.kernel, l.kernel, cin, 1] : [l.kernel, l.kernel, cin, l.shape.c];
        weights.push([l.name, [tf.tensor(l.weights, k), ...(l.bias ? [tf.tensor1d(l.bias)] : [])]]);
        y = tail(l, y);
        break;
      }
      case 'deform':
        y = apply(new DeformDepthwise({ name: l.name, dmax: l.dmax }), [x(l.input), x(l.offset)]);
        weights.push([l.name, [tf.tensor(l.weights, [3, 3, l.shape.c, 1])]]);
        y = tail(l, y);
        break;
      case 'maxpool':
        // A zero pad equals ignoring the taps outside the image for inputs >= 0; else 'same' on an odd size (checked on import).
        y = l.same
          ? apply(tf.layers.maxPooling2d({ name: l.name, poolSize: 3, strides: 2, padding: 'same' }), x(l.input))
          : apply(tf.layers.maxPooling2d({ name: l.name, poolSize: 3, strides: 2, padding: 'valid' }), pad(l.name, x(l.input), 1));
        break;
      case 'upsample':
        y = apply(tf.layers.upSampling2d({ name: l.name, size: [2, 2] }), x(l.input));
        break;
      case 'shuffle':
        y = apply(new ChannelShuffle({ name: l.name }), x(l.input));
        break;
      case 'slice':
        y = apply(new ChannelSlice({ name: l.name, begin: l.begin, size: l.shape.c }), x(l.input));
        break;
      case 'concat':
        y = apply(tf.layers.concatenate({ name: l.name, axis: -1 }), l.inputs.map(x));
        break;
    }
    out.set(l, y);
  }
  const model = tf.model({ name: g.name, inputs: image, outputs: g.outputs.map((r) => out.get(r)!) });
  for (const [name, ws] of weights) {
    model.getLayer(name).setWeights(ws);
    tf.dispose(ws);
  }
  return model;
}
