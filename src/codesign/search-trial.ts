/**
 * One search trial: an independent job, described by a JSON file (trials/NNNN.json) and answered
 * by another (results/NNNN.json), so a trial runs the same in this process, in a child process of
 * the CLI (--jobs) or as a task of a cluster job (--emit). A trial builds its candidate network,
 * trains it for the proxy (or not: the capacity proxy), quantizes it, evaluates it through the
 * golden model and compiles it for its hardware config: the latency is the cycle model of that
 * program (modelPerf, what `codenet perf` prints for the saved model and config).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HwConfigSchema, validateHwConfig, type HwConfig } from '../hw/config.ts';
import { describeZodIssues, fail, UserError } from '../util/errors.ts';
import { writeFilesAtomically } from '../io/atomic.ts';
import { serializeModel } from '../ir/save.ts';
import type { Model } from '../ir/model.ts';
import { ModelPointSchema } from './search-space.ts';
import { estimateResources } from './search-resources.ts';

export const ProxySchema = z.strictObject({
  /** train: AP50 through the golden model after `steps` training steps; capacity: no training, log2 of the MACs (a ranking stand-in for tests). */
  kind: z.enum(['train', 'capacity']),
  steps: z.number().int().min(0),
  batch: z.number().int().min(1),
  lr: z.number().positive(),
  seed: z.number().int().min(0),
  /** Built-in validation images of the AP50, and training images of the quantizer's calibration. */
  evalImages: z.number().int().min(1),
  calibImages: z.number().int().min(1),
  /** A trained float model (folder or model.json) whose weights start each candidate's training, cropped where shapes allow (search-warm.ts); absent: from scratch. */
  init: z.string().min(1).optional(),
});
export type Proxy = z.infer<typeof ProxySchema>;

export const TrialSpecSchema = z.strictObject({
  index: z.number().int().min(0),
  classes: z.number().int().min(1),
  model: ModelPointSchema,
  hw: HwConfigSchema,
  proxy: ProxySchema,
});
export type TrialSpec = z.infer<typeof TrialSpecSchema>;

const ResourcesSchema = z.strictObject({ lut: z.number(), ff: z.number(), dsp: z.number(), bram36: z.number() });

export const TrialResultSchema = z.strictObject({
  index: z.number().int().min(0),
  name: z.string(),
  model: ModelPointSchema,
  hw: HwConfigSchema,
  /** Cycle model of the compiled program. */
  cycles: z.number(),
  fps: z.number(),
  macs: z.number(),
  /** The analytic estimate (search-resources.ts). */
  resources: ResourcesSchema,
  /** AP50 (0..1) through the golden model, or the capacity score, as the proxy says. */
  accuracy: z.strictObject({ metric: z.enum(['ap50', 'capacity']), value: z.number() }),
  trainLoss: z.array(z.number()),
  /** Why the candidate's program does not compile for its config (then no cycles, accuracy or model; not on the front). */
  infeasible: z.string().optional(),
});
export type TrialResult = z.infer<typeof TrialResultSchema>;

