/**
 * Accelerator speed: `npm run bench:hw [-- --board B] [--ddr-efficiency E,E,...] [--also B,B|none] [model...]`. Each
 * model (default codenet-a..e) with seeded random weights runs on the generated RTL in Verilator with
 * the board's DDR model at each DDR efficiency (default 1, 0.8 and 0.6 of the DRAM peak: docs/
 * architecture.md, "Memory model"); every run must be bit-exact with the golden model. Prints, at
 * the config's efficiency (0.8), cycles, FPS at the config's clock, MAC utilisation, DDR traffic, the
 * analytic model's prediction and the simulator's own speed, then a table of FPS per efficiency
 * (simulated and predicted); then each --also board (default zcu104,kv260) at its own preset config,
 * clock and DDR efficiency, also simulated and bit-exact; writes build/bench-hw.json. Figures go in
 * closing notes, not tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { presetConfig, peakMacsPerCycle, type HwConfig } from '../src/hw/config.ts';
import { compileModel, type Compiled } from '../src/compiler/compile.ts';
import type { Model } from '../src/ir/model.ts';
import { summarize } from '../src/info/summary.ts';
import { runAccelerator } from '../src/verify/simulators.ts';
import { zooModelAndInput } from '../src/verify/cases.ts';
import { checkAgainstGolden, describeMismatch } from '../src/sim/compare.ts';
import { descriptorCycles } from '../src/perf/program.ts';
import { DDR_EFFICIENCY_SWEEP, withDdrEfficiency } from '../src/perf/model.ts';
import { ddrBandwidth } from '../src/hw/params.ts';

/** The CoDeNet accelerator on Ultra96 (FPGA 2021, first layer on the CPU). */
const PUBLISHED_FPS: Record<string, number> = { 'codenet-a': 32.2, 'codenet-b': 26.9, 'codenet-c': 9.3, 'codenet-d': 5.2, 'codenet-e': 4.6 };

const args = process.argv.slice(2);
const bi = args.indexOf('--board');
const board = bi >= 0 ? args.splice(bi, 2)[1] : 'ultra96v2';
const ei = args.indexOf('--ddr-efficiency');
const effArg = ei >= 0 ? args.splice(ei, 2)[1] : undefined;
const ai = args.indexOf('--also');
const alsoArg = ai >= 0 ? args.splice(ai, 2)[1] : 'zcu104,kv260';
const also = alsoArg === 'none' ? [] : alsoArg.split(',').map((s) => s.trim()).filter((b) => b && b !== board);
for (const b of also) presetConfig(b); // an unknown board fails here, before any simulation
const efficiencies = effArg ? effArg.split(',').map(Number) : [...DDR_EFFICIENCY_SWEEP];
if (efficiencies.some((e) => !(e >= 0.05 && e <= 1))) throw new Error(`--ddr-efficiency: expected shares of the DRAM peak in 0.05..1, got ${effArg}`);
const names = args.length ? args : ['codenet-a', 'codenet-b', 'codenet-c', 'codenet-d', 'codenet-e'];
const hw = presetConfig(board);
// The main table is at the config's efficiency when it is run, else at the first one.
const mainEff = efficiencies.includes(hw.ddrEfficiency) ? hw.ddrEfficiency : efficiencies[0];

/** One Verilator run of a compiled model on `cfg` at DDR efficiency `e`: every element against the golden model, and the analytic model's cycles. */
async function simulateAt(cfg: HwConfig, model: Model, input: Int8Array, compiled: Compiled, e: number, label: string) {
  const r = await runAccelerator(cfg, compiled, input, { bytesPerCycle: ddrBandwidth(cfg, e) });
  const chk = checkAgainstGolden(model, compiled.map, r.memory, input);
  if (!chk.match) console.log(`  ${label}: ${describeMismatch(chk.firstMismatch!)}`);
  const cfgE = withDdrEfficiency(cfg, e);
  const predictedCycles = compiled.descriptors.reduce((a, d, i) => a + descriptorCycles(d, cfgE, i === 0).total, 0);
  return { r, chk, predictedCycles };
}

const rows = [];
const sweep: Array<{ model: string; efficiency: number; bytesPerCycle: number; cycles: number; fps: number; predictedCycles: number; predictedFps: number; bitExact: boolean }> = [];
console.log(`board ${board}, ${hw.clockMHz} MHz, ${hw.lanes} lanes x ${hw.pwOutputs} outputs (peak ${peakMacsPerCycle(hw)} MAC/cycle), ` +
  `DDR at ${Math.round(100 * mainEff)}% of the peak: ${ddrBandwidth(hw, mainEff)} B/cycle`);
