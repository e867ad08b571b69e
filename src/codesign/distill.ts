/**
 * Fine-tuning a pruned model with knowledge distillation from the unpruned one (the teacher, in
 * inference mode: moving batch-norm statistics, no gradient). Beside the CenterNet loss:
 * - heat map: the squared difference of the sigmoid heat maps, summed over cells and classes and
 *   divided by the number of images (every cell, so the student also learns where there is nothing);
 * - boxes: L1 between the wh and reg maps, weighted at each cell by the teacher's strongest class
 *   probability (its confidence that an object is centred there), normalised like CenterNet's
 *   RegL1Loss (divided by 2 x the sum of weights);
 * distill = hm + 0.1 wh + reg (the CenterNet weights), times --distill-weight.
 * The loop is src/float/train.ts runSteps (one thread: its worker computes the CenterNet loss only).
 */
import * as tf from '@tensorflow/tfjs';
import { floatForward, runSteps, type ExtraLoss, type StepOptions } from '../float/train.ts';
import { centerNetHeads } from '../detect/heads.ts';

export interface DistillTerms {
  hm: tf.Scalar;
  wh: tf.Scalar;
  reg: tf.Scalar;
  total: tf.Scalar;
}

/** The distillation terms between student and teacher outputs (NHWC). */
export function distillLoss(s: { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor }, t: { hm: tf.Tensor; wh: tf.Tensor; reg: tf.Tensor }): DistillTerms {
  return tf.tidy(() => {
    const n = s.hm.shape[0]!;
    const pt = tf.sigmoid(t.hm);
    const hm = tf.div(tf.sum(tf.square(tf.sub(tf.sigmoid(s.hm), pt))), n) as tf.Scalar;
    const w = tf.max(pt, -1, true); // [N, H, W, 1]
    const denom = tf.add(tf.mul(tf.sum(w), 2), 1e-4);
    const l1 = (a: tf.Tensor, b: tf.Tensor) => tf.div(tf.sum(tf.mul(tf.abs(tf.sub(a, b)), w)), denom) as tf.Scalar;
    const wh = l1(s.wh, t.wh), reg = l1(s.reg, t.reg);
    return { hm, wh, reg, total: tf.addN([hm, tf.mul(wh, 0.1), reg]) as tf.Scalar };
  });
}

export interface FinetuneLog {
  steps: number;
  seconds: number;
  /** The CenterNet loss plus the weighted distillation term, every step. */
  loss: number[];
  /** The weighted distillation term alone, every step (0 without distillation). */
  distill: number[];
  distillWeight: number;
  plannedSteps?: number;
}

/** Fine-tunes `student` in place; `teacher` given and weight > 0: with distillation. */
export async function finetune(student: tf.LayersModel, teacher: tf.LayersModel | undefined, o: StepOptions & { distillWeight: number; log?: (m: string) => void }): Promise<FinetuneLog> {
  const vars = student.trainableWeights.map((v) => v.read() as tf.Variable);
  const distill: number[] = [];
  const on = teacher !== undefined && o.distillWeight > 0;
  let extraLoss: ExtraLoss | undefined;
  if (on) {
    const h = centerNetHeads(teacher.outputs.map((x) => x.sourceLayer.name), teacher.outputs.map((x) => x.shape[3] as number), `teacher ${teacher.name}`);
    extraLoss = (pred, x) => {
      // Inside the gradient's forward scope, which frees these intermediates after the step.
      const ys = teacher.apply(x, { training: false }) as tf.Tensor[];
      const total = tf.mul(distillLoss(pred, { hm: ys[h.hm], wh: ys[h.wh], reg: ys[h.reg] }).total, o.distillWeight) as tf.Scalar;
      distill.push(total.dataSync()[0]);
      return total;
    };
  }
  const r = await runSteps({ ...o, label: `fine-tuning ${student.name}${on ? ' with distillation' : ''}`, forward: floatForward(student), vars, extraLoss });
  return { steps: r.loss.length, seconds: r.seconds, loss: r.loss, distill: on ? distill : r.loss.map(() => 0), distillWeight: on ? o.distillWeight : 0, plannedSteps: r.plannedSteps };
}
