/**
 * The simulation bundle: everything `codenet sim` (or `make -C sim`, without codenet) needs to run the
 * generated accelerator on one compiled model in Verilator and check it:
 *
 *   rtl/       the accelerator (renderRtl)
 *   sim/       tb_codenet.cpp (templates/sim/tb_codenet.cpp.hbs), axi_ddr_model.h, Makefile
 *   data/      memory.bin, relocs.bin, memory-map.json (the compiled image), input.bin (the input
 *              buffer as writeInput lays it out), model.json (to recompute the golden model),
 *              hw.json (the hardware config)
 *
 * `make -C <bundle>/sim` builds and runs it without codenet. `codenet gen --target zynq` adds vivado/,
 * sw/ and report/ to the same folder.
 */
import type { Model } from '../ir/model.ts';
import { serializeModel } from '../ir/save.ts';
import type { HwConfig } from '../hw/config.ts';
import { compileModel, type Compiled } from '../compiler/compile.ts';
import { inputBuffer, inputBufferBytes, relocBytes } from '../compiler/tensors.ts';
import { renderRtl } from '../gen/rtl.ts';
import { writeFilesAtomically } from '../io/atomic.ts';
import { renderTemplate } from '../util/templates.ts';
import { DDR_MODEL_HEADER, ddrModelSource, renderTestbench, testbenchContext } from './testbench.ts';

export type BundleFiles = Record<string, string | Uint8Array>;

/** Renders the whole bundle for a model, a hardware config and the input image (int8 codes, HWC). */
export function renderSimBundle(model: Model, hw: HwConfig, inputCodes: Int8Array, c: Compiled = compileModel(model, hw)): BundleFiles {
  const ctx = {
    ...testbenchContext(hw), model: model.name,
    imageBytes: c.map.imageBytes, inputOffset: inputBuffer(c.map).offset, statsOffset: c.map.stats.offset, programLen: c.map.program.descriptors,
  };
  return {
    ...renderRtl(hw),
    'sim/tb_codenet.cpp': renderTestbench(hw),
    [`sim/${DDR_MODEL_HEADER}`]: ddrModelSource(),
    'sim/Makefile': renderTemplate('sim/Makefile.hbs', ctx),
    'data/memory.bin': c.image,
    'data/relocs.bin': relocBytes(c.relocs),
    'data/memory-map.json': JSON.stringify(c.map, null, 1) + '\n',
    'data/input.bin': inputBufferBytes(c.map, hw, inputCodes),
    'data/model.json': serializeModel(model),
    'data/hw.json': JSON.stringify(hw, null, 2) + '\n',
  };
}

/** Writes the bundle into `dir` (all files or none). */
export function writeSimBundle(dir: string, model: Model, hw: HwConfig, inputCodes: Int8Array): BundleFiles {
  const files = renderSimBundle(model, hw, inputCodes);
  writeFilesAtomically(dir, Object.entries(files).map(([name, data]) => ({
    name, data: typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  })));
  return files;
}
