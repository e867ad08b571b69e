/**
 * npm run bench:accuracy [-- --zoo NAME --minutes M --qat-minutes M --steps N --qat-steps N --lr R --offset-lr F --lr-floor F --warmup N --batch B --qat-lr R --qat-offset-lr F --qat-lr-floor F --learn-scales --percentile P --weight-scale mse|max --act-range mse|percentile --no-bias-correction --no-adaround --adaround-iterations N --qat-init ptq|float --qat-act-range mse|percentile --input PX --eval N --seed S --seeds LIST --data-seed S --threads T --dense --float DIR --out DIR --compare-logs DIR,DIR...]:
 * the accuracy benchmark (float AP50 and the W4A8 gap after QAT) on the built-in data set, end
 * to end on this machine, in 30 minutes of training:
 * 1. float training of codenet-tiny-skip for --minutes (25): the warm-up's steps 60-300 time the
 *    machine, then the run takes the steps of 32 that fit (wasm backend unless tfjs-node is installed; both
 *    cores: a worker thread takes half of every batch; Adam at 4e-2 after a linear warm-up of
 *    --warmup steps (300), with cosine decay by steps to 1/100 of it, the offset convs at a tenth of it);
 *    --steps N runs exactly N steps instead (and repeats a planned run);
 * 2. AP50 of the float model (tfjs) on the val split;
 * 3. W4A8 after calibration only (post-training quantization as `codenet quantize` does it by
 *    default: activation ranges by MSE search, weight scales by least squared error, bias
 *    correction and learned rounding, on 256 train images; --act-range percentile takes the
 *    ranges at --percentile instead, --no-bias-correction and --no-adaround switch those off),
 *    AP50 through the golden model;
 * 4. W4A8 after quantization-aware fine-tuning for --qat-minutes (4.5; or --qat-steps N; 0 skips
 *    it) in steps of 32, Adam 1e-3 decayed to 1/20 (the offset convs and the weight scales frozen;
 *    --learn-scales: the scales train, LSQ), both cores, from the calibration-only model's weights
 *    (--qat-init ptq; float: the float model rounded to nearest) with activation ranges by MSE
 *    (--qat-act-range; percentile: at --percentile), AP50 through the golden model.
 * Prints a table and writes DIR/accuracy.json (default build/bench-accuracy) with the models.
 * --float DIR skips step 1 and takes the float model a previous run left in DIR (its
 * train-log.json gives the training figures): QAT settings can be compared on one float model.
 * --seeds 0-4 (or 0,3) runs the whole benchmark once per seed, one after another (DIR/seed-S),
 * then prints each seed's row with the mean, standard deviation and minimum, writes
 * DIR/accuracy-seeds.json, and compares the seeds' float training logs. --compare-logs compares
 * the train-log.json files of the given folders (or files) and exits.
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainFloat, type TrainLog } from '../src/float/train.ts';
import { LR_FLOOR, MAX_STEPS, OFFSET_LR, QAT_CALIB_IMAGES, QAT_ACT_RANGE, QAT_INIT, QAT_LR_FLOOR, QAT_OFFSET_LR, WARMUP_STEPS } from '../src/float/defaults.ts';
import { loadFloatModel } from '../src/float/io.ts';
import { initBackend } from '../src/float/model.ts';
import { trainQat, type QatInit } from '../src/quant/qat-train.ts';
import { PTQ_DEFAULTS, quantizeFloatModel, type ActRangeMode, type QuantizeOptions, type WeightScaleMode } from '../src/quant/quantize.ts';
import { ADAROUND_ITERATIONS } from '../src/quant/adaround.ts';
import { parseSeeds, rowFromAccuracy, seedTable, summarize, type SeedRow } from './accuracy-seeds.ts';
import { compareTrainLogs } from './train-log-compare.ts';
import { serializeModel } from '../src/ir/save.ts';
import { evalFloat, evalInteger, type EvalResult } from '../src/detect/eval.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { UserError } from '../src/util/errors.ts';

const { values: a } = parseArgs({
  options: {
    zoo: { type: 'string', default: 'codenet-tiny-skip' },
    input: { type: 'string', default: '64' },
    // 25 + 4.5 = 29.5 minutes of training, of the 30: QAT with frozen weight scales runs faster than
    // float training (about 1000 steps in 4.5 min). --steps / --qat-steps: exactly that many, no budget.
    steps: { type: 'string' },
    minutes: { type: 'string', default: '25' },
    'qat-steps': { type: 'string' },
    'qat-minutes': { type: 'string', default: '4.5' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '4e-2' },
    'offset-lr': { type: 'string', default: String(OFFSET_LR) },
    'qat-offset-lr': { type: 'string', default: String(QAT_OFFSET_LR) },
    'lr-floor': { type: 'string', default: String(LR_FLOOR) },
    warmup: { type: 'string', default: String(WARMUP_STEPS) },
    'qat-lr-floor': { type: 'string', default: String(QAT_LR_FLOOR) },
    'qat-lr': { type: 'string', default: '1e-3' },
    percentile: { type: 'string', default: '99.99' },
    'weight-scale': { type: 'string', default: 'mse' },
    'act-range': { type: 'string', default: PTQ_DEFAULTS.actRange },
    'no-bias-correction': { type: 'boolean', default: false },
    'no-adaround': { type: 'boolean', default: false },
    'adaround-iterations': { type: 'string', default: String(ADAROUND_ITERATIONS) },
    'qat-init': { type: 'string', default: QAT_INIT },
    'qat-act-range': { type: 'string', default: QAT_ACT_RANGE },
    seeds: { type: 'string' },
    'compare-logs': { type: 'string' },
    calib: { type: 'string', default: String(QAT_CALIB_IMAGES) },
    // 2000 val images: AP50 of one model on 500 moved by up to a point against 2000 (float 63.9 vs 64.9).
    eval: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '0' },
    'data-seed': { type: 'string', default: '0' },
    dense: { type: 'boolean', default: false },
    'learn-scales': { type: 'boolean', default: false },
    threads: { type: 'string' },
    float: { type: 'string' },
    out: { type: 'string', default: 'build/bench-accuracy' },
  },
});
/** A mistake in the arguments: its message and exit 2, as the CLI does. */
const orExit2 = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    console.error(e.message);
    process.exit(2);
  }
};
if (a['compare-logs'] !== undefined) {
  for (const line of orExit2(() => compareTrainLogs(a['compare-logs']!.split(',').filter(Boolean)))) console.log(line);
  process.exit(0);
}
if (a.seeds !== undefined) {
  await runSeeds(orExit2(() => parseSeeds(a.seeds!)));
  process.exit(0);
}
const spec = findZooSpec(a.zoo!)!;
// --seed: the training run (initial weights, training images); --data-seed: the val and calibration
// images, fixed by default so runs of different seeds are scored on the same images.
const input = Number(a.input), batch = Number(a.batch), seed = Number(a.seed), dataSeed = Number(a['data-seed']);
const out = a.out!;
/** A flag that takes one of two words. */
const oneOf = (flag: 'weight-scale' | 'act-range' | 'qat-init' | 'qat-act-range', x: string, y: string) => {
  if (a[flag] !== x && a[flag] !== y) throw new UserError(`--${flag} must be ${x} or ${y}, got ${a[flag]}`);
};
orExit2(() => {
  oneOf('weight-scale', 'mse', 'max');
  oneOf('act-range', 'mse', 'percentile');
  oneOf('qat-init', 'float', 'ptq');
  oneOf('qat-act-range', 'mse', 'percentile');
});
// QAT's quantizer: activation ranges by MSE or at --percentile, weight scales by mse or max.
const qopts: QuantizeOptions = { ...(a['qat-act-range'] === 'mse' ? { actRange: 'mse' as const } : { percentile: Number(a.percentile) }), weightScale: a['weight-scale'] as WeightScaleMode };
// The calibration-only row: `codenet quantize`'s defaults, each switchable.
const ptqOpts: QuantizeOptions = {
  weightScale: qopts.weightScale, actRange: a['act-range'] as ActRangeMode, ...(a['act-range'] === 'percentile' ? { percentile: Number(a.percentile) } : {}),
  biasCorrection: !a['no-bias-correction'], adaround: !a['no-adaround'], adaroundIterations: Number(a['adaround-iterations']),
};
const runQat = a['qat-steps'] === undefined || Number(a['qat-steps']) > 0;
mkdirSync(out, { recursive: true });
const log = (m: string) => console.log(m);

