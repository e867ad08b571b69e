import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReportSchema, type Report } from '../src/report/schema.ts';
import { renderReportHtml, renderReportMarkdown } from '../src/report/render.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { summarize } from '../src/info/summary.ts';
import { CHROMIUM, haveChromium, withPage, textOutsideSvgs } from './helpers/chromium.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** A report of codenet-tiny with stand-in cycle figures: this suite tests rendering, not numbers. */
function sampleReport(withSim: boolean): Report {
  const s = summarize(exportZooModel('codenet-tiny', { seed: 1 }));
  // A long name (labels must be cut to fit) and a 1x1 layer fused into its dw3x3 reader.
  s.layers[3].name = 'stage2.0.branch2.a_layer_name_much_longer_than_the_chart_has_room_for';
  const pw = s.layers.findIndex((l) => l.op === 'conv1x1'), dw = s.layers.findIndex((l, i) => i > pw && l.op === 'dw3x3');
  return ReportSchema.parse({
    format: 'codenet-report', version: 1,
    model: { name: s.name, layers: s.totals.layers, macs: s.totals.macs, params: s.totals.params, sizeMiB4bit: s.totals.sizeMiB4bit },
    hardware: {
      board: 'ultra96v2', part: 'xczu3eg-sbva484-1-i', clockMHz: 250, peakMacsPerCycle: 656, ddrBytesPerSecond: 4.27e9, params: { lanes: 16, axiDataBits: 128 },
      engines: [{ name: '1x1 array', macsPerCycle: 512, note: '16 lanes x 32 outputs' }, { name: 'depthwise engine', macsPerCycle: 16, note: '9 taps serially' }, { name: 'stem', macsPerCycle: 45, note: 'im2col' }],
    },
    resources: { tool: 'Yosys 0.55', family: 'xcup', seconds: 12.5, total: { lut: 30000, ff: 40000, dsp: 200, bram36: 190, lutMemory: 100 }, budget: { lut: 70560, ff: 141120, dsp: 360, bram36: 216 }, caps: { lut: 0.8, ff: 0.8, dsp: 1, bram36: 0.85 }, modules: { cn_accel_top: { lut: 14000, ff: 20000, dsp: 8, bram36: 190, lutMemory: 100, instances: 1 }, cn_dot2: { lut: 1000, ff: 1250, dsp: 12, bram36: 0, lutMemory: 0, instances: 16 } } },
    layers: s.layers.map((l, i) => i === pw
      ? { name: l.name, op: l.op, macs: l.macs, ddrBytes: 0, predictedCycles: 0, fusedInto: s.layers[dw].name }
      : { name: l.name, op: l.op, macs: l.macs, ddrBytes: 1000 + i * 10, predictedCycles: Math.ceil(l.macs / 64) + 100, ...(withSim ? { simulatedCycles: Math.ceil(l.macs / 60) + 110 } : {}) }),
    ...(withSim ? { simulation: { simulator: 'verilator', totalCycles: 123456, ddrBytesRead: 1e6, ddrBytesWritten: 5e5, bitExact: true } } : {}),
  });
}

describe('report rendering', () => {
  it('markdown holds every section and flags resources over their cap', () => {
    const md = renderReportMarkdown(sampleReport(true));
    for (const h of ['## Model', '## Hardware', '## Performance', '## Resources', '## Layers']) expect(md).toContain(h);
    expect(md).toMatch(/\| BRAM36 \| 190 \| 216 \| 88\.0% OVER CAP \| 85\.0% \|/);
    expect(md).toContain('bit-exact against the golden model');
    expect(md).toMatch(/\| dec1\.deform \| dwdeform \|/);
  });

  it('formats units, says what is fused, counts module instances up to the total, and states timing plainly', () => {
    const r = sampleReport(true);
    for (const text of [renderReportMarkdown(r), renderReportHtml(r)]) {
      expect(text).toContain('4.27 GB/s');
      expect(text).toContain('1.00 MB'); // simulated DDR read
      expect(text).not.toMatch(/\d{7,}(\.\d+)? B\/s/);
      expect(text).toMatch(/fused into stage\d\.\d\.[\w.]*dw/);
      expect(text).toContain('peak 656 MACs per cycle');
      expect(text).toMatch(/Not verified here:?<?\/?s?t?r?o?n?g?>? timing closure at 250 MHz/);
      expect(text).toContain('WNS');
    }
    const md = renderReportMarkdown(r);
    expect(md).toContain('| 1x1 array | 512 | 128.0 | 16 lanes x 32 outputs |');
    expect(md).toMatch(/\| cn\\_dot2 \| 16 \| 16,000 \| 20,000 \| 192 \| 0 \|/);
    expect(md).toMatch(/\| total \| \| 30,000 \| 40,000 \| 200 \| 190 \|/);
    const html = renderReportHtml(r);
    // one ceiling per engine and the DDR roof, labelled
    for (const t of ['1x1 array 128.0G MAC/s', 'depthwise engine 4.0G MAC/s', 'stem 11.3G MAC/s', 'DDR 4.27 GB/s']) expect(html).toContain(t);
  });

  it('renders without a simulation or resources, deterministically', () => {
    const r = sampleReport(false);
    delete r.resources;
    const a = renderReportHtml(r);
    expect(a).not.toContain('simulated (');
    expect(renderReportHtml(r)).toBe(a);
    expect(renderReportMarkdown(r)).not.toContain('## Resources');
  });

  it('HTML is self-contained: inline SVG charts, no scripts, no network', () => {
    const html = renderReportHtml(sampleReport(true));
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/src="http|href="http/);
  });

  if (!haveChromium && process.env.CI) it('chromium is installed (scripts/setup.sh)', () => expect.fail(`${CHROMIUM} missing`));
  it.skipIf(!haveChromium)('opens in headless Chromium without console errors; screenshot', async () => {
    const dir = join(ROOT, '.cache', 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(sampleReport(true)));
    await withPage(async (page, problems) => {
      await page.goto(`file://${file}`);
      expect(await page.locator('svg').count()).toBe(3);
      expect(await page.locator('#layers tr').count()).toBeGreaterThan(100);
      // No label is cut: every text of every chart lies inside its SVG.
      const outside = await textOutsideSvgs(page);
      expect(outside).toEqual([]);
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: false });
      expect(existsSync(shot)).toBe(true);
      expect(problems).toEqual([]);
    }, { width: 1200, height: 900 });
  });
});
