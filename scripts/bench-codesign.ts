/**
 * npm run bench:codesign [-- --seed S --budget-minutes M --quick --boards B,B --eval N -o DIR]:
 * the co-design benchmark, driving the `codenet` CLI (child processes: it measures what users run)
 * on the built-in data set, from codenet-tiny-skip as the baseline, within --budget-minutes (60):
 * 1. baseline: `codenet train` (both threads, Adam 4e-2, batch 32: the accuracy benchmark's
 *    settings; 27% of the budget), `train --qat` (4%), `eval` of
 *    the float model and of the integer model through the golden model;
 * 2. per board (--boards, default ultra96v2,pynq-z2): `perf` of the baseline, `prune --target-fps`
 *    1.5x its cycle-model FPS (the heads kept at half their width or more; when no pruning within
 *    those floors reaches 1.5x, as far as they allow, `--target-fps max`, and the table says so), fine-tuned with
 *    distillation (10% of the budget, planned; Adam 1e-2), on the first board again without it for
 *    the same steps and seed; each `train --qat` for the baseline's QAT step count,
 *    `eval`, `perf`; then `gen --target zynq` (Yosys resources) and `sim` (Verilator: simulated FPS,
 *    bit-exact) of the baseline and the pruned models;
 * 3. per board: a small `codenet search` (proxy training from the trained baseline's weights,
 *    cropped to each candidate) over model points the cycle model says buy speed (plain decoder
 *    blocks, fewer stride-1 units; bench-plan.ts benchSpace) and the baseline's own network, so the
 *    searched points are compared with the baseline trained by the same proxy; the baseline point
 *    and the chosen one (the most accurate by the proxy at least 1.1x as fast) get `gen` + `sim`;
 *    on the first board the chosen network is then trained like the pruned models: exported from
 *    the baseline's weights (`search --export`), pruned to the board's target and fine-tuned
 *    (`prune`, 17% of the budget, no distillation), QAT, `eval`, `perf`, `gen`, `sim`: a row with
 *    real AP50 after QAT and simulated FPS, which the verdict counts as it counts the pruned ones.
 * Prints progress at least every 20 s, a table per board, and writes DIR/codesign.json (default
 * build/bench-codesign) after every stage, so a run cut short leaves its figures. --quick runs a
 * few steps of everything (checks the pipeline in minutes; its AP50 figures mean nothing).
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { findZooSpec } from '../src/zoo/specs.ts';
import { benchPlan, benchSpace, chooseSearched, TARGET_MARGIN, type BenchTrial } from '../src/codesign/bench-plan.ts';

const { values: a } = parseArgs({
  options: {
    seed: { type: 'string', default: '0' },
    'budget-minutes': { type: 'string', default: '60' },
    quick: { type: 'boolean', default: false },
    boards: { type: 'string', default: 'ultra96v2,pynq-z2' },
    eval: { type: 'string' },
    out: { type: 'string', short: 'o', default: 'build/bench-codesign' },
  },
});
const seed = Number(a.seed), budget = Number(a['budget-minutes']), quick = a.quick!;
const boards = a.boards!.split(',').map((s) => s.trim()).filter(Boolean);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number, got ${a.seed}`);
if (!(budget >= 10)) throw new Error(`--budget-minutes must be at least 10, got ${a['budget-minutes']}`);
const out = resolve(a.out!);
const evalImages = Number(a.eval ?? (quick ? 32 : 1000));
const ZOO = 'codenet-tiny-skip';
const SPEEDUP = 1.5;

// The budget split and every stage's settings (src/codesign/bench-plan.ts, where a test holds it inside the budget).
const plan = benchPlan(budget, boards.length, quick);

mkdirSync(join(out, 'logs'), { recursive: true });
const t0 = performance.now();
const clock = () => { const s = Math.round((performance.now() - t0) / 1000); return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`; };
const say = (m: string) => console.log(`[${clock()}] ${m}`);

let nRun = 0;
/** Runs `node bin/codenet.mjs ...args`, its output to logs/NN-label.log, a progress line every 20 s; resolves with stdout, or with the exit code when it fails (`allowFail`). */
function codenet(label: string, args: string[], allowFail = false): Promise<{ code: number; stdout: string }> {
  const logPath = join(out, 'logs', `${String(++nRun).padStart(2, '0')}-${label.replace(/[^\w.-]+/g, '_')}.log`);
  const log = createWriteStream(logPath);
  log.write(`$ codenet ${args.join(' ')}\n`);
  say(`${label}: codenet ${args.join(' ')}`);
  const start = performance.now();
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [resolve('bin/codenet.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', last = '';
    const keep = (d: Buffer, isOut: boolean) => {
      const s = d.toString();
      if (isOut) stdout += s;
      log.write(s);
      const lines = s.split('\n').map((l) => l.trim()).filter(Boolean);
      if (lines.length) last = lines[lines.length - 1];
    };
    p.stdout.on('data', (d: Buffer) => keep(d, true));
    p.stderr.on('data', (d: Buffer) => keep(d, false));
    const tick = setInterval(() => say(`  ${label}: running ${((performance.now() - start) / 1000).toFixed(0)} s${last ? `; ${last.slice(0, 120)}` : ''}`), 20_000);
    p.on('close', (code) => {
      clearInterval(tick);
      log.end();
      const secs = ((performance.now() - start) / 1000).toFixed(1);
      if (code === 0 || allowFail) {
        say(`  ${label}: ${code === 0 ? 'done' : `exit ${code}`} in ${secs} s`);
        res({ code: code ?? 1, stdout });
      } else rej(new Error(`codenet ${args.join(' ')} failed (exit ${code}) after ${secs} s: ${last} (log: ${logPath})`));
    });
  });
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

interface Sim { fps: number; cycles: number; bitExact: boolean; resources?: { lut: number; ff: number; dsp: number; bram36: number }; error?: string }
interface Row {
  model: string; path: string; ap50Float?: number; ap50Qat?: number; proxy?: boolean; cycleFps?: number; sim?: Sim;
  steps?: Record<string, number>; note?: string;
}
interface BoardResult { board: string; targetFps?: number; rows: Row[]; search?: unknown; verdict?: string; reach?: string }
const result = {
  seed, budgetMinutes: budget, quick, model: ZOO, evalImages, evalSeed: 0, plan, started: new Date().toISOString(),
  baseline: {} as { float?: string; qat?: string; floatSteps?: number; qatSteps?: number; ap50Float?: number; ap50Qat?: number },
  boards: [] as BoardResult[], seconds: 0, finished: false,
};
const save = () => {
  result.seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(out, 'codesign.json'), JSON.stringify(result, null, 2) + '\n');
};

