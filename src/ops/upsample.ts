/** Nearest-neighbour x2 upsampling: a view for the compiler (readers read with the up flag). */
import * as k from '../golden/kernels.ts';
import { expectOutputs, noFields, sameQuant, type OpDef } from './op.ts';

export const upsample: OpDef<'upsample'> = {
  name: 'upsample',
  arity: [1, 1],
  outputKind: 'act',
  outputShapes: (_l, [x]) => [[2 * x.shape[0], 2 * x.shape[1], x.shape[2]]],
  validate(l, ins, outs, err) {
    expectOutputs(upsample, l, ins, outs, err);
    sameQuant(l, ins[0], outs[0], err);
  },
  run({ x, h, w, c, y }) {
    k.upsample2x(x, h, w, c, y);
    return [y];
  },
  fanIn: () => 0,
  engine: 'view',
  fileFields: noFields,
};
