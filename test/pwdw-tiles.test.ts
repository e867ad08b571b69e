// Fused 1x1 -> dw3x3 (PWDW) descriptors of several 1x1 tiles on the ISA reference interpreter
// (src/compiler/reference.ts): wide 1x1 -> dw3x3 pairs of many shapes (strides, dilations, channel
// counts with and without a partial last tile, gathers over views, widths at which the line buffer
// limits the tiles) on both board presets, every tensor equal to the golden model's, and the
// compiler's choice of tiles within every limit it names. The RTL runs such a graph in
// test/pwdw-tiles-rtl.test.ts.
import { describe, expect, it } from 'vitest';
import { presetConfig, type HwConfig } from '../src/hw/config.ts';
import { hwParams } from '../src/hw/params.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { ENGINE_PWDW } from '../src/compiler/descriptor.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { writeInput } from '../src/compiler/tensors.ts';
import { checkAgainstGolden } from '../src/sim/compare.ts';
import { PW_TILE_MAX } from '../src/isa/layout.ts';
import { ModelBuilder } from '../src/verify/builder.ts';
import type { Model } from '../src/ir/model.ts';

function graphs(): Array<[string, ModelBuilder, Model]> {
  const out: Array<[string, ModelBuilder, Model]> = [];
  // [h, w, cin, cout of the wide 1x1, stride, dilation]
  const shapes: Array<[number, number, number, number, number, number]> = [
    [6, 9, 20, 200, 1, 1], [7, 10, 33, 96, 2, 3], [5, 40, 16, 512, 1, 2], [9, 6, 70, 130, 2, 1], [4, 130, 8, 64, 1, 7],
  ];
  for (const [h, w, cin, cout, stride, dil] of shapes) {
    const b = new ModelBuilder(`pwdw-${h}x${w}x${cin}-${cout}`, h, w, cin);
    out.push([`${h}x${w}x${cin} -> 1x1 ${cout} -> dw3x3 s${stride} d${dil}`, b, b.build([b.dw(b.pw('image', cout), stride, dil, true)])]);
  }
  // the wide 1x1 reads a shuffled concat of two tensors (a gather over several buffers and lanes)
  const b = new ModelBuilder('pwdw-gather', 8, 12, 24);
  const [p, q] = [b.pw('image', 40), b.pw('image', 56)];
  const [, half] = b.split(b.shuffle(b.concat([p, q])), [48, 48]);
  out.push(['a shuffled half -> 1x1 160 -> dw3x3', b, b.build([b.pw(b.dw(b.pw(half, 160), 1, 1, true), 24)])]);
  return out;
}

describe('PWDW of several 1x1 tiles on the ISA reference interpreter', () => {
  for (const board of ['ultra96v2', 'pynq-z2']) {
    const hw: HwConfig = presetConfig(board);
    const hp = hwParams(hw);
    for (const [what, b, model] of graphs()) {
      it(`${board}: ${what}`, () => {
        const c = compileModel(model, hw);
        const input = b.input(3);
        const mem = new Uint8Array(c.imageBytes);
        mem.set(c.image);
        // garbage where no tensor has been written yet
        for (let i = c.image.length; i < mem.length; i++) mem[i] = (i * 89 + 17) & 0xff;
        writeInput(c.map, mem, input, hw);
        executeProgram(mem, 0, c.descriptors.length, hw);
        const chk = checkAgainstGolden(model, c.map, mem, input);
        expect(chk.match, JSON.stringify(chk.firstMismatch)).toBe(true);
        // every PWDW descriptor within the limits the compiler checks; several tiles a descriptor
        // in every layer where two fit
        const pwdw = c.descriptors.filter((d) => d.engine === ENGINE_PWDW);
        expect(pwdw.length).toBeGreaterThan(0);
        for (const d of pwdw) {
          const T = Math.max(1, d.tiles);
          expect(T).toBeLessThanOrEqual(PW_TILE_MAX);
          expect(T * d.gin).toBeLessThanOrEqual(hp.weightGroups);
          expect(hp.lineRows * d.in_w * d.out_ng).toBeLessThanOrEqual(hw.lineBufferBeats);
          if (T > 1) expect(d.out_ng).toBe(T * hp.outTileGroups);
        }
        for (const layer of new Set(pwdw.map((d) => d.layer))) {
          const ds = pwdw.filter((d) => d.layer === layer), d = ds[0];
          const twoFit = 2 * d.gin <= hp.weightGroups && hp.lineRows * d.in_w * 2 * hp.outTileGroups <= hw.lineBufferBeats;
          if (twoFit && Math.floor(d.out_gstride / hp.outTileGroups) >= 2) expect(ds.some((x) => x.tiles > 1), `${what}: layer ${layer}`).toBe(true);
          else expect(ds.every((x) => x.tiles <= 1)).toBe(true);
        }
      });
    }
  }
});
