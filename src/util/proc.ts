/**
 * Child processes and temporary folders that a signal must not leave behind.
 *
 * Every external program codenet runs (verilator and the make/g++/cc1plus under it, the simulation
 * binary, iverilog, vvp, the HLS g++ build and run) is started by spawnChild/runProcess in a process
 * group of its own, and every temporary folder is made by makeTempDir. The executable
 * (src/cli/main.ts) calls installSignalCleanup(): on SIGINT or SIGTERM it signals every child's
 * group (SIGTERM, then SIGKILL after a grace period, so grandchildren such as cc1plus go too),
 * removes the temporary folders and exits 130 (SIGINT) or 143 (SIGTERM).
 *
 * Temporary folders carry the pid of the process that made them (`<prefix><pid>-XXXXXX`). A process
 * killed with SIGKILL cannot clean up, so makeTempDir first removes siblings with its prefix whose
 * process no longer exists and that have not changed for STALE_AGE_MS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Stale temporaries (their process is gone) are removed once they are older than this. */
export const STALE_AGE_MS = 10 * 60 * 1000;
/** How long children get after SIGTERM before their groups are killed. */
const GRACE_MS = 1500;

const children = new Set<ChildProcess>();
const temps = new Set<string>();
let stopping = false;

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts `cmd` in a new process group (stdin ignored, stdout and stderr piped), tracked until it
 * exits so that a signal to codenet ends it and everything it started.
 */
export function spawnChild(cmd: string, args: readonly string[], o: SpawnOptions = {}): ChildProcess {
  const p = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(p);
  const forget = () => children.delete(p);
  p.on('exit', forget);
  p.on('error', forget);
  return p;
}

export interface ProcessResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd` to completion (spawnChild) and collects its output (the last `maxBuffer` characters
 * of each stream). Rejects only when it cannot be started (ENOENT, ...); a non-zero exit resolves.
 */
export function runProcess(cmd: string, args: readonly string[], o: SpawnOptions & { maxBuffer?: number } = {}): Promise<ProcessResult> {
  const max = o.maxBuffer ?? 16 << 20;
  return new Promise((resolveRun, reject) => {
    let p: ChildProcess;
    try {
      p = spawnChild(cmd, args, o);
    } catch (e) {
      return reject(e);
    }
    let stdout = '', stderr = '';
    p.stdout!.on('data', (d: Buffer) => { stdout = (stdout + d.toString()).slice(-max); });
    p.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-max); });
    p.on('error', reject);
    // Ended by a signal to codenet: cleanupAll exits; callers must not report it as a failure.
    p.on('close', (code, signal) => { if (!stopping) resolveRun({ code, signal, stdout, stderr }); });
  });
}

/** True once SIGINT/SIGTERM cleanup has started: a child that ends now was ended by it. */
export const isStopping = (): boolean => stopping;

/** Child processes currently running (tests and diagnostics). */
export const runningChildren = (): number => children.size;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes `<prefix><pid>-XXXXXX` entries of `parent` whose process no longer exists and that are
 * older than `minAgeMs`; returns the paths removed. Anything else (other names, live processes,
 * this process) is left alone.
 */
export function removeStaleTemps(parent: string, prefix: string, minAgeMs = STALE_AGE_MS): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const re = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-[A-Za-z0-9]{6}$`);
  const removed: string[] = [];
  const now = Date.now();
  for (const n of names) {
    const m = re.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    const p = join(parent, n);
    try {
      if (now - statSync(p).mtimeMs < minAgeMs) continue;
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      /* another process removed it meanwhile */
    }
  }
  return removed;
}

/**
 * A fresh temporary folder `<parent>/<prefix><pid>-XXXXXX`, removed on SIGINT/SIGTERM (and by a
 * later run should this process be killed outright). Stale siblings are removed first.
 */
export function makeTempDir(parent: string, prefix: string): string {
  removeStaleTemps(parent, prefix);
  const d = mkdtempSync(join(parent, `${prefix}${process.pid}-`));
  temps.add(d);
  return d;
}

/** Removes a folder made by makeTempDir. */
export function removeTempDir(d: string): void {
  temps.delete(d);
  rmSync(d, { recursive: true, force: true });
}

/** Stops tracking a folder made by makeTempDir: it was renamed into place or is kept on purpose. */
export function keepTempDir(d: string): void {
  temps.delete(d);
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroups(pgids: readonly number[], sig: NodeJS.Signals): void {
  for (const g of pgids) {
    try {
      process.kill(-g, sig);
    } catch {
      /* the group is gone */
    }
  }
}

/**
 * Ends every tracked child's process group (SIGTERM, then SIGKILL after GRACE_MS or at once with
 * `force`) and removes every tracked temporary folder. Returns what it did.
 */
export async function cleanupAll(force = false): Promise<{ children: number; folders: number }> {
  const running = [...children];
  const pgids = running.map((p) => p.pid).filter((p): p is number => typeof p === 'number');
  if (!force && running.length) {
    signalGroups(pgids, 'SIGTERM');
    await new Promise<void>((done) => {
      const timer = setTimeout(done, GRACE_MS);
      const check = () => {
        if (running.every((p) => p.exitCode !== null || p.signalCode !== null)) {
          clearTimeout(timer);
          done();
        }
      };
      for (const p of running) p.once('exit', check);
      check();
    });
  }
  // Whatever is left in the groups (grandchildren such as make's compilers), and leaders that ignored SIGTERM.
  signalGroups(pgids, 'SIGKILL');
  // Give the kernel a moment to take them down before the folders they write into are removed.
  for (let i = 0; i < 100 && pgids.some(groupExists); i++) await new Promise((r) => setTimeout(r, 20));
  const folders = [...temps];
  for (const d of folders) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
    } catch {
      /* best effort */
    }
    temps.delete(d);
  }
  return { children: running.length, folders: folders.length };
}

let installed = false;

/**
 * SIGINT/SIGTERM handlers of the executable: end the children, remove the temporary folders, exit
 * 130 or 143. A second signal while cleaning up skips the grace period.
 */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  const handler = (sig: NodeJS.Signals) => {
    const code = 128 + (sig === 'SIGINT' ? 2 : 15);
    const force = stopping;
    stopping = true;
    void cleanupAll(force).then((r) => {
      process.stderr.write(`\ncodenet: stopped by ${sig}${r.children ? `; ended ${r.children} child process${r.children > 1 ? 'es' : ''}` : ''}${r.folders ? `, removed ${r.folders} temporary folder${r.folders > 1 ? 's' : ''}` : ''}\n`);
      process.exit(code);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