/** AP50 (percent) of a float folder or integer model file, on --eval built-in val images (seed 0). */
async function ap50(label: string, model: string): Promise<number> {
  const json = join(out, 'logs', `eval-${label}.json`);
  await codenet(`eval ${label}`, ['eval', model, '--data', `builtin:${evalImages}`, '--seed', '0', '--json', json]);
  return 100 * readJson(json).mAP;
}
async function cycleFps(label: string, model: string, board: string): Promise<number> {
  const { stdout } = await codenet(`perf ${label}`, ['perf', model, '--board', board, '--json']);
  return JSON.parse(stdout).fps;
}
/** `gen --target zynq` (Yosys resources) and `sim` in Verilator of an integer model on a board (or a config file). */
async function genSim(label: string, model: string, hw: string[]): Promise<Sim> {
  const dir = join(out, 'gen', label.replace(/[^\w.-]+/g, '_'));
  // A point over the utilisation caps (or any gen error) is recorded, not fatal: the other rows still run.
  const g = await codenet(`gen ${label}`, ['gen', '--target', 'zynq', '--model', model, ...hw, '--seed', String(seed), '-o', dir, '--force'], true);
  if (g.code !== 0) return { fps: 0, cycles: 0, bitExact: false, error: `codenet gen exit ${g.code} (log in ${join(out, 'logs')})` };
  const r = await codenet(`sim ${label}`, ['sim', dir], true);
  const report = readJson(join(dir, 'report', 'report.json'));
  const res = report.resources?.total;
  const resources = res ? { lut: res.lut, ff: res.ff, dsp: res.dsp, bram36: res.bram36 } : undefined;
  const simPath = join(dir, 'sim-report.json');
  if (r.code === 0 && existsSync(simPath)) {
    const s = readJson(simPath);
    return { fps: s.fps, cycles: s.totalCycles, bitExact: s.match === true, resources };
  }
  // A failed check writes no sim-report.json: the FPS line of the output still says how fast it ran.
  const m = /total cycles (\d+), ([\d.]+) FPS/.exec(r.stdout);
  return { fps: m ? Number(m[2]) : 0, cycles: m ? Number(m[1]) : 0, bitExact: false, resources };
}

