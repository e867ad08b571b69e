// codenet synth (src/synth/run.ts): Yosys synth_xilinx of a whole generated accelerator. The
// figures of one small config are pinned (±10%, as hls4ml's CI baselines) so that a change that
// blows up area is noticed; the caps fail with the figures and exit 2; gen refuses a design over a
// cap and writes nothing. One synthesis (~1-2 min, WebAssembly Yosys), cached by a hash of the RTL.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { presetConfig, validateHwConfig } from '../src/hw/config.ts';
import { renderRtl } from '../src/gen/rtl.ts';
import { rtlByName } from '../src/gen/zynq.ts';
import { synthesizeDesign, type SynthOutcome } from '../src/synth/run.ts';
import { ReportSchema } from '../src/report/schema.ts';
import { tempDir } from './helpers/temp.ts';

/** A small Zynq-7000 config: 8 lanes, 8 x 8 1x1 array, small buffers. */
const SMALL = validateHwConfig({
  ...presetConfig('pynq-z2'), pwOutputs: 8, maxChannels: 256, rowBufferBeats: 256, lineBufferBeats: 1024, mapEntries: 256, tensorBufferBeats: 256, weightBufferBytes: 4096,
}, 'small test config');

/**
 * Yosys 0.55 figures of SMALL (xc7), recorded after the descriptor prefetch (its second 2,048-bit
 * descriptor register; before it: 18,556 LUT, 14,249 FF); before the row-banked dual-port
 * depthwise line buffer: 15,945 LUT, 12,319 FF, 58 DSP, 4 BRAM36 (at this size its 16 banks of 64
 * beats are LUT RAM with fabric read registers); before PWDW fusion and the tensor buffer: 15,372
 * LUT, 12,137 FF, 3 BRAM36.
 */
const BASELINE = { lut: 19008, ff: 15939, dsp: 53, bram36: 2 };

let root: string;
let s: SynthOutcome;

beforeAll(async () => {
  root = tempDir('codenet-synth-');
  s = await synthesizeDesign(SMALL, rtlByName(renderRtl(SMALL)));
  console.log(`synth of the small config: ${JSON.stringify(s.result.total)} in ${s.result.seconds.toFixed(1)} s${s.result.cached ? ' (cached)' : ''}`);
}, 600_000);

describe('Yosys resource estimate of the whole accelerator', () => {
  it('stays within 10% of the recorded figures of the small config', () => {
    for (const k of ['lut', 'ff', 'dsp', 'bram36'] as const) {
      const got = s.result.total[k], want = BASELINE[k];
      expect(Math.abs(got - want), `${k}: ${got}, baseline ${want}`).toBeLessThanOrEqual(Math.max(1, 0.1 * want));
    }
    expect(s.result.yosysVersion).toMatch(/^0\.\d+/);
    expect(s.violation).toBeUndefined();
  });

  it('reports every module of the library with its own cells; DSPs sit in the multipliers and requantizers', () => {
    const names = Object.keys(s.resources.modules);
    for (const m of ['codenet_accel', 'cn_accel_seq', 'cn_accel_pw', 'cn_accel_dw', 'cn_axi_rd', 'cn_axi_wr', 'cn_axil_regs', 'cn_dot2', 'cn_dw3x3_pe', 'cn_mul2'])
      expect(names, m).toContain(m);
    expect(names.some((n) => n.startsWith('cn_requant'))).toBe(true);
    expect(s.resources.modules.cn_mul2.dsp).toBe(1); // one DSP48 holds two int4 x int8 products
    expect(s.resources.modules.cn_dw3x3_pe.dsp).toBe(0); // depthwise taps in LUTs
    // With the hierarchy (results synthesized since it is recorded), instances x own cells add up to the total.
    if (s.result.hierarchy) {
      const rows = Object.values(s.resources.modules);
      for (const k of ['lut', 'ff', 'dsp', 'bram36'] as const) expect(rows.reduce((a, m) => a + m.instances! * m[k], 0), k).toBe(s.result.total[k]);
    }
  });

  it('a cap the design exceeds fails with the figures; codenet synth updates the report and exits 2', async () => {
    const dir = join(root, 'gen');
    const hw = join(root, 'small.json');
    writeFileSync(hw, JSON.stringify(SMALL));
    const g = await runCli('gen', '--target', 'zynq', '--hw', hw, '--model', 'codenet-tiny', '-o', dir);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toMatch(/resources \(Yosys 0\.\d+ synth_xilinx -family xc7.*\): LUT \d+ of 53200/);
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report/report.json'), 'utf8')));
    expect(report.resources!.total.dsp).toBe(s.result.total.dsp);
    expect(report.resources!.budget).toEqual({ lut: 53200, ff: 106400, dsp: 220, bram36: 140 });

    const r = await runCli('synth', dir, '--cap-lut', '10');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`LUT ${s.result.total.lut} of 53200 \\(\\d+\\.\\d%, cap 10%\\)`));
    expect(r.stdout).toMatch(/cn_accel_seq\s+\d+/);
    const after = ReportSchema.parse(JSON.parse(readFileSync(join(dir, 'report/report.json'), 'utf8')));
    expect(after.resources!.caps.lut).toBe(0.1);
    expect(readFileSync(join(dir, 'report/report.md'), 'utf8')).toContain('OVER CAP');

    const refused = join(root, 'over');
    const o = await runCli('gen', '--target', 'zynq', '--hw', hw, '--model', 'codenet-tiny', '-o', refused, '--cap-dsp', '10');
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/does not fit pynq-z2 .*DSP \d+ of 220 .*cap 10%.*Nothing was written/);
    expect(existsSync(refused)).toBe(false);
  });
});
