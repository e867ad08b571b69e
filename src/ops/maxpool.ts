/** Max pool 3x3, stride 2; taps outside the image are ignored. Moves codes: one quantizer in and out. */
import * as k from '../golden/kernels.ts';
import { expectOutputs, noFields, sameQuant, windowOut, type OpDef } from './op.ts';

export const maxpool: OpDef<'maxpool'> = {
  name: 'maxpool',
  arity: [1, 1],
  outputKind: 'act',
  outputShapes: (_l, [x]) => [[windowOut(x.shape[0], 2), windowOut(x.shape[1], 2), x.shape[2]]],
  validate(l, ins, outs, err) {
    expectOutputs(maxpool, l, ins, outs, err);
    sameQuant(l, ins[0], outs[0], err);
  },
  run({ x, h, w, c, y }) {
    k.maxpool3x3s2(x, h, w, c, y);
    return [y];
  },
  fanIn: () => 0,
  engine: 'dw',
  fileFields: noFields,
};
