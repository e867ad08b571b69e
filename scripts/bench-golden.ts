/**
 * Golden-model speed: `npm run bench:golden [-- model...]`. Runs each model on a seeded image
 * (after one warm-up run) and prints wall time and MAC/s. Figures go in closing notes, not tests.
 */
import { exportZooModel } from '../src/zoo/export.ts';
import { runGolden } from '../src/golden/run.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { summarize } from '../src/info/summary.ts';

const names = process.argv.slice(2).length ? process.argv.slice(2) : ['codenet-a', 'codenet-c', 'codenet-d'];
const REPEATS = 5;
for (const name of names) {
  const m = exportZooModel(name, { seed: 0 });
  const [h, w] = m.metadata.inputSize as [number, number];
  const input = new Map([[m.inputs[0], imageCodes(randomImage(7, h, w))]]);
  const macs = summarize(m).totals.macs;
  runGolden(m, input); // warm-up: JIT
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    runGolden(m, input);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const best = times[0], median = times[REPEATS >> 1];
  console.log(`${name.padEnd(12)} ${(macs / 1e9).toFixed(3)} GMAC  best ${best.toFixed(0)} ms  median ${median.toFixed(0)} ms  ${(macs / best / 1e6).toFixed(2)} GMAC/s`);
}
