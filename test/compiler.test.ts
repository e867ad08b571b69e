import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Model } from '../src/ir/model.ts';
import { ModelBuilder } from '../src/verify/builder.ts';
import { presetConfig, validateHwConfig, type HwConfig } from '../src/hw/config.ts';
import { runGolden } from '../src/golden/run.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { UserError } from '../src/util/errors.ts';
import { validateModel } from '../src/ir/load.ts';
import { Rng } from '../src/util/rng.ts';
import {
  ADDRESS_WORDS, DESCRIPTOR_BYTES, ENGINE_DW, ENGINE_PW, decodeDescriptor, encodeDescriptor, readDescriptor, usedAddressWords, type Descriptor,
} from '../src/compiler/descriptor.ts';
import { compileModel, type Compiled, type CompileOptions } from '../src/compiler/compile.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { readTensor, writeInput } from '../src/compiler/tensors.ts';
import { MemoryMapSchema } from '../src/compiler/memory-map.ts';

const U96 = presetConfig('ultra96v2');
const PYNQ = presetConfig('pynq-z2');

// ---------------------------------------------------------------------------------------------
// Helpers: run a compiled model on the reference and compare every tensor with the golden model.

function imageFor(m: Model, seed: number): Int8Array {
  const [h, w, c] = m.tensors.get(m.inputs[0])!.shape;
  if (c !== 3) {
    const rng = new Rng(seed);
    return Int8Array.from({ length: h * w * c }, () => rng.int(-128, 127));
  }
  return imageCodes(randomImage(seed, h, w));
}

function runCompiled(c: Compiled, hw: HwConfig, input: Int8Array): Uint8Array {
  const mem = new Uint8Array(c.imageBytes);
  mem.set(c.image);
  // Garbage in the tensor buffers: nothing may depend on memory the program did not write.
  for (let i = c.image.length; i < mem.length; i++) mem[i] = (i * 89 + 17) & 0xff;
  writeInput(c.map, mem, input, hw);
  executeProgram(mem, 0, c.descriptors.length, hw);
  return mem;
}

/** Compiles, runs and compares every tensor; returns the compiled program. */
function checkModel(m: Model, hw: HwConfig, seed = 3, opts: CompileOptions = {}): Compiled {
  const c = compileModel(m, hw, opts);
  MemoryMapSchema.parse(c.map);
  const input = imageFor(m, seed);
  const mem = runCompiled(c, hw, input);
  const golden = runGolden(m, new Map([[m.inputs[0], input]]), { keepAll: true });
  for (const [name, want] of golden) {
    // A dilation map kept on chip has no DDR copy; the deformable layer reading it is checked.
    if (c.map.tensors.find((t) => t.name === name)!.onChip) continue;
    const got = readTensor(c.map, mem, name);
    const [, w, ch] = m.tensors.get(name)!.shape;
    for (let i = 0; i < want.length; i++)
      if (got[i] !== want[i]) {
        const px = Math.floor(i / ch);
        const producer = m.layers.find((l) => l.outputs.includes(name));
        expect.fail(`${m.name} on ${hw.board}: tensor "${name}" (layer "${producer?.name ?? 'input'}") differs at y=${Math.floor(px / w)} x=${px % w} c=${i % ch}: golden ${want[i]}, reference ${got[i]}`);
      }
  }
  expect(golden.size).toBe(m.inputs.length + m.layers.reduce((a, l) => a + l.outputs.length, 0));
  return c;
}

// Hand-made models: src/verify/builder.ts (shared with codenet verify).
class Builder extends ModelBuilder {}

function expectUserError(f: () => unknown, ...parts: string[]): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(UserError);
  for (const p of parts) expect((err as Error).message).toContain(p);
}

// ---------------------------------------------------------------------------------------------

