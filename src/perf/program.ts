import { DW_TAP_CYCLES, type HwConfig } from '../hw/config.ts';
import { DESCRIPTOR_BYTES, ENGINE_DW, ENGINE_PW, ENGINE_PWDW, ENGINE_STEM, type Descriptor } from '../compiler/descriptor.ts';
import { hwParams } from '../hw/params.ts';
import { descriptorDram } from './dram.ts';

/**
 * Cycle model of one descriptor on hw/cn_accel_seq.v (docs/isa.md), the same phases the sequencer
 * goes through: fetch, config streams, the run (engine, DDR and the loader's first rows, whichever
 * bounds), statistics. Each term is what the RTL does, so a change in the RTL that changes cycles
 * shows as a drift in test/perf-rtl.test.ts, which holds this model within 5% of simulation.
 */
export interface DescriptorCycles {
  fetch: number;
  config: number;
  /** Engine cycles alone: 1 beat a cycle for the 1x1 engine, 2 cycles a lane group for the depthwise one. */
  engine: number;
  /** The run's reads and writes at the DDR bandwidth, charged in whole DRAM bursts (perf/dram.ts). */
  ddr: number;
  /** Bytes the run moves over AXI (read plus written beats). */
  ddrBytes: number;
  /** DRAM bytes the run is charged: every AXI burst in whole DRAM bursts. */
  dramBytes: number;
  /** Input rows the engine needs before its first output (not overlapped). */
  fill: number;
  total: number;
  bound: 'compute' | 'memory';
}

/** Sequencer bookkeeping per descriptor (state changes, pipeline drains, the wait for the run's last B response). */
const FIXED_CYCLES = 75;
const READ_COMMAND_GAP = 12;
const ROW_TURNAROUND = 12;

/**
 * A depthwise pass after its first rows: each output row takes the engine's time or, if longer, the
 * DDR time of what moves meanwhile (the next `stride` input rows in, the row's output out); once
 * the input is all in, only the output. The line buffer lets the loader run only a row or two
 * ahead, so a row the DDR is slow on is not made up by a fast one. While a row's input is read,
 * the DDR serves reads and writes in turn, so the output gets at most half the bandwidth and the
 * engine (beatBytes / DW_TAP_CYCLES bytes a cycle) slows when that is less than it produces.
 * Bytes are what the DDR is charged; bw its bytes per cycle; rowIn the cycles an input row takes
 * to enter the engine (a PWDW pass's through the 1x1 engine).
 */
function dwRows(d: Descriptor, engine: number, fillRows: number, readBytes: number, writeBytes: number, bw: number, beatBytes: number, rowIn: number): number {
  const rowEngine = engine / d.out_h, rowWrite = writeBytes / d.out_h / bw;
  const restIn = d.in_h - fillRows;
  const loading = Math.min(d.out_h, Math.ceil(restIn / d.stride));
  let whileLoading = 0;
  if (loading) {
    const rowRead = (readBytes * restIn) / d.in_h / loading, rowStream = (restIn * rowIn) / loading;
    const rowWriteBytes = writeBytes / d.out_h;
    const produce = beatBytes / DW_TAP_CYCLES, toWrites = Math.min(produce, bw / 2);
    const reading = rowRead / (bw - toWrites);
    // (when the row's writes end before its reads, the DDR total below is the bound)
    const shared = reading * toWrites <= rowWriteBytes ? reading + Math.max(0, rowEngine - (reading * toWrites) / produce) : 0;
    whileLoading = loading * Math.max(rowEngine, (rowRead + rowWriteBytes) / bw, rowStream, shared);
  }
  return whileLoading + (d.out_h - loading) * Math.max(rowEngine, rowWrite);
}

