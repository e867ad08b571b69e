// Progress on a pipe (issue 23): `codenet gen` with stderr piped and an empty build cache, so that
// Yosys really synthesises (WebAssembly, in worker threads), prints a plain progress line at least
// once per heartbeat interval; `--quiet` prints none. The interval is shortened to 1 s
// (CODENET_PROGRESS_INTERVAL) and the hardware config is small, to keep the test affordable. The
// test asserts a line per interval (gaps between lines as they arrive), never how long the work takes.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig, validateHwConfig } from '../src/hw/config.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';
import { tempDir } from './helpers/temp.ts';

/** The small Zynq-7000 config of test/synth-accel.test.ts. */
const SMALL = validateHwConfig({
  ...presetConfig('pynq-z2'), pwOutputs: 8, maxChannels: 256, rowBufferBeats: 256, lineBufferBeats: 1024, mapEntries: 256, tensorBufferBeats: 256, weightBufferBytes: 4096,
}, 'small test config');

const INTERVAL = 1;
/** Generous slack over the interval for a loaded 2-core machine (the line is due every INTERVAL s). */
const SLACK = 5;

interface Line { t: number; text: string }

/** Runs the CLI with stderr piped, timestamping each stderr line as it arrives; `stopAfter` ms ends it early. */
function runPiped(args: string[], cache: string, stopAfter?: number): Promise<{ code: number | null; lines: Line[]; t0: number; end: number }> {
  return new Promise((done, fail) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/codenet.mjs'), ...args], {
      env: { ...process.env, CODENET_CACHE: cache, CODENET_PROGRESS_INTERVAL: String(INTERVAL), CI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
    let partial = '';
    p.stdout.resume();
    p.stderr.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const text of parts) lines.push({ t: Date.now(), text });
    });
    const timer = stopAfter === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), stopAfter);
    p.on('error', fail);
    p.on('close', (code) => { clearTimeout(timer); done({ code, lines, t0, end: Date.now() }); });
  });
}

describe('progress on a pipe', () => {
  it('gen prints a progress line per interval during a cold Yosys synthesis; --quiet prints none', async () => {
    const root = tempDir('codenet-progress-');
    const hw = join(root, 'small.json');
    writeFileSync(hw, JSON.stringify(SMALL));
    const gen = (out: string) => ['gen', '--target', 'zynq', '--hw', hw, '--model', 'codenet-tiny', '-o', join(root, out)];

    const r = await runPiped(gen('loud'), join(root, 'cache-loud'));
    const text = r.lines.map((l) => l.text).join('\n');
    expect(r.code, text).toBe(0);
    const progress = r.lines.filter((l) => l.text.startsWith('codenet: '));
    console.log(`${progress.length} progress lines, e.g.\n${progress.filter((_, i) => i % 20 === 0).map((l) => l.text).join('\n')}`);
    const yosys = progress.filter((l) => /^codenet: yosys synth_xilinx of codenet_accel(: .+)?, \d+(s|m\d\ds)$/.test(l.text));
    // Several heartbeats during the synthesis, naming the Yosys pass that runs, then a closing line.
    expect(yosys.length, text).toBeGreaterThanOrEqual(3);
    expect(yosys.some((l) => / pass \(\d+(\.\d+)*\), /.test(l.text)), text).toBe(true);
    expect(progress.some((l) => /^codenet: yosys synth_xilinx of codenet_accel done in /.test(l.text)), text).toBe(true);
    // A line per interval: no gap between consecutive progress lines (from the first heartbeat of
    // the synthesis to its closing line) longer than the interval plus slack.
    const first = progress.indexOf(yosys[0]);
    const last = progress.findIndex((l) => / done in /.test(l.text));
    for (let i = first + 1; i <= last; i++) {
      const gap = (progress[i].t - progress[i - 1].t) / 1000;
      expect(gap, `${progress[i - 1].text} -> ${progress[i].text}`).toBeLessThanOrEqual(INTERVAL + SLACK);
    }

    // --quiet, on another empty cache: nothing while the synthesis runs. The run is stopped a few
    // intervals after the point at which the loud run had printed its first Yosys heartbeat (SIGKILL:
    // nothing of the cut run is looked at but its stderr).
    const window = yosys[0].t - r.t0 + 5 * INTERVAL * 1000;
    const q = await runPiped(['--quiet', ...gen('quiet')], join(root, 'cache-quiet'), window);
    expect(q.lines.filter((l) => l.text.startsWith('codenet: ') && !l.text.startsWith('codenet: error')), q.lines.map((l) => l.text).join('\n')).toEqual([]);
  }, 900_000);
});
