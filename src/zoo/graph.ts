import type { Model } from '../ir/model.ts';
import type { FloatGraph, FloatNode } from '../float/graph-builder.ts';
import type { ZooSpec } from './specs.ts';
import { graphTopology } from '../ops/graph.ts';
import { fail } from '../util/errors.ts';

/**
 * A CoDeNet network, written once as a graph description (src/float/graph-builder.ts): its float
 * model is built from it (src/float/model.ts zooFloatGraph), and so is its integer topology here
 * (src/ops/graph.ts: layers and tensor shapes, no weights yet; zoo/calibrate.ts fills weights, S,
 * B, n and the tensors' scale and zero code). Each tensor is named after the layer that writes it.
 */

/** ImageNet mean per RGB channel: the input pad code is the code of a mean pixel (real 0 after normalisation). */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = 0.226;

/** The nodes of zoo network `spec` at input side `input`, without checks of the side or the classes. */
export function zooGraph(spec: ZooSpec, classes: number, input: number, seed?: number): FloatGraph {
  const nodes: FloatNode[] = [];
  const add = <N extends FloatNode>(n: N): string => (nodes.push(n), n.name);
  const conv1x1 = (name: string, x: string, filters: number, relu: boolean) => add({ op: 'conv', name, input: x, filters, relu });
  const dw = (name: string, x: string, stride: number, relu: boolean) => add({ op: 'dw', name, input: x, stride, relu });
  const concatShuffle = (p: string, inputs: string[]) => add({ op: 'shuffle', name: `${p}.shuffle`, input: add({ op: 'concat', name: `${p}.concat`, inputs }) });

  const [c0, c2, c3, c4, c5] = spec.channels;
  let x = add({ op: 'conv', name: 'stem', input: 'image', filters: c0, kernel: 3, stride: spec.stem === 's4' ? 4 : 2, relu: true });
  if (spec.stem !== 's4') x = add({ op: 'maxpool', name: 'stem.pool', input: x });
  const taps = [x]; // strides 4, 8, 16: the decoder's skip inputs (spec.skips)
  [c2, c3, c4].forEach((cout, i) => {
    const stage = `stage${i + 2}`;
    const p0 = `${stage}.0`, half = cout / 2;
    // Stride-2 unit: two branches, both halving the resolution.
    const b1 = conv1x1(`${p0}.b1.pw`, dw(`${p0}.b1.dw`, x, 2, false), half, true);
    const b2 = conv1x1(`${p0}.b2.pw2`, dw(`${p0}.b2.dw`, conv1x1(`${p0}.b2.pw1`, x, half, true), 2, false), half, true);
    x = concatShuffle(p0, [b1, b2]);
    for (let u = 1; u <= spec.repeats[i]; u++) {
      // Stride-1 unit: half the channels pass, the other half go through the branch.
      const p = `${stage}.${u}`;
      add({ op: 'split', name: `${p}.split`, input: x, sizes: [half, half] });
      const b = conv1x1(`${p}.pw2`, dw(`${p}.dw`, conv1x1(`${p}.pw1`, `${p}.split.1`, half, true), 1, false), half, true);
      x = concatShuffle(p, [`${p}.split.0`, b]);
    }
    taps.push(x);
  });
  x = conv1x1('conv5', x, c5, true);
  spec.decoder.forEach((cout, i) => {
    const p = `dec${i + 1}`;
    const off = add({ op: 'offset', name: `${p}.offset`, input: x });
    const def = add({ op: 'deform', name: `${p}.deform`, input: x, offset: off, dmax: spec.dmax });
    x = add({ op: 'upsample', name: `${p}.up`, input: conv1x1(`${p}.pw`, def, cout, true) });
    if (spec.skips) x = add({ op: 'concat', name: `${p}.cat`, inputs: [x, taps[2 - i]] });
  });
  const head = (name: string, out: number, bias: number): string =>
    add({ op: 'conv', name, input: dw(`${name}.dw`, conv1x1(`${name}.pw1`, x, spec.head, true), 1, true), filters: out, bn: false, bias });
  // CenterNet's heat-map bias -2.19 starts every class at probability 0.1.
  const outputs = [head('hm', classes, -2.19), head('wh', 2, 0), head('reg', 2, 0)];
  return { name: spec.name, input, nodes, outputs, seed };
}

export function buildTopology(spec: ZooSpec, classes: number): Model {
  const s = spec.input;
  const m = graphTopology(zooGraph(spec, classes, s), (node, msg) =>
    fail(spec.skips && /^dec\d+\.cat$/.test(node) ? `${spec.name} with decoder skips needs an input side divisible by 32, got ${s}` : `${spec.name}: ${msg}`));
  const img = m.tensors.get(m.inputs[0])!;
  img.scale = 1 / (255 * IMAGENET_STD);
  img.zero = 0;
  img.pad = Int8Array.from(IMAGENET_MEAN.map((v) => Math.round(255 * v) - 128));
  m.metadata = { name: spec.name, classes, inputSize: [s, s], description: spec.description, dmax: spec.dmax };
  return m;
}