describe('descriptor encoding', () => {
  const src = fc.record({
    addr: fc.nat({ max: 2 ** 40 }).map((v) => v * 16), gstride: fc.integer({ min: 1, max: 0xffff }), width: fc.integer({ min: 1, max: 0xffff }),
    g0: fc.nat({ max: 0xfff }), ng: fc.nat({ max: 0xfff }), up: fc.nat({ max: 1 }), chip: fc.nat({ max: 1 }),
  });
  const u16 = fc.nat({ max: 0xffff }), u32 = fc.nat({ max: 0xffffffff }), addr = fc.nat({ max: 2 ** 44 });
  const desc: fc.Arbitrary<Descriptor> = fc.record({
    engine: fc.integer({ min: 1, max: 4 }), pw_mode: fc.nat({ max: 1 }), pool: fc.nat({ max: 1 }), use_map: fc.nat({ max: 1 }), map_out: fc.nat({ max: 1 }), out_chip: fc.nat({ max: 1 }),
    stride: fc.constantFrom(1, 2, 4), dconst: fc.nat({ max: 15 }), dmax: fc.nat({ max: 15 }), n: fc.nat({ max: 31 }),
    lo: fc.integer({ min: -128, max: 127 }), layer: u16, in_h: u16, in_w: u16, out_h: u16, out_w: u16, gin: u16,
    out_ng: u16, out_gstride: u16, out_addr: addr, wgt_addr: addr, wgt_beats: u32, sb_addr: addr, sb_beats: u32,
    pad_addr: addr, pad_beats: u32, map_addr: addr, map_beats: u32, stat_addr: addr,
    n2: fc.nat({ max: 31 }), lo2: fc.integer({ min: -128, max: 127 }), tiles: fc.nat({ max: 255 }), in_packed: fc.nat({ max: 1 }), dwgt_addr: addr, dwgt_beats: u32, dsb_addr: addr, dsb_beats: u32,
    src: fc.array(src, { minLength: 1, maxLength: 8 }),
  });

  it('decode(encode(d)) = d, and the reserved words stay 0', () => {
    fc.assert(fc.property(desc, (d) => {
      const w = encodeDescriptor(d);
      expect(w.length).toBe(64);
      expect(decodeDescriptor(w)).toEqual(d);
      for (const i of [62, 63]) expect(w[i]).toBe(0);
      expect(w[23] & ~0xff0000).toBe(0);
      expect(w[22] & ~0xff1f).toBe(0);
      for (let s = d.src.length; s < 8; s++) for (let k = 0; k < 4; k++) expect(w[24 + 4 * s + k]).toBe(0);
    }), { numRuns: 300 });
  });

  it('places fields at the bits of docs/isa.md', () => {
    const d: Descriptor = {
      engine: 3, pw_mode: 1, pool: 1, use_map: 1, map_out: 1, out_chip: 1, stride: 4, dconst: 5, dmax: 7, n: 17, lo: -96, layer: 0x1234,
      in_h: 10, in_w: 20, out_h: 30, out_w: 40, gin: 3, out_ng: 2, out_gstride: 6,
      out_addr: 0x1_0000_0010, wgt_addr: 0x20, wgt_beats: 7, sb_addr: 0x30, sb_beats: 8, pad_addr: 0x40, pad_beats: 9,
      map_addr: 0x50, map_beats: 11, stat_addr: 0x60, n2: 9, lo2: -3, tiles: 5, in_packed: 1, dwgt_addr: 0x80, dwgt_beats: 10, dsb_addr: 0x2_0000_0090, dsb_beats: 8,
      src: [{ addr: 0x70, gstride: 4, width: 20, g0: 1, ng: 3, up: 1, chip: 1 }],
    };
    const w = encodeDescriptor(d);
    expect(w[0]).toBe(3 | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (4 << 8) | (1 << 11) | (5 << 12) | (7 << 16) | (17 << 20) | (1 << 25));
    expect(w[1]).toBe(0xa0 | (0x1234 << 16));
    expect([w[2], w[3], w[4], w[5]]).toEqual([10 | (20 << 16), 30 | (40 << 16), 3 | (1 << 16), 2 | (6 << 16)]);
    expect([w[6], w[7], w[8], w[10], w[11], w[13], w[14], w[16], w[17], w[19], w[20]]).toEqual([0x10, 1, 0x20, 7, 0x30, 8, 0x40, 9, 0x50, 11, 0x60]);
    expect([w[24], w[25], w[26], w[27]]).toEqual([0x70, 0, 4 | (20 << 16), 1 | (3 << 12) | (1 << 24) | (1 << 25)]);
    expect([w[22], w[56], w[57], w[58], w[59], w[60], w[61]]).toEqual([9 | (0xfd << 8), 0x80, 0, 10, 0x90, 2, 8]);
    expect(ADDRESS_WORDS).toEqual([6, 8, 11, 14, 17, 20, 56, 59, 24, 28, 32, 36, 40, 44, 48, 52]);
  });

  it('rejects a field that does not fit', () => {
    const d = decodeDescriptor(new Uint32Array(64));
    expect(() => encodeDescriptor({ ...d, src: [] })).toThrow(/sources/);
    const ok = { ...d, src: [{ addr: 0, gstride: 1, width: 1, g0: 0, ng: 1, up: 0, chip: 0 }] };
    expect(() => encodeDescriptor({ ...ok, engine: 16 })).toThrow(/engine/);
    expect(() => encodeDescriptor({ ...ok, lo: 128 })).toThrow(/lo/);
    expect(() => encodeDescriptor({ ...ok, src: [{ ...ok.src[0], g0: 4096 }] })).toThrow(/g0/);
  });
});

