/**
 * The time plan of `npm run bench:codesign` (scripts/bench-codesign.ts): how its budget is split
 * between training the baseline, fine-tuning the pruned models and the search's proxy, and the
 * settings each stage gets. Here rather than in the script so that a test holds the split inside
 * the budget. The shares and settings come from measured runs (docs/codesign.md, "The co-design
 * benchmark"): a pruned model recovers with the fine-tune's time and learning rate, and the
 * search's proxy ranks only when it starts from the trained baseline.
 */

/** Shares of the budget (minutes) of the stages planned by wall time. */
export const SHARES = {
  /** The baseline's float training (the accuracy benchmark's settings) and its QAT. */
  float: 0.27,
  qat: 0.04,
  /** Each pruned model's fine-tune. */
  finetune: 0.1,
} as const;

/** Fine-tuning learning rate of the pruned models (Adam, cosine decay): in 600 steps of 16, 1e-2 recovered 38.6 AP50, 5e-3 36.9, 1e-3 34.9 (docs/codesign.md). */
export const FINETUNE_LR = 1e-2;

/** The search's proxy: steps from the trained baseline's weights (cropped to each candidate), at this rate, AP50 on this many val images. */
export const PROXY = { steps: 150, lr: 2e-3, evalImages: 256 } as const;

export interface BenchPlan {
  /** `codenet train` arguments that plan each stage (minutes, or exact steps with --quick). */
  float: string[];
  qat: string[];
  /** `codenet prune` fine-tune arguments of the first pruned model of a board (the others repeat its step count). */
  prune: string[];
  proxy: { steps: number; lr: number; evalImages: number };
  /** Pruned-model fine-tunes in the run: one per board, and one without distillation on the first board. */
  finetunes: number;
  /** Minutes the planned training stages take (the rest of the budget: QAT of the pruned models, the searches, evals, Yosys, Verilator). */
  plannedMinutes: number;
}

/** The plan for `budget` minutes and `boards` boards; `quick`: a few steps each (checks the pipeline). */
export function benchPlan(budget: number, boards: number, quick: boolean): BenchPlan {
  const finetunes = boards + (boards > 0 ? 1 : 0);
  if (quick)
    return { float: ['--steps', '20'], qat: ['--steps', '10'], prune: ['--steps', '10', '--lr', String(FINETUNE_LR)], proxy: { steps: 10, lr: PROXY.lr, evalImages: 16 }, finetunes, plannedMinutes: 0 };
  const m = (share: number) => (share * budget).toFixed(1);
  // prune's --steps (300 by default) caps --minutes: a cap of 10^7 leaves the plan to the minutes.
  return {
    float: ['--minutes', m(SHARES.float)],
    qat: ['--minutes', m(SHARES.qat)],
    prune: ['--minutes', m(SHARES.finetune), '--steps', '10000000', '--lr', String(FINETUNE_LR)],
    proxy: { ...PROXY },
    finetunes,
    plannedMinutes: budget * (SHARES.float + SHARES.qat + finetunes * SHARES.finetune),
  };
}
