/**
 * Temporary folders of a test file: tempDir(prefix) makes `$TMPDIR/<prefix>XXXXXX` and removes it
 * after the file's last test (an afterAll hook of the file that imports this module), whether the
 * tests passed or not. The run checks that nothing with a test prefix is left (global-tmpdir.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered when a test file first imports this module (each test file has its own modules).
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder `$TMPDIR/<prefix>XXXXXX`, removed after the test file. Callable anywhere: at load, in hooks or in tests. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
