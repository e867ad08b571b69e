/**
 * Data-parallel training on a second core: a worker thread holds its own copy of the network and,
 * every step, takes the current weights, renders its part of the batch and returns the gradient of
 * that part, while the main thread computes the rest (src/float/train.ts runSteps). The wasm
 * backend runs one thread, so this is how training uses both cores of the machine.
 *
 * Two kinds of worker, one protocol: float training (src/float/float-worker.ts builds the same
 * network from spec, classes, input and seed; its batch-norm moving statistics are never read) and
 * quantization-aware fine-tuning (src/quant/qat-worker.ts loads the same float model and calibrates
 * the same frozen quantizers). `serveGradients` is the worker side of both.
 */
import { parentPort, Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import type { ZooSpec } from '../zoo/specs.ts';
import type { Forward, HalfBatch } from './train.ts';
import { writeFlat } from './adam.ts';
import type { BatchSource, TrainDataSpec } from '../data/batches.ts';

/** A float-training worker: builds the network from scratch (the weights come with every request). */
export interface FloatWorkerInit {
  kind: 'float';
  spec: ZooSpec;
  classes: number;
  input: number;
  seed: number;
  /** The float model resumed, loaded instead of built (it need not be a zoo network). */
  from?: string;
  /** Batches from a VOC or COCO folder (src/data/batches.ts), opened by the worker too. */
  data?: TrainDataSpec;
}

export interface GradientRequest {
  weights: Float32Array;
  /** Data stream seed of the step, and the sample indices [from, to) of the batch. */
  stream: number;
  from: number;
  to: number;
  dense?: boolean;
}

export class GradientWorker {
  private readonly worker: Worker;
  private pending?: { resolve: (r: HalfBatch) => void; reject: (e: Error) => void };
  private failure?: Error;
  /** `entry`: the worker module (a TypeScript file that calls serveGradients); `init` its workerData. */
  constructor(init: { kind: string } & Record<string, unknown>, entry: URL = new URL('./float-worker.ts', import.meta.url)) {
    // A plain .mjs entry that registers tsx, so the worker runs the TypeScript sources as the CLI does.
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { ...init, entry: entry.href } });
    this.worker.on('message', (r: HalfBatch) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(r);
    });
    const fail = (e: Error) => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => { if (code !== 0) fail(new Error(`training worker exited with code ${code}`)); });
  }
  /** Starts the worker's part; the promise resolves with its gradient. */
  request(r: GradientRequest): Promise<HalfBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(r);
    });
  }
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * The worker side: once `setup` resolves (the network, its trained variables and its forward
 * pass), answers every request with the gradient of its samples at the weights it carries.
 */
export function serveGradients(setup: Promise<{ forward: Forward; vars: tf.Variable[]; input: number; data?: BatchSource }>): void {
  // Imported here, once: train.ts imports this module for GradientWorker.
  const ready = Promise.all([setup, import('./train.ts')]).then(([s, t]) => ({ ...s, size: s.vars.reduce((n, v) => n + v.size, 0), halfBatchGradients: t.halfBatchGradients }));
  parentPort!.on('message', async (r: GradientRequest) => {
    const { forward, vars, input, size, halfBatchGradients, data } = await ready;
    if (r.weights.length !== size) throw new Error(`training worker: ${r.weights.length} weights sent, the network has ${size}`);
    const samples = data ? await data.samples(r.stream, r.from, r.to, input) : undefined;
    writeFlat(vars, r.weights);
    const out = halfBatchGradients(forward, vars, { stream: r.stream, from: r.from, to: r.to, input, dense: r.dense, samples, classes: data?.classes });
    parentPort!.postMessage(out, [out.grads.buffer as ArrayBuffer]);
  });
}
