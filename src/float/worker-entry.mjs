// Worker threads start without the tsx loader the CLI registers: register it, then load the
// TypeScript worker module named in workerData.entry (src/float/parallel.ts).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';
register();
await import(workerData.entry);