export const trialName = (i: number) => String(i).padStart(4, '0');
export const trialSpecPath = (dir: string, i: number) => join(dir, 'trials', `${trialName(i)}.json`);
export const trialResultPath = (dir: string, i: number) => join(dir, 'results', `${trialName(i)}.json`);
/** The trial's quantized integer model (what --materialize generates hardware for). */
export const trialModelPath = (dir: string, i: number) => join(dir, 'models', `${trialName(i)}.json`);
export const trialHwPath = (dir: string, i: number) => join(dir, 'models', `${trialName(i)}.hw.json`);

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${what} ${path}: not valid JSON (${(e as Error).message})`);
  }
}

export function loadTrialSpec(path: string): TrialSpec {
  const r = TrialSpecSchema.safeParse(readJson(path, 'trial spec'));
  if (!r.success) fail(describeZodIssues(`trial spec ${path}`, r.error.issues));
  validateHwConfig(r.data.hw, `${path} field "hw"`);
  return r.data;
}

export function loadTrialResult(path: string): TrialResult {
  const r = TrialResultSchema.safeParse(readJson(path, 'trial result'));
  if (!r.success) fail(describeZodIssues(`trial result ${path}`, r.error.issues));
  return r.data;
}

/** Runs the trial of `dir`/trials/<index>.json and writes its result and model (atomically, each). */
export async function runTrialFile(dir: string, index: number, log?: (m: string) => void, cache?: ProxyCache): Promise<TrialResult> {
  const path = trialSpecPath(dir, index);
  if (!existsSync(path)) fail(`--index ${index}: no trial ${path} in ${dir} (a folder written by codenet search --emit or -o)`);
  const spec = loadTrialSpec(path);
  if (spec.index !== index) fail(`trial spec ${path}: field "index" is ${spec.index}, not ${index}`);
  const { result, modelJson } = await runTrial(spec, log, cache);
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'results'), { recursive: true });
  if (modelJson !== undefined) writeFilesAtomically(join(dir, 'models'), [
    { name: `${trialName(index)}.json`, data: modelJson },
    { name: `${trialName(index)}.hw.json`, data: JSON.stringify(spec.hw, null, 1) + '\n' },
  ]);
  writeFilesAtomically(join(dir, 'results'), [{ name: `${trialName(index)}.json`, data: JSON.stringify(result, null, 1) + '\n' }]);
  return result;
}

/**
 * The proxy's outcome depends on the model point, classes and proxy only (not the hardware), so
 * trials run in one process share it: the quantized model, its accuracy and its losses (the same
 * values a separate process computes, as every step is seeded).
 */
export type ProxyCache = Map<string, { model: Model; accuracy: number; trainLoss: number[] }>;

/** The trial itself: no files (the caller stores the model and result). */
export async function runTrial(spec: TrialSpec, log?: (m: string) => void, cache?: ProxyCache): Promise<{ result: TrialResult; modelJson?: string }> {
  // Heavy modules on demand: planning and collecting need none of them.
  const { initBackend } = await import('../float/model.ts');
  const { buildFloatGraph } = await import('../float/graph-builder.ts');
  const { finetune } = await import('./distill.ts');
  const { makeDataset } = await import('../data/shapes.ts');
  const { quantizeFloatModel } = await import('../quant/quantize.ts');
  const { evalInteger } = await import('../detect/eval.ts');
  const { modelPerf } = await import('../perf/model.ts');
  const { pointGraph, pointName } = await import('./search-model.ts');
  const { graphTopology } = await import('../ops/graph.ts');
  const p = spec.proxy, hw: HwConfig = spec.hw;
  const name = pointName(spec.model);
  // The compiler's limits first (shapes only, no training): a config whose buffers cannot hold the
  // candidate's tensors is a result of the search, not an error of the run.
  try {
    modelPerf(graphTopology(pointGraph(spec.model, spec.classes, p.seed)), hw);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    const result = TrialResultSchema.parse({
      index: spec.index, name, model: spec.model, hw, cycles: 0, fps: 0, macs: 0, resources: estimateResources(hw),
      accuracy: { metric: p.kind === 'train' ? 'ap50' : 'capacity', value: 0 }, trainLoss: [], infeasible: e.message,
    } satisfies TrialResult);
    return { result };
  }
  const key = JSON.stringify([spec.model, spec.classes, p]);
  let proxied = cache?.get(key);
  if (!proxied) {
    await initBackend({ log });
    const fm = buildFloatGraph(pointGraph(spec.model, spec.classes, p.seed));
    try {
      if (p.init !== undefined && p.kind === 'train') {
        const { loadFloatModel } = await import('../float/io.ts');
        const { warmStart } = await import('./search-warm.ts');
        const trained = await loadFloatModel(p.init);
        try {
          warmStart(fm, trained);
        } finally {
          trained.dispose();
        }
      }
      let trainLoss: number[] = [];
      if (p.kind === 'train' && p.steps > 0) {
        const ft = await finetune(fm, undefined, { input: spec.model.input, steps: p.steps, batch: p.batch, lr: p.lr, seed: p.seed, distillWeight: 0, log });
        trainLoss = ft.loss;
      }
      const calib = makeDataset({ seed: p.seed, count: p.calibImages, size: spec.model.input, split: 'train' }).map((s) => s.image);
      const model = quantizeFloatModel(fm, calib).model;
      let accuracy: number;
      if (p.kind === 'train') {
        const r = evalInteger(model, makeDataset({ seed: p.seed, count: p.evalImages, size: spec.model.input, split: 'val' }));
        accuracy = Number.isFinite(r.mAP) ? r.mAP : 0;
      } else accuracy = Math.log2(Math.max(1, modelPerf(model, hw).macs));
      proxied = { model, accuracy, trainLoss };
      cache?.set(key, proxied);
    } finally {
      fm.dispose();
    }
  }
  const perf = modelPerf(proxied.model, hw);
  const result = TrialResultSchema.parse({
    index: spec.index, name, model: spec.model, hw, cycles: perf.cycles, fps: perf.fps, macs: perf.macs,
    resources: estimateResources(hw), accuracy: { metric: p.kind === 'train' ? 'ap50' : 'capacity', value: proxied.accuracy }, trainLoss: proxied.trainLoss,
  } satisfies TrialResult);
  return { result, modelJson: serializeModel(proxied.model) };
}
