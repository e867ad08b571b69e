import type { Layer, Model, Tensor } from '../ir/model.ts';
import type { OpName } from '../ir/schema.ts';
import type { ZooSpec } from './specs.ts';
import { fail } from '../util/errors.ts';

/**
 * Builds the topology of a CoDeNet network: layers and tensor shapes, no weights yet
 * (zoo/calibrate.ts fills weights, S, B, n and the tensors' scale and zero code).
 * Each tensor is named after the layer that writes it.
 */
export interface Skeleton {
  model: Model;
}

/** ImageNet mean per RGB channel: the input pad code is the code of a mean pixel (real 0 after normalisation). */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = 0.226;

class GraphBuilder {
  readonly tensors = new Map<string, Tensor>();
  readonly layers: Layer[] = [];

  tensor(name: string, shape: [number, number, number], kind: 'act' | 'dilation' = 'act'): string {
    this.tensors.set(name, { name, shape, kind, scale: 1, zero: 0, pad: new Int8Array(shape[2]) });
    return name;
  }

  shape(t: string): [number, number, number] {
    return this.tensors.get(t)!.shape;
  }

  add(name: string, op: OpName, inputs: string[], outShapes: Array<[number, number, number]>, attrs: Partial<Layer> = {}, outNames?: string[]): string[] {
    const outputs = outShapes.map((s, i) => this.tensor(outNames?.[i] ?? (outShapes.length > 1 ? `${name}.${i}` : name), s, op === 'offset' ? 'dilation' : 'act'));
    this.layers.push({ name, op, inputs, outputs, stride: 1, relu: false, dilation: 1, dmax: 0, ...attrs });
    return outputs;
  }

  conv1x1(name: string, x: string, cout: number, relu: boolean): string {
    const [h, w] = this.shape(x);
    return this.add(name, 'conv1x1', [x], [[h, w, cout]], { relu })[0];
  }

  dw(name: string, x: string, stride: number, relu: boolean): string {
    const [h, w, c] = this.shape(x);
    return this.add(name, 'dw3x3', [x], [[down(h, stride), down(w, stride), c]], { stride, relu, dilation: 1 })[0];
  }
}

const down = (v: number, s: number) => Math.floor((v - 1) / s) + 1;

function strideTwoUnit(g: GraphBuilder, p: string, x: string, cout: number): string {
  const half = cout / 2;
  const b1 = g.conv1x1(`${p}.b1.pw`, g.dw(`${p}.b1.dw`, x, 2, false), half, true);
  const b2 = g.conv1x1(`${p}.b2.pw2`, g.dw(`${p}.b2.dw`, g.conv1x1(`${p}.b2.pw1`, x, half, true), 2, false), half, true);
  return concatShuffle(g, p, [b1, b2]);
}

function strideOneUnit(g: GraphBuilder, p: string, x: string): string {
  const [h, w, c] = g.shape(x);
  const half = c / 2;
  const [keep, branch] = g.add(`${p}.split`, 'split', [x], [[h, w, half], [h, w, half]]);
  const b = g.conv1x1(`${p}.pw2`, g.dw(`${p}.dw`, g.conv1x1(`${p}.pw1`, branch, half, true), 1, false), half, true);
  return concatShuffle(g, p, [keep, b]);
}

function concatShuffle(g: GraphBuilder, p: string, parts: string[]): string {
  const [h, w] = g.shape(parts[0]);
  const c = parts.reduce((a, t) => a + g.shape(t)[2], 0);
  const cat = g.add(`${p}.concat`, 'concat', parts, [[h, w, c]])[0];
  return g.add(`${p}.shuffle`, 'shuffle', [cat], [[h, w, c]])[0];
}

function decoderBlock(g: GraphBuilder, p: string, x: string, cout: number, dmax: number): string {
  const [h, w, c] = g.shape(x);
  const dmap = g.add(`${p}.offset`, 'offset', [x], [[h, w, 1]], { dmax })[0];
  const def = g.add(`${p}.deform`, 'dwdeform', [x, dmap], [[h, w, c]], { stride: 1, relu: false })[0];
  const pw = g.conv1x1(`${p}.pw`, def, cout, true);
  return g.add(`${p}.up`, 'upsample', [pw], [[2 * h, 2 * w, cout]])[0];
}

function head(g: GraphBuilder, name: string, x: string, hidden: number, out: number): string {
  const h1 = g.conv1x1(`${name}.pw1`, x, hidden, true);
  const h2 = g.dw(`${name}.dw`, h1, 1, true);
  return g.conv1x1(name, h2, out, false);
}

export function buildTopology(spec: ZooSpec, classes: number): Model {
  const g = new GraphBuilder();
  const s = spec.input;
  const image = g.tensor('image', [s, s, 3]);
  const img = g.tensors.get(image)!;
  img.scale = 1 / (255 * IMAGENET_STD);
  img.zero = 0;
  img.pad = Int8Array.from(IMAGENET_MEAN.map((m) => Math.round(255 * m) - 128));

  const [c0, c2, c3, c4, c5] = spec.channels;
  let x: string;
  if (spec.stem === 's4') {
    x = g.add('stem', 'stem', [image], [[down(s, 4), down(s, 4), c0]], { stride: 4, relu: true })[0];
  } else {
    const st = g.add('stem', 'stem', [image], [[down(s, 2), down(s, 2), c0]], { stride: 2, relu: true })[0];
    const [h, w] = g.shape(st);
    x = g.add('stem.pool', 'maxpool', [st], [[down(h, 2), down(w, 2), c0]])[0];
  }
  // Backbone tensors at strides 4, 8, 16: the decoder's skip inputs, deepest last.
  const taps = [x];
  [c2, c3, c4].forEach((cout, i) => {
    const stage = `stage${i + 2}`;
    x = strideTwoUnit(g, `${stage}.0`, x, cout);
    for (let u = 1; u <= spec.repeats[i]; u++) x = strideOneUnit(g, `${stage}.${u}`, x);
    taps.push(x);
  });
  x = g.conv1x1('conv5', x, c5, true);
  spec.decoder.forEach((cout, i) => {
    x = decoderBlock(g, `dec${i + 1}`, x, cout, spec.dmax);
    if (spec.skips) {
      const skip = taps[2 - i], [h, w] = g.shape(x);
      if (g.shape(skip)[0] !== h || g.shape(skip)[1] !== w) fail(`${spec.name} with decoder skips needs an input side divisible by 32, got ${s}`);
      x = g.add(`dec${i + 1}.cat`, 'concat', [x, skip], [[h, w, g.shape(x)[2] + g.shape(skip)[2]]])[0];
    }
  });
  const outputs = [head(g, 'hm', x, spec.head, classes), head(g, 'wh', x, spec.head, 2), head(g, 'reg', x, spec.head, 2)];
  return {
    name: spec.name,
    metadata: { name: spec.name, classes, inputSize: [s, s], description: spec.description, dmax: spec.dmax },
    tensors: g.tensors, layers: g.layers, inputs: [image], outputs,
  };
}
