/** The float-training worker of src/float/parallel.ts: the gradient of its part of every batch. */
import { workerData } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import { buildFloatModel, initBackend } from './model.ts';
import { floatForward } from './train.ts';
import { loadFloatModel } from './io.ts';
import { serveGradients, type FloatWorkerInit } from './parallel.ts';
import { labelledBatches } from '../data/batches.ts';

const init = workerData as FloatWorkerInit;
serveGradients((async () => {
  await initBackend();
  const data = init.data ? labelledBatches(init.data) : undefined;
  const fm = init.from ? await loadFloatModel(init.from) : buildFloatModel(init.spec, { classes: init.classes, seed: init.seed, input: init.input });
  return { forward: floatForward(fm, data), vars: fm.trainableWeights.map((v) => v.read() as tf.Variable), input: init.input, data };
})());
