// The hardware/software contract (src/isa): the committed files generated from it are current,
// the encoder and decoder follow the data (also with fields moved), the images of the zoo are the
// bytes they were before the layout became data, and the hardware constants live in
// src/hw/params.ts. test/isa-override.test.ts runs every backend on a moved layout and compiles
// the C header.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { presetConfig, HwConfigSchema } from '../src/hw/config.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { decodeDescriptor, encodeDescriptor, usedAddressWords, type Descriptor } from '../src/compiler/descriptor.ts';
import { DEFAULT_ISA, setIsa, validateIsa, withFieldsMoved, type Isa } from '../src/isa/index.ts';
import { contractFiles, renderCHeader, renderVerilogHeader } from '../src/isa/render.ts';
import { hardwareParams } from '../src/report/build.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('committed contract files', () => {
  it('hw/cn_isa.vh, hw/cn_isa.h and the tables of docs/isa.md are what src/isa renders (npm run gen:contract)', () => {
    for (const [rel, text] of Object.entries(contractFiles()))
      expect(readFileSync(join(PROJECT_ROOT, rel), 'utf8') === text, `${rel} is stale: run npm run gen:contract`).toBe(true);
  });

  it('the default contract is self-consistent', () => {
    expect(() => validateIsa(DEFAULT_ISA, DEFAULT_ISA)).not.toThrow();
  });

  it('no hand-written field positions or register offsets remain in the RTL, the templates and the testbenches', () => {
    const seq = readFileSync(join(PROJECT_ROOT, 'hw/cn_accel_seq.v'), 'utf8');
    expect(seq).toContain('`include "cn_isa.vh"');
    expect(seq).not.toMatch(/desc\[\d|\bw\(desc|32\*\(\d/); // part-selects only at `CN_... positions
    const regs = readFileSync(join(PROJECT_ROOT, 'hw/cn_axil_regs.v'), 'utf8');
    expect(regs).toContain('`include "cn_isa.vh"');
    expect(regs).not.toMatch(/'h[0-9A-Fa-f]+ >> [23]/);
    const icarus = readFileSync(join(PROJECT_ROOT, 'templates/sim/tb_codenet_icarus.v.hbs'), 'utf8');
    expect(icarus).not.toMatch(/12'h0[0-9A-F]{2}/);
    const tb = readFileSync(join(PROJECT_ROOT, 'templates/sim/tb_codenet.cpp.hbs'), 'utf8');
    expect(tb).not.toMatch(/REG_\w+ = 0x/);
    const kernel = readFileSync(join(PROJECT_ROOT, 'templates/hls/codenet_kernel.cpp.hbs'), 'utf8');
    expect(kernel).not.toMatch(/w\[\d+\]|bits\(w/);
    const py = readFileSync(join(PROJECT_ROOT, 'templates/drivers/codenet_accel.py.hbs'), 'utf8');
    expect(py).not.toMatch(/= 0x[0-9A-F]{2}\b/);
    const regsTb = readFileSync(join(PROJECT_ROOT, 'test/hw/tb_axil_regs.cpp'), 'utf8');
    expect(regsTb).toContain('CN_REG_CTRL');
  });
});

function sampleDescriptor(): Descriptor {
  return {
    engine: 4, pw_mode: 0, pool: 1, use_map: 0, map_out: 1, out_chip: 0, stride: 2, dconst: 3, dmax: 7, n: 17, lo: -96, layer: 0x1234,
    in_h: 10, in_w: 20, out_h: 30, out_w: 40, gin: 3, out_ng: 2, out_gstride: 6,
    out_addr: 0x1_0000_0010, wgt_addr: 0x20, wgt_beats: 0xfffffff7, sb_addr: 0x30, sb_beats: 8, pad_addr: 0, pad_beats: 0,
    map_addr: 0x50, map_beats: 11, stat_addr: 0x60, n2: 9, lo2: -3, tiles: 5, in_packed: 1, dwgt_addr: 0x80, dwgt_beats: 10, dsb_addr: 0x2_0000_0090, dsb_beats: 8,
    src: [{ addr: 0x70, gstride: 4, width: 20, g0: 1, ng: 3, up: 1, chip: 0 }, { addr: 0x3_0000_0100, gstride: 5, width: 20, g0: 0, ng: 4095, up: 0, chip: 1 }],
  };
}

/** A layout with fields swapped between words and moved inside them (the override test uses another). */
export function movedIsa(): Isa {
  return withFieldsMoved(DEFAULT_ISA, {
    engine: { word: 23, bit: 3 }, in_h: { word: 3, bit: 16 }, out_w: { word: 2, bit: 0 }, in_w: { word: 3, bit: 0 }, out_h: { word: 2, bit: 16 },
    lo: { word: 62, bit: 20 }, wgt_addr: { word: 17 }, map_addr: { word: 8 }, wgt_beats: { word: 19 }, map_beats: { word: 10 },
  }, { addr: { word: 1 }, gstride: { word: 0, bit: 16 }, width: { word: 0, bit: 0 }, up: { word: 3, bit: 31 } });
}

describe('encoder and decoder follow the data', () => {
  it('a moved layout round-trips and puts each field where the data says', () => {
    const isa = movedIsa();
    validateIsa(isa, DEFAULT_ISA);
    const d = sampleDescriptor();
    const w = encodeDescriptor(d, isa);
    expect(decodeDescriptor(w, isa)).toEqual(d);
    expect(w[23] >>> 3 & 0xf).toBe(d.engine);
    expect(w[0] & 0xf).toBe(0);
    expect([w[2] & 0xffff, w[2] >>> 16, w[3] & 0xffff, w[3] >>> 16]).toEqual([d.out_w, d.out_h, d.in_w, d.in_h]);
    expect(w[62] >>> 20 & 0xff).toBe(d.lo & 0xff);
    expect([w[17], w[18], w[19], w[8], w[10]]).toEqual([d.wgt_addr, 0, d.wgt_beats, d.map_addr, d.map_beats]);
    // source slot 1 at words 28..31: gstride/width in word 28, the address in 29-30, up at bit 31 of 31
    expect([w[28] & 0xffff, w[28] >>> 16, w[29], w[30], w[31] >>> 31]).toEqual([d.src[1].width, d.src[1].gstride, 0x100, 3, d.src[1].up]);
    // relocations follow the moved address words; the default decoder reads other values
    expect(usedAddressWords(d, isa)).toEqual([17, 11, 8, 20, 56, 59, 25]); // out_addr: map_out; src[1]: chip
    expect(decodeDescriptor(w, DEFAULT_ISA)).not.toEqual(d);
  });

  it('setIsa rejects overlapping fields, a changed width and registers on one word', () => {
    expect(() => setIsa(withFieldsMoved(DEFAULT_ISA, { engine: { word: 0, bit: 2 } }))).toThrow(/engine overlaps|overlaps engine/);
    expect(() => setIsa(withFieldsMoved(DEFAULT_ISA, { lo: { word: 1, bit: 28 } }))).toThrow(/do not fit one 32-bit word/);
    expect(() => setIsa(withFieldsMoved(DEFAULT_ISA, { out_addr: { word: 63 } }))).toThrow(/outside the 64 words/);
    const wide = { ...DEFAULT_ISA, descriptor: { ...DEFAULT_ISA.descriptor, fields: DEFAULT_ISA.descriptor.fields.map((f) => (f.name === 'layer' ? { ...f, width: 15 } : f)) } };
    expect(() => setIsa(wide)).toThrow(/only their places may differ/);
    const regs = { ...DEFAULT_ISA, registers: { ...DEFAULT_ISA.registers, registers: DEFAULT_ISA.registers.registers.map((r) => (r.name === 'VERSION' ? { ...r, offset: 0x18 } : r)) } };
    expect(() => setIsa(regs)).toThrow(/offset 24 is also PROGRAM_LEN/);
    setIsa(undefined);
  });

  it('the headers of a moved layout carry its positions', () => {
    const isa = movedIsa();
    expect(renderVerilogHeader(isa)).toMatch(/`define CN_D_ENGINE_LSB +739\n/);
    expect(renderCHeader(isa)).toMatch(/#define CN_S_ADDR_WORD +1 /);
  });
});

describe('memory images are unchanged by the layout becoming data', () => {
  // sha256 of memory.bin and relocs.bin, recorded before encode/decode became a loop over src/isa
  // (re-recorded when a 1x1 descriptor came to compute several output tiles from one input read,
  // again when a fused 1x1 -> dw3x3 descriptor did, and when the stem came to compute all its tiles
  // from one read of a packed input).
  const RECORDED: Record<string, [string, string]> = {
    'ultra96v2 codenet-a': ['31398f7ce02e9d00ff24d5a800253285b3e90f20179a59f64a7534b16b343cf5', '7fad5c3fdf4e0d57841055778d521d3327421436e781914a855825281c43829d'],
    'ultra96v2 codenet-tiny': ['4b40f509f2c26bbaf6425609460724fc471cc41d92e2b28af655c118f0210697', '85713064f69cc039a92f6376e27308b1eb5af97ffb5b10b85db748fc4b0414d6'],
    'pynq-z2 codenet-a': ['5da6f01182fa222bef15d75fa64cb7d239865d8bb1be1bc055df4a675203c616', '44502e2abf7d01d712329685a334fa47ecd704c74de0747c5653f05ca6773b55'],
    'pynq-z2 codenet-tiny': ['116a203e114883e14c75bce9115152dc9aed96eb2a24e3e6c61473091d4dea7e', '85713064f69cc039a92f6376e27308b1eb5af97ffb5b10b85db748fc4b0414d6'],
  };
  for (const [key, [image, relocs]] of Object.entries(RECORDED)) {
    it(key, () => {
      const [board, model] = key.split(' ');
      const c = compileModel(exportZooModel(model, { seed: 0 }), presetConfig(board));
      expect(sha(c.image)).toBe(image);
      expect(sha(new Uint8Array(c.relocs.buffer, c.relocs.byteOffset, c.relocs.byteLength))).toBe(relocs);
    });
  }
});

describe('hardware constants and derived values (src/hw/params.ts)', () => {
  it('nothing outside src/gen imports src/gen for a constant: perf, synth, report, compiler, isa and hw import none of it', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const bad: string[] = [];
    for (const f of files(join(PROJECT_ROOT, 'src'))) {
      const rel = relative(join(PROJECT_ROOT, 'src'), f);
      if (rel.startsWith('gen/') || rel.startsWith('cli/')) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'\.\.\/gen\/[^']+'/g)) {
        const names = m[1].split(',').map((n) => n.trim()).filter(Boolean);
        // Only rendering functions, and only for the layers that join rendering and running (verify, cli, detect...).
        const constants = names.filter((n) => !/^(type\s+)?render\w*$/.test(n));
        if (constants.length || /^(perf|synth|report|compiler|isa|hw|sim)\//.test(rel)) bad.push(`${rel}: ${names.join(', ')}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no folder import cycle between gen/ and sim/: gen/ renders every file, sim/ only builds and runs and imports nothing from gen/', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const bad = files(join(PROJECT_ROOT, 'src/sim')).filter((f) => /from\s*'\.\.\/gen\//.test(readFileSync(f, 'utf8'))).map((f) => relative(PROJECT_ROOT, f));
    expect(bad).toEqual([]);
  });

  it("the report's hardware table lists every field of the config", () => {
    const hw = presetConfig('ultra96v2');
    const params = hardwareParams(hw);
    for (const k of Object.keys(HwConfigSchema.shape)) if (k !== 'board' && k !== 'clockMHz') expect(params[k], k).toBe(hw[k as keyof typeof hw]);
    expect(Object.keys(params)).toContain('outstandingReads');
    expect(Object.keys(params)).toContain('tensorBufferBeats');
  });
});