// ---- 1. the baseline ----
say(`bench:codesign: ${ZOO} on the built-in data set, seed ${seed}, budget ${budget} min${quick ? ' (--quick: a few steps each, figures meaningless)' : ''}, boards ${boards.join(', ')}, AP50 on ${evalImages} val images (seed 0); output ${out}`);
const floatDir = join(out, 'baseline', 'float'), qatDir = join(out, 'baseline', 'qat');
// The accuracy benchmark's settings (docs/training.md, scripts/bench-accuracy.ts): float Adam 4e-2 on
// batches of 32, QAT 1e-3 on batches of 32 with ranges at the 99.99th percentile; every QAT below uses them.
const QAT_ARGS = ['--batch', '32', '--percentile', '99.99'];
await codenet('train baseline', ['train', '--zoo', ZOO, ...plan.float, '--batch', '32', '--lr', '4e-2', '--seed', String(seed), '-o', floatDir]);
await codenet('qat baseline', ['train', '--qat', '--resume', floatDir, ...plan.qat, ...QAT_ARGS, '--seed', String(seed + 1), '-o', qatDir]);
const baseQat = join(qatDir, 'quantized.json');
const qatSteps: number = readJson(join(qatDir, 'train-log.json')).steps;
result.baseline = { float: floatDir, qat: baseQat, floatSteps: readJson(join(floatDir, 'train-log.json')).steps, qatSteps };
result.baseline.ap50Float = await ap50('baseline-float', floatDir);
result.baseline.ap50Qat = await ap50('baseline-qat', baseQat);
say(`baseline: ${result.baseline.floatSteps} float steps, ${qatSteps} QAT steps; AP50 float ${result.baseline.ap50Float.toFixed(1)}, after QAT ${result.baseline.ap50Qat.toFixed(1)}`);
save();

