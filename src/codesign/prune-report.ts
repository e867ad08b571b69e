/** prune-report.json: what `codenet prune` kept, why, and what the cycle model says it costs. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodIssues, fail } from '../util/errors.ts';
import { IMPORTANCE_METHODS } from './prune-importance.ts';

const Method = z.enum(IMPORTANCE_METHODS);

export const PruneReportSchema = z.strictObject({
  /** The unpruned float model it came from. */
  source: z.string(),
  model: z.string(),
  mode: z.enum(['target-fps', 'ratio']),
  targetFps: z.number().positive().optional(),
  ratio: z.number().gt(0).lt(1).optional(),
  importance: Method,
  minKeep: z.number().gt(0).lte(1),
  /** The floor of the head groups (their hidden widths and what feeds them). */
  headMinKeep: z.number().gt(0).lte(1),
  board: z.string(),
  clockMHz: z.number().positive(),
  /** The hardware config the cycle model compiled for: lanes and 1x1 output tile. */
  lanes: z.number().int().positive(),
  pwOutputs: z.number().int().positive(),
  /** Cycle-model figures of the compiled program, unpruned and pruned. */
  before: z.strictObject({ cycles: z.number().int().nonnegative(), fps: z.number().positive(), macs: z.number().int().nonnegative() }),
  after: z.strictObject({ cycles: z.number().int().nonnegative(), fps: z.number().positive(), macs: z.number().int().nonnegative() }),
  /** FPS with every group at its minimum width: the most pruning can give. */
  fpsAtMinimum: z.number().positive(),
  /** Prunable channels (sum of group widths) before and after. */
  prunableChannels: z.strictObject({ before: z.number().int().nonnegative(), after: z.number().int().nonnegative() }),
  /** The accuracy proxy of the result: mean over groups of the importance share kept. */
  proxy: z.number().min(0).max(1),
  /** Each prunable group: its conv, widths, the importance method used (l1 where no batch norm follows), the layers that carry it. */
  groups: z.array(z.strictObject({
    conv: z.string(), original: z.number().int().positive(), kept: z.number().int().positive(), method: Method,
    keptChannels: z.array(z.number().int().nonnegative()), carriers: z.array(z.string()), readers: z.array(z.string()),
  })),
  /** Every layer with weights: output channels before and after. */
  layers: z.array(z.strictObject({ name: z.string(), class: z.string(), original: z.number().int().positive(), kept: z.number().int().positive() })),
  search: z.strictObject({
    /** Cycle-model evaluations (compilations) the search made. */
    evaluations: z.number().int().nonnegative(),
    trace: z.array(z.strictObject({ step: z.number().int().positive(), group: z.string(), from: z.number().int(), to: z.number().int(), fps: z.number(), proxy: z.number() })),
  }),
  finetune: z.strictObject({
    steps: z.number().int().nonnegative(),
    seconds: z.number().nonnegative(),
    batch: z.number().int().positive(),
    lr: z.number().positive(),
    seed: z.number().int().nonnegative(),
    distillWeight: z.number().nonnegative(),
    loss: z.array(z.number()),
    distill: z.array(z.number()),
    plannedSteps: z.number().int().optional(),
  }),
});
export type PruneReport = z.infer<typeof PruneReportSchema>;

export function readPruneReport(path: string): PruneReport {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`cannot read prune report ${path}: ${(e as Error).message}`);
  }
  const r = PruneReportSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(`prune report ${path}`, r.error.issues));
  return r.data;
}
