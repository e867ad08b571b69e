/**
 * The depthwise 3x3 convs: dw3x3 (one constant dilation) and dwdeform (the dilation per output
 * pixel from a map, its second input). One kernel, weights [C][9], fan-in 9.
 */
import * as k from '../golden/kernels.ts';
import { expectOutputs, expectTensor, windowOut, type OpDef, type Shape3, type WeightRule } from './op.ts';

const DEPTHWISE: WeightRule = {
  dtype: 'int4', qmin: -8, qmax: 7, layout: 'depthwise',
  shape: (_cin, cout) => [cout, 9],
  floatKernel: (_cin, cout) => [3, 3, cout, 1],
  readsImage: false,
};

const window = (stride: number, [h, w, c]: Shape3): Shape3 => [windowOut(h, stride), windowOut(w, stride), c];

export const dw3x3: OpDef<'dw3x3'> = {
  name: 'dw3x3',
  arity: [1, 1],
  outputKind: 'act',
  outputShapes: (l, [x]) => [window(l.stride, x.shape)],
  validate(l, ins, outs, err) {
    expectOutputs(dw3x3, l, ins, outs, err);
  },
  run({ x, h, w, c, layer: l, q, xT, y, acc, rq }) {
    k.depthwise3x3(x, h, w, c, l.stride, null, l.dilation, q.weights, xT.pad, rq(), y, acc);
    return [y];
  },
  fanIn: () => 9,
  weights: DEPTHWISE,
  engine: 'dw',
  fileFields: (l) => ({ stride: l.stride, dilation: l.dilation, relu: l.relu }),
};

export const dwdeform: OpDef<'dwdeform'> = {
  name: 'dwdeform',
  arity: [2, 1],
  dataInputs: 1,
  outputKind: 'act',
  outputShapes: (l, [x]) => [window(l.stride, x.shape)],
  validate(l, ins, outs, err) {
    expectOutputs(dwdeform, l, ins, outs, err);
    // The dilation map: one value per output pixel.
    const [h, w] = window(l.stride, ins[0].shape);
    expectTensor(l, ins[1], [h, w, 1], err, 'dilation');
  },
  run({ x, h, w, c, layer: l, q, xT, y, acc, rq, values }) {
    k.depthwise3x3(x, h, w, c, l.stride, values.get(l.inputs[1]) as Uint8Array, 0, q.weights, xT.pad, rq(), y, acc);
    return [y];
  },
  fanIn: () => 9,
  weights: DEPTHWISE,
  engine: 'dw',
  fileFields: (l) => ({ stride: l.stride, relu: l.relu }),
};
