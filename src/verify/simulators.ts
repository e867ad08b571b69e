/**
 * The simulators of src/sim/simulator.ts (the one Simulator interface, chosen there by name) fed
 * with sources rendered from the hardware config, as `codenet verify` and the tests run them:
 * src/gen/ renders, src/sim/ builds and runs, and only this folder joins the two (src/sim/
 * imports nothing from src/gen/).
 */
import type { HwConfig } from '../hw/config.ts';
import type { Compiled } from '../compiler/compile.ts';
import { renderRtl } from '../gen/rtl.ts';
import { renderCsimSources } from '../gen/hls.ts';
import { renderAccelSimSources } from '../gen/testbench.ts';
import { runAcceleratorSources, type AccelRun } from '../sim/accel.ts';
import { runCsim, type CsimRun } from '../sim/hls.ts';
import type { DdrOptions } from '../sim/testbench.ts';
import type { SimProgram, SimSources } from '../sim/simulator.ts';

export { SIMULATORS, SIMULATOR_NAMES, simulatorNamed, type Simulator, type SimulatorName, type SimulatorRun } from '../sim/simulator.ts';

/** The sources of the accelerator generated for `hw`, rendered when a simulator asks for them. */
export function renderedSources(hw: HwConfig): SimSources {
  return { rtl: () => renderRtl(hw), verilator: () => renderAccelSimSources(hw), hls: () => renderCsimSources(hw) };
}

/** A compiled program and its graph input, as a simulator runs them. */
export const simProgram = (hw: HwConfig, c: Compiled, input: Int8Array): SimProgram => ({ hw, map: c.map, image: c.image, relocs: c.relocs, input });

/** Simulates `compiled` on the Verilator model of the accelerator generated for `hw`, with per-descriptor statistics (src/sim/accel.ts). */
export const runAccelerator = (hw: HwConfig, compiled: Compiled, input: Int8Array, opts: DdrOptions & { trace?: string; maxCycles?: number } = {}): Promise<AccelRun> =>
  runAcceleratorSources(renderAccelSimSources(hw), hw, compiled, input, opts);

/** C-simulates `compiled` on the HLS kernel generated for `hw` (src/sim/hls.ts). */
export const runHlsCsim = (hw: HwConfig, compiled: Compiled, input: Int8Array): Promise<CsimRun> => runCsim(renderCsimSources(hw), hw, compiled, input);
