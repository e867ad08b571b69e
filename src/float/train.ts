/**
 * `codenet train`: Adam on the CenterNet loss (src/float/loss.ts) over freshly rendered batches of
 * the built-in data set (every step new images: no epochs, no overfitting to a fixed set), with a
 * cosine learning-rate decay. Float training here; quantization-aware fine-tuning (src/quant/qat.ts)
 * runs the same loop over the integer forward.
 */
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, imagesToTensor, initBackend } from './model.ts';
import { centerNetLoss, stackTargets } from './loss.ts';
import { loadFloatModel, saveFloatModel } from './io.ts';
import { availableParallelism } from 'node:os';
import { makeSample, makeTargets, NUM_CLASSES, sampleSeed, type Sample } from '../data/shapes.ts';
import { FlatAdam, offsetLrScale, readFlat, writeFlat } from './adam.ts';
import { LR_FLOOR, OFFSET_LR, WARMUP_STEPS } from './defaults.ts';
import { GradientWorker, type FloatWorkerInit } from './parallel.ts';
import type { ZooSpec } from '../zoo/specs.ts';
import { fail } from '../util/errors.ts';
import { centerNetHeads } from '../detect/heads.ts';
import { progress } from '../util/progress.ts';
import { labelledBatches, type BatchSource, type TrainDataSpec } from '../data/batches.ts';

export interface StepOptions {
  input: number;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  /**
   * Wall-clock budget in minutes. The first PLAN_STEPS steps (at the initial learning rate), or
   * a longer warm-up, time the machine (planPoints); then the run's length is set to the steps
   * that fit the rest of the budget (at most `steps`), and the learning rate follows that count. The count is logged: `steps` alone
   * with that count gives the same model, on any machine (a schedule that followed elapsed time
   * made two runs of one seed end 7.8 AP50 points apart). No step starts past the budget.
   */
  minutes?: number;
  /** Dense wh and reg targets around every centre (data/shapes.ts makeTargets). */
  dense?: boolean;
  /** The offset convs' learning rate as a fraction of `lr` (default OFFSET_LR; adam.ts offsetLrScale says why). */
  offsetLr?: number;
  /** The learning rate at the end of the cosine, as a fraction of `lr` (default LR_FLOOR; QAT: QAT_LR_FLOOR). */
  lrFloor?: number;
  /** Steps of linear learning-rate warm-up (default 0; float training: WARMUP_STEPS). */
  warmup?: number;
  /** Batches from a VOC or COCO folder (src/data/batches.ts) instead of the built-in set's. */
  data?: BatchSource;
}

export interface TrainOptions extends StepOptions {
  /** The network to build (a fresh model; with `resume`, only its name in logs). */
  spec: ZooSpec;
  out: string;
  /** Continue from this float model instead of a fresh one (any graph of the supported layers). */
  resume?: string;
  /** Threads computing gradients: 2 splits every batch with a worker thread (default: 2 on a machine with 2 or more cores). */
  threads?: number;
  log?: (msg: string) => void;
  /** Train on a VOC or COCO folder (each thread opens it from this description). */
  dataSpec?: TrainDataSpec;
}

export interface TrainLog {
  backend: string;
  /** Threads that computed gradients (data parallel, src/float/parallel.ts). */
  threads: number;
  steps: number;
  batch: number;
  input: number;
  seconds: number;
  imagesPerSecond: number;
  /** Total loss every step. */
  loss: number[];
  /** With a time budget: the steps planned from the speed of the first ones (see StepOptions.minutes). */
  plannedSteps?: number;
  /** The training data when not the built-in set. */
  data?: string;
  /** Every LOG_INTERVAL steps: loss terms, gradient norm (and for float training batch norm and dilations), to compare runs. */
  intervals?: TrainInterval[];
}

/** Steps per entry of TrainLog.intervals. */
export const LOG_INTERVAL = 50;

