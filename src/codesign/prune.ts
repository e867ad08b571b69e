/**
 * `codenet prune`: structured channel pruning of a float model for a hardware config, then
 * fine-tuning with distillation from the unpruned model. Writes the pruned float model (model.json,
 * weights.bin) and prune-report.json in one all-or-nothing step. docs/codesign.md is the guide.
 */
import * as tf from '@tensorflow/tfjs';
import type { HwConfig } from '../hw/config.ts';
import { fail } from '../util/errors.ts';
import { isFloatModelPath } from '../float/model-file.ts';
import { initBackend } from '../float/model.ts';
import { loadFloatModel, saveFloatModel } from '../float/io.ts';
import { checkStepOptions } from '../float/train.ts';
import { integerGraph } from '../quant/graph.ts';
import { modelPerf } from '../perf/model.ts';
import { analyseGraph, prunedModel } from './prune-graph.ts';
import { channelImportance, topChannels, type ImportanceMethod } from './prune-importance.ts';
import { LatencyModel, maxRatio, minWidths, proxyOf, ratioWidths, searchWidths, type TraceStep } from './prune-search.ts';
import { finetune, type FinetuneLog } from './distill.ts';
import { PruneReportSchema, type PruneReport } from './prune-report.ts';

export interface PruneOptions {
  targetFps?: number;
  ratio?: number;
  hw: HwConfig;
  importance: ImportanceMethod;
  /** The smallest share of a group's channels it keeps (at least one channel). */
  minKeep: number;
  /** The smallest share the head groups keep (their hidden widths and what feeds them; prune-graph.ts headGroups). */
  headMinKeep: number;
  /** Fine-tuning steps (0: none) and optional time budget, as `codenet train`. */
  steps: number;
  minutes?: number;
  batch: number;
  lr: number;
  seed: number;
  /** Distillation weight; 0 (or --no-distill) fine-tunes on the CenterNet loss alone. */
  distillWeight: number;
  /** Batches for taylor importance. */
  taylorBatches: number;
  out: string;
  log?: (m: string) => void;
}

export const PRUNE_REPORT = 'prune-report.json';

/** The checks on the options that need no model (exit 2, one message each). */
export function checkPruneOptions(o: Pick<PruneOptions, 'targetFps' | 'ratio' | 'minKeep' | 'headMinKeep' | 'steps' | 'distillWeight' | 'taylorBatches'>): void {
  if ((o.targetFps === undefined) === (o.ratio === undefined)) fail('give exactly one of --target-fps (search widths for a frame rate on the board) or --ratio (remove that share of the prunable channels)');
  // Infinity: "max", the fastest the floors allow.
  if (o.targetFps !== undefined && !(o.targetFps > 0)) fail(`--target-fps must be a number > 0 or max, got ${o.targetFps}`);
  if (o.ratio !== undefined && !(o.ratio > 0 && o.ratio < 1)) fail(`--ratio must be in (0, 1) (the share of prunable channels removed), got ${o.ratio}`);
  if (!(o.minKeep > 0 && o.minKeep <= 1)) fail(`--min-keep must be in (0, 1], got ${o.minKeep}`);
  if (!(o.headMinKeep > 0 && o.headMinKeep <= 1)) fail(`--head-min-keep must be in (0, 1], got ${o.headMinKeep}`);
  if (!Number.isInteger(o.steps) || o.steps < 0) fail(`--steps must be a whole number >= 0, got ${o.steps}`);
  if (!(o.distillWeight >= 0 && Number.isFinite(o.distillWeight))) fail(`--distill-weight must be a number >= 0, got ${o.distillWeight}`);
  if (!Number.isInteger(o.taylorBatches) || o.taylorBatches < 1) fail(`--taylor-batches must be a whole number >= 1, got ${o.taylorBatches}`);
}

