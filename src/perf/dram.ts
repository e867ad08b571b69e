import type { HwConfig } from '../hw/config.ts';
import { DESCRIPTOR_BYTES, type Descriptor } from '../compiler/descriptor.ts';
import { MAX_BURST, hwParams } from '../hw/params.ts';

/**
 * DRAM bytes of a descriptor's commands, charged as the DDR model charges them (sim/axi_ddr_model.h,
 * docs/architecture.md "Memory model"): the DMAs split every command into AXI bursts of at most
 * MAX_BURST beats that never cross 4 KiB (hw/cn_axi_rd.v, cn_axi_wr.v), and each AXI burst costs
 * every DRAM burst its bytes touch. Addresses are image offsets: the image is linked at a 4 KiB
 * aligned base, so their alignment is the one the hardware sees.
 */
export interface DescriptorDram {
  /** The descriptor fetch. */
  fetch: number;
  /** Each configuration stream, in the order of perf/program.ts (weights, S/B, pad, map, dw weights, dw S/B). */
  config: number[];
  /** Input rows of the run from DDR (sources in the tensor buffer cost nothing). */
  reads: number;
  /** The output written to DDR (nothing for an on-chip output). */
  writes: number;
  /** The statistics beat. */
  stat: number;
}

/** Every DRAM byte a descriptor costs: what the DDR model's dramBytes counts for it. */
export const totalDramBytes = (x: DescriptorDram): number => x.fetch + x.config.reduce((a, b) => a + b, 0) + x.reads + x.writes + x.stat;

/** DRAM bytes of one command of `beats` beats at byte address `addr`. */
export function commandDramBytes(addr: number, beats: number, beatBytes: number, dramBurst: number): number {
  let bytes = 0;
  while (beats > 0) {
    const toPage = (4096 - (addr % 4096)) / beatBytes;
    const n = Math.min(beats, MAX_BURST, toPage);
    const first = Math.floor(addr / dramBurst), last = Math.floor((addr + n * beatBytes - 1) / dramBurst);
    bytes += (last - first + 1) * dramBurst;
    addr += n * beatBytes;
    beats -= n;
  }
  return bytes;
}

export function descriptorDram(d: Descriptor, hw: HwConfig): DescriptorDram {
  const { beatBytes: B, dramBurstBytes: D } = hwParams(hw);
  const cmd = (addr: number, beats: number) => (beats > 0 ? commandDramBytes(addr, beats, B, D) : 0);
  const config = [[d.wgt_addr, d.wgt_beats], [d.sb_addr, d.sb_beats], [d.pad_addr, d.pad_beats], [d.map_addr, d.map_beats], [d.dwgt_addr, d.dwgt_beats], [d.dsb_addr, d.dsb_beats]]
    .map(([a, n]) => cmd(a, n));
  // One read command per (row, source); an upsampled source reads each of its rows twice.
  let reads = 0;
  for (const s of d.src) {
    if (s.chip) continue;
    const beats = s.width * s.gstride;
    for (let r = 0; r < d.in_h; r++) reads += cmd(s.addr + (s.up ? r >> 1 : r) * beats * B, beats);
  }
  // The sequencer writes a whole-pixel output as one command, a slice of a wider buffer one command per pixel.
  let writes = 0;
  const pixels = d.out_h * d.out_w;
  if (!d.map_out && !d.out_chip) {
    if (d.out_ng === d.out_gstride) writes = cmd(d.out_addr, pixels * d.out_ng);
    else for (let p = 0; p < pixels; p++) writes += cmd(d.out_addr + p * d.out_gstride * B, d.out_ng);
  }
  return { fetch: cmd(0, DESCRIPTOR_BYTES / B), config, reads, writes, stat: cmd(d.stat_addr, 1) };
}
