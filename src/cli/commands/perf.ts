import type { Command } from 'commander';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { boardOf, peakMacsPerCycle } from '../../hw/config.ts';
import { hwParams } from '../../hw/params.ts';
import { efficiencySweep, programPerf, withDdrEfficiency } from '../../perf/model.ts';
import { fail } from '../../util/errors.ts';
import { compileModel } from '../../compiler/compile.ts';
import { buildReport } from '../../report/build.ts';
import { renderReportHtml, renderReportMarkdown } from '../../report/render.ts';
import { resolveModel } from '../model-arg.ts';
import { addHwOptions, hwFromOptions, type HwOptions } from '../hw-options.ts';

/** The MAC utilisation line of perf, gen and sim: one definition (perf/model.ts macUtilisation), the peak stated. */
export function utilisationText(utilisation: number, macs: number, peak: number): string {
  return `MAC utilisation ${(100 * utilisation).toFixed(1)}% (${macs.toLocaleString('en-US')} model MACs / (cycles x ${peak} peak MACs per cycle))`;
}

/** --ddr-efficiency (perf, sim): the share of the DRAM peak, a fraction (0.8) or a percentage (80%). */
export function ddrEfficiencyOption(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(v);
  const e = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(e >= 0.05 && e <= 1)) fail(`--ddr-efficiency: expected the share of the DRAM peak the controller sustains, 0.05 to 1 (or 5% to 100%), got "${v}"`);
  return e;
}
export const DDR_EFFICIENCY_HELP = 'share of the DRAM peak the memory controller sustains (refresh, page misses, read/write turnaround), 0.05-1 or 5%-100% (default: the config\'s, 0.8 on every preset)';

export function registerPerf(program: Command): void {
  addHwOptions(program
    .command('perf <model>')
    .description('predict cycles per layer, FPS and DDR traffic with the analytic model of the accelerator'))
    .option('--report <dir>', 'also write report.json, report.md and report.html there')
    .option('--json', 'print JSON')
    .option('--ddr-efficiency <share>', DDR_EFFICIENCY_HELP, ddrEfficiencyOption)
    .action((modelArg: string, opts: HwOptions & { report?: string; json?: boolean; ddrEfficiency?: number }) => {
      if (opts.report) checkOutputPath(opts.report, 'folder');
      const model = resolveModel(modelArg);
      const base = hwFromOptions(opts);
      const hw = opts.ddrEfficiency === undefined ? base : withDdrEfficiency(base, opts.ddrEfficiency, `--ddr-efficiency ${opts.ddrEfficiency}`);
      const compiled = compileModel(model, hw);
      const p = programPerf(compiled, peakMacsPerCycle(hw));
      const sweep = efficiencySweep(compiled);
      if (opts.report) {
        const r = buildReport(model, hw, { perf: p });
        writeFilesAtomically(opts.report, [
          { name: 'report.json', data: JSON.stringify(r, null, 2) + '\n' },
          { name: 'report.md', data: renderReportMarkdown(r) },
          { name: 'report.html', data: renderReportHtml(r) },
        ]);
      }
      if (opts.json) return void console.log(JSON.stringify({ board: hw.board, clockMHz: hw.clockMHz, ...p, efficiencySweep: sweep }, null, 2));
      console.log(`${'layer'.padEnd(20)}${'op'.padEnd(10)}${'MACs'.padStart(11)}${'cycles'.padStart(10)}${'DDR bytes'.padStart(11)}  bound`);
      for (const l of p.layers) if (l.bound !== 'free') console.log(`${l.name.padEnd(20)}${l.op.padEnd(10)}${String(l.macs).padStart(11)}${String(l.cycles).padStart(10)}${String(l.ddrBytes).padStart(11)}  ${l.fusedInto ? `fused into ${l.fusedInto}` : l.bound}`);
      console.log(`\n${model.name} on ${hw.board} at ${hw.clockMHz} MHz (analytic model): ${p.cycles} cycles, ${p.fps.toFixed(1)} FPS, ${(p.ddrBytes / 1e6).toFixed(1)} MB DDR per frame, ${utilisationText(p.macUtilisation, p.macs, p.peakMacsPerCycle)}`);
      console.log(`DDR at ${Math.round(100 * p.ddrEfficiency)}% of the ${(boardOf(hw).ddrBytesPerSecond / 1e9).toFixed(2)} GB/s peak, at most the port: ${p.ddrBytesPerCycle.toFixed(2)} B/cycle; ${(p.dramBytes / 1e6).toFixed(1)} MB of ${hwParams(hw).dramBurstBytes}-byte DRAM bursts per frame`);
      console.log(`FPS at DDR efficiency ${sweep.map((s) => `${Math.round(100 * s.efficiency)}%`).join(' / ')}: ${sweep.map((s) => s.fps.toFixed(1)).join(' / ')}`);
    });
}
