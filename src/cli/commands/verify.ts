import type { Command } from 'commander';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { dirname, basename } from 'node:path';
import { verifyCases } from '../../verify/cases.ts';
import { buildSimulator, runCase, type Simulator } from '../../verify/run.ts';
import { SIMULATOR_NAMES } from '../../verify/simulators.ts';
import { junitXml, type CaseResult } from '../../verify/junit.ts';
import { fail } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { hwFromOptions } from './perf.ts';
import { CommandExit } from './sim.ts';

interface VerifyOptions { board: string; hw?: string; quick?: boolean; junit?: string; simulator: string; case?: string[]; json?: string }

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('bit-exact regression: random single-layer models of every op and zoo models, golden model against the RTL (Verilator, Icarus) and the HLS C-simulation')
    .option('--board <name>', 'board preset whose accelerator is generated', 'ultra96v2')
    .option('--hw <config.json>', 'hardware config file instead of a preset')
    .option('--quick', 'the CI subset: single-layer cases and codenet-tiny; Icarus runs only without --quick (or when named)')
    .option('--simulator <list>', 'comma-separated: verilator, icarus, hls, reference (the ISA reference interpreter, no build); or all (the first three)', 'all')
    .option('--case <name...>', 'run only these cases')
    .option('--junit <file>', 'write JUnit XML for CI systems')
    .option('--json <file>', 'write the results (cases, seeds, cycles) as JSON')
    .action(async (opts: VerifyOptions) => {
      for (const f of [opts.junit, opts.json]) if (f) checkOutputPath(f, 'file');
      const hw = hwFromOptions(opts);
      const ALL: Simulator[] = ['verilator', 'icarus', 'hls'];
      const named = opts.simulator === 'all' ? ALL : opts.simulator === 'both' ? ALL.slice(0, 2) : opts.simulator.split(',').map((x) => x.trim());
      const bad = named.filter((x) => !(SIMULATOR_NAMES as readonly string[]).includes(x));
      if (bad.length || !named.length) fail(`--simulator takes verilator, icarus, hls, reference (comma-separated) or all, not "${opts.simulator}"`);
      const sims = new Set(named as Simulator[]);
      let cases = verifyCases(hw.dmax);
      if (opts.case) {
        const unknown = opts.case.filter((n) => !cases.some((k) => k.name === n));
        if (unknown.length) fail(`unknown verify case ${unknown.map((n) => `"${n}"`).join(', ')}; cases: ${cases.map((k) => k.name).join(', ')}`);
        cases = cases.filter((k) => opts.case!.includes(k.name));
      } else if (opts.quick) cases = cases.filter((k) => !k.full);
      const jobs: Array<[typeof cases[number], Simulator]> = [];
      for (const k of cases) {
        if (sims.has('verilator')) jobs.push([k, 'verilator']);
        // Icarus (4-state, about 1k cycles/s here) runs the single-layer cases: enough to catch X.
        if (sims.has('icarus') && !(opts.quick && opts.simulator === 'all') && !k.name.startsWith('codenet-')) jobs.push([k, 'icarus']);
        if (sims.has('hls')) jobs.push([k, 'hls']);
        if (sims.has('reference')) jobs.push([k, 'reference']);
      }
      // Each simulator's build first, as an entry of its own (cached by content: src/util/build-cache.ts).
      const builds: CaseResult[] = [];
      for (const sim of new Set(jobs.map(([, s]) => s))) {
        const b = await buildSimulator(sim, hw);
        if (!b) continue;
        builds.push(b);
        console.log(`${b.passed ? 'BUILD' : 'FAIL '} ${sim.padEnd(9)} ${b.passed ? `${b.message} in ${b.seconds.toFixed(1)} s` : `\n      ${b.message}`}`);
      }
      const bar = progress('verify');
      const results: CaseResult[] = [];
      for (const [k, sim] of jobs) {
        const r = await runCase(k, hw, sim);
        results.push(r);
        bar.update(results.length, jobs.length, `${k.name} (${sim})`);
        console.log(`${r.passed ? 'PASS' : 'FAIL'}  ${sim.padEnd(9)} ${k.name.padEnd(28)} seed ${String(k.seed).padEnd(4)} ${r.cycles !== undefined ? `${r.cycles} cycles` : ''}${r.passed ? '' : `\n      ${r.message}`}`);
      }
      bar.finish();
      const failed = results.filter((r) => !r.passed).length;
      const files = [];
      if (opts.junit) files.push({ dir: dirname(opts.junit), name: basename(opts.junit), data: junitXml([...builds, ...results]) });
      if (opts.json) files.push({ dir: dirname(opts.json), name: basename(opts.json), data: JSON.stringify({ board: hw.board, hw, builds, results }, null, 2) + '\n' });
      for (const f of files) writeFilesAtomically(f.dir, [{ name: f.name, data: f.data }]);
      console.log(`\n${results.length - failed} of ${results.length} bit-exact on ${hw.board} (${results.reduce((a, r) => a + (r.elements ?? 0), 0)} elements compared)`);
      if (failed || builds.some((b) => !b.passed)) throw new CommandExit(1); // the FAIL lines said why
    });
}
