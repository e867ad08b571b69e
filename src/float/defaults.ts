/**
 * Training defaults shared by the CLI, the benchmark and the loop. A module of its own because it
 * loads no TensorFlow.js: the CLI imports it at start-up (tfjs takes ~0.9 s to load). Its imports
 * are types only.
 */
import type { QatInit } from '../quant/qat-train.ts';
import type { ActRangeMode } from '../quant/quantize.ts';

/** The most steps of a run (--steps), and the bound of one with a time budget alone. */
export const MAX_STEPS = 10_000_000;

/**
 * Float training from fresh weights ramps the learning rate up linearly over these steps: Adam's
 * first steps at the full 4e-2 move every weight by about the rate in the direction of a few
 * batches' gradient (the first step's gradient norm is 20-40 times the later ones').
 */
export const WARMUP_STEPS = 300;

/** The offset convs train at this fraction of the learning rate (src/float/adam.ts offsetLrScale says why). */
export const OFFSET_LR = 0.1;

/**
 * In QAT the offset convs stay as float training left them: every move flips integer dilations.
 * QAT - float on one float model (819 steps, 2,000 val images): -1.6 at 0, -2.0 at 0.1, -3.4 at 1.
 */
export const QAT_OFFSET_LR = 0;

/**
 * Float training's cosine ends at this fraction of the learning rate. Seed 0 (2,000 val images,
 * same run otherwise): 58.7 AP50 at 1/20, 61.9 at 1/100; seeds 0-2 at 1/100: 64.3, 65.1, 60.4.
 */
export const LR_FLOOR = 0.01;

/** QAT's cosine ends higher: on one seed-0 float model QAT - float was -2.5 at 1/100, -1.3 at 1/20 (docs/training.md). */
export const QAT_LR_FLOOR = 0.05;

/**
 * Calibration images of QAT's frozen activation ranges (`codenet train --qat`, the benchmark).
 * QAT - float on seeds 0-2's float models: -1.5/-1.5/-1.95 with 256, -1.7/-1.1/-2.4 with 64.
 */
export const QAT_CALIB_IMAGES = 256;

/** Where QAT starts (src/quant/qat-init.ts): the float model rounded to nearest, or the post-training model. */
export const QAT_INIT: QatInit = 'ptq';

/** QAT's frozen activation ranges: by MSE search, as `codenet quantize` (src/quant/act-range.ts), or at a percentile. */
export const QAT_ACT_RANGE: ActRangeMode = 'mse';
