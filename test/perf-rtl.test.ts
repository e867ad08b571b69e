import { describe, expect, it } from 'vitest';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { runAccelerator } from '../src/verify/simulators.ts';
import { checkAgainstGolden } from '../src/sim/compare.ts';
import { descriptorCycles } from '../src/perf/program.ts';
import { descriptorDram, totalDramBytes } from '../src/perf/dram.ts';
import { programPerf } from '../src/perf/model.ts';
import { explainCompiled } from '../src/compiler/explain.ts';
import { zooModelAndInput } from '../src/verify/cases.ts';
import type { HwConfig } from '../src/hw/config.ts';
import type { Compiled } from '../src/compiler/compile.ts';
import type { AccelRun } from '../src/sim/accel.ts';

/** Per layer of at least 10,000 cycles and in total, the analytic model within 5% of the RTL's cycles. */
function expectWithin5Percent(compiled: Compiled, hw: HwConfig, r: AccelRun): void {
  const sum = r.descriptors.reduce((a, d) => a + d.cycles, 0);
  let predictedTotal = 0;
  for (const l of compiled.map.layers) {
    if (!l.descriptors.length) continue;
    const measured = l.descriptors.reduce((a, i) => a + r.descriptors[i].cycles, 0);
    const predicted = l.descriptors.reduce((a, i) => a + descriptorCycles(compiled.descriptors[i], hw, i === 0).total, 0);
    predictedTotal += predicted;
    if (measured >= 10_000) expect(Math.abs(predicted - measured) / measured, `${l.name}: predicted ${predicted}, RTL ${measured}`).toBeLessThan(0.05);
  }
  expect(Math.abs(predictedTotal - sum) / sum).toBeLessThan(0.05);
}

/** The DDR model charged exactly the DRAM bursts the analytic model counts (perf/dram.ts). */
function expectSameDramBytes(compiled: Compiled, hw: HwConfig, r: AccelRun): void {
  expect(compiled.descriptors.reduce((a, d) => a + totalDramBytes(descriptorDram(d, hw)), 0)).toBe(r.ddr.dramBytes);
}

// Whole codenet-a (256x256, 383 descriptors) on the generated RTL with the Ultra96-V2 DDR model (at
// the preset's 80% of the DRAM peak, whole DRAM bursts per command: docs/architecture.md "Memory model"):
// bit-exact with the golden model, and the analytic model (perf/program.ts) within 5% of the
// simulated cycles per layer (layers of at least 10,000 cycles: below that the fixed per-descriptor
// costs dominate) and in total, so design-space exploration can trust it without simulating.
describe('codenet-a on the RTL', () => {
  const hw = presetConfig('ultra96v2');
  const model = exportZooModel('codenet-a', { seed: 1 });
  const input = imageCodes(randomImage(1, 256, 256));
  const compiled = compileModel(model, hw);

  it('is bit-exact, and the analytic model is within 5% of the RTL cycles', async () => {
    const r = await runAccelerator(hw, compiled, input);
    const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
    expect(chk.match, JSON.stringify(chk.firstMismatch)).toBe(true);
    // + the graph input, which must survive; on chip: the three decoder dilation maps, the 19 fused
    // 1x1 outputs (pw1 of the 16 ShuffleNet units and of the 3 heads) and the 21 depthwise outputs
    // that fit the tensor buffer (of 25 read only by the next 1x1)
    expect([chk.tensors, chk.onChip]).toEqual([model.layers.reduce((a, l) => a + l.outputs.length, 0) + 1 - 43, 43]);
    // the statistics beats add up to the busy-cycle counter, less the writing of each statistics beat
    // itself (counted by the counter, not by the beat it writes)
    const sum = r.descriptors.reduce((a, d) => a + d.cycles, 0);
    expect(r.counters.busyCycles).toBeGreaterThan(sum);
    expect(r.counters.busyCycles - sum).toBeLessThan(32 * compiled.descriptors.length);
    expect(r.counters.descriptorsDone).toBe(compiled.descriptors.length);
    expect(r.counters.bytesRead).toBe(r.ddr.bytesRead);
    expect(r.counters.bytesWritten).toBe(r.ddr.bytesWritten);
    // codenet explain's DDR bytes (per layer, summed) are what the sequencer's counters count
    const ddr = explainCompiled(compiled, programPerf(compiled)).totals.ddr;
    expect([ddr.read, ddr.written]).toEqual([r.ddr.bytesRead, r.ddr.bytesWritten]);
    // every AXI burst in whole 64-byte DRAM bursts: descriptor fetches, configuration streams, rows, pixels, statistics
    expectSameDramBytes(compiled, hw, r);
    expectWithin5Percent(compiled, hw, r);
    // faster than the published CoDeNet accelerator on the same board (32.2 FPS, first layer on the CPU)
    expect((hw.clockMHz * 1e6) / r.cycles).toBeGreaterThan(32.2);
  });
});

// codenet-c (512x512, 3.7x codenet-a's cycles, about two minutes in Verilator): the larger tensors
// that make a DDR round trip, at the same default DDR model. codenet-d/e (20+ M cycles each) are
// measured by `npm run bench:hw`, not here.
describe('codenet-c on the RTL', () => {
  const hw = presetConfig('ultra96v2');
  const { model, input } = zooModelAndInput('codenet-c', 1);
  const compiled = compileModel(model, hw);

  it('is bit-exact, charges the DRAM bursts the analytic model counts, and is within 5% of it', async () => {
    const r = await runAccelerator(hw, compiled, input);
    const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
    expect(chk.match, JSON.stringify(chk.firstMismatch)).toBe(true);
    expectSameDramBytes(compiled, hw, r);
    expectWithin5Percent(compiled, hw, r);
  }, 1_800_000);
});
