/**
 * A float model from a graph description: nodes of the ops the integer model has, in any DAG, built
 * as a TensorFlow.js layers model from the layer classes of src/float/model.ts. This is how a
 * network reaches codenet from outside the zoo (the ONNX importer, a test's own network), and how
 * the zoo builds its own (buildFloatModel). Every command that takes a float model takes the result;
 * the quantizer reads the integer graph back from its layers (src/quant/graph.ts). The integer
 * topology of the same description, without TensorFlow.js, is graphTopology (src/ops/graph.ts).
 *
 * Layer names follow the zoo's: a node `x` with weights is the conv layer `x`, with `x.pad` (the
 * zero padding of a 3x3 window), `x.bn` and `x.relu` where it has them; a split `s` writes
 * `s.0`, `s.1`, ... Weights are initialised (He normal; one seed per conv, offset and deform node,
 * drawn in node order); an importer then sets them by layer name with setWeights: a conv
 * [kernel (, bias)], a depthwise or deform node [kernel 3x3xCx1], `x.bn` [gamma, beta, mean, variance].
 */
import * as tf from '@tensorflow/tfjs';
import { ChannelShuffle, ChannelSlice, DeformDepthwise } from './model.ts';
import { Rng } from '../util/rng.ts';
import { fail } from '../util/errors.ts';

/** `input`/`inputs` name earlier nodes' outputs (a split's `s.k`) or the graph input. */
export type FloatNode =
  /** kernel 1 (stride 1), or 3 on the input image (the stem, stride 1, 2 or 4). `bias`: with a bias, initialised to this value (true: 0). */
  | { op: 'conv'; name: string; input: string; filters: number; kernel?: 1 | 3; stride?: number; bn?: boolean; relu?: boolean; bias?: boolean | number }
  /** Depthwise 3x3, stride 1 or 2; dilation 1..15 at stride 1 (float training has no gradient for a dilated one; QAT has). */
  | { op: 'dw'; name: string; input: string; stride?: number; dilation?: number; bn?: boolean; relu?: boolean }
  /** The offset conv of a deformable layer: 1x1 to one channel with a bias (initialised to dilation 1). */
  | { op: 'offset'; name: string; input: string }
  /** Square deformable depthwise 3x3 over `input`, dilation per pixel from the `offset` node, 0..dmax. */
  | { op: 'deform'; name: string; input: string; offset: string; dmax: number; bn?: boolean; relu?: boolean }
  /** Max pool 3x3 stride 2 over one pixel of zero padding (its input after a ReLU: values >= 0). */
  | { op: 'maxpool'; name: string; input: string }
  | { op: 'concat'; name: string; inputs: string[] }
  /** Channels cut in order into parts of `sizes` channels: outputs `name.0`, `name.1`, ... */
  | { op: 'split'; name: string; input: string; sizes: number[] }
  /** Channel shuffle, 2 groups. */
  | { op: 'shuffle'; name: string; input: string }
  /** Nearest-neighbour x2. */
  | { op: 'upsample'; name: string; input: string };

export interface FloatGraph {
  /** The model's name (the integer model keeps it). */
  name: string;
  /** Input side: square RGB images, normalised as src/float/model.ts imagesToTensor does. */
  input: number;
  /** The input tensor's name (default "image"). */
  inputName?: string;
  nodes: FloatNode[];
  /** Output tensors, in order; a CenterNet detector's heads are hm, wh, reg (by name, or these three in order). */
  outputs: string[];
  /** Seed of the weight initialisers (default 1). */
  seed?: number;
}

type SymT = tf.SymbolicTensor;