/** One logging interval of a training run (scripts/train-log-compare.ts compares runs by them). */
export interface TrainInterval {
  /** Steps [from, to) of the run. */
  from: number;
  to: number;
  /** The learning rate at its last step. */
  lr: number;
  /** Mean of each loss term over the interval (total = hm + 0.1 wh + reg, plus an extra term such as distillation where there is one). */
  loss: { total: number; hm: number; wh: number; reg: number };
  /** The global L2 norm of the step's gradient (the whole batch's): mean and largest over the interval. */
  gradNorm: { mean: number; max: number };
  /** Per batch-norm layer at the interval's end: its moving variance's mean, min, max and channels below 1e-4. */
  batchNorm?: Array<{ layer: string; mean: number; min: number; max: number; low: number }>;
  /** Per deformable layer at the interval's end: the dilation's mean and share of each value 0..dmax over a fixed batch. */
  dilation?: Array<{ layer: string; mean: number; share: number[] }>;
}

/** Gradient threads: `threads` if given (1 or 2), else both cores of a 2-core machine, one on a single core. */
export function gradientThreads(threads?: number): number {
  const t = threads ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(t) || t < 1 || t > 2) fail(`--threads must be 1 or 2, got ${t}`);
  return t;
}

/**
 * Steps at the initial learning rate before the decay; a time budget plans the run's length from
 * their speed (the mean step of PLAN_SKIP..PLAN_STEPS). 60, not fewer: the mean of steps 5-20 was
 * 11% above a whole run's mean in one benchmark run, and the plan left 3.2 of 25 minutes unused.
 * (A median of steps 10-60 left 1.1 minutes of 25 but under-planned QAT, whose occasional slow
 * steps it ignored: one QAT run stopped at the budget 35 steps short of its plan.)
 */
export const PLAN_STEPS = 60;
/** Of those, the first are not timed: JIT compilation and the worker's warm-up make them slow. */
const PLAN_SKIP = 10;
/** The share of the remaining budget the plan fills: steps later in a run can be a little slower. */
const PLAN_FILL = 0.97;

/**
 * A linear warm-up over the first `warmup` steps (from lr / warmup), lr up to step PLAN_STEPS if
 * the warm-up is shorter, then a cosine decay to lr * floor over the rest of the run (fresh data
 * every step: no epochs to schedule by). The steps before the decay do not depend on the run's
 * length, so a time budget can fix the length after its first PLAN_STEPS (runSteps).
 */
export const learningRate = (lr: number, step: number, steps: number, floor = LR_FLOOR, warmup = 0): number => {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const hold = Math.max(PLAN_STEPS, warmup);
  return step < hold ? lr : lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos((Math.PI * (step - hold)) / Math.max(1, steps - hold))));
};

/**
 * The run's length, planned at step `at` from the speed of the steps timed: as many steps as fit
 * the rest of the budget (PLAN_FILL of it), at most `cap` and at least `at`.
 */
export function plannedSteps(cap: number, budgetSeconds: number, elapsed: number, secondsPerStep: number, at = PLAN_STEPS): number {
  const fit = at + Math.floor((PLAN_FILL * (budgetSeconds - elapsed)) / secondsPerStep);
  return Math.max(at, Math.min(cap, fit));
}

/**
 * Where a budgeted run is planned and from which step it is timed: at PLAN_STEPS from step
 * PLAN_SKIP, or with a longer warm-up at its end from step PLAN_STEPS. The warm-up does not depend
 * on the run's length either, and the later steps time the machine better: steps 10-60 ran at 88%
 * of a whole float run's speed, so a plan made there left 3.5 of 25 minutes unused.
 */
export const planPoints = (warmup = 0): { at: number; from: number } =>
  warmup > PLAN_STEPS ? { at: warmup, from: PLAN_STEPS } : { at: PLAN_STEPS, from: PLAN_SKIP };

