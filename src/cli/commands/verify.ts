import type { Command } from 'commander';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { dirname, basename } from 'node:path';
import { verifyCases } from '../../verify/cases.ts';
import { buildSimulator, runCase, type Simulator } from '../../verify/run.ts';
import { SIMULATOR_NAMES } from '../../verify/simulators.ts';
import type { CaseResult } from '../../verify/junit.ts';
import { mergeVerifyJson, missingShards, modelCase, parseShard, readVerifyJson, shardJobs, verifyJunit, type Shard, type VerifyJson } from '../../verify/ci.ts';
import { intOption, modelArgName, resolveModel } from '../model-arg.ts';
import { loadInputCodes } from './golden.ts';
import { fail } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { addHwOptions, hwFromOptions, type HwOptions } from '../hw-options.ts';
import { CommandExit } from './sim.ts';

interface VerifyOptions extends HwOptions { quick?: boolean; junit?: string; simulator: string; case?: string[]; json?: string; model?: string[]; input?: string[]; seed: number; shard?: Shard; merge?: string[] }

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** verify --merge: one report of the shards' JSON files; exit 1 when any job or build failed. */
function mergeCommand(opts: VerifyOptions): void {
  const merged = mergeVerifyJson(opts.merge!.map((path) => ({ path, data: readVerifyJson(path) })));
  writeOutputs(opts, merged);
  const failed = [...merged.builds, ...merged.results].filter((r) => !r.passed);
  for (const r of failed) console.log(`FAIL  ${r.simulator.padEnd(9)} ${r.name.padEnd(28)} seed ${r.seed}\n      ${r.message ?? ''}`);
  console.log(`${merged.results.length - merged.results.filter((r) => !r.passed).length} of ${merged.results.length} bit-exact on ${merged.board} (${merged.results.reduce((a, r) => a + (r.elements ?? 0), 0)} elements compared; merged from ${opts.merge!.length} file${opts.merge!.length > 1 ? 's' : ''})`);
  const missing = missingShards(merged);
  if (missing.length) console.log(`MISSING shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: the merge does not cover every job`);
  if (failed.length || missing.length) throw new CommandExit(1);
}

function writeOutputs(opts: VerifyOptions, j: VerifyJson): void {
  const files = [];
  if (opts.junit) files.push({ dir: dirname(opts.junit), name: basename(opts.junit), data: verifyJunit(j) });
  if (opts.json) files.push({ dir: dirname(opts.json), name: basename(opts.json), data: JSON.stringify(j, null, 2) + '\n' });
  for (const f of files) writeFilesAtomically(f.dir, [{ name: f.name, data: f.data }]);
}

export function registerVerify(program: Command): void {
  addHwOptions(program
    .command('verify')
    .description('bit-exact regression: random single-layer models of every op and zoo models, golden model against the RTL (Verilator, Icarus) and the HLS C-simulation'))
    .option('--quick', 'the CI subset: single-layer cases and codenet-tiny; Icarus runs only without --quick (or when named)')
    .option('--simulator <list>', 'comma-separated: verilator, icarus, hls, reference (the ISA reference interpreter, no build); or all (the first three)', 'all')
    .option('--case <name...>', 'run only these cases')
    .option('--junit <file>', 'write JUnit XML for CI systems')
    .option('--json <file>', 'write the results (cases, seeds, cycles) as JSON')
    .option('--model <name|file>', 'also check this model (zoo name or model file; may be given several times); with --model only, no built-in case runs unless --quick or --case says so', collect)
    .option('--input <x.npy>', 'input of the --model of the same position (uint8 image or int8 codes; default: a seeded random image)', collect)
    .option('--seed <n>', 'seed of --model zoo weights and of the default random input', intOption('--seed', 0, 2 ** 31 - 1), 1)
    .option('--shard <K/N>', 'run shard K of N: job j (case x simulator, in the order of the whole run) when j % N == K - 1; builds only the shard\'s simulators', parseShard)
    .option('--merge <results.json...>', 'merge the --json files of shards into one report (--junit, --json); exit 1 when any failed')
    .action(async (opts: VerifyOptions) => {
      for (const f of [opts.junit, opts.json]) if (f) checkOutputPath(f, 'file');
      if (opts.merge) {
        if (opts.shard || opts.model || opts.case || opts.quick) fail('--merge only merges result files: give it with --junit/--json, not with --shard, --model, --case or --quick');
        return mergeCommand(opts);
      }
      if (opts.input && opts.input.length !== (opts.model?.length ?? 0)) fail(`--input is given ${opts.input.length} time(s) for ${opts.model?.length ?? 0} --model: one --input per --model, in the same order`);
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
      else if (opts.model) cases = [];
      // The user's models: loaded (and their inputs checked) before anything runs.
      for (const [i, arg] of (opts.model ?? []).entries()) {
        const model = resolveModel(arg, { seed: opts.seed });
        const name = `model:${modelArgName(arg)}`;
        if (cases.some((k) => k.name === name)) fail(`--model ${arg} is given twice (as case "${name}")`);
        cases.push(modelCase(name, opts.seed, model, loadInputCodes(model, opts.input?.[i], opts.seed)));
      }
      const jobs: Array<[typeof cases[number], Simulator]> = [];
      for (const k of cases) {
        if (sims.has('verilator')) jobs.push([k, 'verilator']);
        // Icarus (4-state, about 1k cycles/s here) runs the single-layer cases: enough to catch X.
        if (sims.has('icarus') && !(opts.quick && opts.simulator === 'all') && !k.name.startsWith('codenet-') && !(k.user && opts.simulator === 'all')) jobs.push([k, 'icarus']);
        if (sims.has('hls')) jobs.push([k, 'hls']);
        if (sims.has('reference')) jobs.push([k, 'reference']);
      }
      const allJobs = jobs.length;
      jobs.splice(0, jobs.length, ...shardJobs(jobs, opts.shard));
      if (opts.shard) console.log(`shard ${opts.shard.index}/${opts.shard.count}: ${jobs.length} of ${allJobs} jobs`);
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
      writeOutputs(opts, { board: hw.board, hw: hw as unknown as Record<string, unknown>, ...(opts.shard ? { shard: opts.shard } : {}), builds, results });
      console.log(`\n${results.length - failed} of ${results.length} bit-exact on ${hw.board} (${results.reduce((a, r) => a + (r.elements ?? 0), 0)} elements compared)`);
      if (failed || builds.some((b) => !b.passed)) throw new CommandExit(1); // the FAIL lines said why
    });
}
