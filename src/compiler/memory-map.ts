import { z } from 'zod';

/**
 * memory-map.json (docs/memory-map.md): where everything of a compiled model lives in the memory
 * image, and which buffer lane holds each logical channel of each tensor.
 */
export const MEMORY_MAP_FORMAT = 'codenet-memory-map';
export const MEMORY_MAP_VERSION = 1;

const uint = z.number().int().min(0);
const pos = z.number().int().min(1);
const name = z.string().min(1);

export const MemBufferSchema = z.strictObject({
  name,
  /** Image offset of pixel (0, 0), group 0. */
  offset: uint,
  h: pos,
  w: pos,
  /** Beats per pixel. */
  gstride: pos,
  /**
   * A packed buffer (the graph input when only the stem reads it): this many pixels a beat, 4
   * bytes each (channels in bytes 0..2, byte 3 zero), rows back to back; gstride is then 1.
   */
  pixelsPerBeat: pos.optional(),
});
export type MemBuffer = z.infer<typeof MemBufferSchema>;

export const MemTensorSchema = z.strictObject({
  name,
  shape: z.tuple([pos, pos, pos]),
  /** "dilation": uint8 dilation map (offset output); "act": int8 codes. */
  kind: z.enum(['act', 'dilation']),
  /** channels[c] = [buffer, physical channel p]: lane p % lanes of group floor(p / lanes). */
  channels: z.array(z.tuple([name, uint])).optional(),
  /** Not stored: nearest x2 upsample of this (stored) tensor. */
  upsampleOf: name.optional(),
  /**
   * Not stored: a dilation map the offset conv writes into the depthwise engine's on-chip map, or
   * a 1x1 output fused into its depthwise reader (PWDW passes), or a tensor in the on-chip tensor
   * buffer (out_chip).
   */
  onChip: z.literal(true).optional(),
});
export type MemTensor = z.infer<typeof MemTensorSchema>;

export const MemoryMapSchema = z.strictObject({
  format: z.literal(MEMORY_MAP_FORMAT),
  version: z.literal(MEMORY_MAP_VERSION),
  model: z.string(),
  /** The hardware config's board (informative). */
  board: z.string(),
  lanes: pos,
  beatBytes: pos,
  pwOutputs: pos,
  /** Bytes to allocate: program, stats, params, input and every tensor buffer. */
  imageBytes: uint,
  /** Bytes of memory.bin: program, stats and params (= the input region's offset). */
  fileBytes: uint,
  program: z.strictObject({ offset: uint, descriptors: uint }),
  stats: z.strictObject({ offset: uint, bytes: uint }),
  params: z.strictObject({ offset: uint, bytes: uint }),
  input: z.strictObject({ tensor: name, buffer: name }),
  buffers: z.array(MemBufferSchema),
  tensors: z.array(MemTensorSchema),
  layers: z.array(z.strictObject({ name, op: z.string(), descriptors: z.array(uint) })),
  outputs: z.array(name),
}).superRefine((m, ctx) => {
  const buffers = new Set(m.buffers.map((b) => b.name));
  const stored = new Set(m.tensors.filter((t) => t.channels).map((t) => t.name));
  for (const t of m.tensors) {
    if ([t.channels, t.upsampleOf, t.onChip].filter((v) => v !== undefined).length !== 1) ctx.addIssue({ code: 'custom', message: `tensor "${t.name}" needs exactly one of channels, upsampleOf and onChip` });
    if (t.channels && t.channels.length !== t.shape[2]) ctx.addIssue({ code: 'custom', message: `tensor "${t.name}" maps ${t.channels.length} channels, shape has ${t.shape[2]}` });
    for (const [b] of t.channels ?? []) if (!buffers.has(b)) { ctx.addIssue({ code: 'custom', message: `tensor "${t.name}" refers to unknown buffer "${b}"` }); break; }
    if (t.upsampleOf && !stored.has(t.upsampleOf)) ctx.addIssue({ code: 'custom', message: `tensor "${t.name}" is an upsample of "${t.upsampleOf}", which is not a stored tensor` });
  }
  for (const b of m.buffers)
    if (b.pixelsPerBeat && (b.gstride !== 1 || b.pixelsPerBeat * 4 !== m.beatBytes || b.w % b.pixelsPerBeat !== 0))
      ctx.addIssue({ code: 'custom', message: `buffer "${b.name}": pixelsPerBeat ${b.pixelsPerBeat} needs gstride 1, 4-byte pixels filling a ${m.beatBytes}-byte beat and whole beats a row (w ${b.w})` });
  if (!buffers.has(m.input.buffer)) ctx.addIssue({ code: 'custom', message: `input buffer "${m.input.buffer}" is not listed` });
});
export type MemoryMap = z.infer<typeof MemoryMapSchema>;