export function checkStepOptions(o: StepOptions): void {
  for (const [k, v, min] of [['steps', o.steps, 1], ['batch', o.batch, 1], ['input', o.input, 16]] as const)
    if (!Number.isInteger(v) || v < min) fail(`--${k} must be a whole number >= ${min}, got ${v}`);
  if (!(o.lr > 0 && o.lr < 1)) fail(`--lr must be in (0, 1), got ${o.lr}`);
  if (o.minutes !== undefined && !(o.minutes > 0)) fail(`--minutes must be > 0, got ${o.minutes}`);
  if (o.offsetLr !== undefined && !(o.offsetLr >= 0 && o.offsetLr <= 1)) fail(`--offset-lr must be in [0, 1], got ${o.offsetLr}`);
  if (o.lrFloor !== undefined && !(o.lrFloor >= 0 && o.lrFloor <= 1)) fail(`--lr-floor must be in [0, 1], got ${o.lrFloor}`);
  if (o.warmup !== undefined && !(Number.isInteger(o.warmup) && o.warmup >= 0)) fail(`--warmup must be a whole number of steps, got ${o.warmup}`);
}

/** The network's three outputs for a batch (images as uint8 HWC and as the normalised tensor). */
export type Forward = (images: Uint8Array[], x: tf.Tensor4D) => { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor };

/** The built-in data set's targets have NUM_CLASSES heat-map channels: so must the model trained on it (or the classes of the --data set). */
export function checkClasses(classes: number, what: string, data?: BatchSource): void {
  if (data && classes !== data.classes) fail(`${what}: its hm head has ${classes} classes; the training data ${data.description} has ${data.classes}`);
  if (!data && classes !== NUM_CLASSES) fail(`${what}: its hm head has ${classes} classes; training on the built-in data set needs ${NUM_CLASSES}`);
}

/** A float model's training-mode forward (batch statistics in batch norm); heads by name or in order (detect/heads.ts). */
export const floatForward = (fm: tf.LayersModel, data?: BatchSource): Forward => {
  const h = centerNetHeads(fm.outputs.map((o) => o.sourceLayer.name), fm.outputs.map((o) => o.shape[3] as number), `float model ${fm.name}`);
  checkClasses(fm.outputs[h.hm].shape[3] as number, `float model ${fm.name}`, data);
  return (_images, x) => {
    const ys = fm.apply(x, { training: true }) as tf.Tensor[];
    return { hm: ys[h.hm], wh: ys[h.wh], reg: ys[h.reg] };
  };
};

/** A term added to the CenterNet loss (e.g. distillation, src/codesign/distill.ts), given the predictions and the input batch; runSteps adds it on this thread only, so it runs without a helper. */
export type ExtraLoss = (pred: { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor }, x: tf.Tensor4D) => tf.Scalar;

/** The loss and flat gradient of samples [from, to) of one step's batch. */
export interface HalfBatch {
  grads: Float32Array;
  loss: number;
  /** Objects (centre cells) in these samples: the loss is a mean over them. */
  objects: number;
  /** The CenterNet loss terms hm, wh, reg of these samples (for the training log). */
  terms?: number[];
}

/**
 * The CenterNet loss of samples [from, to) of the data stream `stream` (train split) and its
 * gradient with respect to `vars`, flattened in their order. Sample i of a step is the same
 * image whichever thread renders it (shapes.ts: a pure function of the stream and i).
 */
