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
  float: 0.25,
  qat: 0.04,
  /** Each pruned model's fine-tune (1,000 and 1,500 steps of 16 recovered the same AP50: a shorter one costs little). */
  finetune: 0.07,
  /**
   * The searched network's fine-tune after pruning to the target: it starts from weights cropped to
   * a different network, and at seed 0 its 1,665 steps of 16 (7%) gave 44.4 AP50 after QAT where
   * 4,000 steps (about 10 minutes) gave 48.2 (docs/codesign.md).
   */
  searched: 0.17,
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
  /** `codenet prune` fine-tune arguments of the searched network (pruned to the target, first board). */
  searched: string[];
  proxy: { steps: number; lr: number; evalImages: number };
  /** Pruned-model fine-tunes of SHARES.finetune in the run: one per board and one without distillation on the first board (the searched network's is planned apart). */
  finetunes: number;
  /** Minutes the planned training stages take (the rest of the budget: QAT of the pruned models, the searches, evals, Yosys, Verilator). */
  plannedMinutes: number;
}

/** The plan for `budget` minutes and `boards` boards; `quick`: a few steps each (checks the pipeline). */
export function benchPlan(budget: number, boards: number, quick: boolean): BenchPlan {
  const finetunes = boards + (boards > 0 ? 1 : 0);
  if (quick) {
    const prune = ['--steps', '10', '--lr', String(FINETUNE_LR)];
    return { float: ['--steps', '20'], qat: ['--steps', '10'], prune, searched: prune, proxy: { steps: 10, lr: PROXY.lr, evalImages: 16 }, finetunes, plannedMinutes: 0 };
  }
  const m = (share: number) => (share * budget).toFixed(1);
  // prune's --steps (300 by default) caps --minutes: a cap of 10^7 leaves the plan to the minutes.
  return {
    float: ['--minutes', m(SHARES.float)],
    qat: ['--minutes', m(SHARES.qat)],
    prune: ['--minutes', m(SHARES.finetune), '--steps', '10000000', '--lr', String(FINETUNE_LR)],
    searched: ['--minutes', m(SHARES.searched), '--steps', '10000000', '--lr', String(FINETUNE_LR)],
    proxy: { ...PROXY },
    finetunes,
    plannedMinutes: budget * (SHARES.float + SHARES.qat + finetunes * SHARES.finetune + (boards > 0 ? SHARES.searched : 0)),
  };
}

/**
 * The bench's search space (a `codenet search` space file, a list of model points): the baseline's
 * own network first, so the searched points are compared with it under the same proxy, then the
 * knobs that the cycle model says buy speed on this 64x64 model (bound by per-layer and
 * per-descriptor floors, not by MACs) and that a warm start from the baseline survives
 * (docs/codesign.md, "What buys speed"): every decoder block a plain depthwise 3x3 (-2,974 cycles of
 * 42,979 on ultra96v2; the proxy lost nothing: 37.0 against 35.0), and fewer stride-1 units
 * (about -1,500 to -2,300 each; the proxy lost 1.7 for stage3.2, 16.5 for three units). The stride-4 stem (-3,640) is left out: warm-started from the stride-2 + max-pool stem it
 * fell to 6.7 proxy AP50 against 35.0. Hardware: the board's preset (no buffer, array size or clock
 * within reach helps this model).
 */
export function benchSpace(zoo: string, seed: number) {
  const plain = [false, false, false];
  return {
    base: zoo, trials: 0, seed,
    model: { points: [{ deformable: [true, true, true] }, { deformable: plain }, { repeats: [1, 1, 1], deformable: plain }, { repeats: [0, 1, 0], deformable: plain }] },
  };
}

/** A search trial as the bench reads it from pareto.json. */
export interface BenchTrial { index: number; fps: number; accuracy: { value: number }; infeasible?: string }

/**
 * The searched network the bench trains fully and prunes to the target: among the compiled trials
 * at least `minSpeedup` x the baseline network's FPS (the search pays part of the target
 * structurally, so the prune needs fewer cuts: to 1.5x on ultra96v2, pruning kept 59% of the
 * channel importance from the baseline network, 77% from it with a plain decoder (1.07x), 81% with
 * also repeats 1/1/1 (1.13x), 92% with 0/1/0 (1.23x)), the most accurate by the proxy (the faster
 * on a tie); none that fast: the fastest. Undefined when no trial other than the baseline's compiled.
 */
export function chooseSearched<T extends BenchTrial>(trials: T[], baseline: T, minSpeedup = SEARCH_MIN_SPEEDUP): T | undefined {
  const others = trials.filter((t) => t.infeasible === undefined && t.index !== baseline.index);
  if (!others.length) return undefined;
  const fast = others.filter((t) => t.fps >= minSpeedup * baseline.fps);
  const byAcc = (x: T, y: T) => y.accuracy.value - x.accuracy.value || y.fps - x.fps;
  return fast.length ? [...fast].sort(byAcc)[0] : [...others].sort((x, y) => y.fps - x.fps)[0];
}

/**
 * The prunes of the bench aim at 1.5x this much of the baseline's cycle-model FPS: the verdict reads
 * the simulated FPS, and the cycle model of a pruned topology is within about 1% of the RTL (and of
 * the quantized program's), so a prune aimed at exactly 1.5x can simulate at 1.49x.
 */
export const TARGET_MARGIN = 1.02;

/** The share of the target the searched network must reach before pruning (see chooseSearched). */
export const SEARCH_MIN_SPEEDUP = 1.1;
