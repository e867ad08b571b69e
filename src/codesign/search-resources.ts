/**
 * Analytic resource estimate of a hardware config, for the search. Yosys takes minutes a config
 * (docs/architecture.md), too slow for every candidate, so the search ranks and caps candidates by
 * this estimate and synthesizes only the points it materializes (`codenet gen`'s Yosys run and its
 * caps, unless --no-synth). The figures are Yosys's (0.55, synth_xilinx) scaled by the knobs:
 *
 * - DSP: the 1x1 array lanes x pwOutputs / 2 (two MACs a DSP) plus one requantizer a output, exact
 *   (validateHwConfig counts the same), plus the depthwise engine's and the stem's 26 at 16 lanes
 *   (314 - 288 on the ultra96v2 preset), scaled by the lanes;
 * - BRAM36: each on-chip buffer in whole 36 Kb blocks (weights, two row buffers, line buffer,
 *   tensor buffer, dilation map): 160 on the ultra96v2 preset against Yosys's 155.5;
 * - LUT and FF: the 1x1 array per MAC (23,975 LUT and 42,095 FF at 16 x 40, Yosys of the engine
 *   alone), the depthwise engine per lane (7,627 LUT and 2,965 FF at 16 lanes) and the rest a
 *   constant chosen so the ultra96v2 preset gives Yosys's 42,254 LUT and 49,377 FF.
 */
import type { HwConfig } from '../hw/config.ts';

export interface Resources {
  lut: number;
  ff: number;
  dsp: number;
  bram36: number;
}

const BRAM36_BYTES = 4608;
const LUT_PER_MAC = 23975 / 640, FF_PER_MAC = 42095 / 640;
const DW_LUT_PER_LANE = 7627 / 16, DW_FF_PER_LANE = 2965 / 16;
// The ultra96v2 preset (16 lanes, 32 outputs): whole design 42,254 LUT, 49,377 FF.
const LUT_REST = 42254 - LUT_PER_MAC * 512 - DW_LUT_PER_LANE * 16;
const FF_REST = 49377 - FF_PER_MAC * 512 - DW_FF_PER_LANE * 16;

const blocks = (bytes: number) => Math.ceil(bytes / BRAM36_BYTES);

export function estimateResources(hw: HwConfig): Resources {
  const beat = hw.lanes; // bytes of one beat: one int8 channel group
  const macs = hw.lanes * hw.pwOutputs;
  return {
    lut: Math.round(LUT_PER_MAC * macs + DW_LUT_PER_LANE * hw.lanes + LUT_REST),
    ff: Math.round(FF_PER_MAC * macs + DW_FF_PER_LANE * hw.lanes + FF_REST),
    dsp: macs / 2 + hw.pwOutputs + Math.ceil((26 * hw.lanes) / 16),
    bram36: blocks(hw.weightBufferBytes) + 2 * blocks(hw.rowBufferBeats * beat) + blocks(hw.lineBufferBeats * beat)
      + blocks(hw.tensorBufferBeats * beat) + blocks(hw.mapEntries),
  };
}
