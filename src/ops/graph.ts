/**
 * The integer topology of a graph description (src/float/graph-builder.ts FloatGraph): layers and
 * tensor shapes, no weights (scale 1, zero 0). Each node becomes the integer layer the quantizer
 * reads off the float model built from the same description (src/quant/graph.ts), and every shape
 * comes from its op's shape inference (OPS). The zoo builds its topology here (src/zoo/graph.ts)
 * from the same description its float model is built from, so a network is written once.
 */
import type { FloatGraph, FloatNode } from '../float/graph-builder.ts';
import type { Layer, Model, Tensor } from '../ir/model.ts';
import type { OpName } from '../ir/schema.ts';
import { OPS } from './index.ts';
import { fail } from '../util/errors.ts';

/** Stops on a problem with node `node`: the default names the graph. */
export type GraphErr = (node: string, msg: string) => never;

interface Lowered {
  op: OpName;
  inputs: string[];
  attrs: Partial<Layer>;
  /** Output channels the op cannot infer (a conv's filters, a split's sizes). */
  channels: number[];
  outputs: string[];
}

export function graphTopology(g: FloatGraph, onError?: GraphErr): Model {
  const err: GraphErr = onError ?? ((_node, msg) => fail(`graph ${g.name}: ${msg}`));
  const inputName = g.inputName ?? 'image';
  const tensors = new Map<string, Tensor>();
  const layers: Layer[] = [];
  const addTensor = (node: string, name: string, shape: [number, number, number], kind: Tensor['kind']) => {
    if (tensors.has(name)) err(node, `two nodes write "${name}"`);
    tensors.set(name, { name, shape, kind, scale: 1, zero: 0, pad: new Int8Array(shape[2]) });
  };
  addTensor(inputName, inputName, [g.input, g.input, 3], 'act');
  // An offset node is an offset layer of its deformable readers' dmax; unread as an offset, a 1x1 conv to one channel.
  const dmaxOf = new Map<string, Set<number>>();
  for (const n of g.nodes) if (n.op === 'deform') dmaxOf.set(n.offset, new Set([...(dmaxOf.get(n.offset) ?? []), n.dmax]));

  for (const n of g.nodes) {
    const low = lower(n, dmaxOf, (msg) => err(n.name, msg));
    const ins = low.inputs.map((t) => tensors.get(t) ?? err(n.name, `node "${n.name}" reads "${t}", which no earlier node writes`));
    const layer: Layer = { name: n.name, op: low.op, inputs: low.inputs, outputs: low.outputs, stride: 1, relu: false, dilation: 1, dmax: 0, ...low.attrs };
    const op = OPS[low.op];
    const shapes = op.outputShapes(layer, ins, low.channels, (msg) => err(n.name, msg));
    low.outputs.forEach((o, i) => addTensor(n.name, o, shapes[i], op.outputKind));
    layers.push(layer);
  }
  for (const o of g.outputs) if (!tensors.has(o)) err(o, `output "${o}" is not written by any node`);
  return { name: g.name, metadata: {}, tensors, layers, inputs: [inputName], outputs: [...g.outputs] };
}

/** The integer layer of one node. */
function lower(n: FloatNode, dmaxOf: Map<string, Set<number>>, err: (msg: string) => never): Lowered {
  const one = (op: OpName, input: string, attrs: Partial<Layer> = {}, channels: number[] = []): Lowered => ({ op, inputs: [input], attrs, channels, outputs: [n.name] });
  switch (n.op) {
    case 'conv': {
      const relu = n.relu ?? false;
      if ((n.kernel ?? 1) === 3) return one('stem', n.input, { stride: n.stride ?? 1, relu }, [n.filters]);
      if ((n.stride ?? 1) !== 1) err(`node "${n.name}": a 1x1 conv at stride ${n.stride}; the integer conv1x1 has stride 1`);
      return one('conv1x1', n.input, { relu }, [n.filters]);
    }
    case 'dw':
      return one('dw3x3', n.input, { stride: n.stride ?? 1, dilation: n.dilation ?? 1, relu: n.relu ?? false });
    case 'offset': {
      const dmax = dmaxOf.get(n.name);
      if (!dmax) return one('conv1x1', n.input, {}, [1]);
      if (dmax.size !== 1) err(`node "${n.name}" is the offset of deformable nodes of different dmax (${[...dmax]})`);
      return one('offset', n.input, { dmax: [...dmax][0] });
    }
    case 'deform':
      return { op: 'dwdeform', inputs: [n.input, n.offset], attrs: { stride: 1, relu: n.relu ?? false }, channels: [], outputs: [n.name] };
    case 'maxpool': case 'upsample': case 'shuffle':
      return one(n.op, n.input);
    case 'concat':
      return { op: 'concat', inputs: n.inputs, attrs: {}, channels: [], outputs: [n.name] };
    case 'split':
      return { op: 'split', inputs: [n.input], attrs: {}, channels: n.sizes, outputs: n.sizes.map((_, k) => `${n.name}.${k}`) };
    default:
      return err(`unknown op "${(n as { op: string }).op}"`);
  }
}
