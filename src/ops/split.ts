/** Split: the input's channels cut in order into the outputs (two or more). */
import * as k from '../golden/kernels.ts';
import { at, expectTensor, noFields, sameQuant, type OpDef } from './op.ts';

export const split: OpDef<'split'> = {
  name: 'split',
  arity: [1, -2],
  outputKind: 'act',
  outputShapes(l, [x], channels, err) {
    const [h, w, c] = x.shape;
    const total = channels.reduce((a, v) => a + v, 0);
    if (total !== c) err(`${at(l)}: outputs hold ${total} channels, input "${x.name}" has ${c}`);
    return channels.map((oc) => [h, w, oc]);
  },
  validate(l, ins, outs, err) {
    // Each output's size and quantizer first, then whether the parts add up (the rule order of docs/ir.md).
    const [x] = ins;
    for (const o of outs) { expectTensor(l, o, [x.shape[0], x.shape[1], o.shape[2]], err); sameQuant(l, x, o, err); }
    split.outputShapes(l, ins, outs.map((o) => o.shape[2]), err);
  },
  run({ model, layer: l, x, h, w, c }) {
    let c0 = 0;
    return l.outputs.map((n) => {
      const o = model.tensors.get(n)!;
      const v = new Int8Array(o.shape[0] * o.shape[1] * o.shape[2]);
      k.copyChannels(x, h * w, c, c0, o.shape[2], v, o.shape[2], 0);
      c0 += o.shape[2];
      return v;
    });
  },
  fanIn: () => 0,
  engine: 'view',
  fileFields: noFields,
};
