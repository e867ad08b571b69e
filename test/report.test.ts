import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReportSchema, type Report } from '../src/report/schema.ts';
import { renderReportHtml, renderReportMarkdown } from '../src/report/render.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { summarize } from '../src/info/summary.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';

/** A report of codenet-tiny with stand-in cycle figures: this suite tests rendering, not numbers. */
function sampleReport(withSim: boolean): Report {
  const s = summarize(exportZooModel('codenet-tiny', { seed: 1 }));
  return ReportSchema.parse({
    format: 'codenet-report', version: 1,
    model: { name: s.name, layers: s.totals.layers, macs: s.totals.macs, params: s.totals.params, sizeMiB4bit: s.totals.sizeMiB4bit },
    hardware: { board: 'ultra96v2', part: 'xczu3eg-sbva484-1-i', clockMHz: 250, peakMacsPerCycle: 256, ddrBytesPerSecond: 4.27e9, params: { lanes: 16, axiDataBits: 128 } },
    resources: { tool: 'Yosys 0.55', family: 'xcup', seconds: 12.5, total: { lut: 30000, ff: 40000, dsp: 200, bram36: 190, lutMemory: 100 }, budget: { lut: 70560, ff: 141120, dsp: 360, bram36: 216 }, caps: { lut: 0.8, ff: 0.8, dsp: 1, bram36: 0.85 }, modules: { cn_accel_top: { lut: 30000, ff: 40000, dsp: 200, bram36: 190, lutMemory: 100 } } },
    layers: s.layers.map((l, i) => ({ name: l.name, op: l.op, macs: l.macs, ddrBytes: 1000 + i * 10, predictedCycles: Math.ceil(l.macs / 64) + 100, ...(withSim ? { simulatedCycles: Math.ceil(l.macs / 60) + 110 } : {}) })),
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

  const haveChromium = existsSync(CHROMIUM);
  if (!haveChromium && process.env.CI) it('chromium is installed (scripts/setup.sh)', () => expect.fail(`${CHROMIUM} missing`));
  it.skipIf(!haveChromium)('opens in headless Chromium without console errors; screenshot', async () => {
    const { chromium } = await import('playwright-core');
    const dir = join(ROOT, '.cache', 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(sampleReport(true)));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(`file://${file}`);
      expect(await page.locator('svg').count()).toBe(3);
      expect(await page.locator('#layers tr').count()).toBeGreaterThan(100);
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: false });
      expect(existsSync(shot)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
