/**
 * The op registry: one OpDef per IR op (src/ir/schema.ts OP_NAMES). To add an op: its schema entry,
 * a module here exporting its OpDef, an entry below, and its hardware lowering in src/compiler/plan.ts
 * (docs/architecture.md, "One module per op").
 */
import type { OpName } from '../ir/schema.ts';
import type { OpDef } from './op.ts';
import { stem } from './stem.ts';
import { conv1x1, offset } from './pointwise.ts';
import { dw3x3, dwdeform } from './depthwise.ts';
import { maxpool } from './maxpool.ts';
import { upsample } from './upsample.ts';
import { split } from './split.ts';
import { concat } from './concat.ts';
import { shuffle } from './shuffle.ts';

export const OPS: { readonly [N in OpName]: OpDef<N> } = { stem, conv1x1, offset, dw3x3, dwdeform, maxpool, upsample, split, concat, shuffle };

/** The OpDef of an op name. */
export const opOf = (op: OpName): OpDef => OPS[op] as OpDef;

export type { OpDef, WeightRule, Shape3, TensorInfo, LayerInfo, Err, Engine, KernelCall } from './op.ts';
export { windowOut, at } from './op.ts';
