// Fused 1x1 -> dw3x3 (PWDW) descriptors of several 1x1 tiles (the field `tiles`): every tile of an
// input pixel from one read, the groups of all of them through the depthwise engine. A small graph
// of wide 1x1 -> dw3x3 pairs (tiles limited by the line buffer and spread over two descriptors, a
// partial last tile alone, stride 2 with dilation 2, several tiles into the tensor buffer) on the
// generated RTL in Verilator with the ultra96v2 DDR model: bit-exact with the golden model, the DDR
// model charged exactly the DRAM bursts the analytic model counts, and the analytic model within 5%
// of the simulated cycles per PWDW descriptor and in total.
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { ENGINE_PWDW } from '../src/compiler/descriptor.ts';
import { ModelBuilder } from '../src/verify/builder.ts';
import { runAccelerator } from '../src/verify/simulators.ts';
import { checkAgainstGolden } from '../src/sim/compare.ts';
import { descriptorCycles } from '../src/perf/program.ts';
import { descriptorDram, totalDramBytes } from '../src/perf/dram.ts';

describe('PWDW of several 1x1 tiles on the RTL', () => {
  const hw = presetConfig('ultra96v2');
  const b = new ModelBuilder('pwdw-tiles', 24, 64, 40);
  // 320 channels at 64 pixels a row: 10 full tiles, at most 8 in the line buffer (16 rows x 64 x 16
  // groups = 16384 beats), so two descriptors of 5
  const d1 = b.dw(b.pw('image', 320), 1, 1, true);
  // 72 channels: 2 full tiles in one descriptor and a partial tile (one group) alone; stride 2, dilation 2
  const d2 = b.dw(b.pw(d1, 72), 2, 2);
  // 128 channels at 32 pixels: 4 tiles in one descriptor, the output in the tensor buffer for the last 1x1
  const y = b.pw(b.dw(b.pw(d2, 128), 1, 1, true), 24);
  const model = b.build([y]);
  const input = b.input(7);
  const compiled = compileModel(model, hw);
  const pwdw = compiled.descriptors.map((d, i) => [d, i] as const).filter(([d]) => d.engine === ENGINE_PWDW);

  it('compiles to PWDW descriptors of several tiles where they fit', () => {
    expect(pwdw.map(([d]) => [d.tiles, d.out_ng, d.in_w])).toEqual([[5, 10, 64], [5, 10, 64], [2, 4, 64], [0, 1, 64], [4, 8, 32]]);
    expect(pwdw[4][0].out_chip).toBe(1);
    const notes = compiled.plan.layers.flatMap((l) => l.notes).filter((n) => n.startsWith('PWDW:'));
    expect(notes[0]).toMatch(/5 1x1 tiles a descriptor from one read of the input \(2 reads for 10 full tiles; at most 8: the line buffer/);
  });

  it('is bit-exact, charges the DRAM bursts the analytic model counts, and is within 5% of it', async () => {
    const r = await runAccelerator(hw, compiled, input);
    const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
    expect(chk.match, JSON.stringify(chk.firstMismatch)).toBe(true);
    expect(compiled.descriptors.reduce((a, d) => a + totalDramBytes(descriptorDram(d, hw)), 0)).toBe(r.ddr.dramBytes);
    for (const [d, i] of pwdw) {
      const predicted = descriptorCycles(d, hw, i === 0).total, measured = r.descriptors[i].cycles;
      expect(Math.abs(predicted - measured) / measured, `PWDW descriptor ${i} (tiles ${d.tiles}): predicted ${predicted}, RTL ${measured}`).toBeLessThan(0.05);
    }
    const measured = r.descriptors.reduce((a, d) => a + d.cycles, 0);
    const predicted = compiled.descriptors.reduce((a, d, i) => a + descriptorCycles(d, hw, i === 0).total, 0);
    expect(Math.abs(predicted - measured) / measured).toBeLessThan(0.05);
  }, 600_000);
});
