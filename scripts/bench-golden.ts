/**
 * Golden-model speed and CLI start-up: `npm run bench:golden [-- model...]`. Per zoo model:
 * - cli cold: `codenet golden <model>` spawned with an empty build cache, so the seeded model is
 *   built (random weights, calibration) before the run; wall clock of the whole process.
 * - cli warm: the same again, the model now loaded from the cache (src/zoo/cache.ts).
 * - golden in cli: the run's own figure from the warm run's output line (a first, cold-JIT run).
 * - in-process: best and median of 5 runs after a warm-up, and GMAC/s.
 * The compiled CLI (bin/dist.mjs) is built first if the sources changed, outside the timings.
 * Figures go in closing notes, not tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from '../bin/dist.mjs';
import { cachedZooModel } from '../src/zoo/cache.ts';
import { runGolden } from '../src/golden/run.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { summarize } from '../src/info/summary.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'codenet.mjs');
const names = process.argv.slice(2).length ? process.argv.slice(2) : ['codenet-a', 'codenet-c', 'codenet-d'];
const REPEATS = 5;

/** One spawned `codenet golden` run: wall seconds and the golden run's own milliseconds. */
function cliRun(name: string, cache: string, out: string): { wall: number; golden: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'golden', name, '--out', out], { encoding: 'utf8', env: { ...process.env, CODENET_CACHE: cache } });
  const wall = (performance.now() - t0) / 1000;
  const m = /in (\d+) ms/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`codenet golden ${name} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return { wall, golden: Number(m[1]) };
}

const t0 = performance.now();
const entry = await buildDist(ROOT);
console.log(`compiled CLI: ${entry.slice(ROOT.length)} (ready in ${Math.round(performance.now() - t0)} ms)`);
const tmp = mkdtempSync(join(tmpdir(), 'cn-bench-'));
try {
  for (const name of names) {
    const cache = join(tmp, `cache-${name}`), out = join(tmp, `out-${name}`);
    const cold = cliRun(name, cache, out);
    const warm = cliRun(name, cache, out);
    process.env.CODENET_CACHE = cache; // the in-process runs load the model the CLI cached
    const m = cachedZooModel(name, { seed: 0 });
    const [h, w] = m.metadata.inputSize as [number, number];
    const input = new Map([[m.inputs[0], imageCodes(randomImage(7, h, w))]]);
    const macs = summarize(m).totals.macs;
    runGolden(m, input); // warm-up: JIT
    const times: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const t = performance.now();
      runGolden(m, input);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const best = times[0], median = times[REPEATS >> 1];
    console.log(`${name.padEnd(12)} cli cold ${cold.wall.toFixed(2)} s  cli warm ${warm.wall.toFixed(2)} s  golden in cli ${warm.golden} ms  |  ` +
      `in-process ${(macs / 1e9).toFixed(3)} GMAC  best ${best.toFixed(0)} ms  median ${median.toFixed(0)} ms  ${(macs / best / 1e6).toFixed(2)} GMAC/s`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
