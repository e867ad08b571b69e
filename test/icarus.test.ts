// Icarus Verilog (4-state) simulation of the whole generated accelerator (src/sim/icarus.ts,
// templates/sim/tb_codenet_icarus.v.hbs): a small compiled model must reproduce every tensor of the
// golden model bit for bit, with no X on any output, no read of memory nobody wrote (the tensor
// buffers start as X), random AXI stalls and an image linked above 4 GiB.
import { describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import type { Layer, Model, Tensor } from '../src/ir/model.ts';
import type { OpName } from '../src/ir/schema.ts';
import { validateModel } from '../src/ir/load.ts';
import { modelToDef } from '../src/ir/save.ts';
import { presetConfig, validateHwConfig, type HwConfig } from '../src/hw/config.ts';
import { runGolden } from '../src/golden/run.ts';
import { calibrate, randomWeights } from '../src/zoo/calibrate.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { Rng } from '../src/util/rng.ts';
import { compileModel, type Compiled } from '../src/compiler/compile.ts';
import { ENGINE_PWDW } from '../src/compiler/descriptor.ts';
import { readTensor, writeInput } from '../src/compiler/tensors.ts';
import { renderRtl } from '../src/gen/rtl.ts';
import { COUNTERS } from '../src/hw/params.ts';
import { parseHexDump, runIcarus, toHexBeats } from '../src/sim/icarus.ts';

import { windowOut as down } from '../src/ops/shape.ts';

/**
 * 16x16 input: stem (12 channels) -> conv1x1 (20: two groups, the second partly used) -> dw3x3
 * dilation 2 -> offset + dwdeform -> maxpool -> conv1x1 (24). Every engine and config stream
 * (weights, S/B, pad, map) runs at least once.
 */
function smallModel(h = 16): Model {
  const tensors = new Map<string, Tensor>();
  const layers: Layer[] = [];
  tensors.set('image', { name: 'image', shape: [h, h, 3], kind: 'act', scale: 1 / 57.6, zero: 0, pad: Int8Array.from([-4, -12, -24]) });
  const add = (op: OpName, input: string[], shape: [number, number, number], attrs: Partial<Layer> = {}): string => {
    const name = `${op}${layers.length}`;
    tensors.set(name, { name, shape, kind: op === 'offset' ? 'dilation' : 'act', scale: 1, zero: 0, pad: new Int8Array(shape[2]) });
    layers.push({ name, op, inputs: input, outputs: [name], stride: 1, relu: false, dilation: 1, dmax: 0, ...attrs });
    return name;
  };
  const stem = add('stem', ['image'], [h, h, 12], { relu: true });
  const pw1 = add('conv1x1', [stem], [h, h, 20], { relu: true });
  const dw = add('dw3x3', [pw1], [h, h, 20], { dilation: 2 });
  const off = add('offset', [dw], [h, h, 1], { dmax: 3 });
  const def = add('dwdeform', [dw, off], [h, h, 20], { relu: true });
  const pool = add('maxpool', [def], [down(h, 2), down(h, 2), 20]);
  const pw2 = add('conv1x1', [pool], [down(h, 2), down(h, 2), 24]);
  const m: Model = { name: 'icarus-small', metadata: { name: 'icarus-small' }, tensors, layers, inputs: ['image'], outputs: [pw2] };
  const rng = new Rng(5);
  randomWeights(m, rng);
  calibrate(m, [1, 2].map((i) => imageCodes(randomImage(50 + i, h, h))));
  for (const t of m.tensors.values()) if (t.kind === 'act' && t.name !== 'image') for (let c = 0; c < t.pad.length; c++) t.pad[c] = rng.int(-128, 127);
  return validateModel(JSON.parse(JSON.stringify(modelToDef(m))), 'test model icarus-small');
}

/** Ultra96-V2 with small on-chip buffers: the same datapath, less for Icarus to simulate. */
const HW: HwConfig = validateHwConfig({ ...presetConfig('ultra96v2'), rowBufferBeats: 256, lineBufferBeats: 1024, mapEntries: 256, tensorBufferBeats: 256, maxChannels: 256 }, 'icarus test config');

/** The whole memory at `base`: relocated image, input written, the rest left for xRanges. */
function memoryAt(c: Compiled, hw: HwConfig, base: number, input: Int8Array): { mem: Uint8Array; inputEnd: number } {
  const mem = new Uint8Array(c.imageBytes);
  mem.set(c.image);
  const dv = new DataView(mem.buffer);
  for (const off of c.relocs) dv.setBigUint64(off, dv.getBigUint64(off, true) + BigInt(base), true);
  writeInput(c.map, mem, input, hw);
  const b = c.map.buffers.find((x) => x.name === c.map.input.buffer)!;
  return { mem, inputEnd: b.offset + b.h * b.w * b.gstride * c.map.beatBytes };
}

describe('Icarus memory files', () => {
  it('toHexBeats / parseHexDump round-trip bytes, x digits and $writememh comments', () => {
    const img = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 5) & 0xff);
    const hex = toHexBeats(img, 16, [[16, 20]]);
    const lines = hex.trim().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[0]).toBe(Array.from(img.slice(0, 16)).reverse().map((v) => v.toString(16).padStart(2, '0')).join(''));
    expect(lines[1].slice(-8)).toBe('xxxxxxxx');
    const { memory, xMask } = parseHexDump(`// 0x00000000\n${hex}`, 16, 40);
    for (let i = 0; i < 40; i++) {
      expect(xMask[i]).toBe(i >= 16 && i < 20 ? 1 : 0);
      expect(memory[i]).toBe(xMask[i] ? 0 : img[i]);
    }
    const at = parseHexDump('@1\n' + '0'.repeat(30) + 'ab\n', 16, 32);
    expect(at.memory[16]).toBe(0xab);
  });
});

