/** The worker side of src/float/parallel.ts: the gradient of its half of every batch. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, initBackend } from './model.ts';
import { writeFlat } from './adam.ts';
import { halfBatchGradients, floatForward } from './train.ts';
import type { GradientRequest, WorkerInit } from './parallel.ts';

const init = workerData as WorkerInit;
const ready = (async () => {
  await initBackend();
  const fm = buildFloatModel(init.spec, { classes: init.classes, seed: init.seed, input: init.input });
  return { fm, vars: fm.trainableWeights.map((v) => v.read() as tf.Variable) };
})();

parentPort!.on('message', async (r: GradientRequest) => {
  const { fm, vars } = await ready;
  const size = vars.reduce((n, v) => n + v.size, 0);
  if (r.weights.length !== size) throw new Error(`training worker: ${r.weights.length} weights sent, the network has ${size}`);
  writeFlat(vars, r.weights);
  const out = halfBatchGradients(floatForward(fm), vars, { stream: r.stream, from: r.from, to: r.to, input: init.input, dense: r.dense });
  parentPort!.postMessage(out, [out.grads.buffer as ArrayBuffer]);
});
