import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Progress of long work (Yosys, Verilator/Icarus/g++ builds, simulation, training, QAT, eval,
 * verify) on stderr:
 * - on a terminal, a one-line bar with the elapsed time, redrawn in place;
 * - on a pipe (CI logs), one plain line at a fixed heartbeat (every CODENET_PROGRESS_INTERVAL
 *   seconds, default 15, at most 30) with the elapsed time and what is running, e.g.
 *   `codenet: yosys synth_xilinx of codenet_accel: ABC pass (3.41), 2m10s`, and a closing line
 *   for a task that printed one;
 * - nothing with `--quiet` (setQuiet) or CODENET_QUIET=1.
 *
 * Much of that work blocks the event loop (Yosys runs synchronously in WebAssembly, builds are
 * execFileSync), so the clock lives in a worker thread that writes to file descriptor 2 itself;
 * the main thread only posts what is running. The worker is unref'd: it never keeps the process
 * alive.
 */
export interface Progress {
  update(done: number, total: number, what?: string): void;
  /** What is running now, with no count (a build, a Yosys pass). */
  stage(what: string): void;
  finish(): void;
}

let quiet = process.env.CODENET_QUIET === '1';

/** `--quiet`: no bars and no heartbeat lines. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

/** Heartbeat period on a pipe, seconds (CODENET_PROGRESS_INTERVAL, capped at 30; default 15). */
export function progressInterval(): number {
  const v = Number(process.env.CODENET_PROGRESS_INTERVAL);
  return Number.isFinite(v) && v > 0 ? Math.min(30, v) : 15;
}

/** Whether progress is shown at all: not quiet, and (inside vitest) only when a test asks for it. */
export function progressEnabled(): boolean {
  if (quiet) return false;
  if (process.env.VITEST && !process.env.CODENET_PROGRESS_INTERVAL) return false;
  return true;
}

/** Whether the bar form is used (stderr a terminal, not CI). */
function isTty(): boolean {
  return process.stderr.isTTY === true && !process.env.CI;
}

/**
 * The heartbeat logic, as JavaScript source: evaluated in the worker, and by the unit test with a
 * fake clock (test/progress.test.ts). `makeHeartbeat({ tty, interval, columns, write })` returns
 * handlers for the main thread's messages and `tick(now)` for the worker's timer.
 */
export const HEARTBEAT_SOURCE = String.raw`
function formatElapsed(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(m / 60) + 'h' + String(m % 60).padStart(2, '0') + 'm';
}
function makeHeartbeat(o) {
  const tasks = new Map(); // id -> { label, what, done, total, start, printed }
  let lastLine = -Infinity, lastDraw = -Infinity, drawn = false;
  const current = () => { let t; for (const v of tasks.values()) t = v; return t; };
  const describe = (t, now) => {
    const count = t.total ? ' ' + (t.total ? Math.floor((100 * t.done) / t.total) : 100) + '% (' + t.done + '/' + t.total + ')' : '';
    // On a terminal the count and time come first, so that a narrow terminal cuts the stage, not them.
    if (o.tty) return t.label + count + ' ' + formatElapsed(now - t.start) + (t.what ? ': ' + t.what : '');
    return t.label + (t.what ? ': ' + t.what : '') + count + ', ' + formatElapsed(now - t.start);
  };
  const width = () => Math.max(20, (o.columns || 80) - 1);
  const clear = () => { if (drawn) { o.write('\r' + ' '.repeat(Math.min(79, width())) + '\r'); drawn = false; } };
  const draw = (now) => {
    const t = current();
    if (!t) return clear();
    o.write(('\r' + describe(t, now)).slice(0, width()).padEnd(Math.min(79, width())));
    drawn = true; lastDraw = now;
  };
  const line = (now) => {
    const t = current();
    if (!t) return;
    o.write('codenet: ' + describe(t, now) + '\n');
    t.printed = true; lastLine = now;
  };
  return {
    message(m, now) {
      if (m.type === 'start') {
        // A task starting under a quiet period keeps the heartbeat's phase (one line per interval overall).
        if (tasks.size === 0 && now - lastLine >= o.interval * 1000) lastLine = now;
        // m.at: when the main thread started the task (the worker may still have been starting).
        tasks.set(m.id, { label: m.label, what: m.what, done: 0, total: 0, start: Math.min(now, m.at ?? now), printed: false });
      } else if (m.type === 'update') {
        const t = tasks.get(m.id);
        if (!t) return;
        if (m.what !== undefined) t.what = m.what;
        if (m.total !== undefined) { t.done = m.done; t.total = m.total; }
      } else if (m.type === 'end') {
        const t = tasks.get(m.id);
        if (!t) return;
        tasks.delete(m.id);
        // The closing line is the main thread's (written before the process may exit); it restarts the phase.
        if (!o.tty && m.closed) lastLine = now;
      }
      if (o.tty && (m.type !== 'update' || now - lastDraw >= 100)) draw(now);
    },
    tick(now) {
      if (o.tty) { if (tasks.size) draw(now); return; }
      if (tasks.size && now - lastLine >= o.interval * 1000 - 50) line(now);
    },
    clear,
    active() { return tasks.size; },
  };
}
`;

