/**
 * `codenet search`: a joint search over model knobs and hardware knobs for one board. Planning
 * turns the space (search-space.ts) into independent trials (search-trial.ts) written as JSON files
 * in the search folder; they run here (--jobs: this process or child processes of the CLI) or on a
 * cluster (--emit slurm|k8s: a job-array script or an Indexed Job manifest whose tasks run one
 * trial each by index); collecting merges the results into the Pareto front (search-pareto.ts) and
 * materializes the chosen points with `codenet gen --target zynq`'s machinery. docs/codesign.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { boardOf, presetConfig, validateHwConfig, HwConfigSchema, type HwConfig } from '../hw/config.ts';
import { checkCaps, type Budget } from '../synth/caps.ts';
import { describeZodIssues, fail, UserError } from '../util/errors.ts';
import { replaceDirAtomically, writeFilesAtomically, type OutputFile } from '../io/atomic.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { shWord } from '../util/escape.ts';
import { renderTemplate } from '../util/templates.ts';
import { hwPoints, modelPoints, sampleIndices, SearchSpaceSchema, type HwKnobs, type SearchSpace } from './search-space.ts';
import { pointProblem } from './search-model.ts';
import { estimateResources } from './search-resources.ts';
import { loadTrialResult, runTrialFile, type ProxyCache, trialHwPath, trialModelPath, trialName, trialResultPath, ProxySchema, type Proxy, type TrialResult, type TrialSpec } from './search-trial.ts';
import { paretoFile, renderParetoHtml, type ParetoFile } from './search-pareto.ts';

export const PLAN_FILE = 'search.json';

const BudgetSchema = z.strictObject({ lut: z.number(), ff: z.number(), dsp: z.number(), bram36: z.number() });
export const SearchPlanSchema = z.strictObject({
  board: z.string(),
  space: SearchSpaceSchema,
  caps: BudgetSchema,
  proxy: ProxySchema,
  classes: z.number().int().min(1),
  trials: z.number().int().min(1),
  /** Candidates of the full product, and those left out (and why) before sampling. */
  candidates: z.number().int(),
  excluded: z.array(z.string()),
});
export type SearchPlan = z.infer<typeof SearchPlanSchema>;