export async function runPrune(path: string, o: PruneOptions): Promise<PruneReport> {
  checkPruneOptions(o);
  if (!isFloatModelPath(path)) fail(`${path} is not a float model: prune takes a TensorFlow.js model.json or its folder (what codenet train writes), not an integer model`);
  await initBackend({ log: o.log });
  const fm = await loadFloatModel(path);
  const input = fm.inputs[0].shape[1] as number;
  if (o.steps > 0) checkStepOptions({ ...o, input });
  const info = analyseGraph(fm);
  if (!info.groups.length) fail(`float model ${path} has no prunable channels (no conv output that only feeds other convs through batch norm, ReLU, depthwise, pooling, upsampling or concatenation)`);
  const ig = integerGraph(fm);
  const lat = new LatencyModel(info, ig.model, ig.source, o.hw);
  const taylorModel = o.importance === 'taylor' ? await loadFloatModel(path) : undefined;
  const importance = channelImportance(info, o.importance, { taylorModel, seed: o.seed, batches: o.taylorBatches, batch: o.batch, input });
  taylorModel?.dispose();

  const full = new Map(info.groups.map((g) => [g.conv, g.width]));
  const mins = minWidths(info, o.minKeep, o.headMinKeep);
  const fps0 = lat.fps(full), fpsMin = lat.fps(mins);
  const where = `${o.hw.board} (lanes ${o.hw.lanes}, pwOutputs ${o.hw.pwOutputs}, ${o.hw.clockMHz} MHz)`;
  let widths: Map<string, number>, trace: TraceStep[] = [];
  if (o.targetFps !== undefined) {
    if (o.targetFps === Infinity) o = { ...o, targetFps: fpsMin };
    if (fpsMin < o.targetFps!)
      fail(`--target-fps ${o.targetFps}: no pruning of ${fm.name} reaches it on ${where}: the cycle model gives at best ${fpsMin.toFixed(1)} FPS (every prunable group at --min-keep ${o.minKeep}, the head groups at --head-min-keep ${o.headMinKeep}), ${fps0.toFixed(1)} FPS unpruned`);
    ({ widths, trace } = searchWidths(info, lat, importance, o.targetFps!, mins));
  } else {
    const most = maxRatio(info, mins);
    if (o.ratio! > most) fail(`--ratio ${o.ratio}: at most ${most.toFixed(3)} of the prunable channels of ${fm.name} can go with --min-keep ${o.minKeep} and --head-min-keep ${o.headMinKeep}`);
    widths = ratioWidths(info, importance, o.ratio!, mins);
  }
  const kept = new Map(info.groups.map((g) => [g.conv, topChannels(importance.get(g.conv)!.values, widths.get(g.conv)!)]));
  const pm = await prunedModel(info, kept);
  // The real pruned model's program, not the search's rewritten topology.
  const before = modelPerf(ig.model, o.hw), after = modelPerf(integerGraph(pm).model, o.hw);

  let ft: FinetuneLog = { steps: 0, seconds: 0, loss: [], distill: [], distillWeight: o.distillWeight };
  if (o.steps > 0) {
    const dilated = pm.layers.find((l) => l.getClassName() === 'DepthwiseConv2D' && [l.getConfig().dilationRate].flat().some((d) => Number(d) > 1));
    if (dilated) fail(`float model ${path}: fine-tuning has no gradient for the dilated depthwise conv "${dilated.name}" (tfjs has none); prune with --steps 0 and fine-tune with codenet train --qat`);
    ft = await finetune(pm, o.distillWeight > 0 ? fm : undefined, { input, steps: o.steps, minutes: o.minutes, batch: o.batch, lr: o.lr, seed: o.seed, distillWeight: o.distillWeight, log: o.log });
  }

  const layerWidths = info.layers.filter((l) => l.getWeights().length).map((l) => ({
    name: l.name, class: l.getClassName(),
    original: Number((l.output as tf.SymbolicTensor).shape[3]), kept: Number((pm.getLayer(l.name).output as tf.SymbolicTensor).shape[3]),
  }));
  const fig = (p: { cycles: number; fps: number; macs: number }) => ({ cycles: Math.round(p.cycles), fps: p.fps, macs: p.macs });
  const report = PruneReportSchema.parse({
    source: path, model: fm.name, mode: o.targetFps !== undefined ? 'target-fps' : 'ratio',
    ...(o.targetFps !== undefined ? { targetFps: o.targetFps } : { ratio: o.ratio }),
    importance: o.importance, minKeep: o.minKeep, headMinKeep: o.headMinKeep, board: o.hw.board, clockMHz: o.hw.clockMHz, lanes: o.hw.lanes, pwOutputs: o.hw.pwOutputs,
    before: fig(before), after: fig(after), fpsAtMinimum: fpsMin,
    prunableChannels: { before: info.groups.reduce((a, g) => a + g.width, 0), after: [...widths.values()].reduce((a, v) => a + v, 0) },
    proxy: proxyOf(info, importance, widths),
    groups: info.groups.map((g) => ({ conv: g.conv, original: g.width, kept: widths.get(g.conv)!, method: importance.get(g.conv)!.method, keptChannels: kept.get(g.conv)!, carriers: g.carriers, readers: g.readers })),
    layers: layerWidths,
    search: { evaluations: lat.evaluations, trace },
    finetune: { steps: ft.steps, seconds: ft.seconds, batch: o.batch, lr: o.lr, seed: o.seed, distillWeight: ft.distillWeight, loss: ft.loss, distill: ft.distill, ...(ft.plannedSteps !== undefined ? { plannedSteps: ft.plannedSteps } : {}) },
  } satisfies PruneReport);
  await saveFloatModel(pm, o.out, () => [{ name: PRUNE_REPORT, data: JSON.stringify(report, null, 1) + '\n' }]);
  return report;
}

/** The human summary `codenet prune` prints. */
export function pruneSummary(r: PruneReport, out: string): string[] {
  const pruned = r.groups.filter((g) => g.kept < g.original);
  const lines = [
    `pruned ${r.model} (${r.mode === 'ratio' ? `--ratio ${r.ratio}` : `--target-fps ${r.targetFps}`}, importance ${r.importance}): ${r.prunableChannels.before} -> ${r.prunableChannels.after} prunable channels in ${pruned.length} of ${r.groups.length} groups, importance kept ${(100 * r.proxy).toFixed(1)}%`,
    `cycle model on ${r.board} (lanes ${r.lanes}, pwOutputs ${r.pwOutputs}, ${r.clockMHz} MHz): ${r.before.fps.toFixed(1)} -> ${r.after.fps.toFixed(1)} FPS (${(r.after.fps / r.before.fps).toFixed(2)}x), MACs ${r.before.macs.toLocaleString('en-US')} -> ${r.after.macs.toLocaleString('en-US')}`,
    ...pruned.map((g) => `  ${g.conv.padEnd(22)} ${String(g.original).padStart(5)} -> ${String(g.kept).padStart(5)}`),
  ];
  const ft = r.finetune;
  if (ft.steps > 0)
    lines.push(`fine-tuned ${ft.steps} steps of ${ft.batch}${ft.distillWeight > 0 ? ` with distillation (weight ${ft.distillWeight})` : ' without distillation'}: loss ${ft.loss[0].toFixed(3)} -> ${ft.loss[ft.loss.length - 1].toFixed(3)}, ${ft.seconds.toFixed(1)} s${ft.plannedSteps !== undefined ? ` (--steps ${ft.plannedSteps} repeats it)` : ''}`);
  else lines.push('not fine-tuned (--steps 0)');
  lines.push(`saved ${out}/model.json and ${out}/${PRUNE_REPORT}`);
  return lines;
}
