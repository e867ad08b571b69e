import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BOARDS, findBoard, type Board } from './boards.ts';
import { describeZodIssues, fail } from '../util/errors.ts';
import { DMAX_LIMIT } from '../numerics/requant.ts';

/**
 * The one hardware config: generation-time parameters of the accelerator. The RTL generator, the
 * HLS backend, the drivers, the compiler and the performance model all read this object, so a
 * parameter changes everywhere at once (docs/architecture.md explains each).
 */
const pow2 = (max: number) => z.number().int().min(1).max(max).refine((v) => (v & (v - 1)) === 0, 'must be a power of two');

export const HwConfigSchema = z.strictObject({
  board: z.enum(BOARDS.map((b) => b.name) as [string, ...string[]]),
  clockMHz: z.number().positive(),
  /** AXI4 data width of the DDR master (the HP port width). */
  axiDataBits: z.union([z.literal(64), z.literal(128)]),
  /** Channel lanes: activations and channels are stored and processed in groups of this many. */
  lanes: pow2(64),
  /** Pointwise (1x1) MAC array: input lanes x output channels per cycle; two output channels share one DSP. */
  pwOutputs: z.number().int().min(2).max(512).refine((v) => v % 2 === 0, 'must be even (two outputs per DSP)'),
  /** Largest tensor width and channel count the on-chip buffers hold. */
  maxWidth: z.number().int().min(8).max(4096),
  maxChannels: z.number().int().min(8).max(8192),
  /** Largest dilation of the deformable depthwise conv (line buffer of 2*dmax+2 rows). */
  dmax: z.number().int().min(1).max(DMAX_LIMIT),
  /** Weight buffer bytes (int4, two per byte) for one output-channel tile. */
  weightBufferBytes: z.number().int().min(1024).max(8 << 20),
  /** Read bursts in flight per DMA engine. */
  outstandingReads: pow2(64),
  /** Beats of each of the two loader row buffers: a row of in_w pixels x gin groups must fit. */
  rowBufferBeats: pow2(1 << 16),
  /** Beats of the depthwise line buffer: R rows (2^ceil(log2(2*dmax+2))) x width x groups. */
  lineBufferBeats: pow2(1 << 18),
  /** Entries of the on-chip dilation map (output pixels of a deformable layer). */
  mapEntries: pow2(1 << 16),
  /**
   * Beats of the on-chip tensor buffer: a tensor that fits (h x w x groups) and is read only by the
   * next 1x1 stays on chip instead of a DDR round trip (the dw3x3 -> 1x1 link of a unit).
   */
  tensorBufferBeats: pow2(1 << 18),
  /**
   * Share of the board's DRAM peak the memory controller sustains (refresh, page misses, read/write
   * turnaround): the DDR model's and the performance model's bandwidth (docs/architecture.md, "Memory model").
   */
  ddrEfficiency: z.number().min(0.05).max(1),
});
export type HwConfig = z.infer<typeof HwConfigSchema>;

/** Defaults sized for each board's DSP budget with two MACs per DSP (see docs/architecture.md). */
export function presetConfig(boardName: string, clockMHz?: number): HwConfig {
  const b = findBoard(boardName) ?? fail(`unknown board "${boardName}"; known: ${BOARDS.map((x) => x.name).join(', ')}`);
  // One channel group per AXI beat: 16 lanes on a 128-bit HP port, 8 on a 64-bit one.
  const lanes = b.hpPortBits / 8;
  // The 1x1 engine takes lanes * pwOutputs / 2 DSPs (two MACs per DSP) plus one requantizer DSP per
  // output (Yosys count of hw/cn_accel_pw.v); a tenth of the DSPs stays for the depthwise engine's
  // requantizers and address arithmetic. A multiple of the lanes (output tiles are whole groups), at most 64.
  const pwOutputs = Math.min(64, lanes * Math.floor((0.9 * b.budget.dsp) / (lanes / 2 + 1) / lanes));
  return validateHwConfig({
    board: b.name, clockMHz: clockMHz ?? b.defaultClockMHz, axiDataBits: b.hpPortBits, lanes, pwOutputs,
    maxWidth: 512, maxChannels: 4096, dmax: 7, weightBufferBytes: 256 << 10, outstandingReads: 8,
    rowBufferBeats: 4096, lineBufferBeats: 16384, mapEntries: 4096, tensorBufferBeats: 4096, ddrEfficiency: b.ddrEfficiency,
  }, `preset ${b.name}`);
}

