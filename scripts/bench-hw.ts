/**
 * Accelerator speed: `npm run bench:hw [-- --board B] [model...]`. Each model (default codenet-a..e)
 * with seeded random weights runs on the generated RTL in Verilator with the board's DDR model; the
 * result must be bit-exact with the golden model. Prints cycles, FPS at the config's clock, MAC
 * utilisation, DDR traffic, the analytic model's prediction, and the simulator's own speed; writes
 * build/bench-hw.json. Figures go in closing notes, not tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { presetConfig, peakMacsPerCycle } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { summarize } from '../src/info/summary.ts';
import { runAccelerator } from '../src/verify/simulators.ts';
import { zooModelAndInput } from '../src/verify/cases.ts';
import { checkAgainstGolden, describeMismatch } from '../src/sim/compare.ts';
import { descriptorCycles } from '../src/perf/program.ts';

/** The CoDeNet accelerator on Ultra96 (FPGA 2021, first layer on the CPU). */
const PUBLISHED_FPS: Record<string, number> = { 'codenet-a': 32.2, 'codenet-b': 26.9, 'codenet-c': 9.3, 'codenet-d': 5.2, 'codenet-e': 4.6 };

const args = process.argv.slice(2);
const bi = args.indexOf('--board');
const board = bi >= 0 ? args.splice(bi, 2)[1] : 'ultra96v2';
const names = args.length ? args : ['codenet-a', 'codenet-b', 'codenet-c', 'codenet-d', 'codenet-e'];
const hw = presetConfig(board);
const rows = [];
console.log(`board ${board}, ${hw.clockMHz} MHz, ${hw.lanes} lanes x ${hw.pwOutputs} outputs (peak ${peakMacsPerCycle(hw)} MAC/cycle)`);
console.log(`${'model'.padEnd(11)}${'cycles'.padStart(12)}${'FPS'.padStart(8)}${'paper'.padStart(7)}${'MAC util'.padStart(10)}${'DDR rd MB'.padStart(11)}${'DDR wr MB'.padStart(11)}${'model err'.padStart(11)}${'bit-exact'.padStart(11)}${'sim s'.padStart(8)}${'cyc/s'.padStart(10)}`);
for (const name of names) {
  const { model, input } = zooModelAndInput(name, 1);
  const compiled = compileModel(model, hw);
  const r = await runAccelerator(hw, compiled, input);
  const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
  const macs = summarize(model).totals.macs;
  const predicted = compiled.descriptors.reduce((a, d) => a + descriptorCycles(d, hw).total, 0);
  const row = {
    model: name, cycles: r.cycles, fps: (hw.clockMHz * 1e6) / r.cycles, publishedFps: PUBLISHED_FPS[name], macUtilisation: macs / (r.cycles * peakMacsPerCycle(hw)),
    ddrBytesRead: r.ddr.bytesRead, ddrBytesWritten: r.ddr.bytesWritten, predictedCycles: predicted, modelError: (predicted - r.cycles) / r.cycles,
    bitExact: chk.match, elements: chk.elements, descriptors: compiled.descriptors.length, simSeconds: r.wallSeconds, cyclesPerSecond: r.cycles / r.wallSeconds,
  };
  rows.push(row);
  console.log(`${name.padEnd(11)}${String(row.cycles).padStart(12)}${row.fps.toFixed(1).padStart(8)}${String(row.publishedFps ?? '').padStart(7)}${(100 * row.macUtilisation).toFixed(1).padStart(9)}%${(row.ddrBytesRead / 1e6).toFixed(1).padStart(11)}${(row.ddrBytesWritten / 1e6).toFixed(1).padStart(11)}${(100 * row.modelError).toFixed(2).padStart(10)}%${(chk.match ? 'yes' : 'NO').padStart(11)}${row.simSeconds.toFixed(1).padStart(8)}${Math.round(row.cyclesPerSecond).toString().padStart(10)}`);
  if (!chk.match) console.log(`  ${describeMismatch(chk.firstMismatch!)}`);
}
mkdirSync('build', { recursive: true });
writeFileSync('build/bench-hw.json', JSON.stringify({ board, hw, rows }, null, 2) + '\n');
if (rows.some((r) => !r.bitExact)) process.exitCode = 1;