describe('Icarus: the whole accelerator, 4-state', () => {
  it('runs a small model bit-exact against the golden model, with no X anywhere', async () => {
    const model = smallModel();
    const c = compileModel(model, HW);
    const input = imageCodes(randomImage(7, 16, 16));
    // Linked above 4 GiB, so the top bits of the 40-bit addresses are exercised.
    const base = 0x8_8000_0000;
    const { mem, inputEnd } = memoryAt(c, HW, base, input);
    const r = await runIcarus({
      hw: HW, rtlFiles: renderRtl(HW), image: mem, base, programLen: c.descriptors.length, maxCycles: 200_000,
      stallPercent: 10, latency: 8, xRanges: [[inputEnd, c.imageBytes]],
    });
    console.log(`icarus: ${c.descriptors.length} descriptors, ${r.cycles} cycles in ${r.wallSeconds.toFixed(1)} s (${Math.round(r.cycles / r.wallSeconds)} cycles/s), compile ${r.compileSeconds.toFixed(1)} s`);

    const golden = runGolden(model, new Map([['image', input]]), { keepAll: true });
    expect(golden.size).toBe(model.layers.length + 1);
    // No DDR copy, checked through their readers: the dilation map (map_out, into the depthwise
    // engine), the 1x1 output fused into its dw3x3 (PWDW) and the maxpool output, which the last
    // 1x1 reads from the tensor buffer.
    const onChip = c.map.tensors.filter((t) => t.onChip);
    expect(onChip.map((t) => t.name).sort()).toEqual(['conv1x11', 'maxpool5', 'offset3']);
    expect(c.descriptors.some((d) => d.engine === ENGINE_PWDW)).toBe(true);
    expect(c.descriptors.filter((d) => d.out_chip).length).toBeGreaterThan(0);
    expect(c.descriptors.filter((d) => d.src.some((x) => x.chip)).length).toBeGreaterThan(0);
    for (const [name, want] of golden) {
      if (onChip.some((t) => t.name === name)) continue;
      const undefinedBytes = Array.from(readTensor(c.map, r.xMask, name)).filter((v) => v !== 0).length;
      expect(undefinedBytes, `tensor "${name}": bytes left X (never written)`).toBe(0);
      const got = readTensor(c.map, r.memory, name);
      const [, w, ch] = model.tensors.get(name)!.shape;
      for (let i = 0; i < want.length; i++)
        if (got[i] !== want[i]) {
          const px = Math.floor(i / ch);
          expect.fail(`tensor "${name}" differs at y=${Math.floor(px / w)} x=${px % w} c=${i % ch}: golden ${want[i]}, Icarus ${got[i]}`);
        }
    }
    // One statistics beat per descriptor, its cycle count non-zero.
    const dv = new DataView(r.memory.buffer);
    for (let i = 0; i < c.descriptors.length; i++) expect(dv.getUint32(c.map.stats.offset + i * c.map.beatBytes, true)).toBeGreaterThan(0);
    expect(r.counters.length).toBe(COUNTERS.length);
    expect(r.counters[COUNTERS.indexOf('descriptors done')]).toBe(c.descriptors.length);
    expect(r.counters[COUNTERS.indexOf('busy cycles')]).toBeGreaterThan(0);
    expect(r.counters[COUNTERS.indexOf('busy cycles')]).toBeLessThanOrEqual(r.cycles);
    expect(r.ddr.writeBeats * c.map.beatBytes).toBe(r.counters[COUNTERS.indexOf('bytes written')]);
    expect(r.ddr.readBeats * c.map.beatBytes).toBe(r.counters[COUNTERS.indexOf('bytes read')]);
  }, 240_000);

  it('names the signal and cycle when an output register is left uninitialised', async () => {
    const model = smallModel(8);
    const c = compileModel(model, HW);
    const base = 0x1000_0000;
    const { mem } = memoryAt(c, HW, base, imageCodes(randomImage(3, 8, 8)));
    const rtl = renderRtl(HW);
    // Drop the reset of ARVALID in the read DMA (its first assignment is the reset branch).
    const rd = rtl['rtl/cn_axi_rd.v'];
    expect(rd).toContain("m_axi_arvalid <= 1'b0;");
    rtl['rtl/cn_axi_rd.v'] = rd.replace("m_axi_arvalid <= 1'b0;", '');
    const err = await runIcarus({ hw: HW, rtlFiles: rtl, image: mem, base, programLen: c.descriptors.length, maxCycles: 10_000 }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/FAIL cycle=\d+: m_axi_arvalid is X\/Z/);
    // A failed run keeps its folder for the rerun command the message gives; the test removes it.
    const kept = /rerun: cd (\S+) &&/.exec(err!.message)?.[1];
    expect(kept && existsSync(kept)).toBeTruthy();
    rmSync(kept!, { recursive: true, force: true });
  });
});