export function boardOf(c: HwConfig): Board {
  return findBoard(c.board)!;
}

/** Validates a config object; `where` names its source in errors. Checks the clock against the device. */
export function validateHwConfig(json: unknown, where: string): HwConfig {
  const r = HwConfigSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(`hardware config ${where}`, r.error.issues));
  const c = r.data;
  const b = boardOf(c);
  if (c.clockMHz > b.maxClockMHz)
    fail(`hardware config ${where}: clockMHz ${c.clockMHz} exceeds ${b.maxClockMHz} MHz, the DSP48 limit of ${b.part}`);
  if (c.lanes * 8 !== c.axiDataBits) fail(`hardware config ${where}: lanes ${c.lanes} x 8 bits must equal axiDataBits ${c.axiDataBits} (one channel group per AXI beat)`);
  if (c.pwOutputs % c.lanes !== 0) fail(`hardware config ${where}: pwOutputs ${c.pwOutputs} must be a multiple of lanes ${c.lanes} (output tiles are whole channel groups)`);
  if (c.maxChannels % c.lanes !== 0) fail(`hardware config ${where}: maxChannels ${c.maxChannels} must be a multiple of lanes ${c.lanes}`);
  if (c.axiDataBits > b.hpPortBits) fail(`hardware config ${where}: axiDataBits ${c.axiDataBits} is wider than the ${b.hpPortBits}-bit HP port of ${b.name}`);
  const dsps = (c.lanes * c.pwOutputs) / 2 + c.pwOutputs;
  if (dsps > b.budget.dsp) fail(`hardware config ${where}: the 1x1 engine needs ${dsps} DSPs (lanes ${c.lanes} x pwOutputs ${c.pwOutputs} / 2 for the array, ${c.pwOutputs} requantizers), ${b.name} has ${b.budget.dsp}`);
  return c;
}

/** Reads a JSON config file; fields missing from it come from the board preset it names. */
export function loadHwConfig(path: string): HwConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    fail(`cannot read hardware config ${path}: ${err.code === 'EISDIR' ? 'it is a folder' : err.code === 'ENOENT' ? 'no such file' : err.code ?? err.message}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    fail(`cannot read hardware config ${path}: it is not valid JSON (${(e as Error).message})`);
  }
  const known = BOARDS.map((b) => b.name).join(', ');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(`hardware config ${path}: must be a JSON object with at least the field "board" (one of ${known})`);
  if (typeof json.board !== 'string') fail(`hardware config ${path}: field "board" (one of ${known}) is required${json.board === undefined ? '' : `, got ${JSON.stringify(json.board)}`}`);
  if (!findBoard(json.board)) fail(`hardware config ${path}: field "board": unknown board ${JSON.stringify(json.board)}; known: ${known}`);
  const base = presetConfig(json.board);
  return validateHwConfig({ ...base, ...json }, path);
}

/**
 * Cycles per lane group of the depthwise engine (hw/cn_accel_dw.v): its row-banked, dual-port line
 * buffer gives two tap columns (three rows each) a cycle, so nine taps take two.
 */
export const DW_TAP_CYCLES = 2;

/**
 * Peak MACs per cycle the hardware can deliver: the 1x1 array's lanes x pwOutputs plus what the
 * depthwise engine attains beside it (9 x lanes multipliers, a lane group every DW_TAP_CYCLES
 * cycles). The stem runs on the 1x1 array, so it adds nothing.
 */
export function peakMacsPerCycle(c: HwConfig): number {
  return c.lanes * c.pwOutputs + (9 * c.lanes) / DW_TAP_CYCLES;
}
