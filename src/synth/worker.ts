/**
 * Yosys (the @yowasp/yosys WebAssembly build) in worker threads.
 *
 * Yosys runs synchronously inside its WebAssembly instance: on the main thread it would block the
 * event loop for minutes, so SIGINT/SIGTERM (src/util/proc.ts) could not be handled until it
 * finished. In a worker the main thread stays free: a signal ends the process (and its workers)
 * at once, and several workers synthesize modules in parallel.
 */
import { Worker } from 'node:worker_threads';

export interface YosysRun {
  /** Yosys command line, e.g. ['-v', '2', '-p', script]. */
  args: string[];
  /** Input files by name. */
  files: Record<string, string>;
  /** Output files to return (text). */
  outputs: string[];
  /** Every line Yosys prints (stdout and stderr). */
  onLine?: (line: string) => void;
  /** Called with the outputs as soon as this job finishes (before the other jobs). */
  onDone?: (files: Record<string, string>) => void;
}

// The worker imports Yosys itself (by URL: an eval'd worker resolves no packages) and runs one job at a time.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const yosys = import(workerData.url);
parentPort.on('message', async (job) => {
  const { runYosys } = await yosys;
  let partial = '';
  const dec = new TextDecoder();
  const sink = (b) => {
    if (!b) return;
    const lines = (partial + dec.decode(b)).split('\\n');
    partial = lines.pop();
    if (lines.length) parentPort.postMessage({ type: 'lines', lines });
  };
  try {
    const out = await runYosys(job.args, job.files, { stdout: sink, stderr: sink });
    if (partial) parentPort.postMessage({ type: 'lines', lines: [partial] });
    const files = {};
    for (const n of job.outputs) {
      const v = out[n];
      if (v !== undefined) files[n] = typeof v === 'string' ? v : dec.decode(v);
    }
    parentPort.postMessage({ type: 'done', files });
  } catch (e) {
    if (partial) parentPort.postMessage({ type: 'lines', lines: [partial] });
    parentPort.postMessage({ type: 'error', message: String(e && e.message || e) });
  }
});
`;

let yosysUrl: string | undefined;
/** The @yowasp/yosys entry point, resolved from this module (works from src/ and from the bundle in dist/). */
function entryUrl(): string {
  return (yosysUrl ??= import.meta.resolve('@yowasp/yosys'));
}

/**
 * Runs `jobs` on up to `parallel` worker threads (each job in a fresh Yosys instance) and returns
 * their outputs in order. The first failure rejects and stops the other workers. Workers are
 * terminated when done, so they never keep the process alive.
 */
export async function runYosysJobs(jobs: YosysRun[], parallel: number): Promise<Record<string, string>[]> {
  const results: Record<string, string>[] = new Array(jobs.length);
  const workers: Worker[] = [];
  let next = 0;
  let failed = false;
  const runOn = (w: Worker): Promise<void> => new Promise((resolveAll, rejectAll) => {
    const start = () => {
      if (failed || next >= jobs.length) return resolveAll();
      const i = next++;
      const job = jobs[i];
      const onMessage = (m: { type: 'lines'; lines: string[] } | { type: 'done'; files: Record<string, string> } | { type: 'error'; message: string }) => {
        if (m.type === 'lines') {
          for (const l of m.lines) job.onLine?.(l);
          return;
        }
        w.off('message', onMessage);
        w.off('error', onError);
        if (m.type === 'error') return rejectAll(new Error(m.message));
        results[i] = m.files;
        try {
          job.onDone?.(m.files);
        } catch (e) {
          return rejectAll(e);
        }
        start();
      };
      const onError = (e: Error) => rejectAll(e);
      w.on('message', onMessage);
      w.on('error', onError);
      w.postMessage({ args: job.args, files: job.files, outputs: job.outputs });
    };
    start();
  });
  try {
    const n = Math.max(1, Math.min(parallel, jobs.length));
    for (let k = 0; k < n; k++) workers.push(new Worker(WORKER_SOURCE, { eval: true, workerData: { url: entryUrl() } }));
    await Promise.all(workers.map((w) => runOn(w).catch((e: unknown) => {
      failed = true;
      throw e;
    })));
    return results;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
