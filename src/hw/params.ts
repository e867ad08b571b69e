import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../util/paths.ts';
import { boardOf, peakMacsPerCycle, type HwConfig } from './config.ts';

/**
 * The hardware constants and every value derived from a hardware config, in one place: the RTL and
 * HLS generators, the testbenches, the drivers, the compiler's reference, the performance model,
 * synthesis and simulation read them from here (docs/architecture.md, "One contract"). A value
 * that two of them computed separately could drift; here it is computed once.
 */

/** The generated top module (templates/verilog/codenet_accel.v.hbs). */
export const TOP_MODULE = 'codenet_accel';
/** The VERSION register (src/isa/registers.ts): what a driver checks before it runs the accelerator. */
export const HW_VERSION = 0xc0de0100;
/** The sequencer's 64-bit performance counters, in register order (docs/isa.md, "Registers"). */
export const COUNTERS = ['busy cycles', 'bytes read', 'bytes written', 'read stall cycles', 'write stall cycles', 'descriptors done', 'engine active cycles', 'loader wait cycles'] as const;
/** AXI4 burst length of the DMA engines: 16 beats is legal on AXI3 ports (Zynq-7000 HP) too. */
export const MAX_BURST = 16;
/** Taps of the stem's im2col: 3x3 taps x 3 channels. */
export const STEM_TAPS = 27;
/** Where the testbenches link the image unless told otherwise (inside the PS DDR of every board). */
export const LINK_BASE = 0x1000_0000;
/** The address the compiler links an image at: its address fields hold offsets (docs/memory-map.md). */
export const IMAGE_LINK_BASE = 0;

/** The codenet version stamped into generated files. */
export const CODENET_VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Address bits of the AXI4 master: 40 on Zynq UltraScale+, 32 on Zynq-7000. */
export function addressBits(hw: HwConfig): number {
  return boardOf(hw).family === 'xcup' ? 40 : 32;
}

/** Rows of the depthwise line buffer: 2^ceil(log2(2*dmax + 2)) (16 for dmax 7). */
export function lineRows(dmax: number): number {
  return 2 ** Math.ceil(Math.log2(2 * dmax + 2));
}

/** Everything derived from one hardware config (see the field docs). */
export interface HwParams {
  /** Bytes of one AXI beat = one channel group (`lanes` int8 lanes). */
  beatBytes: number;
  /** log2(beatBytes): byte address to beat index. */
  beatShift: number;
  /** Channel groups of the largest tensor: maxChannels / lanes. */
  gmax: number;
  /** Output channel pairs of the 1x1 array (two outputs share one DSP): pwOutputs / 2. */
  pairs: number;
  /** Groups of one 1x1 output tile: pwOutputs / lanes. */
  outTileGroups: number;
  /** 1x1 S/B channels per beat (one 32-bit word each): lanes / 4. */
  sbPerBeat: number;
  /** Beats of a 1x1 / stem `sb` stream: pwOutputs / sbPerBeat. */
  pwSbBeats: number;
  /** Groups of the stem's im2col (27 taps): ceil(27 / lanes). */
  stemGroups: number;
  /** Weight RAM groups per pair of the 1x1 engine: max(gmax, stemGroups). */
  weightGroups: number;
  /** Rows of the depthwise line buffer (lineRows(dmax)). */
  lineRows: number;
  /** AXI4 master address bits. */
  addrBits: number;
  clockHz: number;
  /** DDR read latency in fabric cycles: the board's, scaled to the config's clock (at least 1). */
  ddrLatency: number;
  /**
   * The DDR bandwidth the accelerator sees, in bytes per fabric cycle: min(port, DRAM peak x
   * ddrEfficiency). Reads and writes share it (the DDR model's token bucket, perf/program.ts).
   */
  ddrBytesPerCycle: number;
  /** Bytes of one DRAM burst: every AXI burst is charged in whole DRAM bursts (the board's dramBurstBytes). */
  dramBurstBytes: number;
  /** Beats the read DMA keeps in flight: outstandingReads x MAX_BURST. */
  readWindowBeats: number;
  /** Peak MACs per cycle of both engines. */
  peakMacsPerCycle: number;
}

/**
 * Bytes per fabric cycle of the DDR path at an efficiency (default: the config's): the port's beat
 * or the DRAM peak x efficiency, whichever is smaller. Six decimals: the value is passed to the
 * testbench as text and the analytic model must charge exactly what the testbench does.
 */
export function ddrBandwidth(hw: HwConfig, efficiency: number = hw.ddrEfficiency): number {
  const b = boardOf(hw);
  const bytes = Math.min(hw.axiDataBits / 8, (b.ddrBytesPerSecond * efficiency) / (hw.clockMHz * 1e6));
  return Number(bytes.toFixed(6));
}

/** The derived values of a config (validated configs only: the divisions are exact). */
export function hwParams(hw: HwConfig): HwParams {
  const b = boardOf(hw);
  const beatBytes = hw.axiDataBits / 8;
  const gmax = Math.floor(hw.maxChannels / hw.lanes);
  const stemGroups = Math.ceil(STEM_TAPS / hw.lanes);
  const clockHz = hw.clockMHz * 1e6;
  return {
    beatBytes,
    beatShift: Math.log2(beatBytes),
    gmax,
    pairs: hw.pwOutputs / 2,
    outTileGroups: hw.pwOutputs / hw.lanes,
    sbPerBeat: hw.lanes / 4,
    pwSbBeats: hw.pwOutputs / (hw.lanes / 4),
    stemGroups,
    weightGroups: Math.max(gmax, stemGroups),
    lineRows: lineRows(hw.dmax),
    addrBits: addressBits(hw),
    clockHz,
    ddrLatency: Math.max(1, Math.round((b.readLatencyCycles * hw.clockMHz) / b.defaultClockMHz)),
    ddrBytesPerCycle: ddrBandwidth(hw),
    dramBurstBytes: b.dramBurstBytes,
    readWindowBeats: hw.outstandingReads * MAX_BURST,
    peakMacsPerCycle: peakMacsPerCycle(hw),
  };
}
