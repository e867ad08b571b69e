/** The QAT worker of src/quant/qat-train.ts: the same setup as the main thread, then gradients on request. */
import { workerData } from 'node:worker_threads';
import { initBackend } from '../float/model.ts';
import { serveGradients } from '../float/parallel.ts';
import { qatSetup, type QatSetupOptions } from './qat-train.ts';

const init = workerData as QatSetupOptions;
serveGradients((async () => {
  await initBackend();
  const { forward, vars, data } = await qatSetup(init);
  return { forward, vars, input: init.input, data };
})());
