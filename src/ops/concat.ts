/** Concat: the inputs' channels one after the other (two or more inputs of one size). */
import * as k from '../golden/kernels.ts';
import { at, expectTensor, noFields, sameQuant, type OpDef } from './op.ts';

export const concat: OpDef<'concat'> = {
  name: 'concat',
  arity: [-2, 1],
  outputKind: 'act',
  outputShapes(l, inputs, _channels, err) {
    const [h, w] = inputs[0].shape;
    let c = 0;
    for (const t of inputs) {
      if (t.shape[0] !== h || t.shape[1] !== w) err(`${at(l)}: input "${t.name}" is ${t.shape[0]}x${t.shape[1]}, input "${inputs[0].name}" is ${h}x${w}`);
      c += t.shape[2];
    }
    return [[h, w, c]];
  },
  validate(l, ins, outs, err) {
    const [y] = outs;
    for (const t of ins) {
      if (t.shape[0] !== y.shape[0] || t.shape[1] !== y.shape[1]) err(`${at(l)}: input "${t.name}" is ${t.shape[0]}x${t.shape[1]}, output is ${y.shape[0]}x${y.shape[1]}`);
      sameQuant(l, t, y, err);
    }
    expectTensor(l, y, concat.outputShapes(l, ins, [], err)[0], err);
  },
  run({ model, layer: l, values, h, w, yT, y }) {
    let d0 = 0;
    for (const n of l.inputs) {
      const it = model.tensors.get(n)!;
      k.copyChannels(values.get(n) as Int8Array, h * w, it.shape[2], 0, it.shape[2], y, yT.shape[2], d0);
      d0 += it.shape[2];
    }
    return [y];
  },
  fanIn: () => 0,
  engine: 'view',
  fileFields: noFields,
};
