/**
 * The one Simulator interface: every way codenet runs a compiled program on the accelerator it
 * generates, chosen here (simulatorNamed) for `codenet sim` (src/sim/run.ts, on a generated
 * folder's files), `codenet verify` (src/verify/, on sources rendered from the config) and the tests:
 *
 *   reference  the ISA reference interpreter (src/compiler/reference.ts): untimed, no build, the fast check
 *   verilator  the RTL with its testbench and AXI DDR model (cycle-accurate)
 *   icarus     the RTL in 4-state logic: X in the outputs shows up
 *   hls        the HLS C++ kernel, C-simulated with g++ (untimed)
 *
 * A simulator gets its sources through SimSources, so src/sim/ renders nothing and imports nothing
 * from src/gen/: verify passes the rendered ones, sim the folder's own. Builds go through the one
 * content-hash build cache (src/util/build-cache.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HwConfig } from '../hw/config.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import { executeProgram } from '../compiler/reference.ts';
import { bufferBytes, inputBuffer, inputBufferBytes, relocBytes, relocate } from '../compiler/tensors.ts';
import { LINK_BASE, TOP_MODULE } from '../hw/params.ts';
import { fail } from '../util/errors.ts';
import { makeTempDir, removeTempDir } from '../util/proc.ts';
import { buildCsim, runCsimFiles } from './hls.ts';
import { runIcarus } from './icarus.ts';
import { programOf, simLimits, type DdrModel } from './limits.ts';
import { COUNTER_KEYS, SimulationError, buildAccelSim, ddrDefaults, runTestbench, type DdrOptions, type TraceWindow } from './testbench.ts';
import { VerilatorBuildError } from './verilator.ts';

export const SIMULATOR_NAMES = ['reference', 'verilator', 'icarus', 'hls'] as const;
export type SimulatorName = (typeof SIMULATOR_NAMES)[number];

/** What `codenet sim` runs unless told otherwise: the cycle-accurate RTL simulation. */
export const DEFAULT_SIMULATOR: SimulatorName = 'verilator';

/** The program a simulator runs: the image as compiled (data/memory.bin, not relocated) and the graph input. */
export interface SimProgram {
  hw: HwConfig;
  map: MemoryMap;
  /** The image file (map.fileBytes): program, weights, address words relative to the link base. */
  image: Uint8Array;
  /** Byte offsets of the address words (data/relocs.bin). */
  relocs: Iterable<number>;
  /** Graph input codes (HWC int8). */
  input: Int8Array;
}

/**
 * Where a simulator's sources come from: rendered from the config (src/gen/, for verify and the
 * tests) or read from a generated folder (codenet sim). Only the chosen simulator's are asked for.
 */
export interface SimSources {
  /** The accelerator's Verilog, 'rtl/<file>' -> text (.v and the .vh they include). */
  rtl(): Record<string, string>;
  /** What buildAccelSim compiles: rtl() plus tb_codenet.cpp and the headers it includes. */
  verilator(): Record<string, string>;
  /** The HLS kernel and its C-simulation testbench, file name -> text. */
  hls(): Record<string, string>;
}

/** How to run: DDR model, link base, limits and waveform. Unset limits come from the program's predicted cycles (src/sim/limits.ts). */
export interface SimRunOptions extends DdrOptions, TraceWindow {
  /** Physical address the image is linked at; default LINK_BASE. */
  base?: number;
  maxCycles?: number;
  /** 0: no watchdog. */
  watchdog?: number;
}

/** What a run leaves, whichever simulator ran it. */
export interface SimulatorRun {
  /** The memory after the run (map.imageBytes long). */
  memory: Uint8Array;
  /** 4-state simulators: 1 for each byte of the memory that was X. */
  xMask?: Uint8Array;
  /** Cycles from START to the interrupt (timed simulators only). */
  cycles?: number;
  counters: Record<string, number>;
  ddr: { bytesRead: number; bytesWritten: number };
  /** The DDR model the run used (zero for the untimed ones). */
  ddrModel: { latency: number; bytesPerCycle: number; base: string };
  wallSeconds: number;
  /** Cycles simulated (for cycles per second). */
  simCycles: number;
}

export interface SimBuild {
  exe: string;
  seconds: number;
  /** False when the build cache had it. */
  built: boolean;
}

