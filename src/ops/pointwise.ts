/**
 * The 1x1 convs: conv1x1 (int8 codes out) and offset (a dilation map out, one channel, the
 * deformable layer's first half). They share weights, layout and fan-in; they differ in output.
 */
import * as k from '../golden/kernels.ts';
import { expectOutputs, windowOut, type OpDef, type WeightRule } from './op.ts';

const POINTWISE: WeightRule = {
  dtype: 'int4', qmin: -8, qmax: 7, layout: 'pointwise',
  shape: (cin, cout) => [cout, cin],
  floatKernel: (cin, cout) => [1, 1, cin, cout],
  readsImage: false,
};

export const conv1x1: OpDef<'conv1x1'> = {
  name: 'conv1x1',
  arity: [1, 1],
  outputKind: 'act',
  outputShapes: (_l, [x], [cout]) => [[x.shape[0], x.shape[1], cout]],
  validate(l, ins, outs, err) {
    expectOutputs(conv1x1, l, ins, outs, err);
  },
  run({ x, h, w, c, q, yT, y, acc, rq }) {
    k.conv1x1(x, h * w, c, q.weights, yT.shape[2], rq(), y, acc);
    return [y];
  },
  fanIn: (cin) => cin,
  weights: POINTWISE,
  engine: 'pw',
  fileFields: (l) => ({ relu: l.relu }),
};

/** Stride 2 reads every second pixel of every second row (the compiler: a centre-tap depthwise pass first). */
export const offset: OpDef<'offset'> = {
  name: 'offset',
  arity: [1, 1],
  outputKind: 'dilation',
  outputShapes: (l, [x]) => [[windowOut(x.shape[0], l.stride), windowOut(x.shape[1], l.stride), 1]],
  validate(l, ins, outs, err) {
    expectOutputs(offset, l, ins, outs, err);
  },
  run({ x, h, w, c, layer: l, q, yT, acc }) {
    const d = new Uint8Array(yT.shape[0] * yT.shape[1] * yT.shape[2]);
    k.offsetConv(x, h, w, c, l.stride, q.weights, q.S[0], q.B[0], q.n, l.dmax, d, acc);
    return [d];
  },
  fanIn: (cin) => cin,
  weights: POINTWISE,
  engine: 'pw',
  fileFields: (l) => ({ stride: l.stride, dmax: l.dmax }),
};
