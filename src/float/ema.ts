/**
 * An exponential moving average of variables (the weights and batch norm's moving statistics):
 * with a high learning rate the last step is a noisy point; the average of the last ~1/(1-decay)
 * steps is the model that is saved. The decay ramps up as min(decay, (1+t)/(10+t)) (TensorFlow's
 * ExponentialMovingAverage with num_updates) so early random weights do not linger. The moving
 * statistics are averaged too, so they stay those of (nearly) the averaged weights.
 */
import type * as tf from '@tensorflow/tfjs';
import { readFlat, writeFlat } from './adam.ts';

export class WeightAverage {
  private readonly avg: Float64Array;
  private updates = 0;

  constructor(private readonly vars: tf.Variable[], private readonly decay: number) {
    this.avg = Float64Array.from(readFlat(vars));
  }

  /** Folds the variables' current values into the average (after every optimizer step). */
  update(): void {
    const d = Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
    this.updates++;
    const cur = readFlat(this.vars);
    for (let i = 0; i < cur.length; i++) this.avg[i] += (1 - d) * (cur[i] - this.avg[i]);
  }

  /** Sets the variables to the average. */
  write(): void {
    writeFlat(this.vars, Float32Array.from(this.avg));
  }
}