export function halfBatchGradients(forward: Forward, vars: tf.Variable[], b: { stream: number; from: number; to: number; input: number; dense?: boolean; samples?: Sample[]; classes?: number; extraLoss?: ExtraLoss }): HalfBatch {
  // The built-in set renders sample i of the stream here; a VOC / COCO source made them (src/data/batches.ts).
  const batch: Sample[] = b.samples ?? [];
  if (!b.samples) for (let i = b.from; i < b.to; i++) batch.push(makeSample(sampleSeed(b.stream, 'train', i), b.input, b.input));
  const images = batch.map((s) => s.image);
  const targets = batch.map((s) => makeTargets(s.boxes, b.input, b.input, b.classes ?? NUM_CLASSES, 4, 128, { dense: b.dense }));
  const objects = targets.reduce((n, t) => n + t.regMask.reduce((a, v) => a + v, 0), 0);
  const x = imagesToTensor(images, b.input, b.input);
  const gt = stackTargets(targets);
  let terms: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const pred = forward(images, x);
    const parts = centerNetLoss(pred, gt);
    terms = [parts.hm, parts.wh, parts.reg].map((t) => tf.keep(t));
    const base = parts.total;
    return b.extraLoss ? (tf.add(base, b.extraLoss(pred, x)) as tf.Scalar) : base;
  }, vars);
  const flat = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
  let o = 0;
  for (const v of vars) {
    const g = grads[v.name];
    if (g) flat.set(g.dataSync() as Float32Array, o); // a variable the loss does not reach keeps 0
    o += v.size;
  }
  const loss = value.dataSync()[0];
  const termValues = terms.map((t) => t.dataSync()[0]);
  tf.dispose([x, gt.hm, gt.wh, gt.reg, gt.mask, gt.weight, value, ...Object.values(grads), ...terms]);
  return { grads: flat, loss, objects, terms: termValues };
}

/**
 * The training loop: `steps` Adam steps on fresh batches (data stream `seed`), optimising `vars`.
 * With a `helper` (a worker thread, src/float/parallel.ts) the batch is split in two: the helper
 * computes the gradient of the second half while this thread computes the first, and the two are
 * combined weighted by their objects, as the loss of the whole batch would weigh them (the loss
 * is a mean over objects). Returns the loss of every step and the wall time.
 */
export async function runSteps(o: StepOptions & { label: string; forward: Forward; vars: tf.Variable[]; helper?: GradientWorker; log?: (msg: string) => void; clock?: () => number; extraLoss?: ExtraLoss; monitor?: () => Pick<TrainInterval, 'batchNorm' | 'dilation'> }): Promise<{ loss: number[]; seconds: number; plannedSteps?: number; intervals: TrainInterval[] }> {
  const now = o.clock ?? (() => performance.now()); // milliseconds; a test passes a virtual clock
  const weights = readFlat(o.vars);
  const adam = new FlatAdam(weights.length, offsetLrScale(o.vars, o.offsetLr ?? OFFSET_LR));
  const loss: number[] = [];
  const bar = progress(o.label);
  const t0 = now();
  const budget = o.minutes === undefined ? Infinity : o.minutes * 60;
  const split = o.helper && o.batch > 1 ? Math.ceil(o.batch / 2) : o.batch;
  let steps = o.steps, planned: number | undefined, tSkip = 0;
  const plan = planPoints(o.warmup);
  const log = new IntervalLog(o.monitor);
  for (let step = 0; step < steps; step++) {
    const elapsed = (now() - t0) / 1000;
    if (step > 0 && elapsed >= budget) {
      if (planned !== undefined) o.log?.(`${o.label}: the time budget ran out at step ${step} of the ${planned} planned (the machine slowed down); the learning rate had not finished its decay`);
      break;
    }
    if (step === plan.from) tSkip = elapsed;
    if (step === plan.at && o.minutes !== undefined) {
      steps = planned = plannedSteps(o.steps, budget, elapsed, (elapsed - tSkip) / (plan.at - plan.from), plan.at);
      // The repeat's default warm-up depends on the command (none with --resume or --qat): name any warm-up.
      const again = o.warmup ? ` --warmup ${o.warmup}` : '';
      o.log?.(`${o.label}: ${planned} steps fit ${o.minutes} minutes here (--steps ${planned}${again} repeats this run without a budget)`);
    }
    const lr = learningRate(o.lr, step, steps, o.lrFloor, o.warmup);
    const stream = o.seed * 1_000_003 + step;
    const other = split < o.batch ? o.helper!.request({ weights, stream, from: split, to: o.batch, dense: o.dense }) : undefined;
    const samples = o.data ? await o.data.samples(stream, 0, split, o.input) : undefined;
    const mine = halfBatchGradients(o.forward, o.vars, { stream, from: 0, to: split, input: o.input, dense: o.dense, samples, classes: o.data?.classes, extraLoss: o.extraLoss });
    const parts = other ? [mine, await other] : [mine];
    const w = parts.map((p) => Math.max(1, p.objects)), total = w.reduce((a, v) => a + v, 0);
    const grads = parts.length === 1 ? mine.grads : mine.grads.map((g, i) => (w[0] * g + w[1] * parts[1].grads[i]) / total);
    loss.push(parts.reduce((a, p, i) => a + (w[i] * p.loss) / total, 0));
    log.step(step, lr, loss[step], [0, 1, 2].map((k) => parts.reduce((a, p, i) => a + (w[i] * (p.terms?.[k] ?? NaN)) / total, 0)), grads);
    if (!Number.isFinite(loss[step])) fail(`training diverged at step ${step} (loss ${loss[step]}); lower --lr`);
    adam.step(weights, grads, lr);
    writeFlat(o.vars, weights);
    const s = (now() - t0) / 1000;
    bar.update(step + 1, steps, `loss ${loss[step].toFixed(3)}, ${(((step + 1) * o.batch) / s).toFixed(1)} images/s`);
  }
  bar.finish();
  log.flush();
  return { loss, seconds: (now() - t0) / 1000, plannedSteps: planned, intervals: log.intervals };
}

