import type { HwConfig } from '../hw/config.ts';
import { compileModel, type Compiled } from '../compiler/compile.ts';
import { checkAgainstGolden, describeMismatch } from '../sim/compare.ts';
import type { Model } from '../ir/model.ts';
import type { CaseResult } from './junit.ts';
import type { VerifyCase } from './cases.ts';
import { renderedSources, simProgram, simulatorNamed, type SimulatorName } from './simulators.ts';

/** The simulators a case runs on (src/sim/simulator.ts). */
export type Simulator = SimulatorName;

/**
 * Builds (or finds in the build cache, src/util/build-cache.ts) the simulation that the cases of
 * `sim` then share, as an entry of its own: the JUnit report shows the build time apart from the
 * cases'. Icarus compiles per run inside its cases; the reference interpreter needs no build.
 */
export async function buildSimulator(sim: Simulator, hw: HwConfig): Promise<CaseResult | undefined> {
  const t0 = performance.now();
  const base = { name: 'build', seed: 0, simulator: sim };
  try {
    const b = await simulatorNamed(sim).build(hw, renderedSources(hw));
    if (!b) return undefined;
    return { ...base, passed: true, seconds: (performance.now() - t0) / 1000, message: b.built ? 'built' : 'cached' };
  } catch (e) {
    return { ...base, passed: false, seconds: (performance.now() - t0) / 1000, message: (e as Error).message };
  }
}

export async function runCase(k: VerifyCase, hw: HwConfig, sim: Simulator): Promise<CaseResult> {
  const t0 = performance.now();
  const base = { name: k.name, seed: k.seed, simulator: sim };
  let model: Model, input: Int8Array, compiled: Compiled;
  try {
    ({ model, input } = k.build(hw));
    compiled = compileModel(model, hw);
    const r = await simulatorNamed(sim).run(simProgram(hw, compiled, input), renderedSources(hw));
    const chk = checkAgainstGolden(model, compiled.map, r.memory, input, r.xMask);
    const seconds = (performance.now() - t0) / 1000;
    return { ...base, passed: chk.match, seconds, cycles: r.cycles, elements: chk.elements, message: chk.firstMismatch && describeMismatch(chk.firstMismatch) };
  } catch (e) {
    return { ...base, passed: false, seconds: (performance.now() - t0) / 1000, message: (e as Error).message };
  }
}
