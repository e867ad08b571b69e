/**
 * A deliberate fault in a generated folder: flips bits of the first weight byte of the first 1x1
 * pass that streams weights (byte 0 holds two int4 weights of input lane 0), then refreshes
 * data/manifest.json so that `sim` runs the damaged image instead of refusing it (exit 2).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESCRIPTOR_BYTES, ENGINE_PW, readDescriptor } from '../../src/compiler/descriptor.ts';
import { MemoryMapSchema, type MemoryMap } from '../../src/compiler/memory-map.ts';
import { refreshManifest } from '../../src/sim/manifest.ts';

/** Corrupts `dir` in place; returns its memory map, the damaged descriptor's index and the new image. */
export function corruptFirstWeight(dir: string): { map: MemoryMap; idx: number; mem: Uint8Array } {
  const mem = new Uint8Array(readFileSync(join(dir, 'data/memory.bin')));
  const map = MemoryMapSchema.parse(JSON.parse(readFileSync(join(dir, 'data/memory-map.json'), 'utf8')));
  const idx = Array.from({ length: map.program.descriptors }, (_, i) => i)
    .find((i) => { const d = readDescriptor(mem, i * DESCRIPTOR_BYTES); return d.engine === ENGINE_PW && d.wgt_beats > 0; })!;
  mem[readDescriptor(mem, idx * DESCRIPTOR_BYTES).wgt_addr] ^= 0x77;
  writeFileSync(join(dir, 'data/memory.bin'), mem);
  refreshManifest(dir);
  return { map, idx, mem };
}