const threads = a.threads === undefined ? undefined : Number(a.threads);
/** Exactly --steps N steps, or as many as fit --minutes. */
const budget = (steps: string | undefined, minutes: string) => (steps !== undefined ? { steps: Number(steps) } : { steps: MAX_STEPS, minutes: Number(minutes) });
const floatDir = a.float ?? join(out, 'float');
let float: TrainLog;
if (a.float) float = JSON.parse(readFileSync(join(a.float, 'train-log.json'), 'utf8')) as TrainLog;
else {
  float = await trainFloat({ spec, input, ...budget(a.steps, a.minutes!), batch, lr: Number(a.lr), offsetLr: Number(a['offset-lr']), lrFloor: Number(a['lr-floor']), warmup: Number(a.warmup), seed, out: floatDir, log, dense: a.dense, threads });
  writeFileSync(join(floatDir, 'train-log.json'), JSON.stringify(float) + '\n');
}
const planned = (l: TrainLog) => (l.plannedSteps !== undefined ? ` (planned for the budget)` : '');
console.log(`float training${a.float ? ` (${a.float})` : ''}: ${float.steps} steps${planned(float)} x ${float.batch} images, ${(float.seconds / 60).toFixed(1)} min, ${float.imagesPerSecond.toFixed(1)} images/s on tfjs ${float.backend}, ${float.threads} thread(s)`);
const val = makeDataset({ seed: dataSeed, count: Number(a.eval), size: input, split: 'val' });
const calib = makeDataset({ seed: dataSeed, count: Number(a.calib), size: input, split: 'train' }).map((s) => s.image);
// With --float nothing has chosen the backend yet: without this the float eval and the
// calibration-only quantization ran on tfjs's default (cpu), whose float32 sums differ from wasm's.
await initBackend({ log });
const fm = await loadFloatModel(floatDir);
const rFloat = evalFloat(fm, val);