/** `first`: the program's first descriptor, the only one whose fetch nothing hides. */
export function descriptorCycles(d: Descriptor, hw: HwConfig, first = false): DescriptorCycles {
  const p = hwParams(hw);
  const latency = p.ddrLatency;
  // Bandwidth min(port, DRAM peak x efficiency); a command costs its DRAM bursts (perf/dram.ts).
  const bw = p.ddrBytesPerCycle;
  const dram = descriptorDram(d, hw);
  // A stream of `beats` beats from DDR: one beat a cycle (or `per` cycles a beat) unless the DRAM is slower.
  const stream = (beats: number, per: number, bytes: number) => latency + Math.max(beats * per, bytes / bw);
  // The descriptor is fetched while the previous one's run drains (its last input beat is in by
  // then), so only the first descriptor of a program waits for it.
  const fetch = first ? stream(DESCRIPTOR_BYTES / p.beatBytes, 1, dram.fetch) : 0;
  const sbPerBeat = d.engine === ENGINE_DW ? 1 : p.sbPerBeat; // the 1x1 engine takes one S/B channel a cycle
  // The config streams' read commands go out back to back: one latency, then each stream's beats.
  let config = 0;
  for (const [i, [beats, per]] of ([[d.wgt_beats, 1], [d.sb_beats, sbPerBeat], [d.pad_beats, 1], [d.map_beats, 1], [d.dwgt_beats, 1], [d.dsb_beats, 1]] as const).entries())
    if (beats > 0) config += stream(beats, per, dram.config[i]) - latency;
  if (config > 0) config += latency;
  const outPixels = d.out_h * d.out_w;
  // A PW or PWDW pass of several tiles streams each pixel's gin beats once per tile (the input is read once).
  const tiles = d.engine === ENGINE_PW || d.engine === ENGINE_PWDW ? Math.max(1, d.tiles) : 1;
  // PWDW: each 1x1 output word leaves as out_ng/tiles beats into the depthwise engine, one a cycle,
  // and the 1x1 engine waits for the last of them, so a tile of a pixel takes at least that long.
  const pwBeats = d.engine === ENGINE_PWDW ? Math.max(d.gin, d.out_ng / tiles) : d.gin;
  const pw = d.in_h * d.in_w * pwBeats * tiles;
  const dwEngine = outPixels * DW_TAP_CYCLES * (d.engine === ENGINE_DW ? d.gin : d.out_ng);
  // PWDW: the two engines run as a pipeline, so the slower one sets the pace.
  const engine = d.engine === ENGINE_PW ? pw
    : d.engine === ENGINE_PWDW ? Math.max(pw, dwEngine)
    : d.engine === ENGINE_DW ? dwEngine
    // the stem: one im2col column a pixel, sent as stemGroups beats once per tile (the sender waits
    // for the beats)
    : outPixels * Math.max(DW_TAP_CYCLES, p.stemGroups * Math.max(1, d.tiles));
  const rowBeats = d.src.reduce((a, s) => a + s.width * s.gstride, 0);
  // Sources in the tensor buffer pass the loader like any other but cost no DDR.
  const reads = d.in_h * d.src.reduce((a, s) => a + (s.chip ? 0 : s.width * s.gstride), 0);
  const writes = d.map_out || d.out_chip ? 0 : outPixels * d.out_ng; // into the on-chip dilation map or tensor buffer
  // The 1x1 engine starts after one row; the depthwise engine after rows 0..d (d = the layer's largest
  // dilation) have been read and streamed in (in_w x gin beats a row, more than were read when the
  // loader upsamples).
  const reach = d.engine === ENGINE_PW ? 0 : d.use_map ? d.dmax : d.dconst;
  const fillRows = Math.min(reach + 1, d.in_h);
  // ... and no faster than DDR delivers those rows
  // (PWDW: through the 1x1 engine, pwBeats a pixel for each of its tiles)
  const rowIn = d.in_w * pwBeats * tiles;
  const fill = d.engine === ENGINE_PW ? rowBeats : Math.max(fillRows * Math.max(rowBeats, rowIn), (dram.reads * fillRows) / d.in_h / bw);
  const ddr = (dram.reads + dram.writes) / bw;
  // Each (row, source) is one read command, and the issuer runs one row ahead of the receiver:
  // two rows are in flight, so a row takes at least about half a read latency. A command longer than the DMA's window of outstanding
  // bursts is still being split when its data return, so the next command starts late.
  const window = p.readWindowBeats;
  const longCommands = d.src.filter((s) => !s.chip && s.width * s.gstride > window).length;
  // A pass that reads only the tensor buffer waits for no DDR latency.
  const readLatency = d.src.every((s) => s.chip) ? 0 : latency;
  // A packed stem input (in_packed) is read as in_w / (lanes/4) beats a row but leaves the
  // streamer as in_w beats, one a cycle, so a row takes at least in_w cycles.
  const loaderBeats = d.in_packed ? Math.max(rowBeats, d.in_w) : rowBeats;
  const rowCycles = Math.max(loaderBeats + READ_COMMAND_GAP * longCommands, (readLatency + ROW_TURNAROUND) / 2);
  const loader = d.in_h * rowCycles;
  // PWDW bound by its reads still has work after they end: the last input row through the 1x1
  // engine, then every depthwise output row that reads it.
  const drain = d.engine === ENGINE_PWDW ? rowIn + Math.ceil((d.dconst + 1) / d.stride) * d.out_w * DW_TAP_CYCLES * d.out_ng : 0;
  // PWDW: the 1x1 engine starts after the first input row, the depthwise engine once rows 0..d
  // have been through it, its rows paced as a DW pass's; whichever engine is slower sets the end
  // (other passes: fill, then engine).
  const computed = d.engine === ENGINE_PWDW
    ? Math.max(rowBeats + pw, fill + dwRows(d, dwEngine, fillRows, dram.reads, dram.writes, bw, p.beatBytes, rowIn))
    : d.engine === ENGINE_DW ? fill + dwRows(d, engine, fillRows, dram.reads, dram.writes, bw, p.beatBytes, rowIn)
    // (the stem's rows are paced like a DW pass's: its output beats, out_ng a column, leave while
    // the next rows are read)
    : d.engine === ENGINE_STEM ? fill + dwRows(d, engine, fillRows, dram.reads, dram.writes, bw, p.beatBytes, rowIn)
    : fill + engine;
  const run = readLatency + Math.max(computed, ddr + drain, loader + drain);
  // The statistics beat's write pays a whole DRAM burst: the part its beat does not pay delays its B response.
  const statExtra = (dram.stat - p.beatBytes) / bw;
  const total = Math.round(fetch + config + run + FIXED_CYCLES + statExtra);
  return { fetch, config, engine, ddr, ddrBytes: (reads + writes) * p.beatBytes, dramBytes: dram.reads + dram.writes, fill, total, bound: engine >= ddr ? 'compute' : 'memory' };
}