export interface Simulator {
  name: SimulatorName;
  /** Counts cycles (the RTL simulators). */
  timed: boolean;
  /** Writes FST waveforms (SimRunOptions.trace). */
  traces: boolean;
  /** The folders of a generated folder its sources come from: a build failure there is the user's when they edited them. */
  sourceFolders: RegExp;
  /** Whether `e` is this simulator's build rejecting its sources (not a failed run). */
  isBuildError(e: unknown): boolean;
  /** Where a generated folder's sim/Makefile looks for this build, so `make -C sim` reuses it. */
  makeProduct?(trace: boolean): string;
  /** Builds (or finds in the build cache) what `run` runs; undefined when nothing is built before the run. */
  build(hw: HwConfig, sources: SimSources, o?: { trace?: boolean }): Promise<SimBuild | undefined>;
  run(p: SimProgram, sources: SimSources, o?: SimRunOptions): Promise<SimulatorRun>;
}

/** The Icarus DDR model's read latency unless the options say otherwise (it has no bandwidth limit). */
export const ICARUS_LATENCY = 8;

const hex = (v: number) => `0x${v.toString(16)}`;

/** Run limits: the options', else from the program's predicted cycles under the DDR model used. */
function limitsOf(p: SimProgram, ddr: DdrModel, o: SimRunOptions): { maxCycles: number; watchdog: number } {
  const l = simLimits(programOf(p.image, p.map), p.hw, ddr);
  return { maxCycles: o.maxCycles ?? l.maxCycles, watchdog: o.watchdog ?? l.watchdog };
}

/** A run folder for the file-based simulators, removed afterwards. */
async function inRunDir<T>(f: (path: (name: string) => string) => Promise<T>): Promise<T> {
  const dir = makeTempDir(tmpdir(), 'codenet-sim-');
  try {
    return await f((n) => join(dir, n));
  } finally {
    removeTempDir(dir);
  }
}

const untimed = (memory: Uint8Array, wallSeconds: number): SimulatorRun => ({
  memory, counters: {}, ddr: { bytesRead: 0, bytesWritten: 0 }, ddrModel: { latency: 0, bytesPerCycle: 0, base: '0x0' }, wallSeconds, simCycles: 0,
});

const reference: Simulator = {
  name: 'reference', timed: false, traces: false, sourceFolders: /^$/, isBuildError: () => false,
  build: async () => undefined,
  run: async (p) => {
    const t0 = performance.now();
    const memory = new Uint8Array(p.map.imageBytes);
    memory.set(p.image);
    memory.set(inputBufferBytes(p.map, p.hw, p.input), inputBuffer(p.map).offset);
    try {
      executeProgram(memory, p.map.program.offset, p.map.program.descriptors, p.hw);
    } catch (e) {
      throw new SimulationError(`the reference interpreter stopped at ${(e as Error).message}`);
    }
    return untimed(memory, (performance.now() - t0) / 1000);
  },
};

const verilator: Simulator = {
  name: 'verilator', timed: true, traces: true, sourceFolders: /^(rtl|sim)\//,
  isBuildError: (e) => e instanceof VerilatorBuildError,
  makeProduct: (trace) => `sim/build/${trace ? 'obj-trace' : 'obj'}/V${TOP_MODULE}`,
  build: (_hw, s, o = {}) => buildAccelSim(s.verilator(), !!o.trace),
  run: async (p, s, o = {}) => {
    const { exe } = await buildAccelSim(s.verilator(), !!o.trace);
    const d = ddrDefaults(p.hw);
    const ddr = { latency: o.latency ?? d.latency, bytesPerCycle: o.bytesPerCycle ?? d.bytesPerCycle };
    const limits = limitsOf(p, ddr, o);
    const { map, hw } = p;
    return inRunDir(async (f) => {
      writeFileSync(f('memory.bin'), p.image);
      writeFileSync(f('relocs.bin'), relocBytes(Uint32Array.from(p.relocs)));
      writeFileSync(f('input.bin'), inputBufferBytes(map, hw, p.input));
      const tb = await runTestbench(exe, {
        image: f('memory.bin'), relocs: f('relocs.bin'), imageBytes: map.imageBytes, input: f('input.bin'), inputOffset: inputBuffer(map).offset,
        statsOffset: map.stats.offset, programLen: map.program.descriptors, dump: f('dump.bin'), base: o.base ?? LINK_BASE, ...ddr, ...limits,
        trace: o.trace, traceFrom: o.traceFrom, traceTo: o.traceTo, traceDepth: o.traceDepth,
      });
      return {
        memory: new Uint8Array(readFileSync(f('dump.bin'))), cycles: tb.cycles, counters: tb.counters, ddr: { bytesRead: tb.ddr.bytesRead, bytesWritten: tb.ddr.bytesWritten },
        ddrModel: { latency: tb.latency, bytesPerCycle: tb.bytesPerCycle, base: tb.base }, wallSeconds: tb.wallSeconds, simCycles: tb.simCycles,
      };
    });
  },
};