console.log(`${'model'.padEnd(11)}${'cycles'.padStart(12)}${'FPS'.padStart(8)}${'paper'.padStart(7)}${'MAC util'.padStart(10)}${'DDR rd MB'.padStart(11)}${'DDR wr MB'.padStart(11)}${'model err'.padStart(11)}${'bit-exact'.padStart(11)}${'sim s'.padStart(8)}${'cyc/s'.padStart(10)}`);
for (const name of names) {
  const { model, input } = zooModelAndInput(name, 1);
  const compiled = compileModel(model, hw);
  // One testbench build (rendered from the preset); each efficiency only changes its bandwidth argument.
  const runs = [];
  for (const e of efficiencies) {
    const { r, chk, predictedCycles } = await simulateAt(hw, model, input, compiled, e, `${name} at ${Math.round(100 * e)}%`);
    sweep.push({ model: name, efficiency: e, bytesPerCycle: ddrBandwidth(hw, e), cycles: r.cycles, fps: (hw.clockMHz * 1e6) / r.cycles, predictedCycles, predictedFps: (hw.clockMHz * 1e6) / predictedCycles, bitExact: chk.match });
    runs.push({ e, r, chk, predicted: predictedCycles });
  }
  const { r, chk, predicted } = runs.find((x) => x.e === mainEff)!;
  const macs = summarize(model).totals.macs;
  const row = {
    model: name, cycles: r.cycles, fps: (hw.clockMHz * 1e6) / r.cycles, publishedFps: PUBLISHED_FPS[name], macUtilisation: macs / (r.cycles * peakMacsPerCycle(hw)),
    ddrBytesRead: r.ddr.bytesRead, ddrBytesWritten: r.ddr.bytesWritten, dramBytes: r.ddr.dramBytes, predictedCycles: predicted, modelError: (predicted - r.cycles) / r.cycles,
    bitExact: runs.every((x) => x.chk.match), elements: chk.elements, descriptors: compiled.descriptors.length, simSeconds: r.wallSeconds, cyclesPerSecond: r.cycles / r.wallSeconds,
  };
  rows.push(row);
  console.log(`${name.padEnd(11)}${String(row.cycles).padStart(12)}${row.fps.toFixed(1).padStart(8)}${String(row.publishedFps ?? '').padStart(7)}${(100 * row.macUtilisation).toFixed(1).padStart(9)}%${(row.ddrBytesRead / 1e6).toFixed(1).padStart(11)}${(row.ddrBytesWritten / 1e6).toFixed(1).padStart(11)}${(100 * row.modelError).toFixed(2).padStart(10)}%${(chk.match ? 'yes' : 'NO').padStart(11)}${row.simSeconds.toFixed(1).padStart(8)}${Math.round(row.cyclesPerSecond).toString().padStart(10)}`);
}
console.log(`\nFPS at each DDR efficiency (share of the ${ddrBandwidth(hw, 1) === hw.axiDataBits / 8 ? 'DRAM peak, capped at the port' : 'DRAM peak'}), simulated (analytic model)`);
console.log(`${'model'.padEnd(11)}${efficiencies.map((e) => `${Math.round(100 * e)}% (${ddrBandwidth(hw, e).toFixed(2)} B/c)`.padStart(22)).join('')}`);
for (const name of names) {
  const cells = efficiencies.map((e) => sweep.find((s) => s.model === name && s.efficiency === e)!).map((s) => `${s.fps.toFixed(1)} (${s.predictedFps.toFixed(1)})${s.bitExact ? '' : ' NO'}`.padStart(22));
  console.log(`${name.padEnd(11)}${cells.join('')}`);
}

// The other presets at their own clocks and DDR efficiency: one simulation each, bit-exact too.
const others: Array<{ board: string; clockMHz: number; lanes: number; pwOutputs: number; peak: number; model: string; cycles: number; fps: number; macUtilisation: number; predictedCycles: number; bitExact: boolean }> = [];
if (also.length) {
  console.log(`\nOther presets, each at its own clock and DDR efficiency (simulated; analytic model error)`);
  console.log(`${'board'.padEnd(11)}${'MHz'.padStart(5)}${'array'.padStart(8)}  ${'model'.padEnd(11)}${'cycles'.padStart(12)}${'FPS'.padStart(8)}${'MAC util'.padStart(10)}${'model err'.padStart(11)}${'bit-exact'.padStart(11)}`);
}
for (const b of also) {
  const bhw = presetConfig(b);
  for (const name of names) {
    const { model, input } = zooModelAndInput(name, 1);
    const { r, chk, predictedCycles } = await simulateAt(bhw, model, input, compileModel(model, bhw), bhw.ddrEfficiency, `${name} on ${b}`);
    const o = {
      board: b, clockMHz: bhw.clockMHz, lanes: bhw.lanes, pwOutputs: bhw.pwOutputs, peak: peakMacsPerCycle(bhw), model: name, cycles: r.cycles,
      fps: (bhw.clockMHz * 1e6) / r.cycles, macUtilisation: summarize(model).totals.macs / (r.cycles * peakMacsPerCycle(bhw)), predictedCycles, bitExact: chk.match,
    };
    others.push(o);
    console.log(`${b.padEnd(11)}${String(o.clockMHz).padStart(5)}${`${o.lanes}x${o.pwOutputs}`.padStart(8)}  ${name.padEnd(11)}${String(o.cycles).padStart(12)}${o.fps.toFixed(1).padStart(8)}${(100 * o.macUtilisation).toFixed(1).padStart(9)}%${((100 * (predictedCycles - r.cycles)) / r.cycles).toFixed(2).padStart(10)}%${(chk.match ? 'yes' : 'NO').padStart(11)}`);
  }
}
mkdirSync('build', { recursive: true });
writeFileSync('build/bench-hw.json', JSON.stringify({ board, hw, ddrEfficiency: mainEff, rows, efficiencySweep: sweep, otherBoards: others }, null, 2) + '\n');
if (sweep.some((r) => !r.bitExact) || others.some((o) => !o.bitExact)) process.exitCode = 1;
