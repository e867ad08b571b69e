// SIGINT during a Yosys synthesis: Yosys runs in worker threads (src/synth/worker.ts), so the main
// thread handles the signal while the synthesis runs (src/util/proc.ts): codenet exits 130 before
// the synthesis ends, and leaves neither the output folder nor the design's cache entry nor a
// temporary file. An empty build cache makes the synthesis real; the small config keeps it short.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig, validateHwConfig } from '../src/hw/config.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';
import { tempDir } from './helpers/temp.ts';

/** The small Zynq-7000 config of test/synth-accel.test.ts. */
const SMALL = validateHwConfig({
  ...presetConfig('pynq-z2'), pwOutputs: 8, maxChannels: 256, rowBufferBeats: 256, lineBufferBeats: 1024, mapEntries: 256, tensorBufferBeats: 256, weightBufferBytes: 4096,
}, 'small test config');

/** Every file under `dir` (relative paths). */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('SIGINT during synthesis', () => {
  it('stops gen while Yosys runs: exit 130, no output folder, no design cache entry, no temporary file', async () => {
    const root = tempDir('codenet-synthsig-');
    const hw = join(root, 'small.json');
    writeFileSync(hw, JSON.stringify(SMALL));
    const cache = join(root, 'cache');
    const out = join(root, 'out');
    const p = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/codenet.mjs'), 'gen', '--target', 'zynq', '--hw', hw, '--model', 'codenet-tiny', '-o', out], {
      env: { ...process.env, CODENET_CACHE: cache, CODENET_PROGRESS_INTERVAL: '1', CI: '', TMPDIR: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let signalled = false;
    let sentAt = 0;
    p.stdout.resume();
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The first heartbeat of a module synthesis (after the elaboration): Yosys is mapping cells.
      if (!signalled && /codenet: yosys synth_xilinx of codenet_accel: \d+\/\d+ modules synthesized; .* pass/.test(stderr)) {
        signalled = true;
        sentAt = Date.now();
        p.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => p.on('close', (c) => done(c)));
    console.log(`exit ${code} ${((Date.now() - sentAt) / 1000).toFixed(1)} s after SIGINT`); // for the record; no assertion on time
    expect(signalled, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('codenet: stopped by SIGINT');
    expect(stderr).not.toMatch(/yosys synth_xilinx of codenet_accel done in/);
    expect(existsSync(out)).toBe(false);
    const left = files(cache);
    // Module entries of groups that finished may stay (they are complete); the design's entry and any temporary file may not.
    expect(left.filter((f) => /^yosys\/codenet_accel-/.test(f) || /\.tmp$/.test(f)), left.join('\n')).toEqual([]);
  }, 900_000);
});