/**
 * The same RTL in 4-state logic. Memory nobody has written (the tensor buffers) starts as X, so a
 * read of it or an uninitialised register shows up in the dump. iverilog compiles inside the run
 * (the same build cache); slow (~500 cycles/s): small models only.
 */
const icarus: Simulator = {
  name: 'icarus', timed: true, traces: false, sourceFolders: /^rtl\//,
  isBuildError: (e) => e instanceof Error && /^iverilog compilation/.test(e.message),
  build: async () => undefined,
  run: async (p, s, o = {}) => {
    const { hw, map } = p;
    const base = o.base ?? LINK_BASE;
    // The driver's work, done here: relocate to the base, write the input.
    const image = new Uint8Array(map.imageBytes);
    image.set(p.image);
    relocate(image, p.relocs, base);
    const inBuf = inputBuffer(map);
    image.set(inputBufferBytes(map, hw, p.input), inBuf.offset);
    const latency = o.latency ?? ICARUS_LATENCY;
    const limits = limitsOf(p, { latency, bytesPerCycle: 0 }, o);
    const r = await runIcarus({
      hw, rtlFiles: s.rtl(), image, base, programLen: map.program.descriptors, latency, ...limits,
      xRanges: [[map.fileBytes, inBuf.offset], [inBuf.offset + bufferBytes(map, inBuf), map.imageBytes]],
    });
    const counters = Object.fromEntries(COUNTER_KEYS.map((k, i) => [k, r.counters[i]]));
    return {
      memory: r.memory, xMask: r.xMask, cycles: r.cycles, counters, ddr: { bytesRead: counters.bytesRead, bytesWritten: counters.bytesWritten },
      ddrModel: { latency, bytesPerCycle: 0, base: hex(base) }, wallSeconds: r.wallSeconds, simCycles: r.cycles,
    };
  },
};

/** The HLS C-simulation (g++): untimed, no cycles. */
const hls: Simulator = {
  name: 'hls', timed: false, traces: false, sourceFolders: /^hls\//,
  isBuildError: (e) => e instanceof Error && /^g\+\+ build/.test(e.message),
  build: async (_hw, s) => {
    const r = await buildCsim(s.hls());
    return { exe: r.exe, seconds: r.seconds, built: r.seconds > 0 };
  },
  run: async (p, s) => {
    const { exe } = await buildCsim(s.hls());
    const { map, hw } = p;
    return inRunDir(async (f) => {
      writeFileSync(f('memory.bin'), p.image);
      writeFileSync(f('input.bin'), inputBufferBytes(map, hw, p.input));
      const wallSeconds = await runCsimFiles(exe, {
        image: f('memory.bin'), imageBytes: map.imageBytes, input: f('input.bin'), inputOffset: inputBuffer(map).offset, programLen: map.program.descriptors, dump: f('dump.bin'),
      });
      return untimed(new Uint8Array(readFileSync(f('dump.bin'))), wallSeconds);
    });
  },
};

/** Every simulator by name: the registry simulatorNamed reads (a test may replace an entry's methods). */
export const SIMULATORS: Readonly<Record<SimulatorName, Simulator>> = { reference, verilator, icarus, hls };

/** The one place a simulator is chosen by name, for sim, verify and the tests. */
export function simulatorNamed(name: string): Simulator {
  if (!(SIMULATOR_NAMES as readonly string[]).includes(name)) fail(`unknown simulator "${name}"; simulators: ${SIMULATOR_NAMES.join(', ')}`);
  return SIMULATORS[name as SimulatorName];
}
