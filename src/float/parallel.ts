/**
 * Data-parallel float training on a second core: a worker thread holds its own copy of the float
 * model and, every step, takes the current weights, renders its half of the batch and returns the
 * gradient of that half, while the main thread computes the other half (src/float/train.ts). The
 * wasm backend runs one thread, so this is how training uses both cores of the machine.
 *
 * The worker builds the same network (same spec, classes, input, seed); its batch-norm moving
 * statistics are never read (the main thread's model is the one saved).
 */
import { Worker } from 'node:worker_threads';
import type { ZooSpec } from '../zoo/specs.ts';
import type { HalfBatch } from './train.ts';

export interface WorkerInit {
  spec: ZooSpec;
  classes: number;
  input: number;
  seed: number;
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
  constructor(init: WorkerInit) {
    // A plain .mjs entry that registers tsx, so the worker runs the TypeScript sources as the CLI does.
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { ...init, entry: new URL('./train-worker.ts', import.meta.url).href } });
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
  /** Starts the worker's half; the promise resolves with its gradient. */
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
