import { Option, type Command } from 'commander';
import { basename, dirname, join } from 'node:path';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { simJunitXml } from '../../verify/ci.ts';
import { bundleInputCodes, loadBundle, withModel, runSimulation, SimulationError, type SimResult } from '../../sim/run.ts';
import { SIM_REPORT_FORMAT, SIM_REPORT_VERSION, SimReportSchema, type SimReport } from '../../sim/report.ts';
import { fail } from '../../util/errors.ts';
import { updateReport, withSimulation } from '../../report/update.ts';
import { loadInputCodes } from './golden.ts';
import { intOption, resolveModel, simReportName } from '../model-arg.ts';
import { peakMacsPerCycle } from '../../hw/config.ts';
import { DDR_EFFICIENCY_HELP, ddrEfficiencyOption, utilisationText } from './perf.ts';
import { ddrDefaults } from '../../sim/testbench.ts';
import { planModel } from '../../compiler/plan.ts';
import { rmSync } from 'node:fs';
import { renderCsimSources } from '../../gen/hls.ts';
import { tmpdir } from 'node:os';
import { makeTempDir, removeTempDir } from '../../util/proc.ts';
import { parseTraceBound } from '../../sim/waveform.ts';
import { DEFAULT_SIMULATOR, SIMULATOR_NAMES, type SimulatorName } from '../../sim/simulator.ts';

/** Ends a command with a given exit code after it has printed its own explanation (main() returns the code). */
export class CommandExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function numberOption(flag: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!v.trim() || !Number.isFinite(n) || n < min || n > max) fail(`${flag} must be a number in ${min}..${max}, got "${v}"`);
    return n;
  };
}

function addressOption(v: string): number {
  const n = Number(v);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) || !Number.isSafeInteger(n) || n % 4096 !== 0) fail(`--base must be a multiple of 4096 (decimal or 0x hex), got "${v}"`);
  return n;
}

/** `fusedInto`: a fused 1x1 layer -> the dw3x3 layer whose passes compute it (its MACs stay on its row, its cycles are there). */
function printLayers(r: SimResult, fusedInto: Map<string, string>): void {
  console.log(`${'layer'.padEnd(22)}${'op'.padEnd(10)}${'desc'.padStart(5)}${'MACs'.padStart(12)}${'cycles'.padStart(11)}${'loader wait'.padStart(12)}${'MAC/cycle'.padStart(10)}  bit-exact`);
  for (const l of r.layers)
    console.log(`${l.name.padEnd(22)}${l.op.padEnd(10)}${String(l.descriptors).padStart(5)}${String(l.macs).padStart(12)}${String(l.cycles).padStart(11)}${String(l.loaderWaitCycles).padStart(12)}${(l.cycles ? (l.macs / l.cycles).toFixed(1) : '-').padStart(10)}  ${l.match ? 'yes' : 'NO'}${fusedInto.has(l.name) ? `  (fused into ${fusedInto.get(l.name)})` : ''}`);
  console.log('');
}

/** Writes the run's report file and, when `toReport`, the simulated cycles into report/ ('report' when it did). */
function writeReports(dir: string, name: string, report: SimReport, toReport: boolean): 'report' | 'sim-report' {
  writeFilesAtomically(dir, [{ name, data: JSON.stringify(report, null, 2) + '\n' }]);
  // The report describes the folder's model and takes cycles from the cycle-accurate RTL simulation only.
  return toReport && updateReport(dir, (x) => withSimulation(x, report)) ? 'report' : 'sim-report';
}

/** A failed run removes the report file of an earlier one: it no longer describes the folder. */
function staleReport(dir: string, name: string): void {
  rmSync(join(dir, name), { force: true });
}