// ---- 2. pruning per board ----
for (const board of boards) {
  const br: BoardResult = { board, rows: [] };
  result.boards.push(br);
  const base: Row = { model: 'baseline', path: baseQat, ap50Float: result.baseline.ap50Float, ap50Qat: result.baseline.ap50Qat, steps: { float: result.baseline.floatSteps!, qat: qatSteps } };
  br.rows.push(base);
  base.cycleFps = await cycleFps(`${board} baseline`, baseQat, board);
  // The verdict reads simulated FPS; the cycle model is within about 1% of the RTL, so the prunes aim a little above 1.5x.
  br.targetFps = Math.round(SPEEDUP * TARGET_MARGIN * base.cycleFps);
  let pruneSteps: string[] = plan.prune;
  let pruneTarget = String(br.targetFps);
  // The distillation comparison (the same pruned model, steps and seed without it) on the first board.
  for (const distill of board === boards[0] ? [true, false] : [true]) {
    const name = distill ? 'pruned + distillation' : 'pruned, no distillation';
    const dir = join(out, board, distill ? 'pruned-distill' : 'pruned-plain');
    const prune = (target: string) => codenet(`prune ${board} ${distill ? 'distill' : 'no-distill'}`, ['prune', floatDir, '--target-fps', target, '--board', board, ...pruneSteps, '--seed', String(seed + 2), ...(distill ? [] : ['--no-distill']), '-o', dir], true);
    let pr = await prune(pruneTarget);
    if (pr.code === 2 && pruneTarget !== 'max') {
      // 1.5x is beyond every width the floors allow on this accelerator: prune as far as they allow, and say so.
      br.reach = `${SPEEDUP}x with its margin (${br.targetFps} FPS by the cycle model) is out of pruning's reach on ${board}: pruned as far as --min-keep and --head-min-keep allow (--target-fps max)`;
      say(br.reach);
      pruneTarget = 'max';
      pr = await prune(pruneTarget);
    }
    if (pr.code !== 0) throw new Error(`codenet prune failed on ${board} (exit ${pr.code}): see ${join(out, 'logs')}`);
    const rep = readJson(join(dir, 'prune-report.json'));
    // The second fine-tune repeats the first one's step count: the same steps and seed, with and without distillation.
    pruneSteps = ['--steps', String(rep.finetune.steps), '--lr', String(rep.finetune.lr)];
    const cut = (rep.groups as { conv: string; original: number; kept: number }[]).filter((g) => g.kept < g.original).map((g) => `${g.conv} ${g.kept}/${g.original}`).join(', ');
    const row: Row = { model: name, path: join(dir, 'qat', 'quantized.json'), steps: { finetune: rep.finetune.steps, qat: qatSteps }, note: `${rep.prunableChannels.before} -> ${rep.prunableChannels.after} prunable channels (${cut}); fine-tuned ${rep.finetune.steps} steps of ${rep.finetune.batch} at ${rep.finetune.lr}` };
    br.rows.push(row);
    row.ap50Float = await ap50(`${board}-${distill ? 'distill' : 'plain'}-float`, dir);
    await codenet(`qat ${board} ${distill ? 'distill' : 'no-distill'}`, ['train', '--qat', '--resume', dir, '--steps', String(qatSteps), ...QAT_ARGS, '--seed', String(seed + 1), '-o', join(dir, 'qat')]);
    row.ap50Qat = await ap50(`${board}-${distill ? 'distill' : 'plain'}-qat`, row.path);
    row.cycleFps = await cycleFps(`${board} ${name}`, row.path, board);
    save();
  }
  for (const row of br.rows) {
    row.sim = await genSim(`${board}-${row.model}`, row.path, ['--board', board]);
    say(`${board} ${row.model}: ${row.sim.error ?? `simulated ${row.sim.fps.toFixed(1)} FPS, bit-exact ${row.sim.bitExact ? 'yes' : 'NO'}`}`);
    save();
  }
}

