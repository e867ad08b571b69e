/** Channel shuffle, 2 groups: output channel k = i*2 + g takes input channel g*(C/2) + i. */
import * as k from '../golden/kernels.ts';
import { at, expectOutputs, sameQuant, type OpDef } from './op.ts';

export const shuffle: OpDef<'shuffle'> = {
  name: 'shuffle',
  arity: [1, 1],
  outputKind: 'act',
  outputShapes(l, [x], _channels, err) {
    const c = x.shape[2];
    if (c % 2) err(`${at(l)}: channel shuffle with 2 groups needs an even channel count, "${x.name}" has ${c}`);
    return [[...x.shape]];
  },
  validate(l, ins, outs, err) {
    expectOutputs(shuffle, l, ins, outs, err);
    sameQuant(l, ins[0], outs[0], err);
  },
  run({ x, h, w, c, y }) {
    k.shuffle2(x, h * w, c, y);
    return [y];
  },
  fanIn: () => 0,
  engine: 'view',
  fileFields: () => ({ groups: 2 }),
};
