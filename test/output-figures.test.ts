import { describe, expect, it } from 'vitest';
import { exportZooModel } from '../src/zoo/export.ts';
import { summarize } from '../src/info/summary.ts';
import { presetConfig, peakMacsPerCycle } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { engineCeilings, macUtilisation, programPerf } from '../src/perf/model.ts';
import { buildReport } from '../src/report/build.ts';
import { reportTotals } from '../src/report/schema.ts';
import { moduleRows } from '../src/synth/run.ts';
import { modelArgName, simReportName } from '../src/cli/model-arg.ts';

// Issue 23 item 5: one MAC-utilisation definition in perf, gen, sim, report and README.
describe('MAC utilisation: one definition', () => {
  const hw = presetConfig('ultra96v2');
  const m = exportZooModel('codenet-a', { seed: 0 });
  const c = compileModel(m, hw);
  const p = programPerf(c);

  it('counts every layer\'s MACs, a fused 1x1 layer\'s on its own row naming the layer it is fused into', () => {
    expect(p.macs).toBe(summarize(m).totals.macs);
    expect(p.peakMacsPerCycle).toBe(peakMacsPerCycle(hw));
    expect(p.macUtilisation).toBeCloseTo(p.macs / (p.cycles * p.peakMacsPerCycle), 12);
    const fused = p.layers.filter((l) => l.fusedInto);
    expect(fused.length).toBeGreaterThan(5);
    for (const l of fused) {
      expect(l.op).toBe('conv1x1');
      expect(l.macs).toBeGreaterThan(0);
      expect([l.cycles, l.bound]).toEqual([0, 'fused']);
      expect(c.plan.layers.find((x) => x.name === l.fusedInto)!.op).toBe('dw3x3');
    }
    // codenet-a's MACs over 2,141,448 cycles (an older simulated figure) x the 584-MAC peak: 22.4%
    expect(p.macUtilisation).toBeGreaterThan(0.18);
    expect(macUtilisation(p.macs, 2_141_448, p.peakMacsPerCycle)).toBeCloseTo(0.2238, 4);
  });

  it('the report uses the same figure, with fused rows and one ceiling per engine', () => {
    const r = buildReport(m, hw, { perf: p });
    expect(reportTotals(r).predictedUtilisation).toBeCloseTo(p.macUtilisation, 12);
    expect(r.layers.filter((l) => l.fusedInto).map((l) => l.name)).toEqual(p.layers.filter((l) => l.fusedInto).map((l) => l.name));
    expect(r.hardware.engines!.map((e) => [e.name, e.macsPerCycle])).toEqual([['1x1 array', 512], ['depthwise engine', 72], ['stem', 202.5]]);
    // the peak is what the hardware delivers: the 1x1 array beside the depthwise engine (the stem shares the array)
    expect(engineCeilings(hw)[0].macsPerCycle + engineCeilings(hw)[1].macsPerCycle).toBe(peakMacsPerCycle(hw));
  });
});

describe('module table from the Yosys hierarchy', () => {
  it('counts instances from the top so the rows add up to the total', () => {
    const res = (lut: number, dsp: number) => ({ lut, ff: 0, dsp, bram36: 0, lutMemory: 0 });
    const modules = { top: res(10, 0), '$paramod$ab12\\cn_accel_pw': res(100, 2), "$paramod\\cn_dot2\\K=s32'00000000000000000000000000001000": res(5, 0), cn_mul2: res(0, 1) };
    const hierarchy = { top: { '$paramod$ab12\\cn_accel_pw': 1 }, '$paramod$ab12\\cn_accel_pw': { "$paramod\\cn_dot2\\K=s32'00000000000000000000000000001000": 16 }, "$paramod\\cn_dot2\\K=s32'00000000000000000000000000001000": { cn_mul2: 2 } };
    const rows = moduleRows(modules, hierarchy, 'top');
    expect(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.instances]))).toEqual({ cn_accel_pw: 1, cn_dot2: 16, cn_mul2: 32, top: 1 });
    const total = Object.values(rows).reduce((a, v) => ({ lut: a.lut + v.instances! * v.lut, dsp: a.dsp + v.instances! * v.dsp }), { lut: 0, dsp: 0 });
    expect(total).toEqual({ lut: 10 + 100 + 16 * 5, dsp: 2 + 32 });
    // a result cached without the hierarchy: rows without counts
    expect(Object.values(moduleRows(modules)).every((v) => v.instances === undefined)).toBe(true);
  });
});

describe('default output names of a model argument', () => {
  it('a model file is named after the file, a zoo model after itself; sim --model gets its own report file', () => {
    expect(modelArgName('codenet-a')).toBe('codenet-a');
    expect(modelArgName('runs/exp 1/trained.json')).toBe('trained');
    expect(modelArgName('/x/codenet-a.json')).toBe('codenet-a');
    expect(simReportName()).toBe('sim-report.json');
    expect(simReportName('codenet-b')).toBe('sim-report-codenet-b.json');
    expect(simReportName('runs/my model.json')).toMatch(/^sim-report-my_model-[0-9a-f]{8}\.json$/);
  });
});

describe('eval and the class count of the built-in data set', () => {
  it('refuses a model with another class count than the built-in set, saying what to do', async () => {
    const { runCli } = await import('./helpers/cli.ts');
    const r = await runCli('eval', 'codenet-tiny', '--data', 'builtin:1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model codenet-tiny has 20 classes \(its hm head\), the built-in data set 6 \(disc, square, triangle, cross, ring, star\)/);
    expect(r.stderr).toContain('codenet export <zoo> --classes 6');
  });
});