// ---- 3. a small joint search per board ----
// Its space (bench-plan.ts benchSpace) holds the baseline's own network, so the proxy AP50 of the
// searched points is compared with the baseline's under the same proxy, and the knobs the cycle model
// says buy speed on this model and a warm start survives: plain decoder blocks, fewer stride-1 units.
const space = benchSpace(ZOO, seed);
const spacePath = join(out, 'search-space.json');
writeFileSync(spacePath, JSON.stringify(space, null, 2) + '\n');
for (const br of result.boards) {
  const dir = join(out, br.board, 'search');
  rmSync(dir, { recursive: true, force: true });
  await codenet(`search ${br.board}`, ['search', '--board', br.board, '--space', spacePath, '--proxy-steps', String(plan.proxy.steps), '--lr', String(plan.proxy.lr), '--proxy-init', floatDir, '--eval-images', String(plan.proxy.evalImages), '--seed', String(seed), '-o', dir]);
  const pareto = readJson(join(dir, 'pareto.json'));
  type T = BenchTrial & { name: string; model: { channels: number[]; repeats: number[]; stem: string; deformable: boolean[] }; hw: { pwOutputs: number; lanes: number } };
  const results = (pareto.results as T[]).filter((t) => !t.infeasible);
  const z = findZooSpec(ZOO)!;
  const isBase = (t: T) => t.model.repeats.join() === z.repeats.join() && t.model.stem === z.stem && t.model.channels.join() === z.channels.join() && t.model.deformable.every(Boolean);
  const baseTrial = results.find(isBase);
  const chosen = baseTrial ? chooseSearched(results, baseTrial) : undefined;
  const desc = (t: T) => `repeats ${t.model.repeats.join('')}, stem ${t.model.stem}, deformable ${t.model.deformable.map((d) => (d ? 'y' : 'n')).join('')}, channels ${t.model.channels.join('/')}`;
  br.search = { dir, proxySteps: plan.proxy.steps, proxyLr: plan.proxy.lr, proxyInit: floatDir, evalImages: plan.proxy.evalImages, trials: pareto.trials, front: (pareto.front as T[]).map((t) => t.index), baselineTrial: baseTrial?.index, chosen: chosen?.index, chosenPoint: chosen ? desc(chosen) : undefined };
  if (chosen && baseTrial) {
    for (const [what, t] of [['search: baseline network (proxy)', baseTrial], ['searched (proxy)', chosen]] as const) {
      const row: Row = { model: what, path: join(dir, 'models', `${String(t.index).padStart(4, '0')}.json`), ap50Qat: 100 * t.accuracy.value, proxy: true, cycleFps: t.fps, steps: { proxy: plan.proxy.steps }, note: `trial ${t.index}: ${desc(t)}, lanes ${t.hw.lanes} x pwOutputs ${t.hw.pwOutputs}` };
      row.sim = await genSim(`${br.board}-search-${t.index}`, row.path, ['--hw', join(dir, 'models', `${String(t.index).padStart(4, '0')}.hw.json`)]);
      br.rows.push(row);
      save();
    }
  }
  // The searched network trained like the pruned models, on the first board: its float network from the
  // baseline's weights (cropped to it, as the proxy starts), pruned to the board's target and fine-tuned
  // for its own share of the budget, 17% (no distillation: the unpruned network is untrained, no teacher),
  // then the baseline's QAT, eval through the golden model, gen and sim: a row with real AP50 and FPS.
  if (chosen && br.board === boards[0] && br.targetFps !== undefined) {
    const floatOut = join(out, br.board, 'searched', 'init'), prunedDir = join(out, br.board, 'searched', 'pruned');
    await codenet(`export ${br.board} searched`, ['search', '--export', dir, '--index', String(chosen.index), '-o', floatOut]);
    const prune = (target: string) => codenet(`prune ${br.board} searched`, ['prune', floatOut, '--target-fps', target, '--board', br.board, ...plan.searched, '--no-distill', '--seed', String(seed + 2), '-o', prunedDir], true);
    let reach = '';
    let pr = await prune(String(br.targetFps));
    if (pr.code === 2) {
      reach = `; ${SPEEDUP}x is out of pruning's reach from it: pruned as far as the floors allow`;
      pr = await prune('max');
    }
    if (pr.code !== 0) throw new Error(`codenet prune of the searched network failed on ${br.board} (exit ${pr.code}): see ${join(out, 'logs')}`);
    const rep = readJson(join(prunedDir, 'prune-report.json'));
    const cut = (rep.groups as { conv: string; original: number; kept: number }[]).filter((g) => g.kept < g.original).map((g) => `${g.conv} ${g.kept}/${g.original}`).join(', ');
    const row: Row = { model: 'searched + pruned', path: join(prunedDir, 'qat', 'quantized.json'), steps: { finetune: rep.finetune.steps, qat: qatSteps }, note: `trial ${chosen.index} (${desc(chosen)}) from the baseline's weights, pruned to ${br.targetFps} FPS (${cut || 'no cut'})${reach}; fine-tuned ${rep.finetune.steps} steps of ${rep.finetune.batch} at ${rep.finetune.lr}` };
    br.rows.push(row);
    row.ap50Float = await ap50(`${br.board}-searched-float`, prunedDir);
    await codenet(`qat ${br.board} searched`, ['train', '--qat', '--resume', prunedDir, '--steps', String(qatSteps), ...QAT_ARGS, '--seed', String(seed + 1), '-o', join(prunedDir, 'qat')]);
    row.ap50Qat = await ap50(`${br.board}-searched-qat`, row.path);
    row.cycleFps = await cycleFps(`${br.board} searched + pruned`, row.path, br.board);
    row.sim = await genSim(`${br.board}-searched-pruned`, row.path, ['--board', br.board]);
    say(`${br.board} searched + pruned: ${row.sim.error ?? `simulated ${row.sim.fps.toFixed(1)} FPS, bit-exact ${row.sim.bitExact ? 'yes' : 'NO'}`}`);
    save();
  }
}