/** Collects TrainLog.intervals: means over LOG_INTERVAL steps, then the monitor's snapshot. */
class IntervalLog {
  readonly intervals: TrainInterval[] = [];
  private from = 0;
  private to = 0;
  private lr = 0;
  private sums = [0, 0, 0, 0];
  private norms: number[] = [];
  constructor(private readonly monitor?: () => Pick<TrainInterval, 'batchNorm' | 'dilation'>) {}

  step(step: number, lr: number, total: number, terms: number[], grads: Float32Array): void {
    let sq = 0;
    for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
    this.norms.push(Math.sqrt(sq));
    [total, ...terms].forEach((v, k) => (this.sums[k] += v));
    [this.to, this.lr] = [step + 1, lr];
    if (this.to - this.from === LOG_INTERVAL) this.flush();
  }

  flush(): void {
    const n = this.to - this.from;
    if (!n) return;
    const [total, hm, wh, reg] = this.sums.map((v) => v / n);
    this.intervals.push({
      from: this.from, to: this.to, lr: this.lr, loss: { total, hm, wh, reg },
      gradNorm: { mean: this.norms.reduce((a, v) => a + v, 0) / n, max: Math.max(...this.norms) },
      ...this.monitor?.(),
    });
    [this.from, this.sums, this.norms] = [this.to, [0, 0, 0, 0], []];
  }
}

