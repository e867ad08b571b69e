import type { Command } from 'commander';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { loadHwConfig, presetConfig, peakMacsPerCycle, validateHwConfig, type HwConfig } from '../../hw/config.ts';
import { programPerf } from '../../perf/model.ts';
import { compileModel } from '../../compiler/compile.ts';
import { BOARDS, findBoard } from '../../hw/boards.ts';
import { fail } from '../../util/errors.ts';
import { buildReport } from '../../report/build.ts';
import { renderReportHtml, renderReportMarkdown } from '../../report/render.ts';
import { intOption, resolveModel } from '../model-arg.ts';

/** The hardware config of --hw (a file) or --board (a preset), with --clock applied and checked. */
export function hwFromOptions(opts: { board: string; hw?: string; clock?: number }): HwConfig {
  if (!opts.hw && !findBoard(opts.board)) fail(`--board: unknown board "${opts.board}"; known: ${BOARDS.map((b) => b.name).join(', ')}`);
  const hw = opts.hw ? loadHwConfig(opts.hw) : presetConfig(opts.board);
  if (opts.clock === undefined) return hw;
  return validateHwConfig({ ...hw, clockMHz: opts.clock }, `${opts.hw ?? `preset ${hw.board}`} with --clock ${opts.clock}`);
}

/** The MAC utilisation line of perf, gen and sim: one definition (perf/model.ts macUtilisation), the peak stated. */
export function utilisationText(utilisation: number, macs: number, peak: number): string {
  return `MAC utilisation ${(100 * utilisation).toFixed(1)}% (${macs.toLocaleString('en-US')} model MACs / (cycles x ${peak} peak MACs per cycle))`;
}

export function registerPerf(program: Command): void {
  program
    .command('perf <model>')
    .description('predict cycles per layer, FPS and DDR traffic with the analytic model of the accelerator')
    .option('--board <name>', 'board preset: ultra96v2, zcu104, kv260, pynq-z2', 'ultra96v2')
    .option('--hw <config.json>', 'hardware config file (fields not given come from its board preset)')
    .option('--clock <MHz>', 'fabric clock', intOption('--clock', 1, 1000))
    .option('--report <dir>', 'also write report.json, report.md and report.html there')
    .option('--json', 'print JSON')
    .action((modelArg: string, opts: { board: string; hw?: string; clock?: number; report?: string; json?: boolean }) => {
      if (opts.report) checkOutputPath(opts.report, 'folder');
      const model = resolveModel(modelArg);
      const hw = hwFromOptions(opts);
      const p = programPerf(compileModel(model, hw), peakMacsPerCycle(hw));
      if (opts.report) {
        const r = buildReport(model, hw, { perf: p });
        writeFilesAtomically(opts.report, [
          { name: 'report.json', data: JSON.stringify(r, null, 2) + '\n' },
          { name: 'report.md', data: renderReportMarkdown(r) },
          { name: 'report.html', data: renderReportHtml(r) },
        ]);
      }
      if (opts.json) return void console.log(JSON.stringify({ board: hw.board, clockMHz: hw.clockMHz, ...p }, null, 2));
      console.log(`${'layer'.padEnd(20)}${'op'.padEnd(10)}${'MACs'.padStart(11)}${'cycles'.padStart(10)}${'DDR bytes'.padStart(11)}  bound`);
      for (const l of p.layers) if (l.bound !== 'free') console.log(`${l.name.padEnd(20)}${l.op.padEnd(10)}${String(l.macs).padStart(11)}${String(l.cycles).padStart(10)}${String(l.ddrBytes).padStart(11)}  ${l.fusedInto ? `fused into ${l.fusedInto}` : l.bound}`);
      console.log(`\n${model.name} on ${hw.board} at ${hw.clockMHz} MHz (analytic model): ${p.cycles} cycles, ${p.fps.toFixed(1)} FPS, ${(p.ddrBytes / 1e6).toFixed(1)} MB DDR per frame, ${utilisationText(p.macUtilisation, p.macs, p.peakMacsPerCycle)}`);
    });
}
