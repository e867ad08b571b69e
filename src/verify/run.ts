import type { HwConfig } from '../hw/config.ts';
import { compileModel, type Compiled } from '../compiler/compile.ts';
import { bufferBytes, inputBuffer, relocate, writeInput } from '../compiler/tensors.ts';
import { renderRtl } from '../gen/rtl.ts';
import { LINK_BASE } from '../hw/params.ts';
import { runAccelerator } from '../sim/accel.ts';
import { checkAgainstGolden, describeMismatch } from '../sim/compare.ts';
import { runIcarus } from '../sim/icarus.ts';
import { runHlsCsim } from '../sim/hls.ts';
import type { Model } from '../ir/model.ts';
import type { CaseResult } from './junit.ts';
import type { VerifyCase } from './cases.ts';

/** Runs one regression case on one simulator: compile, simulate, compare every tensor with the golden model. */
export type Simulator = 'verilator' | 'icarus' | 'hls';

/** Icarus links the image where the Verilator testbench does. */
const ICARUS_BASE = LINK_BASE;

async function simulate(sim: Simulator, hw: HwConfig, c: Compiled, input: Int8Array): Promise<{ memory: Uint8Array; cycles?: number; xMask?: Uint8Array }> {
  if (sim === 'verilator') return runAccelerator(hw, c, input);
  if (sim === 'hls') return runHlsCsim(hw, c, input); // untimed: C-simulation counts no cycles
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
}

export async function runCase(k: VerifyCase, hw: HwConfig, sim: Simulator): Promise<CaseResult> {
  const t0 = performance.now();
  const base = { name: k.name, seed: k.seed, simulator: sim };
  let model: Model, input: Int8Array, compiled: Compiled;
  try {
    ({ model, input } = k.build(hw));
    compiled = compileModel(model, hw);
    const r = await simulate(sim, hw, compiled, input);
    const chk = checkAgainstGolden(model, compiled.map, r.memory, input, r.xMask);
    const seconds = (performance.now() - t0) / 1000;
    return { ...base, passed: chk.match, seconds, cycles: r.cycles, elements: chk.elements, message: chk.firstMismatch && describeMismatch(chk.firstMismatch) };
  } catch (e) {
    return { ...base, passed: false, seconds: (performance.now() - t0) / 1000, message: (e as Error).message };
  }
}
