/**
 * Worker threads from the compiled CLI (bin/dist.mjs): float training and QAT with two threads
 * start their gradient worker from dist/<signature>/ (worker-entry.mjs loads float-worker.mjs or
 * qat-worker.mjs, no tsx), and the progress heartbeat worker prints on a pipe.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist, builtEntry } from '../bin/dist.mjs';
import { tempDir } from './helpers/temp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'codenet.mjs');

function cli(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CODENET_PROGRESS_INTERVAL: '1' } });
  expect(r.status, r.stderr).toBe(0);
  return r;
}

describe('compiled CLI worker threads', () => {
  it('trains float and QAT with a second thread from the bundle', async () => {
    const entry = await buildDist(ROOT);
    expect(builtEntry(ROOT)).toBe(entry); // bin/codenet.mjs runs this build, not tsx
    const tmp = tempDir('cn-startup-workers-');
    const float = join(tmp, 'float'), qat = join(tmp, 'qat');
    cli(['train', '--zoo', 'codenet-tiny', '--steps', '2', '--batch', '4', '--threads', '2', '-o', float]);
    expect(existsSync(join(float, 'model.json'))).toBe(true);
    const r = cli(['train', '--qat', '--resume', float, '--steps', '2', '--batch', '4', '--threads', '2', '--calib', 'builtin:16', '-o', qat]);
    expect(existsSync(join(qat, 'quantized.json'))).toBe(true);
    expect(r.stderr).toMatch(/QAT codenet-tiny \(\w+, 2 threads\)/);
  }, 300_000);
});