export function buildFloatGraph(g: FloatGraph): tf.LayersModel {
  if (!Number.isInteger(g.input) || g.input < 8) fail(`float model input must be a whole number >= 8, got ${g.input}`);
  const rng = new Rng(g.seed ?? 1);
  const seed = () => rng.int(1, 2 ** 30);
  const inputName = g.inputName ?? 'image';
  const image = tf.input({ shape: [g.input, g.input, 3], name: inputName });
  const t = new Map<string, SymT>([[inputName, image]]);
  const get = (n: { name: string }, x: string): SymT => t.get(x) ?? fail(`float graph ${g.name}: node "${n.name}" reads "${x}", which no earlier node writes`);
  const put = (name: string, y: SymT) => {
    if (t.has(name)) fail(`float graph ${g.name}: two nodes write "${name}"`);
    t.set(name, y);
  };
  const pad = (name: string, x: SymT, p: number) => tf.layers.zeroPadding2d({ name: `${name}.pad`, padding: p }).apply(x) as SymT;
  const bnRelu = (n: { name: string; bn?: boolean; relu?: boolean }, y: SymT): SymT => {
    if (n.bn ?? true) y = tf.layers.batchNormalization({ name: `${n.name}.bn`, momentum: 0.9, epsilon: 1e-5 }).apply(y) as SymT;
    return n.relu ? (tf.layers.reLU({ name: `${n.name}.relu` }).apply(y) as SymT) : y;
  };

  for (const n of g.nodes) {
    switch (n.op) {
      case 'conv': {
        const k = n.kernel ?? 1, s = n.stride ?? 1, x = get(n, n.input);
        const conv = tf.layers.conv2d({
          name: n.name, filters: n.filters, kernelSize: k, strides: s, padding: 'valid', useBias: n.bias !== undefined && n.bias !== false,
          kernelInitializer: tf.initializers.heNormal({ seed: seed() }),
          ...(typeof n.bias === 'number' ? { biasInitializer: tf.initializers.constant({ value: n.bias }) } : {}),
        });
        put(n.name, bnRelu(n, conv.apply(k === 3 ? pad(n.name, x, 1) : x) as SymT));
        break;
      }
      case 'dw': {
        const d = n.dilation ?? 1;
        const dw = tf.layers.depthwiseConv2d({ name: n.name, kernelSize: 3, strides: n.stride ?? 1, padding: 'valid', useBias: false, depthwiseInitializer: tf.initializers.heNormal({ seed: seed() }), ...(d !== 1 ? { dilationRate: d } : {}) });
        put(n.name, bnRelu(n, dw.apply(pad(n.name, get(n, n.input), d)) as SymT));
        break;
      }
      case 'offset':
        put(n.name, tf.layers.conv2d({
          name: n.name, filters: 1, kernelSize: 1, useBias: true,
          kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: seed() }),
          biasInitializer: tf.initializers.constant({ value: 1 }),
        }).apply(get(n, n.input)) as SymT);
        break;
      case 'deform':
        put(n.name, bnRelu(n, new DeformDepthwise({ name: n.name, dmax: n.dmax, seed: seed() }).apply([get(n, n.input), get(n, n.offset)]) as SymT));
        break;
      case 'maxpool':
        // After ReLU every value is >= 0, so a zero pad is the same as ignoring out-of-image taps.
        put(n.name, tf.layers.maxPooling2d({ name: n.name, poolSize: 3, strides: 2, padding: 'valid' }).apply(pad(n.name, get(n, n.input), 1)) as SymT);
        break;
      case 'concat':
        put(n.name, tf.layers.concatenate({ name: n.name, axis: -1 }).apply(n.inputs.map((x) => get(n, x))) as SymT);
        break;
      case 'split': {
        const x = get(n, n.input);
        let begin = 0;
        n.sizes.forEach((size, k) => {
          put(`${n.name}.${k}`, new ChannelSlice({ name: `${n.name}.${k}`, begin, size }).apply(x) as SymT);
          begin += size;
        });
        if (begin !== x.shape[3]) fail(`float graph ${g.name}: split "${n.name}" cuts ${begin} channels of "${n.input}", which has ${x.shape[3]}`);
        break;
      }
      case 'shuffle':
        put(n.name, new ChannelShuffle({ name: n.name }).apply(get(n, n.input)) as SymT);
        break;
      case 'upsample':
        put(n.name, tf.layers.upSampling2d({ name: n.name, size: [2, 2] }).apply(get(n, n.input)) as SymT);
        break;
      default:
        fail(`float graph ${g.name}: unknown op "${(n as { op: string }).op}"`);
    }
  }
  return tf.model({ name: g.name, inputs: image, outputs: g.outputs.map((o) => get({ name: 'outputs' }, o)) });
}