/** The hardware config of `knobs` on the preset of `board`, or why it is not one. */
function hwOf(board: string, knobs: HwKnobs, dmax: number): HwConfig | string {
  const preset = presetConfig(board);
  const c = { ...preset, ...knobs, axiDataBits: knobs.lanes * 8, dmax };
  const where = `lanes ${knobs.lanes}, pwOutputs ${knobs.pwOutputs}, ${knobs.clockMHz} MHz`;
  const parsed = HwConfigSchema.safeParse(c);
  if (!parsed.success) return describeZodIssues(`hardware point ${where}`, parsed.error.issues);
  try {
    return validateHwConfig(c, where);
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** The trials of a space for a board under caps: exit 2 when the space or the caps leave none. */
export function planTrials(space: SearchSpace, where: string, board: string, caps: Budget, proxy: Proxy, classes: number): { plan: SearchPlan; trials: TrialSpec[] } {
  const preset = presetConfig(board);
  const b = boardOf(preset);
  for (const c of space.hw.clockMHz ?? []) if (c > b.maxClockMHz) fail(`search space ${where}: hw.clockMHz ${c} exceeds ${b.maxClockMHz} MHz, the DSP48 limit of ${b.name} (${b.part})`);
  const excluded: string[] = [];
  const models = modelPoints(space).filter((p) => {
    const why = pointProblem(p);
    if (why) excluded.push(`model: ${why}`);
    return !why;
  });
  if (!models.length) fail(`search space ${where} is empty: no model point can be built (${excluded[0]})`);
  const budget = { lut: b.budget.lut, ff: b.budget.ff, dsp: b.budget.dsp, bram36: b.budget.bram36 };
  const knobs = hwPoints(space, { ...preset });
  const valid: HwKnobs[] = [];
  let overCaps = 0, example: string | undefined;
  for (const k of knobs) {
    const hw = hwOf(board, k, models[0].dmax);
    if (typeof hw === 'string') {
      excluded.push(`hw: ${hw}`);
      continue;
    }
    const over = checkCaps({ ...estimateResources(hw), lutMemory: 0 }, budget, caps).filter((r) => r.over);
    if (over.length) {
      overCaps++;
      const text = `lanes ${k.lanes}, pwOutputs ${k.pwOutputs}: ${over.map((r) => `${r.resource.toUpperCase()} ${r.used} of ${r.budget} (${(100 * r.utilisation).toFixed(1)}%, cap ${(100 * r.cap).toFixed(0)}%)`).join(', ')}`;
      example ??= text;
      excluded.push(`hw over the caps: ${text}`);
      continue;
    }
    valid.push(k);
  }
  if (!valid.length && overCaps) fail(`no hardware point of search space ${where} meets the resource caps on ${b.name} (analytic estimate): e.g. ${example}. Lower lanes, pwOutputs or the buffers, or raise a cap with --cap-<resource>`);
  if (!valid.length) fail(`search space ${where} is empty: no hardware point is a valid config for ${b.name} (${excluded[excluded.length - 1]})`);
  const pairs = models.flatMap((m) => valid.map((k) => ({ m, k })));
  const picked = sampleIndices(pairs.length, space.trials, space.seed);
  const trials: TrialSpec[] = [];
  for (const i of picked) {
    const { m, k } = pairs[i];
    const hw = hwOf(board, k, m.dmax);
    if (typeof hw === 'string') {
      excluded.push(`hw: ${hw}`);
      continue;
    }
    trials.push({ index: trials.length, classes, model: m, hw, proxy });
  }
  if (!trials.length) fail(`search space ${where} is empty: no candidate has a valid config (${excluded[excluded.length - 1]})`);
  const plan = SearchPlanSchema.parse({ board, space, caps, proxy, classes, trials: trials.length, candidates: pairs.length, excluded });
  return { plan, trials };
}

/** A Kubernetes / Slurm job name from the folder: lower-case letters, digits and '-' (DNS-1123), at most 50. */
export function jobName(dir: string): string {
  const s = `codenet-search-${basename(resolve(dir))}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').slice(0, 50).replace(/-+$/, '');
  return s || 'codenet-search';
}

export interface EmitOptions {
  /** The codenet executable the tasks run (one word). */
  codenet: string;
  image: string;
  claim: string;
  parallelism: number;
}

export const SLURM_SCRIPT = 'search.slurm';
export const K8S_MANIFEST = 'job.yaml';

/** The Slurm script or the Kubernetes manifest that runs the trials of `dir`. */
export function emitFile(kind: 'slurm' | 'k8s', dir: string, trials: number, o: EmitOptions): OutputFile {
  const abs = resolve(dir);
  if (kind === 'slurm')
    return { name: SLURM_SCRIPT, data: renderTemplate('codesign/search.slurm.hbs', { trials, last: trials - 1, jobName: jobName(dir), codenet: o.codenet, dir: abs, script: join(abs, SLURM_SCRIPT) }) };
  const task = `${shWord(o.codenet)} search --run-trial ${shWord(abs)} --index "$JOB_COMPLETION_INDEX"`;
  return { name: K8S_MANIFEST, data: renderTemplate('codesign/search-job.yaml.hbs', { trials, jobName: jobName(dir), image: o.image, task, dir: abs, claim: o.claim, parallelism: Math.min(o.parallelism, trials) }) };
}

/** Refuses a non-empty folder that is not a search folder. */
export function checkSearchDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) fail(`-o ${dir} exists and is not a folder`);
  const entries = readdirSync(dir);
  if (entries.length && !entries.includes(PLAN_FILE)) fail(`-o ${dir} is a non-empty folder that codenet search did not write (no ${PLAN_FILE}); give a new or empty folder`);
}

/** Writes the search folder: the plan, the trial files and (with `emit`) the cluster file; replaces an earlier search there. */
export function writeSearchDir(dir: string, plan: SearchPlan, trials: TrialSpec[], emit?: { kind: 'slurm' | 'k8s' } & EmitOptions): void {
  checkSearchDir(dir);
  const files: OutputFile[] = [
    { name: PLAN_FILE, data: JSON.stringify(plan, null, 1) + '\n' },
    ...trials.map((t) => ({ name: `trials/${trialName(t.index)}.json`, data: JSON.stringify(t, null, 1) + '\n' })),
  ];
  if (emit) files.push(emitFile(emit.kind, dir, trials.length, emit));
  replaceDirAtomically(dir, files);
}

export function loadPlan(dir: string): SearchPlan {
  const path = join(dir, PLAN_FILE);
  if (!existsSync(path)) fail(`${dir} is not a search folder: no ${PLAN_FILE} (codenet search -o or --emit writes one)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = SearchPlanSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(`search plan ${path}`, r.error.issues));
  return r.data;
}

/** `--run-trial DIR --index I`: checks the index against the plan, runs that trial. */
export async function runTrialIndex(dir: string, index: number, log?: (m: string) => void): Promise<TrialResult> {
  const plan = loadPlan(dir);
  if (!Number.isInteger(index) || index < 0 || index >= plan.trials) fail(`--index ${index}: the search in ${dir} has trials 0 to ${plan.trials - 1}`);
  return runTrialFile(dir, index, log);
}

/** Runs every trial of `dir`: in this process (jobs 1) or `jobs` child processes of the CLI at a time. */
export async function runTrials(dir: string, trials: number, jobs: number, log?: (m: string) => void): Promise<void> {
  if (jobs <= 1) {
    const cache: ProxyCache = new Map();
    for (let i = 0; i < trials; i++) {
      log?.(`trial ${i + 1}/${trials}`);
      await runTrialFile(dir, i, log, cache);
    }
    return;
  }
  // Children run the CLI entry (bin/codenet.mjs: the bundled CLI, or tsx), one trial each.
  const bin = join(PROJECT_ROOT, 'bin', 'codenet.mjs');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < trials) {
      const i = next++;
      log?.(`trial ${i + 1}/${trials} (child process)`);
      await new Promise<void>((res, rej) => {
        const child = spawn(process.execPath, [bin, 'search', '--run-trial', dir, '--index', String(i)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => { err += String(d); });
        child.on('error', rej);
        child.on('exit', (code) => (code === 0 ? res() : rej(new UserError(`trial ${i} failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, trials) }, worker));
}

/** Merges the results of `dir` into pareto.json and pareto.html; exit 2 naming missing trials. */
export function collect(dir: string, materialize: number): ParetoFile {
  const plan = loadPlan(dir);
  const missing: number[] = [];
  const results: TrialResult[] = [];
  for (let i = 0; i < plan.trials; i++) {
    const p = trialResultPath(dir, i);
    if (!existsSync(p)) missing.push(i);
    else results.push(loadTrialResult(p));
  }
  if (missing.length) fail(`--collect ${dir}: ${missing.length} of ${plan.trials} trials have no result yet (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}); run them (codenet search --run-trial ${dir} --index I) first`);
  const bad = results.filter((r) => r.infeasible !== undefined);
  if (bad.length === results.length) fail(`search folder ${dir}: no trial's program compiles for its hardware config (e.g. trial ${bad[0].index}: ${bad[0].infeasible}); give the space larger buffers`);
  const p = paretoFile(plan.board, results, materialize);
  writeFilesAtomically(dir, [
    { name: 'pareto.json', data: JSON.stringify(p, null, 1) + '\n' },
    { name: 'pareto.html', data: renderParetoHtml(p) },
  ]);
  return p;
}

export interface Materialized { index: number; dir: string; fits: boolean; message: string }

/** `codenet gen --target zynq` of each chosen point into DIR/points/NNNN (Yosys and its caps unless synth is false). */
export async function materializePoints(dir: string, p: ParetoFile, o: { synth: boolean; caps: Budget; seed: number }): Promise<Materialized[]> {
  const { loadModelFile } = await import('../ir/load.ts');
  const { loadHwConfig } = await import('../hw/config.ts');
  const { generateZynq } = await import('../gen/zynq.ts');
  const { loadInputCodes } = await import('../cli/commands/golden.ts');
  const out: Materialized[] = [];
  for (const index of p.chosen) {
    const model = loadModelFile(trialModelPath(dir, index));
    const hw = loadHwConfig(trialHwPath(dir, index));
    const target = join(dir, 'points', trialName(index));
    try {
      const g = await generateZynq({ model, hw, inputCodes: loadInputCodes(model, undefined, o.seed), synth: o.synth, caps: o.caps, backend: 'rtl' });
      replaceDirAtomically(target, g.files);
      const r = g.synth?.result.total;
      out.push({ index, dir: target, fits: true, message: r ? `Yosys: ${r.lut} LUT, ${r.ff} FF, ${r.dsp} DSP, ${r.bram36} BRAM36` : 'not synthesized (--no-synth)' });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      out.push({ index, dir: target, fits: false, message: e.message });
    }
  }
  return out;
}