export async function trainFloat(o: TrainOptions): Promise<TrainLog> {
  checkStepOptions(o);
  const backend = await initBackend({ log: o.log });
  const data = o.dataSpec ? labelledBatches(o.dataSpec) : undefined;
  if (data) o.log?.(`training data: ${data.description}`);
  const classes = data?.classes ?? NUM_CLASSES;
  const fm = o.resume ? await loadFloatModel(o.resume) : buildFloatModel(o.spec, { classes, seed: o.seed, input: o.input });
  if (fm.inputs[0].shape[1] !== o.input) fail(`model ${o.resume} takes ${fm.inputs[0].shape[1]}-pixel images, --input is ${o.input}`);
  const dilated = fm.layers.find((l) => l.getClassName() === 'DepthwiseConv2D' && [l.getConfig().dilationRate].flat().some((d) => Number(d) > 1));
  if (dilated) fail(`model ${o.resume}: float training has no gradient for the dilated depthwise conv "${dilated.name}" (tfjs has none); fine-tune it with --qat`);
  const vars = fm.trainableWeights.map((v) => v.read() as tf.Variable);
  const threads = gradientThreads(o.threads);
  // The worker builds (or loads) the same network; the weights it starts from come with every request.
  const forward = floatForward(fm, data);
  const helper = threads > 1 ? new GradientWorker({ kind: 'float', spec: o.spec, classes, input: o.input, seed: o.seed, from: o.resume, data: o.dataSpec } satisfies FloatWorkerInit) : undefined;
  try {
    const { loss, seconds, plannedSteps, intervals } = await runSteps({ ...o, warmup: o.warmup ?? defaultWarmup(o.steps, o.resume), data, label: `training ${fm.name} (${backend}, ${threads} thread${threads > 1 ? 's' : ''})`, forward, vars, helper, monitor: trainingMonitor(fm, o.input) });
    await saveFloatModel(fm, o.out);
    return { backend, threads, steps: loss.length, batch: o.batch, input: o.input, seconds, imagesPerSecond: (loss.length * o.batch) / seconds, loss, plannedSteps, ...(data ? { data: data.description } : {}), intervals };
  } finally {
    await helper?.close();
  }
}

/** Float training's warm-up: WARMUP_STEPS from fresh weights, at most a tenth of the run's `steps` (the cap of a budgeted run); none when resuming. */
export const defaultWarmup = (steps: number, resume?: string): number => (resume ? 0 : Math.min(WARMUP_STEPS, Math.floor(steps / 10)));

/** Images of a fixed batch (stream MONITOR_STREAM of the train split) the training log measures dilations on. */
const MONITOR_IMAGES = 8;
const MONITOR_STREAM = 987_654_321;

/**
 * The float model's state at the end of a logging interval: each batch norm's moving variance
 * (a collapsing or exploding layer shows there) and each deformable layer's dilation map over a
 * fixed batch (inference mode), so runs of different seeds can be compared.
 */
export function trainingMonitor(fm: tf.LayersModel, input: number): () => Pick<TrainInterval, 'batchNorm' | 'dilation'> {
  const bns = fm.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  const deform = fm.layers.filter((l) => l.getClassName() === 'CodenetDeformDepthwise');
  const offsets = deform.map((l) => [l.input].flat()[1] as tf.SymbolicTensor);
  const probe = deform.length ? tf.model({ inputs: fm.inputs, outputs: offsets }) : undefined;
  const images = Array.from({ length: MONITOR_IMAGES }, (_, i) => makeSample(sampleSeed(MONITOR_STREAM, 'train', i), input, input).image);
  return () => {
    const batchNorm = bns.map((l) => {
      const v = l.getWeights().at(-1)!.dataSync(); // moving variance (the last weight)
      let sum = 0, min = Infinity, max = -Infinity, low = 0;
      for (const x of v) { sum += x; min = Math.min(min, x); max = Math.max(max, x); low += x < 1e-4 ? 1 : 0; }
      return { layer: l.name, mean: sum / v.length, min, max, low };
    });
    const dilation = tf.tidy(() => {
      if (!probe) return [];
      const outs = [probe.predict(imagesToTensor(images, input, input))].flat() as tf.Tensor[];
      return deform.map((l, k) => {
        const dmax = Number(l.getConfig().dmax);
        const share = new Array(dmax + 1).fill(0);
        const off = outs[k].dataSync();
        let sum = 0;
        for (const x of off) {
          const d = Math.min(dmax, Math.max(0, Math.floor(x + 0.5))); // the deformable layer's rounding
          share[d]++;
          sum += d;
        }
        return { layer: l.name, mean: sum / off.length, share: share.map((c) => c / off.length) };
      });
    });
    return { batchNorm, dilation };
  };
}