// ---- the tables and the done-when check ----
const f1 = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));
for (const br of result.boards) {
  const base = br.rows[0];
  console.log(`\n${br.board}: AP50 on ${evalImages} built-in val images (proxy rows: the search's own ${plan.proxy.evalImages} images after ${plan.proxy.steps} proxy steps from the baseline's weights, no QAT); speed-up = simulated FPS / the baseline's`);
  console.log(`${'model'.padEnd(34)}${'AP50 fl'.padStart(8)}${'AP50 int'.padStart(9)}${'cycle FPS'.padStart(11)}${'sim FPS'.padStart(10)}${'speed-up'.padStart(9)}${'LUT'.padStart(8)}${'FF'.padStart(8)}${'DSP'.padStart(6)}${'BRAM36'.padStart(8)}${'bit-exact'.padStart(10)}`);
  for (const r of br.rows) {
    const ok = (x: Sim | undefined) => (x && !x.error ? x : undefined);
    const sim = ok(r.sim), baseSim = ok(base.sim), res = sim?.resources;
    const up = sim && baseSim ? `${(sim.fps / baseSim.fps).toFixed(2)}x` : '-';
    console.log(`${r.model.padEnd(34)}${f1(r.ap50Float).padStart(8)}${f1(r.ap50Qat).padStart(9)}${f1(r.cycleFps).padStart(11)}${f1(sim?.fps).padStart(10)}${up.padStart(9)}${String(res?.lut ?? '-').padStart(8)}${String(res?.ff ?? '-').padStart(8)}${String(res?.dsp ?? '-').padStart(6)}${String(res?.bram36 ?? '-').padStart(8)}${(sim ? (sim.bitExact ? 'yes' : 'NO') : '-').padStart(10)}`);
    if (r.note || r.sim?.error) console.log(`  ${[r.note, r.sim?.error].filter(Boolean).join('; ')}`);
  }
  // Done when: at the baseline's AP50 (within 0.5) at least 1.5x its simulated FPS, bit-exact; or at its FPS at least 2 AP50 better.
  const cands = br.rows.slice(1).filter((r) => !r.proxy && r.sim?.bitExact && base.sim && !base.sim.error && r.ap50Qat !== undefined);
  const fast = cands.find((r) => r.ap50Qat! >= base.ap50Qat! - 0.5 && r.sim!.fps >= SPEEDUP * base.sim!.fps);
  const better = cands.find((r) => r.sim!.fps >= base.sim!.fps && r.ap50Qat! >= base.ap50Qat! + 2);
  br.verdict = fast ? `met: ${fast.model} at ${f1(fast.ap50Qat)} AP50 (baseline ${f1(base.ap50Qat)}) runs ${(fast.sim!.fps / base.sim!.fps).toFixed(2)}x the baseline's simulated FPS, bit-exact`
    : better ? `met: ${better.model} is ${(better.ap50Qat! - base.ap50Qat!).toFixed(1)} AP50 better at ${(better.sim!.fps / base.sim!.fps).toFixed(2)}x the baseline's simulated FPS`
    : 'not met by the pruned or searched models (AP50 after QAT through the golden model, simulated FPS)';
  if (br.reach) console.log(br.reach);
  console.log(`target (${SPEEDUP}x at the baseline's AP50 within 0.5, or +2 AP50 at its FPS): ${br.verdict}${quick ? ' (--quick: AP50 after a few steps, meaningless)' : ''}`);
}
result.finished = true;
save();
say(`wrote ${join(out, 'codesign.json')}; logs in ${join(out, 'logs')}`);
