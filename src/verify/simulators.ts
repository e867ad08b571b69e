/**
 * The one Simulator interface: every way codenet runs a compiled program on the accelerator it
 * generates, for `codenet verify`, `codenet sim` (src/sim/run.ts runs the same four on a
 * generated folder's files) and the tests:
 *
 *   reference  the ISA reference interpreter (src/compiler/reference.ts): untimed, no build, the fast check
 *   verilator  the RTL with its testbench and AXI DDR model (cycle-accurate)
 *   icarus     the RTL in 4-state logic: X in the outputs shows up
 *   hls        the HLS C++ kernel, C-simulated with g++ (untimed)
 *
 * This module joins the two halves: src/gen/ renders the sources, src/sim/ builds them (one
 * content-hash build cache, src/util/build-cache.ts) and runs them; src/sim/ imports nothing from
 * src/gen/.
 */
import type { HwConfig } from '../hw/config.ts';
import type { Compiled } from '../compiler/compile.ts';
import { executeProgram } from '../compiler/reference.ts';
import { bufferBytes, inputBuffer, relocate, writeInput } from '../compiler/tensors.ts';
import { LINK_BASE } from '../hw/params.ts';
import { renderRtl } from '../gen/rtl.ts';
import { renderCsimSources } from '../gen/hls.ts';
import { renderAccelSimSources } from '../gen/testbench.ts';
import { runAcceleratorSources, type AccelRun } from '../sim/accel.ts';
import { buildCsim, runCsim, type CsimRun } from '../sim/hls.ts';
import { runIcarus } from '../sim/icarus.ts';
import { buildAccelSim, type DdrOptions } from '../sim/testbench.ts';

export const SIMULATOR_NAMES = ['reference', 'verilator', 'icarus', 'hls'] as const;
export type SimulatorName = (typeof SIMULATOR_NAMES)[number];

/** What a simulator leaves: the memory after the run, and cycles when it is timed. */
export interface SimulatorRun {
  memory: Uint8Array;
  cycles?: number;
  /** 4-state simulators: 1 for each byte of the memory that was X. */
  xMask?: Uint8Array;
}

export interface Simulator {
  name: SimulatorName;
  /** Counts cycles (the RTL simulators). */
  timed: boolean;
  /** Builds (or finds in the build cache) what `run` runs for `hw`; undefined when there is nothing to build before the run. */
  build(hw: HwConfig): Promise<{ seconds: number; built: boolean } | undefined>;
  /** Runs `compiled` on graph input `input` (HWC codes). */
  run(hw: HwConfig, compiled: Compiled, input: Int8Array): Promise<SimulatorRun>;
}

/** Simulates `compiled` on the Verilator model of the accelerator generated for `hw` (src/sim/accel.ts). */
export const runAccelerator = (hw: HwConfig, compiled: Compiled, input: Int8Array, opts: DdrOptions & { trace?: string; maxCycles?: number } = {}): Promise<AccelRun> =>
  runAcceleratorSources(renderAccelSimSources(hw), hw, compiled, input, opts);

/** C-simulates `compiled` on the HLS kernel generated for `hw` (src/sim/hls.ts). */
export const runHlsCsim = (hw: HwConfig, compiled: Compiled, input: Int8Array): Promise<CsimRun> => runCsim(renderCsimSources(hw), hw, compiled, input);

/** Icarus links the image where the Verilator testbench does. */
const ICARUS_BASE = LINK_BASE;

export const SIMULATORS: Record<SimulatorName, Simulator> = {
  reference: {
    name: 'reference', timed: false,
    build: async () => undefined,
    run: async (hw, c, input) => {
      const memory = new Uint8Array(c.imageBytes);
      memory.set(c.image);
      writeInput(c.map, memory, input, hw);
      executeProgram(memory, c.map.program.offset, c.descriptors.length, hw);
      return { memory };
    },
  },
  verilator: {
    name: 'verilator', timed: true,
    build: (hw) => buildAccelSim(renderAccelSimSources(hw)),
    run: async (hw, c, input) => runAccelerator(hw, c, input),
  },
  icarus: {
    name: 'icarus', timed: true,
    // iverilog compiles inside the run (cached by the same build cache).
    build: async () => undefined,
    run: async (hw, c, input) => {
      // The driver's work, done here for Icarus: relocate to the base, write the input. The tensor
      // buffers start as X, so reading memory nobody wrote shows up as X in some output.
      const image = new Uint8Array(c.imageBytes);
      image.set(c.image);
      writeInput(c.map, image, input, hw);
      relocate(image, c.relocs, ICARUS_BASE);
      const inBuf = inputBuffer(c.map);
      const xRanges: Array<[number, number]> = [[c.map.fileBytes, inBuf.offset], [inBuf.offset + bufferBytes(c.map, inBuf), c.imageBytes]];
      const r = await runIcarus({ hw, rtlFiles: renderRtl(hw), image, base: ICARUS_BASE, programLen: c.descriptors.length, xRanges });
      return { memory: r.memory, cycles: r.cycles, xMask: r.xMask };
    },
  },
  hls: {
    name: 'hls', timed: false,
    build: async (hw) => {
      const t0 = performance.now();
      const r = await buildCsim(renderCsimSources(hw));
      return { seconds: (performance.now() - t0) / 1000, built: r.seconds > 0 };
    },
    run: async (hw, c, input) => ({ memory: (await runHlsCsim(hw, c, input)).memory }),
  },
};
