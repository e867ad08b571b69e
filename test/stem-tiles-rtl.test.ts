// The stem from one read of its input: a STEM descriptor of several output tiles (the field
// `tiles`: the depthwise engine sends each im2col column once per tile) reading a packed RGBX input
// (`in_packed`: lanes/4 pixels a beat, unpacked by the streamer). Two small graphs on the generated
// RTL in Verilator with the ultra96v2 DDR model -- a 47-channel stride-2 stem on a packed input (4
// tiles in one descriptor), and a stride-1 stem whose input is also read by a 1x1 layer (so it keeps
// the one-pixel-a-beat layout) -- bit-exact with the golden model, the DDR model charged exactly the
// DRAM bursts the analytic model counts, and the analytic model within 5% of the simulated cycles
// of the stem and in total. The packed graph also runs bit-exact on the HLS kernel's C-simulation.
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel, type Compiled } from '../src/compiler/compile.ts';
import { ENGINE_STEM } from '../src/compiler/descriptor.ts';
import { bufferBytes, inputBuffer } from '../src/compiler/tensors.ts';
import { ModelBuilder } from '../src/verify/builder.ts';
import { runAccelerator, runHlsCsim } from '../src/verify/simulators.ts';
import { checkAgainstGolden } from '../src/sim/compare.ts';
import { descriptorCycles } from '../src/perf/program.ts';
import { descriptorDram, totalDramBytes } from '../src/perf/dram.ts';
import type { Model } from '../src/ir/model.ts';

const hw = presetConfig('ultra96v2');

async function checkOnRtl(model: Model, compiled: Compiled, input: Int8Array): Promise<void> {
  const r = await runAccelerator(hw, compiled, input);
  const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
  expect(chk.match, JSON.stringify(chk.firstMismatch)).toBe(true);
  expect(compiled.descriptors.reduce((a, d) => a + totalDramBytes(descriptorDram(d, hw)), 0)).toBe(r.ddr.dramBytes);
  compiled.descriptors.forEach((d, i) => {
    if (d.engine !== ENGINE_STEM) return;
    const predicted = descriptorCycles(d, hw, i === 0).total, measured = r.descriptors[i].cycles;
    expect(Math.abs(predicted - measured) / measured, `STEM descriptor ${i} (tiles ${d.tiles}, in_packed ${d.in_packed}): predicted ${predicted}, RTL ${measured}`).toBeLessThan(0.05);
  });
  const measured = r.descriptors.reduce((a, d) => a + d.cycles, 0);
  const predicted = compiled.descriptors.reduce((a, d, i) => a + descriptorCycles(d, hw, i === 0).total, 0);
  expect(Math.abs(predicted - measured) / measured).toBeLessThan(0.05);
}

describe('the stem from one read of a packed input on the RTL', () => {
  const b = new ModelBuilder('stem-packed', 30, 64);
  const y = b.pw(b.stem('image', 47, 2), 16);
  const model = b.build([y]);
  const input = b.input(11);
  const compiled = compileModel(model, hw);
  const stem = compiled.descriptors.filter((d) => d.engine === ENGINE_STEM);

  it('compiles to one STEM descriptor of 4 tiles reading the input packed, 4 pixels a beat', () => {
    expect(stem.map((d) => [d.tiles, d.out_ng, d.out_gstride, d.in_packed, d.src[0].width, d.src[0].gstride])).toEqual([[4, 4, 4, 1, 16, 1]]);
    const buf = inputBuffer(compiled.map);
    expect(buf.pixelsPerBeat).toBe(4);
    expect(bufferBytes(compiled.map, buf)).toBe(30 * 64 * 4);
    const notes = compiled.plan.layers[0].notes;
    expect(notes).toContain('stem: 4 output tiles a descriptor from one read of the input (1 read for 4 tiles)');
    expect(notes.some((n) => /stored packed, 4 pixels a beat/.test(n))).toBe(true);
  });

  it('is bit-exact, charges the DRAM bursts the analytic model counts, and is within 5% of it', async () => {
    await checkOnRtl(model, compiled, input);
  }, 600_000);

  it('is bit-exact on the HLS kernel', async () => {
    const r = await runHlsCsim(hw, compiled, input);
    const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
    expect(chk.match, JSON.stringify(chk.firstMismatch)).toBe(true);
  }, 600_000);
});

describe('a stem whose input another layer reads keeps one pixel a beat', () => {
  const b = new ModelBuilder('stem-shared', 32, 64);
  const s = b.stem('image', 30, 1);
  const p = b.pw('image', 8);
  const model = b.build([b.pw(s, 16), p]);
  const input = b.input(5);
  const compiled = compileModel(model, hw);

  it('compiles to one STEM descriptor of 2 tiles reading the input unpacked', () => {
    const stem = compiled.descriptors.filter((d) => d.engine === ENGINE_STEM);
    expect(stem.map((d) => [d.tiles, d.out_ng, d.in_packed, d.src[0].width])).toEqual([[2, 2, 0, 64]]);
    expect(inputBuffer(compiled.map).pixelsPerBeat).toBeUndefined();
  });

  it('is bit-exact, charges the DRAM bursts the analytic model counts, and is within 5% of it', async () => {
    await checkOnRtl(model, compiled, input);
  }, 600_000);
});
