/**
 * The simulation bundle: everything `codenet sim` (or `make -C sim`, without codenet) needs to run the
 * generated accelerator on one compiled model in Verilator and check it:
 *
 *   rtl/       the accelerator (renderRtl)
 *   sim/       tb_codenet.cpp (templates/sim/tb_codenet.cpp.hbs), axi_ddr_model.h, cn_isa.h, Makefile,
 *              codenet.gtkw (GTKWave save file for a --trace waveform, docs/waveforms.md)
 *   data/      memory.bin, relocs.bin, memory-map.json (the compiled image), input.bin (the input
 *              buffer as writeInput lays it out), model.json (to recompute the golden model),
 *              hw.json (the hardware config), manifest.json (sizes and SHA-256 of all of the
 *              above, checked by codenet sim: src/sim/manifest.ts)
 *
 * `make -C <bundle>/sim` builds and runs it without codenet. `codenet gen --target zynq` adds vivado/,
 * sw/ and report/ to the same folder.
 */
import type { Model } from '../ir/model.ts';
import { serializeModel } from '../ir/save.ts';
import type { HwConfig } from '../hw/config.ts';
import { compileModel, type Compiled } from '../compiler/compile.ts';
import { inputBuffer, inputBufferBytes, relocBytes, tensorAddressing } from '../compiler/tensors.ts';
import { renderRtl } from './rtl.ts';
import { C_HEADER, renderCHeader } from '../isa/render.ts';
import { writeFilesAtomically } from '../io/atomic.ts';
import { renderTemplate } from '../util/templates.ts';
import { DDR_MODEL_HEADER, EXPECT_HEADER, simHeader } from '../sim/testbench.ts';
import { renderGtkw, renderTestbench, testbenchContext } from './testbench.ts';
import { runGolden } from '../golden/run.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import { MANIFEST_FILE, renderManifest } from '../sim/manifest.ts';
import { simLimits } from '../sim/limits.ts';

export type BundleFiles = Record<string, string | Uint8Array>;

/**
 * data/expected.bin (sim/codenet_expect.h): every element of every graph output of the golden
 * model on the sample input, as 5-byte records { uint32 LE byte offset in the image, int8 value }.
 */
export function expectedOutputs(model: Model, map: MemoryMap, inputCodes: Int8Array): Uint8Array {
  const golden = runGolden(model, new Map([[model.inputs[0], inputCodes]]));
  const recs: number[] = [];
  for (const name of map.outputs) {
    const a = tensorAddressing(map, name);
    const [h, w, c] = a.shape;
    const v = golden.get(name)!;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) recs.push(a.channelOffset[ch] + ((y >> a.shift) * a.rowPixels[ch] + (x >> a.shift)) * a.pixelStride[ch], v[(y * w + x) * c + ch] & 0xff);
  }
  const out = new Uint8Array((recs.length / 2) * 5);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < recs.length; i += 2) {
    dv.setUint32((i / 2) * 5, recs[i], true);
    out[(i / 2) * 5 + 4] = recs[i + 1];
  }
  return out;
}

/** Renders the whole bundle for a model, a hardware config and the input image (int8 codes, HWC). */
export function renderSimBundle(model: Model, hw: HwConfig, inputCodes: Int8Array, c: Compiled = compileModel(model, hw)): BundleFiles {
  const ctx = {
    ...testbenchContext(hw), model: model.name,
    imageBytes: c.map.imageBytes, inputOffset: inputBuffer(c.map).offset, statsOffset: c.map.stats.offset, programLen: c.map.program.descriptors,
  };
  // `make -C sim` stops a hung program as codenet sim does: limits from the predicted cycles (src/sim/limits.ts).
  const limits = simLimits(c.descriptors, hw);
  Object.assign(ctx, { maxCycles: limits.maxCycles, watchdog: limits.watchdog });
  const files: BundleFiles = {
    ...renderRtl(hw),
    'sim/tb_codenet.cpp': renderTestbench(hw),
    [`sim/${DDR_MODEL_HEADER}`]: simHeader(DDR_MODEL_HEADER),
    [`sim/${EXPECT_HEADER}`]: simHeader(EXPECT_HEADER),
    [`sim/${C_HEADER}`]: renderCHeader(),
    'sim/Makefile': renderTemplate('sim/Makefile.hbs', ctx),
    'sim/codenet.gtkw': renderGtkw(hw),
    'data/memory.bin': c.image,
    'data/relocs.bin': relocBytes(c.relocs),
    'data/memory-map.json': JSON.stringify(c.map, null, 1) + '\n',
    'data/input.bin': inputBufferBytes(c.map, hw, inputCodes),
    'data/expected.bin': expectedOutputs(model, c.map, inputCodes),
    'data/model.json': serializeModel(model),
    'data/hw.json': JSON.stringify(hw, null, 2) + '\n',
  };
  // Checksums of everything codenet sim consumes, verified before it simulates (src/sim/manifest.ts).
  files[MANIFEST_FILE] = renderManifest(files, 'codenet bundle <model>');
  return files;
}

/** Writes the bundle into `dir` (all files or none). */
export function writeSimBundle(dir: string, model: Model, hw: HwConfig, inputCodes: Int8Array): BundleFiles {
  const files = renderSimBundle(model, hw, inputCodes);
  writeFilesAtomically(dir, Object.entries(files).map(([name, data]) => ({
    name, data: typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  })));
  return files;
}
