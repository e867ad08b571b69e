import { z } from 'zod';

/**
 * The codenet integer model format, version 1 (docs/ir.md). One JSON file; weight, S and B
 * payloads are base64 of little-endian packed integers (int4: two per byte, low nibble first).
 */
export const IR_FORMAT = 'codenet-ir';
export const IR_VERSION = 1;

const int = z.number().int();
const int8 = int.min(-128).max(127);
const dim = int.min(1).max(65536);
/** One of a few allowed integers; the message lists them ("must be one of 1, 2, got 4"). */
const oneOf = <const T extends readonly [number, ...number[]]>(values: T) =>
  z.literal(values, { error: (iss) => `must be one of ${values.join(', ')}, got ${JSON.stringify(iss.input)}` });

/** Standard base64 alphabet, up to two `=` at the end (src/ir/fast-parse.ts uses the same test). */
export const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const PayloadSchema = z.strictObject({
  dtype: z.enum(['int4', 'int8', 'int16']),
  shape: z.array(dim).min(1).max(4),
  data: z.string().regex(BASE64, 'not base64'),
});
export type Payload = z.infer<typeof PayloadSchema>;

export const TensorSchema = z.strictObject({
  /** [H, W, C]: one image, NHWC with the channel fastest. */
  shape: z.tuple([dim, dim, dim]),
  /** "act": int8 codes with real = scale * (q - zero). "dilation": a dilation map, uint8 0..dmax, [H, W, 1]. */
  kind: z.enum(['act', 'dilation']).default('act'),
  scale: z.number().positive().finite().optional(),
  zero: int8.optional(),
  /** Code read by taps outside the image: one int8, or one per channel (the input image). */
  pad: z.union([int8, z.array(int8).min(1)]).optional(),
});
export type TensorDef = z.infer<typeof TensorSchema>;

const name = z.string().min(1).max(200);
const quant = {
  weights: PayloadSchema,
  S: PayloadSchema,
  B: PayloadSchema,
  n: int.min(1).max(31),
};
const base = { name, inputs: z.array(name).min(1), outputs: z.array(name).min(1) };

export const LayerSchema = z.discriminatedUnion('op', [
  z.strictObject({ ...base, op: z.literal('stem'), stride: oneOf([1, 2, 4]), relu: z.boolean(), ...quant }),
  z.strictObject({ ...base, op: z.literal('conv1x1'), relu: z.boolean(), ...quant }),
  z.strictObject({ ...base, op: z.literal('offset'), stride: oneOf([1, 2]).default(1), dmax: int.min(0).max(15), ...quant }),
  z.strictObject({ ...base, op: z.literal('dw3x3'), stride: oneOf([1, 2]), dilation: int.min(0).max(15).default(1), relu: z.boolean(), ...quant }),
  z.strictObject({ ...base, op: z.literal('dwdeform'), stride: oneOf([1, 2]), relu: z.boolean(), ...quant }),
  z.strictObject({ ...base, op: z.literal('maxpool') }),
  z.strictObject({ ...base, op: z.literal('upsample') }),
  z.strictObject({ ...base, op: z.literal('split') }),
  z.strictObject({ ...base, op: z.literal('concat') }),
  z.strictObject({ ...base, op: z.literal('shuffle'), groups: oneOf([2]).default(2) }),
]);
export type LayerDef = z.infer<typeof LayerSchema>;
export type OpName = LayerDef['op'];
export const OP_NAMES: readonly OpName[] = ['stem', 'conv1x1', 'offset', 'dw3x3', 'dwdeform', 'maxpool', 'upsample', 'split', 'concat', 'shuffle'];

export const ModelSchema = z.strictObject({
  format: z.literal(IR_FORMAT),
  version: z.literal(IR_VERSION),
  /** Free metadata; codenet reads name, and checks inputSize against the first graph input. */
  metadata: z.looseObject({
    name: z.string().optional(),
    classes: int.min(1).optional(),
    inputSize: z.tuple([dim, dim]).optional(),
  }),
  inputs: z.array(name).min(1),
  outputs: z.array(name).min(1),
  tensors: z.record(name, TensorSchema),
  layers: z.array(LayerSchema).min(1),
});
export type ModelDef = z.infer<typeof ModelSchema>;
