/**
 * npm run bench:hls [-- model...]: HLS C-simulation (g++, the generated codenet_kernel.cpp) of zoo
 * models on the ultra96v2 config: wall time of the build and of the run, bit-exactness against the
 * golden model. Writes build/bench-hls.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { runHlsCsim } from '../src/verify/simulators.ts';
import { zooModelAndInput } from '../src/verify/cases.ts';
import { checkAgainstGolden, describeMismatch } from '../src/sim/compare.ts';

const models = process.argv.slice(2).length ? process.argv.slice(2) : ['codenet-a', 'codenet-b', 'codenet-c', 'codenet-d', 'codenet-e'];
const hw = presetConfig('ultra96v2');
const rows = [];
console.log('model         descriptors  build s  C-sim s  bit-exact');
for (const name of models) {
  const { model, input } = zooModelAndInput(name, 1);
  const c = compileModel(model, hw);
  const r = await runHlsCsim(hw, c, input);
  const chk = checkAgainstGolden(model, c.map, r.memory, input);
  rows.push({ model: name, descriptors: c.descriptors.length, buildSeconds: r.buildSeconds, csimSeconds: r.wallSeconds, bitExact: chk.match, elements: chk.elements });
  console.log(`${name.padEnd(14)}${String(c.descriptors.length).padStart(11)}${r.buildSeconds.toFixed(1).padStart(9)}${r.wallSeconds.toFixed(2).padStart(9)}  ${chk.match ? 'yes' : 'NO'}`);
  if (!chk.match) console.log(`  ${describeMismatch(chk.firstMismatch!)}`);
}
mkdirSync('build', { recursive: true });
writeFileSync('build/bench-hls.json', JSON.stringify({ board: hw.board, rows }, null, 2) + '\n');
if (rows.some((r) => !r.bitExact)) process.exitCode = 1;
