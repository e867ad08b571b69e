import type { HwConfig } from '../hw/config.ts';
import { DESCRIPTOR_BYTES, ENGINE_DW, ENGINE_PW, ENGINE_PWDW, type Descriptor } from '../compiler/descriptor.ts';
import { hwParams } from '../hw/params.ts';

/**
 * Cycle model of one descriptor on hw/cn_accel_seq.v (docs/isa.md), the same phases the sequencer
 * goes through: fetch, config streams, the run (engine, DDR and the loader's first rows, whichever
 * bounds), statistics. Each term is what the RTL does, so a change in the RTL that changes cycles
 * shows as a drift in test/perf-rtl.test.ts, which holds this model within 5% of simulation.
 */
export interface DescriptorCycles {
  fetch: number;
  config: number;
  /** Engine cycles alone: 1 beat a cycle for the 1x1 engine, 9 taps a lane group for the depthwise one. */
  engine: number;
  /** Read plus write beats of the run, at the board's DDR bandwidth. */
  ddr: number;
  /** Input rows the engine needs before its first output (not overlapped). */
  fill: number;
  total: number;
  bound: 'compute' | 'memory';
}

/** Sequencer bookkeeping per descriptor (state changes, pipeline drains, the B response of the statistics beat). */
const FIXED_CYCLES = 130;
const DW_TAP_CYCLES = 9;
const READ_COMMAND_GAP = 12;
const ROW_TURNAROUND = 12;

export function descriptorCycles(d: Descriptor, hw: HwConfig): DescriptorCycles {
  const p = hwParams(hw);
  const latency = p.ddrLatency;
  const beatsPerCycle = p.ddrBytesPerCycle / p.beatBytes;
  const fetch = latency + DESCRIPTOR_BYTES / p.beatBytes;
  const sbPerBeat = d.engine === ENGINE_DW ? 1 : p.sbPerBeat; // the 1x1 engine takes one S/B channel a cycle
  let config = 0;
  for (const [beats, per] of [[d.wgt_beats, 1], [d.sb_beats, sbPerBeat], [d.pad_beats, 1], [d.map_beats, 1], [d.dwgt_beats, 1], [d.dsb_beats, 1]] as const)
    if (beats > 0) config += latency + beats * per;
  const outPixels = d.out_h * d.out_w;
  const pw = d.in_h * d.in_w * d.gin;
  // PWDW: the two engines run as a pipeline, so the slower one sets the pace.
  const engine = d.engine === ENGINE_PW ? pw
    : d.engine === ENGINE_PWDW ? Math.max(pw, outPixels * DW_TAP_CYCLES * d.out_ng)
    : outPixels * DW_TAP_CYCLES * (d.engine === ENGINE_DW ? d.gin : 1);
  const rowBeats = d.src.reduce((a, s) => a + s.width * s.gstride, 0);
  // Sources in the tensor buffer pass the loader like any other but cost no DDR.
  const reads = d.in_h * d.src.reduce((a, s) => a + (s.chip ? 0 : s.width * s.gstride), 0);
  const writes = d.map_out || d.out_chip ? 0 : outPixels * d.out_ng; // into the on-chip dilation map or tensor buffer
  // The 1x1 engine starts after one row; the depthwise engine after rows 0..d (d = the layer's largest dilation).
  const reach = d.engine === ENGINE_PW ? 0 : d.use_map ? d.dmax : d.dconst;
  const fill = Math.min(reach + 1, d.in_h) * rowBeats;
  const ddr = (reads + writes) / beatsPerCycle;
  // Each (row, source) is one read command, and the issuer runs one row ahead of the receiver:
  // two rows are in flight, so a row takes at least about half a read latency. A command longer than the DMA's window of outstanding
  // bursts is still being split when its data return, so the next command starts late.
  const window = p.readWindowBeats;
  const longCommands = d.src.filter((s) => !s.chip && s.width * s.gstride > window).length;
  // A pass that reads only the tensor buffer waits for no DDR latency.
  const readLatency = d.src.every((s) => s.chip) ? 0 : latency;
  const rowCycles = Math.max(rowBeats + READ_COMMAND_GAP * longCommands, (readLatency + ROW_TURNAROUND) / 2);
  const loader = d.in_h * rowCycles;
  // PWDW bound by its reads still has work after they end: the last input row through the 1x1
  // engine, then every depthwise output row that reads it.
  const drain = d.engine === ENGINE_PWDW ? d.in_w * d.gin + Math.ceil((d.dconst + 1) / d.stride) * d.out_w * DW_TAP_CYCLES * d.out_ng : 0;
  const run = readLatency + fill + Math.max(engine, ddr - fill + drain, loader - fill + drain);
  const total = Math.round(fetch + config + run + FIXED_CYCLES);
  return { fetch, config, engine, ddr, fill, total, bound: engine >= ddr ? 'compute' : 'memory' };
}
