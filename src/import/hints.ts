/**
 * quant-hints.json: the quantization an ONNX graph already carries (QuantizeLinear/DequantizeLinear
 * pairs, QONNX Quant nodes), as `codenet import` found it, written beside the float model
 * (model.json, weights.bin) for `codenet quantize` (src/quant/graph-quant.ts), which uses it instead
 * of calibration where it fits the integer model and reports where it does not (docs/import.md
 * section 5). The float model itself holds the graph's dequantized weights; activation quantizers
 * exist only here.
 *
 * Names are the float model's: a weight hint by the conv (or deformable) layer, an activation hint
 * by the layer whose output it quantizes (after its batch norm and ReLU), which is also the
 * integer tensor's name. Codes are the graph's integers minus their zero point, so that the
 * real weight is scale * code; weight codes are in the integer model's order (docs/ir.md: stem
 * [Cout][ky][kx][Cin], 1x1 [Cout][Cin], depthwise [C][9]).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { fail } from '../util/errors.ts';

export const HINTS_FILE = 'quant-hints.json';

const num = z.number().finite();
const QuantizerSchema = z.strictObject({
  /** The ONNX node(s) that quantize this tensor. */
  node: z.string(),
  format: z.enum(['qdq', 'qonnx']),
  bits: z.number().int().min(1).max(32),
  signed: z.boolean(),
  narrow: z.boolean(),
  /** The graph's code range (with the zero point: real = scale * (q - zero)). */
  qmin: z.number().int(),
  qmax: z.number().int(),
  /** half_even (QDQ, QONNX ROUND), or another QONNX rounding mode (lower case). */
  rounding: z.string(),
  /** 'tensor'; 'channel' (per output channel of a weight, per channel of an activation); 'axis N' (another axis of a weight). */
  granularity: z.string(),
  /** One per tensor, per channel, or per index of the axis. */
  scale: z.array(num).min(1),
  zero: z.array(num).min(1),
});
export type QuantizerHint = z.infer<typeof QuantizerSchema>;

const WeightSchema = QuantizerSchema.extend({
  /** Per output channel (granularity 'tensor' or 'channel'): codes - zero point, integer-model order. */
  codes: z.array(z.number().int()).optional(),
  /** The graph quantized the bias too (it is dequantized in the float model). */
  bias: QuantizerSchema.optional(),
});
export type WeightHint = z.infer<typeof WeightSchema>;

export const NoteSchema = z.strictObject({ what: z.string(), status: z.enum(['ignored', 'approximated']), why: z.string() });
export type QuantNote = z.infer<typeof NoteSchema>;

export const QuantHintsSchema = z.strictObject({
  format: z.literal('codenet-quant-hints'),
  version: z.literal(1),
  /** The ONNX file imported. */
  source: z.string(),
  /** SHA-256 of the weights.bin written with these hints: a float model trained since does not match. */
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  weights: z.record(z.string(), WeightSchema),
  activations: z.record(z.string(), QuantizerSchema),
  /** The quantizer of the input image (codenet's input codes are fixed: numerics.md section 3). */
  input: QuantizerSchema.optional(),
  /** What the import could not carry over (quantizers on tensors codenet does not have, ...). */
  notes: z.array(NoteSchema),
});
export type QuantHints = z.infer<typeof QuantHintsSchema>;

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The folder of a float model argument (a folder, or its model.json). */
export const floatModelDir = (path: string): string => (existsSync(join(path, 'model.json')) ? path : dirname(path));

/**
 * The hints beside float model `path`, or undefined without a quant-hints.json; exit 2 if the file
 * does not parse or belongs to other weights than the folder's weights.bin.
 */
export function readQuantHints(path: string): QuantHints | undefined {
  const dir = floatModelDir(path);
  const file = join(dir, HINTS_FILE);
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file} is not JSON: ${(e as Error).message}`);
  }
  const r = QuantHintsSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    fail(`${file}: field "${i.path.join('.')}": ${i.message} (a quant-hints.json written by codenet import)`);
  }
  const weights = join(dir, 'weights.bin');
  if (!existsSync(weights) || sha256(readFileSync(weights)) !== r.data.weightsSha256)
    fail(`${file} was written by codenet import for other weights than ${weights} (the float model changed since, e.g. trained): import the ONNX model again, or give --calibrate to ignore the graph's quantization`);
  return r.data;
}