// Calibration-only quantization can fail (e.g. a multiplier that fits no int16 S): the benchmark
// reports the failure and goes on to QAT.
let rPtq: EvalResult | string;
try {
  const t0 = performance.now();
  const ptq = quantizeFloatModel(fm, calib, ptqOpts).model;
  console.log(`calibration-only quantization: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(join(out, 'ptq.json'), serializeModel(ptq));
  rPtq = evalInteger(ptq, val);
} catch (e) {
  if (!(e instanceof UserError)) throw e;
  rPtq = `failed: ${e.message}`;
}

const qat = runQat ? await trainQat({ input, ...budget(a['qat-steps'], a['qat-minutes']!), batch, lr: Number(a['qat-lr']), offsetLr: Number(a['qat-offset-lr']), lrFloor: Number(a['qat-lr-floor']), seed: seed + 1, out: join(out, 'qat'), from: floatDir, calib, learnScales: a['learn-scales'], log, dense: a.dense, threads, ...qopts, init: a['qat-init'] as QatInit, biasCorrection: ptqOpts.biasCorrection, adaround: ptqOpts.adaround, adaroundIterations: ptqOpts.adaroundIterations }) : undefined;
let rQat: EvalResult | undefined;
if (qat) {
  writeFileSync(join(out, 'qat.json'), serializeModel(qat.model));
  console.log(`QAT: ${qat.log.steps} steps${planned(qat.log)} x ${qat.log.batch} images, ${(qat.log.seconds / 60).toFixed(1)} min, ${qat.log.imagesPerSecond.toFixed(1)} images/s, ${qat.log.threads} thread(s)`);
  rQat = evalInteger(qat.model, val);
}

const row = (what: string, r: EvalResult | string) => typeof r === 'string' ? { what, error: r }
  : { what, mAP50: r.mAP, perClass: Object.fromEntries(r.classes.map((c, i) => [c, r.perClass[i]])), evalSeconds: r.seconds };
const rows = [row('float (tfjs)', rFloat), row('W4A8 calibration only (golden model)', rPtq), ...(rQat ? [row('W4A8 after QAT (golden model)', rQat)] : [])];
console.log(`\nAP50 (Pascal VOC, all-point) of ${spec.name} at ${input} px on ${val.length} images of the built-in val split`);
for (const r of rows) console.log(`${r.what.padEnd(40)} ${'error' in r ? r.error : (100 * r.mAP50).toFixed(1).padStart(5)}`);
if (typeof rPtq !== 'string') console.log(`calibration only - float: ${(100 * (rPtq.mAP - rFloat.mAP)).toFixed(1)} points`);
if (rQat && qat) console.log(`QAT - float: ${(100 * (rQat.mAP - rFloat.mAP)).toFixed(1)} points; training ${((float.seconds + qat.log.seconds) / 60).toFixed(1)} min in total`);
writeFileSync(join(out, 'accuracy.json'), JSON.stringify({
  model: spec.name, input, seed, dataSeed, valImages: val.length, calibrationImages: calib.length, quantizer: qopts, calibrationOnly: ptqOpts,
  float: { from: floatDir, backend: float.backend, threads: float.threads, lr: a.float ? undefined : Number(a.lr), offsetLr: a.float ? undefined : Number(a['offset-lr']), lrFloor: a.float ? undefined : Number(a['lr-floor']), warmup: a.float ? undefined : Number(a.warmup), dense: a.dense, steps: float.steps, plannedSteps: float.plannedSteps, batch: float.batch, seconds: float.seconds, imagesPerSecond: float.imagesPerSecond, finalLoss: float.loss.at(-1) },
  ...(qat ? { qat: { init: a['qat-init'], learnScales: a['learn-scales'], lr: Number(a['qat-lr']), offsetLr: Number(a['qat-offset-lr']), lrFloor: Number(a['qat-lr-floor']), threads: qat.log.threads, steps: qat.log.steps, plannedSteps: qat.log.plannedSteps, batch: qat.log.batch, seconds: qat.log.seconds, imagesPerSecond: qat.log.imagesPerSecond, finalLoss: qat.log.loss.at(-1) } } : {}),
  rows,
}, null, 2) + '\n');

/**
 * --seeds: the benchmark once per seed, each in its own process (the same options but --seeds,
 * --seed S and --out DIR/seed-S), one after another; then the table and the training-log comparison.
 */
async function runSeeds(seeds: number[]): Promise<void> {
  const base = a.out!;
  const pass: string[] = [];
  for (let i = 2; i < process.argv.length; i++) {
    const arg = process.argv[i];
    const name = arg.replace(/^--/, '').replace(/=.*$/, '');
    if (['seeds', 'seed', 'out'].includes(name)) { if (!arg.includes('=')) i++; continue; }
    pass.push(arg);
  }
  const rows: SeedRow[] = [];
  for (const s of seeds) {
    const dir = join(base, `seed-${s}`);
    console.log(`\n=== seed ${s} (${dir}) ===`);
    const t0 = performance.now();
    // The same node flags (--single-threaded-gc) and the TypeScript runner this process runs under.
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url)), process.argv[1], ...pass, '--seed', String(s), '--out', dir], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`the run of seed ${s} failed (exit ${r.status ?? r.signal})`);
    rows.push(rowFromAccuracy(s, JSON.parse(readFileSync(join(dir, 'accuracy.json'), 'utf8')), (performance.now() - t0) / 60000));
  }
  const table = seedTable(rows);
  console.log(`\nAP50 per seed (${seeds.join(', ')}), points:`);
  for (const line of table) console.log(line);
  writeFileSync(join(base, 'accuracy-seeds.json'), JSON.stringify({ seeds, options: pass, rows, summary: summarize(rows) }, null, 2) + '\n');
  console.log(`wrote ${join(base, 'accuracy-seeds.json')}`);
  const logs = seeds.map((s) => a.float ?? join(base, `seed-${s}`, 'float'));
  console.log('\nfloat training, seed by seed:');
  for (const line of compareTrainLogs(logs, seeds.map((s) => `seed ${s}`))) console.log(line);
}
