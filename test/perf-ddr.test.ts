import { describe, expect, it } from 'vitest';
import { presetConfig } from '../src/hw/config.ts';
import { ddrBandwidth, hwParams } from '../src/hw/params.ts';
import { commandDramBytes } from '../src/perf/dram.ts';
import { efficiencySweep, programPerf, withDdrEfficiency } from '../src/perf/model.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { summarize } from '../src/info/summary.ts';
import { ddrDefaults } from '../src/sim/testbench.ts';
import { runCli } from './helpers/cli.ts';
import { buildReport } from '../src/report/build.ts';
import { renderReportMarkdown } from '../src/report/render.ts';

// The memory model (docs/architecture.md, "Memory model"): bandwidth min(port, DRAM peak x
// efficiency), every AXI burst charged in whole DRAM bursts, as sim/axi_ddr_model.h charges it.
describe('DDR memory model', () => {
  const u96 = presetConfig('ultra96v2');

  it('the bandwidth is the port or the DRAM peak x efficiency, whichever is smaller', () => {
    // LPDDR4-1066 x32 = 4.27 GB/s = 17.08 B/cycle at 250 MHz; the 128-bit port moves 16
    expect(ddrBandwidth(u96, 1)).toBe(16);
    expect(ddrBandwidth(u96)).toBeCloseTo(4.27e9 * 0.8 / 250e6, 6);
    expect(ddrBandwidth(u96, 0.6)).toBeCloseTo(4.27e9 * 0.6 / 250e6, 6);
    expect(u96.ddrEfficiency).toBe(0.8);
    // the testbench gets the same value the analytic model uses
    expect(ddrDefaults(u96).bytesPerCycle).toBe(hwParams(u96).ddrBytesPerCycle);
    expect(ddrDefaults(u96, 0.6).bytesPerCycle).toBe(ddrBandwidth(u96, 0.6));
    expect(hwParams(u96).dramBurstBytes).toBe(64);
    expect(hwParams(presetConfig('pynq-z2')).dramBurstBytes).toBe(16);
    expect(() => withDdrEfficiency(u96, 1.5)).toThrow(/ddrEfficiency/);
  });

  it('a command costs every DRAM burst its AXI bursts touch', () => {
    expect(commandDramBytes(0, 1, 16, 64)).toBe(64); // a one-beat write: a whole DRAM burst
    expect(commandDramBytes(0, 2, 16, 64)).toBe(64);
    expect(commandDramBytes(48, 2, 16, 64)).toBe(128); // straddles two
    expect(commandDramBytes(0, 16, 16, 64)).toBe(256); // aligned 16-beat burst: no waste
    expect(commandDramBytes(16, 16, 16, 64)).toBe(320); // unaligned: five
    // split like the DMAs, at 16 beats and at 4 KiB: from 3824, 16 beats (DRAM bursts 59..63), 1 beat
    // to the page end (63 again), 16 beats (64..67), 1 beat (68): 5 + 1 + 4 + 1 DRAM bursts
    expect(commandDramBytes(4096 - 16 * 17, 34, 16, 64)).toBe(11 * 64);
  });

  it('perf reports the same MACs as sim, fused layers included, and slows down with the efficiency', () => {
    const model = exportZooModel('codenet-a', { seed: 1 });
    const compiled = compileModel(model, u96);
    const p = programPerf(compiled);
    expect(p.macs).toBe(summarize(model).totals.macs);
    const fused = p.layers.filter((l) => l.fusedInto);
    expect(fused.length).toBeGreaterThan(0);
    expect(fused.every((l) => l.macs > 0)).toBe(true);
    expect(p.ddrEfficiency).toBe(0.8);
    // whole DRAM bursts cost more than the bytes moved (one- and two-beat pixel writes)
    expect(p.dramBytes).toBeGreaterThan(p.ddrBytes);
    const sweep = efficiencySweep(compiled);
    expect(sweep.map((s) => s.efficiency)).toEqual([1, 0.8, 0.6]);
    expect(sweep[1].cycles).toBe(p.cycles);
    expect(sweep[0].fps).toBeGreaterThan(sweep[1].fps);
    expect(sweep[1].fps).toBeGreaterThan(sweep[2].fps);
    // the report says which DDR model its cycles assume
    const md = renderReportMarkdown(buildReport(model, u96, { perf: p }));
    expect(md).toContain('4.27 GB/s peak at 80% efficiency: 3.42 GB/s (13.66 B/cycle)');
  });

  it('codenet perf --ddr-efficiency sets the efficiency and prints FPS at 100/80/60%', async () => {
    const r = await runCli('perf', 'codenet-tiny', '--ddr-efficiency', '0.6');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/DDR at 60% of .* peak/);
    expect(r.stdout).toMatch(/FPS at DDR efficiency 100% \/ 80% \/ 60%: [\d.]+ \/ [\d.]+ \/ [\d.]+/);
    expect((await runCli('perf', 'codenet-tiny', '--ddr-efficiency', '80%', '--json')).stdout).toMatch(/"ddrEfficiency": 0\.8,/);
    const bad = await runCli('perf', 'codenet-tiny', '--ddr-efficiency', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ddr-efficiency/);
  });
});
