/**
 * The compiler (docs/isa.md "Compiler v1", docs/memory-map.md, docs/architecture.md "The
 * compiler"): an integer model and a hardware config in, one memory image out (program, stats,
 * params; input and tensor buffers allocated), with its relocations, memory map and the plan it
 * was emitted from. Two phases:
 *
 * - plan (src/compiler/plan.ts): views and channel maps, fusion of each 1x1 with its dw3x3 reader,
 *   what stays on chip, copy passes, buffer allocation; every does-not-fit check (a UserError
 *   naming the layer and the limit, before anything is emitted);
 * - emit (src/compiler/emit.ts): descriptors, packed config streams and the image, from the plan.
 *
 * Every model that passes validateModel compiles correctly (test/compiler-property.test.ts) unless
 * it does not fit the hardware config. `codenet explain` prints the plan (src/compiler/explain.ts);
 * the performance model reads the compiled program (src/perf/model.ts), so a caller that needs
 * the image, the reports and the predicted cycles compiles once.
 */
import type { Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { emitProgram, type Compiled } from './emit.ts';
import { planModel, type CompileOptions } from './plan.ts';

export type { Compiled } from './emit.ts';
export type { CompileOptions, Plan } from './plan.ts';
export { REGION_ALIGN } from './plan.ts';

let compilations = 0;

/** How many times compileModel has run in this process (what test/compile-once.test.ts counts). */
export function compileCount(): number {
  return compilations;
}

/** Compiles a validated model for a hardware config. Deterministic: same inputs, same bytes. */
export function compileModel(model: Model, hw: HwConfig, opts: CompileOptions = {}): Compiled {
  compilations++;
  return emitProgram(planModel(model, hw, opts));
}
