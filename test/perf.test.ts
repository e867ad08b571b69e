import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTopology } from '../src/zoo/graph.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { presetConfig, peakMacsPerCycle } from '../src/hw/config.ts';
import { modelPerf } from '../src/perf/model.ts';
import { ReportSchema } from '../src/report/schema.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const model = (name: string) => buildTopology(findZooSpec(name)!, 20);

describe('analytic performance model', () => {
  const hw = presetConfig('ultra96v2');
  it('layer costs follow the engines', () => {
    const p = modelPerf(model('codenet-a'), hw, peakMacsPerCycle(hw));
    const byName = new Map(p.layers.map((l) => [l.name, l]));
    // conv5: 8x8 pixels, 464 input channels gathered through the last unit's shuffle from the
    // groups that hold them (31 groups; 29 if stored compactly), 1024 outputs in 32 tiles of 32
    expect(byName.get('conv5')!.computeCycles).toBe(64 * 31 * 32);
    // a depthwise layer: two tap columns of one lane group a cycle, 2 cycles a group
    // (stage2.0.b1.dw: stride 2, 32x32 outputs, 24 channels in 2 groups)
    expect(byName.get('stage2.0.b1.dw')!.computeCycles).toBe(32 * 32 * 2 * 2);
    // a fused 1x1 -> dw3x3 pass is paced by the slower engine, here the 1x1 array (stage2.1.dw: two
    // 32-channel tiles, each 32x32 pixels x 6 input groups, against 32x32 x 2 groups x 2 cycles)
    expect(byName.get('stage2.1.dw')!.computeCycles).toBe(2 * 32 * 32 * 6);
    // split, shuffle and upsample cost nothing: they are addressing; a concat runs a copy pass only
    // when its inputs span more than the eight sources of a descriptor
    for (const op of ['split', 'shuffle', 'upsample']) expect(p.layers.filter((l) => l.op === op).every((l) => l.cycles === 0)).toBe(true);
    const concats = p.layers.filter((l) => l.op === 'concat');
    expect(concats.filter((l) => l.cycles > 0).length).toBeLessThan(concats.length / 2);
    expect(p.layers.reduce((a, l) => a + l.cycles, 0)).toBe(p.cycles);
  });

  it('a bigger model or a smaller board is slower', () => {
    const a = modelPerf(model('codenet-a'), hw, peakMacsPerCycle(hw)).cycles;
    const d = modelPerf(model('codenet-d'), hw, peakMacsPerCycle(hw)).cycles;
    const z7 = presetConfig('pynq-z2');
    expect(d).toBeGreaterThan(5 * a);
    expect(modelPerf(model('codenet-a'), z7, peakMacsPerCycle(z7)).cycles).toBeGreaterThan(a);
  });

  it('codenet perf prints totals and writes a valid report', async () => {
    const dir = join(tempDir('codenet-perf-'), 'rep');
    const r = await runCli('perf', 'codenet-tiny', '--report', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/codenet-tiny on ultra96v2 at 250 MHz \(analytic model\): \d+ cycles/);
    for (const f of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(dir, f))).toBe(true);
    expect(ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))).layers).toHaveLength(122);
    const bad = await runCli('perf', 'codenet-tiny', '--board', 'pynq-z2', '--clock', '700');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/clockMHz 700 exceeds 464 MHz/);
  });
});