export function registerSim(program: Command): void {
  program
    .command('sim <dir>')
    .description('run the accelerator of a generated folder (codenet gen or codenet bundle) in Verilator, Icarus or HLS C-simulation and compare every tensor with the golden model')
    .option('--model <name|file>', 'run another model (zoo name, seed 0, or model file) on the folder\'s accelerator: compiled for its data/hw.json')
    .option('--input <file>', 'input .npy: uint8 RGB image [H,W,3] or int8 codes (default: the bundle\'s data/input.bin)')
    .addOption(new Option('--simulator <name>', 'verilator or icarus (the RTL), hls (C-simulation of hls/ with g++), reference (the ISA reference interpreter: no build, untimed, the fast check)').choices([...SIMULATOR_NAMES]).default(DEFAULT_SIMULATOR))
    .addOption(new Option('--backend <name>', 'rtl (rtl/ on --simulator) or hls (same as --simulator hls)').choices(['rtl', 'hls']).default('rtl'))
    .option('--trace <out.fst>', 'write an FST waveform in ps at the clock (a separate build with trace support; slow and large; docs/waveforms.md, view with sim/codenet.gtkw)')
    .option('--trace-from <C|dI>', 'start the waveform C cycles after START, or at descriptor I\'s fetch (dI)', parseTraceBound('--trace-from'))
    .option('--trace-to <C|dI>', 'end the waveform C cycles after START, or when descriptor I is done fetching (dI: at descriptor I+1\'s fetch)', parseTraceBound('--trace-to'))
    .option('--trace-depth <n>', 'scope levels in the waveform (1 the ports, 2 the top module, 3 the sequencer, 4 the engines; default all)', intOption('--trace-depth', 1, 99))
    .option('--layers', 'print cycles, loader wait and bit-exactness per layer')
    .option('--all-in-ddr', 'recompile the folder\'s model with every tensor in DDR (no 1x1 -> dw3x3 fusion, no tensor buffer) so a mismatch names the first layer that differs; slower')
    .option('--latency <cycles>', 'DDR model read latency (default: the board\'s, at the config\'s clock)', intOption('--latency', 0, 100_000))
    .option('--bandwidth <GBps>', 'DDR model bandwidth in GB/s, 0 = unlimited (default: the board\'s DDR)', numberOption('--bandwidth', 0, 1000))
    .option('--ddr-efficiency <share>', `DDR model: ${DDR_EFFICIENCY_HELP}; the bandwidth is min(port, DRAM peak x share)`, ddrEfficiencyOption)
    .option('--max-cycles <n>', 'give up after this many cycles without the interrupt (default: 4x the program\'s predicted cycles + 1,000,000)', intOption('--max-cycles', 1, Number.MAX_SAFE_INTEGER))
    .option('--watchdog <cycles>', 'give up when no new descriptor starts for this many cycles, naming the one it hangs on; 0 = off (default: 4x the longest predicted descriptor + 100,000)', intOption('--watchdog', 0, Number.MAX_SAFE_INTEGER))
    .option('--base <addr>', 'physical address the image is linked at (multiple of 4096)', addressOption)
    .option('--junit <file>', 'write JUnit XML (one testcase per layer; a failure names the first differing element), also when the check fails')
    .action(async (dir: string, opts: { junit?: string; model?: string; input?: string; simulator: SimulatorName; backend: 'rtl' | 'hls'; trace?: string; traceFrom?: string; traceTo?: string; traceDepth?: number; layers?: boolean; allInDdr?: boolean; latency?: number; bandwidth?: number; ddrEfficiency?: number; maxCycles?: number; watchdog?: number; base?: number }) => {
      if (opts.bandwidth !== undefined && opts.ddrEfficiency !== undefined) fail('--bandwidth and --ddr-efficiency both set the DDR model\'s bandwidth: give one');
      if (!opts.trace && (opts.traceFrom || opts.traceTo || opts.traceDepth)) fail('--trace-from, --trace-to and --trace-depth need --trace <out.fst>');
      if (opts.junit) checkOutputPath(opts.junit, 'file');
      const junit = (x: Parameters<typeof simJunitXml>[1]) => opts.junit && writeFilesAtomically(dirname(opts.junit), [{ name: basename(opts.junit), data: simJunitXml(dir, x) }]);
      const t0 = performance.now();
      let bundle = loadBundle(dir);
      if (opts.backend === 'hls') opts.simulator = 'hls';
      const model = opts.model ? resolveModel(opts.model) : undefined;
      const reportName = simReportName(opts.model);
      const tmp = makeTempDir(tmpdir(), 'codenet-model-');
      let r: SimResult;
      try {
        if (model || opts.allInDdr) {
          const input = model ? loadInputCodes(model, undefined, 0) : bundleInputCodes(bundle);
          bundle = withModel(bundle, model ?? bundle.model, tmp, input, opts.allInDdr ? { fuse: false, chip: false } : {});
        }
        const inputCodes = opts.input ? loadInputCodes(bundle.model, opts.input, 0) : undefined;
        r = await runSimulation({
          dir, bundle, simulator: opts.simulator, inputCodes, inputName: opts.input, trace: opts.trace, traceFrom: opts.traceFrom, traceTo: opts.traceTo, traceDepth: opts.traceDepth, latency: opts.latency,
          bytesPerCycle: opts.bandwidth !== undefined ? (opts.bandwidth * 1e9) / (bundle.hw.clockMHz * 1e6)
            : opts.ddrEfficiency !== undefined ? ddrDefaults(bundle.hw, opts.ddrEfficiency).bytesPerCycle : undefined,
          maxCycles: opts.maxCycles, watchdog: opts.watchdog, base: opts.base, renderHls: renderCsimSources,
        });
      } catch (e) {
        if (!(e instanceof SimulationError)) throw e;
        staleReport(dir, reportName);
        junit({ model: bundle.model.name, simulator: opts.simulator, seconds: (performance.now() - t0) / 1000, error: e.message });
        process.stderr.write(`codenet: simulation of ${dir} failed: ${e.message}\n`);
        throw new CommandExit(1);
      } finally {
        removeTempDir(tmp);
      }
      const report = SimReportSchema.parse({ format: SIM_REPORT_FORMAT, version: SIM_REPORT_VERSION, ...r });
      // Reports only after the check passed: a failing run leaves no sim-report.json (and removes
      // one an earlier run left, which no longer describes the folder) and does not touch report/.
      const reported = r.match && writeReports(dir, reportName, report, r.simulator !== 'hls' && r.simulator !== 'reference' && !model && !opts.allInDdr);
      if (!r.match) staleReport(dir, reportName);
      junit({ model: r.model, simulator: r.simulator, seconds: r.wallSeconds, result: r });

      if (opts.layers) {
        const plan = planModel(bundle.model, bundle.hw, opts.allInDdr ? { fuse: false, chip: false } : {});
        printLayers(r, new Map(plan.layers.flatMap((l) => (l.fusedInto === undefined ? [] : [[l.name, plan.layers[l.fusedInto].name] as [string, string]]))));
      }
      const bw = r.ddrModel.bytesPerCycle ? `${r.ddrModel.bytesPerCycle.toFixed(2)} B/cycle` : 'unlimited bandwidth';
      if (r.simulator === 'reference') {
        console.log(`${r.model} on ${r.board}: ISA reference interpreter (untimed: cycles come from an RTL simulation)`);
        console.log(`ran in ${r.wallSeconds.toFixed(2)} s${r.match ? `; report: ${join(dir, reportName)}` : ''}`);
      } else if (r.simulator === 'hls') {
        console.log(`${r.model} on ${r.board}: HLS C-simulation (g++, untimed: cycles come from the RTL simulation or Vitis co-simulation)`);
        console.log(`ran in ${r.wallSeconds.toFixed(2)} s${r.match ? `; report: ${join(dir, reportName)}` : ''}`);
      } else {
        console.log(`${r.model} on ${r.board} at ${r.clockMHz} MHz, ${r.simulator === 'icarus' ? 'Icarus Verilog' : 'Verilator'} (DDR model: ${bw}, read latency ${r.ddrModel.latency} cycles, base ${r.ddrModel.base})`);
        console.log(`total cycles ${r.totalCycles}, ${r.fps.toFixed(1)} FPS, ${utilisationText(r.macUtilisation, r.layers.reduce((a, l) => a + l.macs, 0), peakMacsPerCycle(bundle.hw))}, DDR ${(r.ddr.bytesRead / 1e6).toFixed(2)} MB read, ${(r.ddr.bytesWritten / 1e6).toFixed(2)} MB written`);
        console.log(`simulated in ${r.wallSeconds.toFixed(1)} s (${Math.round(r.cyclesPerSecond)} cycles/s)${r.match ? `; report: ${join(dir, reportName)}` : ''}${reported === 'report' ? `, simulated cycles added to ${join(dir, 'report')}` : ''}`);
      }
      const m = r.firstMismatch;
      if (!m) return void console.log(`bit-exact: ${r.compared.tensors} tensors, ${r.compared.elements} elements${r.compared.onChip ? ` (${r.compared.onChip} tensors never leave the chip: dilation maps, fused 1x1 outputs and tensor-buffer tensors, checked through the layers that read them)` : ''}`);
      console.log(`MISMATCH: layer "${m.layer}", tensor "${m.tensor}" at y=${m.y} x=${m.x} c=${m.c}: expected ${m.expected}, ${r.simulator === 'hls' ? 'HLS' : r.simulator === 'reference' ? 'reference' : 'RTL'} ${m.unknown ? 'X' : m.actual} (${m.count} element${m.count > 1 ? 's' : ''} of the tensor differ)`);
      if (r.compared.onChip) console.log(`(${r.compared.onChip} tensors never leave the chip and are checked only through their readers, so the cause may lie in a layer before this one: --all-in-ddr names the first layer that differs)`);
      throw new CommandExit(1);
    });
}
