/**
 * How long a simulation may run, from the program itself: the analytic model (src/perf/program.ts)
 * predicts each descriptor's cycles, so a run that takes far longer is broken, not slow.
 *
 * - watchdog: the testbenches stop a run when no descriptor has been fetched or completed for
 *   this many cycles; the longest predicted descriptor times WATCHDOG_FACTOR plus WATCHDOG_MARGIN.
 * - maxCycles: the whole run from START to irq; the predicted total times MAX_CYCLES_FACTOR plus
 *   MAX_CYCLES_MARGIN (was a fixed 2e9, hours of Verilator time on a hung program).
 *
 * The model assumes the board's DDR latency and bandwidth; a slower DDR model (--latency,
 * --bandwidth) scales every prediction by how much slower it is.
 */
import { DESCRIPTOR_BYTES, readDescriptor, type Descriptor } from '../compiler/descriptor.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import type { HwConfig } from '../hw/config.ts';
import { hwParams } from '../hw/params.ts';
import { descriptorCycles } from '../perf/program.ts';

export const WATCHDOG_FACTOR = 4;
export const WATCHDOG_MARGIN = 100_000;
export const MAX_CYCLES_FACTOR = 4;
export const MAX_CYCLES_MARGIN = 1_000_000;

export interface SimLimits {
  /** Predicted cycles of the whole program (board DDR model). */
  predicted: number;
  /** The descriptor the model predicts to take longest, and its cycles. */
  longest: { index: number; cycles: number };
  watchdog: number;
  maxCycles: number;
}

/** The DDR model a run uses, against which the board's figures are scaled. */
export interface DdrModel {
  latency: number;
  /** 0: unlimited. */
  bytesPerCycle: number;
}

/** Limits of a run of `descriptors` on `hw` with DDR model `ddr` (default: the board's). */
export function simLimits(descriptors: readonly Descriptor[], hw: HwConfig, ddr?: DdrModel): SimLimits {
  const { ddrLatency: boardLatency, ddrBytesPerCycle: boardBytesPerCycle } = hwParams(hw);
  const slower = Math.max(1,
    ddr && ddr.bytesPerCycle > 0 ? boardBytesPerCycle / ddr.bytesPerCycle : 1,
    ddr ? ddr.latency / boardLatency : 1);
  let predicted = 0;
  let longest = { index: 0, cycles: 0 };
  descriptors.forEach((d, index) => {
    let c = descriptorCycles(d, hw, index === 0).total;
    if (!Number.isFinite(c) || c < 0) c = 0;
    c *= slower;
    predicted += c;
    if (c > longest.cycles) longest = { index, cycles: Math.round(c) };
  });
  predicted = Math.round(predicted);
  return {
    predicted, longest,
    watchdog: Math.ceil(WATCHDOG_FACTOR * longest.cycles + WATCHDOG_MARGIN),
    maxCycles: Math.ceil(MAX_CYCLES_FACTOR * predicted + MAX_CYCLES_MARGIN),
  };
}

/** The program of a memory image (`map.program.descriptors` descriptors at its offset). */
export function programOf(image: Uint8Array, map: MemoryMap): Descriptor[] {
  return Array.from({ length: map.program.descriptors }, (_, i) => readDescriptor(image, map.program.offset + i * DESCRIPTOR_BYTES));
}

const ENGINE_NAMES: Record<number, string> = { 1: 'PW', 2: 'DW', 3: 'STEM', 4: 'PWDW' };

/** "descriptor 12 (layer "s2u1_pw1", conv1x1, engine PW)", as far as the map and the image tell. */
export function describeDescriptor(index: number, map: MemoryMap, image?: Uint8Array): string {
  const layer = map.layers.find((l) => l.descriptors.includes(index));
  let engine: string | undefined;
  if (image && index < map.program.descriptors) {
    try {
      const e = readDescriptor(image, map.program.offset + index * DESCRIPTOR_BYTES).engine;
      engine = ENGINE_NAMES[e] ?? `unknown engine ${e}`;
    } catch {
      /* outside the image */
    }
  }
  const parts = [layer && `layer "${layer.name}", ${layer.op}`, engine && `engine ${engine}`].filter(Boolean);
  return `descriptor ${index}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
