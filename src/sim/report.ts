import { z } from 'zod';
import { SIMULATOR_NAMES } from './simulator.ts';

/**
 * sim-report.json, written by `codenet sim` into the bundle folder: what the RTL computed (match
 * against the golden model) and how fast (cycles from the testbench, per layer from the
 * accelerator's own statistics beats). The CLI writes it only after a run that matched (a failed
 * run removes an earlier one); runSimulation still returns `match: false` and `firstMismatch`.
 */
export const SIM_REPORT_FORMAT = 'codenet-sim-report';
export const SIM_REPORT_VERSION = 1;

const uint = z.number().int().min(0);
const name = z.string().min(1);

export const SimMismatchSchema = z.strictObject({
  layer: name,
  op: z.string(),
  tensor: name,
  y: uint,
  x: uint,
  c: uint,
  expected: z.number().int(),
  actual: z.number().int(),
  /** Differing elements in that tensor. */
  count: z.number().int().min(1),
  /** The element was X in a 4-state (Icarus) simulation. */
  unknown: z.literal(true).optional(),
});
export type SimMismatch = z.infer<typeof SimMismatchSchema>;

export const SimLayerSchema = z.strictObject({
  name,
  op: z.string(),
  descriptors: uint,
  /** Sum of word 0 of the layer's statistics beats. */
  cycles: uint,
  /** Sum of word 1: cycles the engine waited for its input loader. */
  loaderWaitCycles: uint,
  macs: uint,
  /** Every output tensor of the layer equals the golden model's. */
  match: z.boolean(),
});
export type SimLayer = z.infer<typeof SimLayerSchema>;

export const SimReportSchema = z.strictObject({
  format: z.literal(SIM_REPORT_FORMAT),
  version: z.literal(SIM_REPORT_VERSION),
  model: z.string(),
  board: z.string(),
  clockMHz: z.number().positive(),
  simulator: z.enum(SIMULATOR_NAMES),
  /** Where the input came from: data/input.bin or the --input file. */
  input: z.string(),
  ddrModel: z.strictObject({ latency: uint, bytesPerCycle: z.number().min(0), base: z.string() }),
  match: z.boolean(),
  /** onChip: tensors with no DDR copy (dilation maps, fused 1x1 outputs, tensor-buffer tensors), checked through the layers that read them. */
  compared: z.strictObject({ tensors: uint, elements: uint, onChip: uint }),
  firstMismatch: SimMismatchSchema.optional(),
  layers: z.array(SimLayerSchema),
  /** Cycles from the START write to irq (0 for the untimed HLS C-simulation). */
  totalCycles: uint,
  fps: z.number().min(0),
  macUtilisation: z.number().min(0),
  ddr: z.strictObject({ bytesRead: uint, bytesWritten: uint }),
  /** The accelerator's performance counters, read over AXI4-Lite after irq (COUNTERS, camelCase). */
  counters: z.record(z.string(), uint),
  /** Wall-clock seconds of the simulation (without the Verilator build). */
  wallSeconds: z.number().min(0),
  cyclesPerSecond: z.number().min(0),
});
export type SimReport = z.infer<typeof SimReportSchema>;
