/**
 * Host side of the memory map (docs/memory-map.md): write the input image into its buffer, read any
 * logical tensor back (through its channel map, or its source for an upsampled tensor).
 */
import type { HwConfig } from '../hw/config.ts';
import { fail } from '../util/errors.ts';
import type { MemBuffer, MemoryMap, MemTensor } from './memory-map.ts';

function findTensor(map: MemoryMap, name: string): MemTensor {
  return map.tensors.find((t) => t.name === name) ?? fail(`memory map of "${map.model}" has no tensor "${name}"`);
}

/** A tensor that is in the image (not a dilation map or fused 1x1 output that stays on chip). */
function storedTensor(map: MemoryMap, name: string): MemTensor {
  const t = findTensor(map, name);
  if (t.onChip) fail(`tensor "${name}" of "${map.model}" is not in memory: ${t.kind === 'dilation' ? "the offset conv writes it into the depthwise engine's on-chip dilation map" : 'it never leaves the chip (a 1x1 output fused into its depthwise reader, or a tensor in the on-chip tensor buffer)'}`);
  return t;
}

/** Whether tensor `name` stays on chip (no DDR copy to read). */
export const onChipTensor = (map: MemoryMap, name: string): boolean => findTensor(map, name).onChip === true;

function findBuffer(map: MemoryMap, name: string): MemBuffer {
  return map.buffers.find((b) => b.name === name) ?? fail(`memory map of "${map.model}" has no buffer "${name}"`);
}

/** Byte offset of each logical channel's lane in pixel (0, 0), and the pixel stride, per channel. */
function channelAddressing(map: MemoryMap, t: MemTensor): { base: number[]; pixel: number[]; w: number[] } {
  const base: number[] = [], pixel: number[] = [], w: number[] = [];
  for (const [bn, p] of t.channels!) {
    const b = findBuffer(map, bn);
    base.push(b.offset + Math.floor(p / map.lanes) * map.beatBytes + (p % map.lanes));
    pixel.push(b.pixelsPerBeat ? map.beatBytes / b.pixelsPerBeat : b.gstride * map.beatBytes);
    w.push(b.w);
  }
  return { base, pixel, w };
}

/**
 * Writes the graph input (int8 codes, HWC) into the input buffer of `memory` (an image relocated
 * at 0, at least map.imageBytes long); the lanes that hold no channel are set to 0.
 */
export function writeInput(map: MemoryMap, memory: Uint8Array, codes: Int8Array, hw: HwConfig): void {
  if (hw.lanes !== map.lanes || hw.axiDataBits / 8 !== map.beatBytes) fail(`memory map of "${map.model}" is for ${map.lanes} lanes, the hardware config has ${hw.lanes}`);
  if (memory.length < map.imageBytes) fail(`memory of ${memory.length} bytes is smaller than the image (${map.imageBytes} bytes)`);
  const t = findTensor(map, map.input.tensor);
  const [h, w, c] = t.shape;
  if (codes.length !== h * w * c) fail(`input "${t.name}" of shape [${t.shape}] needs ${h * w * c} codes, got ${codes.length}`);
  const buf = findBuffer(map, map.input.buffer);
  memory.fill(0, buf.offset, buf.offset + bufferBytes(map, buf));
  const { base, pixel } = channelAddressing(map, t);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) memory[base[ch] + (y * w + x) * pixel[ch]] = codes[(y * w + x) * c + ch] & 0xff;
}

/** Logical tensor `name`, HWC: int8 codes, or uint8 for a dilation map. */
export function readTensor(map: MemoryMap, memory: Uint8Array, name: string): Int8Array | Uint8Array {
  const t = storedTensor(map, name);
  const [h, w, c] = t.shape;
  const src = t.upsampleOf ? findTensor(map, t.upsampleOf) : t;
  const sh = t.upsampleOf ? 1 : 0;
  const { base, pixel, w: bw } = channelAddressing(map, src);
  const out = t.kind === 'dilation' ? new Uint8Array(h * w * c) : new Int8Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = memory[base[ch] + ((y >> sh) * bw[ch] + (x >> sh)) * pixel[ch]];
  return out;
}

/** The buffer the graph input is written to. */
export const inputBuffer = (map: MemoryMap): MemBuffer => findBuffer(map, map.input.buffer);

export const bufferBytes = (map: MemoryMap, b: MemBuffer): number =>
  b.pixelsPerBeat ? (b.h * b.w * map.beatBytes) / b.pixelsPerBeat : b.h * b.w * b.gstride * map.beatBytes;

/** The input buffer's bytes (what the driver writes at base + its offset) for these codes. */
export function inputBufferBytes(map: MemoryMap, hw: HwConfig, codes: Int8Array): Uint8Array {
  const b = inputBuffer(map);
  const mem = new Uint8Array(map.imageBytes);
  writeInput(map, mem, codes, hw);
  return mem.slice(b.offset, b.offset + bufferBytes(map, b));
}

/** The relocation table as the driver and the testbench read it: uint32 little-endian byte offsets. */
export function relocBytes(relocs: Uint32Array): Uint8Array {
  const out = new Uint8Array(relocs.length * 4);
  const dv = new DataView(out.buffer);
  relocs.forEach((off, i) => dv.setUint32(i * 4, off, true));
  return out;
}

/**
 * How a host finds element (y, x, c) of a logical tensor in the image (what the drivers in sw/
 * generate tables from): byte offset channelOffset[c] + ((y >> shift) * rowPixels[c] + (x >> shift)) * pixelStride[c],
 * where shift is 1 for an upsampled tensor that is not stored (it reads its source).
 */
export interface TensorAddressing {
  name: string;
  shape: [number, number, number];
  shift: number;
  channelOffset: number[];
  pixelStride: number[];
  rowPixels: number[];
}

export function tensorAddressing(map: MemoryMap, name: string): TensorAddressing {
  const t = storedTensor(map, name);
  const src = t.upsampleOf ? findTensor(map, t.upsampleOf) : t;
  const { base, pixel, w } = channelAddressing(map, src);
  return { name, shape: [t.shape[0], t.shape[1], t.shape[2]], shift: t.upsampleOf ? 1 : 0, channelOffset: base, pixelStride: pixel, rowPixels: w };
}

/** What a loader does: adds the image's physical base to every 64-bit address field at `offsets`. */
export function relocate(image: Uint8Array, offsets: Iterable<number>, base: number): void {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const off of offsets) dv.setBigUint64(off, dv.getBigUint64(off, true) + BigInt(base), true);
}