describe('compiler + reference on codenet-tiny', () => {
  const tiny = exportZooModel('codenet-tiny', { seed: 1 });

  for (const hw of [U96, PYNQ]) {
    it(`every tensor equals the golden model (${hw.board}, ${hw.lanes} lanes)`, () => {
      const c = checkModel(tiny, hw, 11);
      expect(c.map.program.descriptors).toBe(c.descriptors.length);
      expect(c.image.length).toBe(c.map.fileBytes);
      for (const r of [c.map.stats, c.map.params]) expect(r.offset % 4096).toBe(0);
      for (const b of c.map.buffers) expect(b.offset % 4096).toBe(0);
      expect(c.map.buffers[0].offset).toBe(c.map.fileBytes);
      // Every layer with weights has descriptors, except a 1x1 fused into its depthwise reader
      // (its output stays on chip); split, shuffle and upsample are free (views); concat runs a
      // copy pass only when its inputs span more than eight buffers.
      const onChip = new Set(c.map.tensors.filter((t) => t.onChip).map((t) => t.name));
      for (const [i, l] of tiny.layers.entries()) {
        const ids = c.map.layers[i].descriptors;
        const free = ['split', 'shuffle', 'upsample'].includes(l.op) || (l.op === 'conv1x1' && onChip.has(l.outputs[0]));
        if (l.op !== 'concat') expect(ids.length > 0, `${l.name} (${l.op})`).toBe(!free);
        for (const id of ids) expect(c.descriptors[id].layer).toBe(i);
      }
    });
  }

  it('relocations point at exactly the used address words, and relocating moves every address', () => {
    const c = compileModel(tiny, U96);
    const base = 0x8000_0000_0n;
    const relocated = c.image.slice();
    const dv = new DataView(relocated.buffer);
    const seen = new Set<number>();
    for (const off of c.relocs) {
      expect(off % 4).toBe(0);
      expect(off).toBeLessThan(c.descriptors.length * DESCRIPTOR_BYTES);
      expect(ADDRESS_WORDS).toContain((off % DESCRIPTOR_BYTES) / 4);
      expect(seen.has(off)).toBe(false);
      seen.add(off);
      const v = dv.getBigUint64(off, true);
      expect(v).toBeLessThan(BigInt(c.imageBytes));
      expect(v % BigInt(c.map.beatBytes)).toBe(0n);
      dv.setBigUint64(off, v + base, true);
    }
    c.descriptors.forEach((d, i) => {
      const r = readDescriptor(relocated, i * DESCRIPTOR_BYTES);
      const b = Number(base);
      expect(r).toEqual({
        ...d, out_addr: d.map_out ? 0 : d.out_chip ? d.out_addr : d.out_addr + b, stat_addr: d.stat_addr + b,
        wgt_addr: d.wgt_beats ? d.wgt_addr + b : 0, sb_addr: d.sb_beats ? d.sb_addr + b : 0,
        pad_addr: d.pad_beats ? d.pad_addr + b : 0, map_addr: d.map_beats ? d.map_addr + b : 0,
        dwgt_addr: d.dwgt_beats ? d.dwgt_addr + b : 0, dsb_addr: d.dsb_beats ? d.dsb_addr + b : 0,
        src: d.src.map((s) => ({ ...s, addr: s.chip ? s.addr : s.addr + b })),
      });
      const streams = [d.wgt_beats, d.sb_beats, d.pad_beats, d.map_beats, d.dwgt_beats, d.dsb_beats];
      expect(usedAddressWords(d).length).toBe((d.map_out || d.out_chip ? 1 : 2) + d.src.filter((x) => !x.chip).length + streams.filter(Boolean).length);
    });
    expect(c.relocs.length).toBe(c.descriptors.reduce((a, d) => a + usedAddressWords(d).length, 0));
  });

  it('is deterministic: compiling twice gives the same bytes', () => {
    const a = compileModel(tiny, U96), b = compileModel(exportZooModel('codenet-tiny', { seed: 1 }), U96);
    expect(Buffer.compare(Buffer.from(a.image), Buffer.from(b.image))).toBe(0);
    expect(Array.from(a.relocs)).toEqual(Array.from(b.relocs));
    expect(JSON.stringify(a.map)).toBe(JSON.stringify(b.map));
  });
});

