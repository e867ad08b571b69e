/** The stem: a full 3x3 conv over the RGB image, stride 1, 2 or 4, int8 weights. */
import * as k from '../golden/kernels.ts';
import { at, expectOutputs, windowOut, type OpDef } from './op.ts';

export const stem: OpDef<'stem'> = {
  name: 'stem',
  arity: [1, 1],
  outputKind: 'act',
  outputShapes(l, [x], [cout], err) {
    const [h, w, c] = x.shape;
    if (c !== 3) err(`${at(l)}: input "${x.name}" must have 3 channels (RGB), has ${c}`);
    return [[windowOut(h, l.stride), windowOut(w, l.stride), cout]];
  },
  validate(l, ins, outs, err) {
    expectOutputs(stem, l, ins, outs, err);
  },
  run({ x, h, w, c, layer: l, q, yT, xT, y, acc, rq }) {
    k.stemConv(x, h, w, c, l.stride, q.weights, yT.shape[2], xT.pad, rq(), y, acc);
    return [y];
  },
  fanIn: (cin) => 9 * cin,
  weights: {
    dtype: 'int8', qmin: -128, qmax: 127, layout: 'full3x3',
    shape: (cin, cout) => [cout, 3, 3, cin],
    floatKernel: (cin, cout) => [3, 3, cin, cout],
    readsImage: true,
  },
  engine: 'stem',
  fileFields: (l) => ({ stride: l.stride, relu: l.relu }),
};
