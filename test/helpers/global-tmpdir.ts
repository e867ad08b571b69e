/**
 * vitest globalSetup (vitest.config.ts): the run gets a private TMPDIR, so that what its tests
 * leave behind can be told apart from other runs on the machine. At the end, any folder left there
 * with a test or codenet prefix (codenet-*, cn-*) is listed and fails the run (exit code 1); then
 * the private folder is removed with everything in it (tsx's cache of child processes, a browser
 * profile, ...). Tests make their folders with tempDir() (test/helpers/temp.ts), which removes them.
 *
 * The folder's name is short (`$TMPDIR/cnt-XXXXXX`): tests put temporary paths into names that
 * have length limits (test/hostile-names.test.ts). It holds the pid of the run in `.owner`; a later
 * run removes the folder of a run that was killed before its teardown.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Names of folders that tests (and codenet itself) make in TMPDIR. */
export const TEST_TEMP_PREFIX = /^(codenet-|cn-)/;

/** Set by the setup that owns the run's TMPDIR: vitest calls setup once per project. */
const OWNER = 'CODENET_TEST_TMPDIR';
const ROOT_PREFIX = 'cnt-';
/** A run's folder whose process is gone is removed once it has not changed for this long. */
const STALE_MS = 10 * 60 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the folders of earlier runs that were killed (their pid is gone, nothing changed for STALE_MS). */
function removeStaleRoots(parent: string): void {
  for (const n of readdirSync(parent)) {
    if (!/^cnt-[A-Za-z0-9]{6}$/.test(n)) continue;
    const d = join(parent, n);
    try {
      const pid = Number(readFileSync(join(d, '.owner'), 'utf8'));
      if (!Number.isInteger(pid) || alive(pid) || Date.now() - statSync(d).mtimeMs < STALE_MS) continue;
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* not one of ours, or removed meanwhile */
    }
  }
}

export function setup(): (() => void) | undefined {
  if (process.env[OWNER]) return undefined;
  const parent = tmpdir();
  removeStaleRoots(parent);
  const root = mkdtempSync(join(parent, ROOT_PREFIX));
  writeFileSync(join(root, '.owner'), String(process.pid));
  // as /tmp: the bad-input test runs codenet as another user, which writes tsx's cache here
  chmodSync(root, 0o1777);
  const saved = process.env.TMPDIR;
  process.env[OWNER] = root;
  process.env.TMPDIR = root; // inherited by the test workers and every process they start
  return () => {
    const left = readdirSync(root).filter((n) => TEST_TEMP_PREFIX.test(n)).sort();
    if (left.length) {
      console.error(`\ntemporary folders left behind by tests (each test file must remove what it makes: test/helpers/temp.ts):\n${left.map((n) => `  ${n}\n`).join('')}`);
      process.exitCode = 1;
    }
    rmSync(root, { recursive: true, force: true });
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    delete process.env[OWNER];
  };
}