describe('compiler + reference on hand-built models', () => {
  it('channels that are not a multiple of the lanes, split / concat / shuffle views, dw stride 2', () => {
    const b = new Builder('views', 12, 20);
    const s = b.stem('image', 20, 2);
    const a = b.pw(s, 13);
    const d = b.dw(a, 1, 1, true);
    const [d0, d1] = b.split(d, [5, 8]);
    const c = b.pw(d1, 6);
    const cat = b.concat([c, d0, s, a]); // 44 channels from four buffers
    const sh = b.shuffle(cat);
    const [h0, h1] = b.split(sh, [9, 35]);
    const e = b.dw(h1, 2);
    const f = b.pw(b.concat([b.dw(h0, 2), e]), 7, false);
    const m = b.build([f, sh]);
    for (const hw of [U96, PYNQ]) checkModel(m, hw);
  });

  it('dw dilation 0 and dmax, stride 2 with dilation, maxpool on odd sizes', () => {
    const b = new Builder('dilation', 15, 13);
    const s = b.stem('image', 10, 1);
    const d0 = b.dw(s, 1, 0);
    const d7 = b.dw(d0, 1, 7, true);
    const d3 = b.dw(d7, 2, 3);
    const p = b.pool(d3);
    const p2 = b.pool(b.pool(s)); // 15x13 -> 8x7 -> 4x4
    const m = b.build([p, p2]);
    for (const hw of [U96, PYNQ]) checkModel(m, hw);
  });

  it('dwdeform with stride 1 and 2, and dmax smaller than the hardware dmax', () => {
    const b = new Builder('deform', 16, 16);
    const s = b.stem('image', 20, 1);
    const o1 = b.offset(s, 7);
    const y1 = b.deform(s, o1);
    const z = b.dw(s, 2);
    const o2 = b.offset(z, 3);
    const y2 = b.deform(s, o2, 2);
    const m = b.build([y1, y2]);
    for (const hw of [U96, PYNQ]) checkModel(m, hw);
    // The maps use the range: several distinct dilations appear.
    const g = runGolden(m, new Map([['image', imageFor(m, 3)]]), { keepAll: true });
    expect(new Set(g.get(o1)).size).toBeGreaterThan(2);
  });

  it('a dilation map goes straight into the depthwise engine when nothing can disturb it, else through DDR', () => {
    const onChip = (c: Compiled, t: string) => c.map.tensors.find((x) => x.name === t)!.onChip === true;
    const descs = (c: Compiled, layer: string) => c.map.layers.find((l) => l.name === layer)!.descriptors.map((i) => c.descriptors[i]);
    // Adjacent offset -> dwdeform: map_out, and the deformable pass loads no map (every chunk).
    const b = new Builder('adjacent', 12, 12);
    const s = b.stem('image', 40, 1);
    const o = b.offset(s, 5);
    const y = b.deform(s, o);
    const m = b.build([y]);
    const small = { ...U96, lineBufferBeats: 16 * 12 * 2 }; // at most two groups a chunk: two chunks
    for (const hw of [U96, PYNQ, small]) {
      const c = checkModel(m, hw);
      expect(onChip(c, o)).toBe(true);
      expect(descs(c, o).map((d) => [d.map_out, d.out_addr])).toEqual([[1, 0]]);
      expect(descs(c, y).length).toBeGreaterThan(hw === small ? 1 : 0);
      for (const d of descs(c, y)) expect([d.use_map, d.map_beats, d.map_addr]).toEqual([1, 0, 0]);
    }
    expect(() => readTensor(compileModel(m, U96).map, new Uint8Array(1 << 20), o)).toThrow(/not in memory: the offset conv writes it into the depthwise engine's on-chip dilation map/);

    // Interleaved (another map writer in between), read twice, or a graph output: DDR.
    const i = new Builder('interleaved', 12, 12);
    const si = i.stem('image', 16, 1);
    const o1 = i.offset(si, 7), o2 = i.offset(si, 3);
    const y1 = i.deform(si, o1), y2 = i.deform(si, o2);
    const y3 = i.deform(y1, o1);
    const mi = i.build([y2, y3, o2]);
    const ci = checkModel(mi, U96);
    for (const t of [o1, o2]) expect(onChip(ci, t), t).toBe(false);
    expect(descs(ci, o1)[0].map_out).toBe(0);
    expect(descs(ci, y1)[0].map_beats).toBe(144);
  });

  it('upsample consumers: 1x1, dw, concat, split, nested upsample, stem on a view', () => {
    const b = new Builder('upsample', 8, 8);
    const s = b.stem('image', 16, 2); // 4x4
    const u1 = b.up(s); // 8x8
    const p1 = b.pw(u1, 8);
    const d1 = b.dw(u1, 1, 1);
    const u2 = b.up(u1); // 16x16: stores u1 first
    const [a, c] = b.split(u2, [6, 10]); // stores u2
    const cat = b.concat([b.up(p1), a]); // 16x16, stores up(p1)
    const q = b.pw(b.concat([cat, c]), 6);
    const [, rgb] = b.split(q, [3, 3]); // lanes 3..5 of one buffer: the stem needs a copy
    const st = b.stem(rgb, 5, 2);
    const m = b.build([p1, d1, st, b.dw(b.up(d1), 2)]);
    for (const hw of [U96, PYNQ]) checkModel(m, hw);
  });

  it('cuts depthwise layers into channel chunks when the line buffer is small', () => {
    const hw = validateHwConfig({ ...U96, lineBufferBeats: 512 }, 'test'); // 16 rows x 16 pixels x 2 groups
    const b = new Builder('chunks', 16, 16);
    const s = b.stem('image', 30, 1);
    const p = b.pw(s, 40); // 3 groups
    const cat = b.concat([b.pw(s, 10), p, b.pw(s, 16)]); // 5 groups from 3 buffers
    const d = b.dw(cat, 1, 2);
    const o = b.offset(p, 7);
    const y = b.deform(cat, o, 1);
    const mp = b.pool(cat);
    const m = b.build([d, y, mp]);
    const c = checkModel(m, hw);
    const dwLayer = m.layers.findIndex((l) => l.outputs[0] === d);
    const ids = c.map.layers[dwLayer].descriptors;
    expect(ids.length).toBe(3);
    expect(ids.map((i) => c.descriptors[i].gin)).toEqual([2, 2, 1]);
    for (const i of ids) expect(c.descriptors[i].out_gstride).toBe(5);
    expect(ids.map((i) => c.descriptors[i].src.length)).toEqual([2, 1, 1]);
    // The same model without chunking gives the same tensors.
    checkModel(m, U96);
  });

  it('stem with many output channels (several passes) and a 1x1 layer with several tiles', () => {
    const b = new Builder('tiles', 9, 7);
    const s = b.stem('image', 47, 2);
    const p = b.pw(s, 70, false);
    const m = b.build([b.pw(p, 33)]);
    for (const hw of [U96, PYNQ]) {
      const c = checkModel(m, hw);
      // every stem tile from one read of the input (one descriptor, `tiles` of them)
      expect(c.map.layers[0].descriptors.length).toBe(1);
      expect(c.descriptors[c.map.layers[0].descriptors[0]].tiles).toBe(Math.ceil(47 / (hw.pwOutputs / 2 - 1)));
      // the full tiles in one descriptor (their weights fit the engine), a partial last tile alone
      const g = Math.ceil(70 / hw.lanes), per = hw.pwOutputs / hw.lanes, full = Math.floor(g / per);
      expect(c.map.layers[1].descriptors.length).toBe(Math.min(full, 1) + Math.ceil(g / per) - full);
    }
  });
});

// Legal models the compiler used to get wrong or refuse; test/compiler-property.test.ts
// runs thousands of random ones.
describe('legal models that once miscompiled', () => {
  const descs = (c: Compiled, layer: string) => c.map.layers.find((l) => l.name === layer)!.descriptors.map((i) => c.descriptors[i]);

  it('a concat that lists the same tensor twice: codes (1, 2) -> concat [x, x] -> 1x1 [1, 2, 3, 4] is 19', () => {
    const m = validateModel({
      format: 'codenet-ir', version: 1, metadata: { name: 'repeat' }, inputs: ['x'], outputs: ['y'],
      tensors: {
        x: { shape: [1, 1, 2], scale: 1, zero: 0, pad: 0 }, xx: { shape: [1, 1, 4], scale: 1, zero: 0, pad: 0 },
        y: { shape: [1, 1, 1], scale: 1, zero: 0, pad: 0 },
      },
      layers: [
        { name: 'cat', op: 'concat', inputs: ['x', 'x'], outputs: ['xx'] },
        {
          name: 'y', op: 'conv1x1', inputs: ['xx'], outputs: ['y'], relu: false, n: 1,
          weights: { dtype: 'int4', shape: [1, 4], data: 'IUM=' }, S: { dtype: 'int16', shape: [1], data: 'AgA=' }, B: { dtype: 'int16', shape: [1], data: 'gwA=' },
        },
      ],
    }, 'repeat');
    const x = Int8Array.from([1, 2]);
    // acc = 1*1 + 2*2 + 1*3 + 2*4 = 16; t = ((16*2 + 1) >> 1) + 131 = 147; q = 147 - 128 = 19.
    expect(Array.from(runGolden(m, new Map([['x', x]])).get('y')!)).toEqual([19]);
    for (const hw of [U96, PYNQ]) {
      const c = compileModel(m, hw);
      const mem = runCompiled(c, hw, x);
      expect(Array.from(readTensor(c.map, mem, 'y'))).toEqual([19]);
      // The second x is read from a copy: no lane holds two channels of the 1x1's input.
      expect(descs(c, 'cat').length).toBe(1);
    }
  });

  it('repeated and overlapping concat inputs (a tensor and its split, views of views) feed 1x1 and depthwise layers', () => {
    const b = new Builder('repeats', 6, 5);
    const s = b.stem('image', 21, 1);
    const [s0, s1] = b.split(s, [10, 11]);
    const sh = b.shuffle(b.concat([s1, s0, s1])); // 32 channels
    const [h0] = b.split(b.concat([sh, s, sh]), [40, 45]);
    const d = b.dw(b.concat([h0, s0, h0]), 2, 3);
    const q = b.pw(b.concat([s, s, s]), 5);
    const m = b.build([d, q, b.pool(b.concat([s1, s1]))]);
    for (const hw of [U96, PYNQ]) for (const opts of [{}, { fuse: false, chip: false }]) checkModel(m, hw, 3, opts);
  });

  it('a model made only of views computes its outputs on the accelerator (copy passes)', () => {
    const up = new Builder('up-only', 3, 5, 6);
    const mu = up.build([up.up('image')]);
    const spl = new Builder('split-only', 4, 4, 20);
    const [a, z] = spl.split('image', [7, 13]);
    const ms = spl.build([spl.shuffle(spl.concat([z, a])), a]);
    for (const [m, copies] of [[mu, 1], [ms, 2]] as const)
      for (const hw of [U96, PYNQ]) {
        const c = checkModel(m, hw, 3);
        expect(c.descriptors.length).toBe(copies);
        // Every output is stored in a buffer of its own, not read through the input's.
        for (const o of m.outputs) {
          const t = c.map.tensors.find((x) => x.name === o)!;
          expect(t.upsampleOf).toBeUndefined();
          expect(t.channels!.every(([buf]) => buf !== c.map.input.buffer)).toBe(true);
        }
      }
    // Only the graph input is an output: one copy keeps the program non-empty; the input is read in place.
    const io = new Builder('input-out', 2, 2, 4);
    io.up('image');
    const mi = io.build(['image']);
    const ci = checkModel(mi, U96, 3);
    expect(ci.descriptors.length).toBe(1);
    expect(ci.map.tensors.find((t) => t.name === 'image')!.channels!.every(([buf]) => buf === ci.map.input.buffer)).toBe(true);
  });

  it('a concat of 9, 10 and 70 separate tensors: copy passes bring it to at most eight sources', () => {
    for (const k of [9, 10, 70]) {
      const b = new Builder(`cat${k}`, 4, 3);
      const s = b.stem('image', 5, 1);
      const parts = Array.from({ length: k }, (_, i) => b.pw(s, 1 + (i % 5)));
      const cat = b.concat(parts);
      const m = b.build([b.pw(cat, 3), b.dw(cat, 1, 2), cat]);
      for (const hw of [U96, PYNQ]) {
        const c = checkModel(m, hw, 3);
        expect(descs(c, cat).length).toBeGreaterThan(0);
        for (const d of c.descriptors) expect(d.src.length).toBeLessThanOrEqual(8);
      }
    }
  });

  it('an offset conv with stride 2 (a stride-2 centre-tap DW pass first), its map on chip or in DDR', () => {
    const b = new Builder('ostride', 9, 8);
    const s = b.stem('image', 20, 1);
    const o1 = b.offset(s, 7, 2);
    const y1 = b.deform(s, o1, 2);
    const o2 = b.offset(b.up(s), 3, 2); // reads an upsampled view
    const y2 = b.deform(b.dw(s, 1, 2), o2, 1);
    const m = b.build([y1, y2, o2]);
    for (const hw of [U96, PYNQ]) {
      const c = checkModel(m, hw, 3);
      const d = descs(c, o1);
      expect(d.map((x) => [x.engine, x.stride])).toEqual([[ENGINE_DW, 2], [ENGINE_PW, 1]]);
      expect(d[1].map_out).toBe(1);
      expect(c.map.tensors.find((t) => t.name === o2)!.onChip).toBeUndefined();
    }
  });
});

describe('models that do not fit', () => {
  it('a too-wide tensor names the layer and maxWidth', () => {
    const b = new Builder('wide', 4, 600);
    const m = b.build([b.pw(b.stem('image', 4, 1), 4)]);
    expectUserError(() => compileModel(m, U96), 'layer "stem0" (stem)', 'maxWidth 512');
  });

  it('a dilation above the hardware dmax', () => {
    const b = new Builder('dil', 8, 8);
    const m = b.build([b.dw(b.stem('image', 4, 1), 1, 9)]);
    expectUserError(() => compileModel(m, U96), 'layer "dw3x3', 'dilation 9', 'dmax 7');
  });

  it('a deformable layer larger than the dilation map', () => {
    const hw = validateHwConfig({ ...U96, mapEntries: 32 }, 'test');
    const b = new Builder('map', 8, 8);
    const s = b.stem('image', 4, 1);
    const m = b.build([b.deform(s, b.offset(s, 5))]);
    expectUserError(() => compileModel(m, hw), 'layer "dwdeform2" (dwdeform)', 'mapEntries 32');
  });

  it('a 1x1 input row longer than the row buffer', () => {
    const hw = validateHwConfig({ ...U96, rowBufferBeats: 16 }, 'test');
    const b = new Builder('row', 8, 8);
    const m = b.build([b.pw(b.stem('image', 40, 1), 4)]); // 8 pixels x 3 groups
    expectUserError(() => compileModel(m, hw), 'layer "conv1x1', 'rowBufferBeats 16');
  });

  it('a concat too wide for any copy pass to gather names the layer and the limits', () => {
    // 9 inputs of two groups each on a row buffer that holds two groups of this width: no two
    // neighbouring inputs fit one copy pass, so the nine buffers cannot become eight sources.
    const hw = validateHwConfig({ ...U96, rowBufferBeats: 8 }, 'test');
    const b = new Builder('sources', 4, 4);
    const s = b.stem('image', 4, 1);
    const parts = Array.from({ length: 9 }, () => b.pw(s, 20));
    const m = b.build([b.pw(b.concat(parts), 3)]);
    expectUserError(() => compileModel(m, hw), 'layer "concat', 'span 9 buffers', 'more than the 8 sources', 'rowBufferBeats 8');
  });

  it('the reference rejects a descriptor that breaks the limits', () => {
    const b = new Builder('ref', 8, 8);
    const m = b.build([b.pw(b.stem('image', 4, 1), 4)]);
    const c = compileModel(m, U96);
    const mem = new Uint8Array(c.imageBytes);
    mem.set(c.image);
    const small = validateHwConfig({ ...U96, rowBufferBeats: 4 }, 'test');
    expect(() => executeProgram(mem, 0, c.descriptors.length, small)).toThrow(/rowBufferBeats/);
  });
});