/** The functions of HEARTBEAT_SOURCE, in this thread (tests, and the closing line). */
export const heartbeat = new Function(`${HEARTBEAT_SOURCE}; return { formatElapsed, makeHeartbeat };`)() as {
  formatElapsed(ms: number): string;
  makeHeartbeat(o: { tty: boolean; interval: number; columns?: number; write(s: string): void }): {
    message(m: Record<string, unknown>, now: number): void;
    tick(now: number): void;
    active(): number;
  };
};

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
${HEARTBEAT_SOURCE}
const hb = makeHeartbeat({ ...workerData, write: (s) => { try { writeSync(2, s); } catch {} } });
parentPort.on('message', (m) => hb.message(m, Date.now()));
setInterval(() => hb.tick(Date.now()), workerData.tty ? 1000 : Math.min(1000, workerData.interval * 250));
`;

let worker: Worker | undefined;
let nextId = 1;

function post(m: Record<string, unknown>): void {
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { tty: isTty(), interval: progressInterval(), columns: process.stderr.columns ?? 80 } });
    worker.unref();
    worker.on('error', () => { worker = undefined; });
  }
  worker.postMessage(m);
}

const SILENT: Progress = { update() {}, stage() {}, finish() {} };

export function progress(label: string, what?: string): Progress {
  if (!progressEnabled()) return SILENT;
  const id = nextId++;
  const start = Date.now();
  post({ type: 'start', id, label, what, at: start });
  let finished = false;
  return {
    update(done, total, w) {
      if (!finished) post({ type: 'update', id, done, total, what: w });
    },
    stage(w) {
      if (!finished) post({ type: 'update', id, what: w });
    },
    finish() {
      if (finished) return;
      finished = true;
      const ms = Date.now() - start;
      // A task long enough to have had a heartbeat line gets a closing line on a pipe.
      const closed = !isTty() && ms >= progressInterval() * 1000;
      post({ type: 'end', id, closed });
      // Written here, synchronously: the bar is cleared before the caller prints, the line is not lost at exit.
      if (isTty()) writeSync(2, '\r'.padEnd(Math.min(80, process.stderr.columns ?? 80)) + '\r');
      else if (closed) writeSync(2, `codenet: ${label} done in ${heartbeat.formatElapsed(ms)}\n`);
    },
  };
}

/** Runs `fn` (synchronous or not) as one progress task. */
export async function withProgress<T>(label: string, what: string | undefined, fn: (p: Progress) => T | Promise<T>): Promise<T> {
  const p = progress(label, what);
  try {
    return await fn(p);
  } finally {
    p.finish();
  }
}

/** As withProgress, for synchronous work (execFileSync builds). */
export function withProgressSync<T>(label: string, what: string | undefined, fn: (p: Progress) => T): T {
  const p = progress(label, what);
  try {
    return fn(p);
  } finally {
    p.finish();
  }
}
