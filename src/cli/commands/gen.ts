import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { checkOutputDir, generateZynq } from '../../gen/zynq.ts';
import { checkOutputPath, replaceDirAtomically } from '../../io/atomic.ts';
import { defaultBuildDir } from '../../util/paths.ts';
import { intOption, modelArgName, resolveModel } from '../model-arg.ts';
import { utilisationText } from './perf.ts';
import { addHwOptions, hwFromOptions, type HwOptions } from '../hw-options.ts';
import { loadInputCodes } from './golden.ts';
import { addCapOptions, capsFromOptions, type CapOptions } from './caps-options.ts';
import { printResources } from './synth.ts';

interface GenOpts extends CapOptions, HwOptions {
  target: 'zynq';
  backend: 'rtl' | 'hls';
  model: string;
  out?: string;
  force?: boolean;
  synth: boolean;
  seed: number;
  input?: string;
}

/** `codenet gen --target zynq`: the folder a hardware engineer builds, simulates and runs (docs/outputs.md). */
export function registerGen(program: Command): void {
  const cmd = addHwOptions(program
    .command('gen')
    .description('generate the accelerator deliverable: RTL, testbench, Vivado project, drivers, memory image and reports')
    .addOption(new Option('--target <target>', 'what to generate').choices(['zynq']).makeOptionMandatory())
    .addOption(new Option('--backend <name>', 'accelerator the Vivado project builds: rtl (rtl/) or hls (the IP exported from hls/)').choices(['rtl', 'hls']).default('rtl')))
    .option('--model <name|file>', 'zoo model (seeded random weights) or integer model file', 'codenet-a')
    .option('-o, --out <dir>', 'output folder (default ./build/codenet-<model>-<board>: the zoo name, or the model file\'s name without its extension, made file-name safe)')
    .option('--force', 'replace a non-empty folder that codenet gen did not create')
    .option('--no-synth', 'skip the Yosys resource estimate (and its caps)')
    .option('--seed <n>', 'seed of a zoo model\'s weights and of the sample input', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--input <file>', 'sample input .npy for data/input.bin (uint8 RGB [H,W,3] or int8 codes; default: a seeded random image)');
  addCapOptions(cmd).action(async (o: GenOpts) => {
    const model = resolveModel(o.model, { seed: o.seed });
    const hw = hwFromOptions(o);
    // The default folder: a zoo model's name, or a model file's name (not its metadata.name, which
    // may be the zoo model it was trained from), made safe and kept inside build/.
    const out = o.out ?? defaultBuildDir('codenet', modelArgName(o.model), hw.board);
    checkOutputDir(out, !!o.force);
    checkOutputPath(out, 'folder');
    const codes = loadInputCodes(model, o.input, o.seed);
    const tty = process.stderr.isTTY === true && !process.env.CI;
    if (tty && o.synth && o.backend === 'rtl') process.stderr.write('compiling, rendering and synthesizing with Yosys (minutes on the first run, cached after)...\n');
    const t0 = performance.now();
    // Yosys estimates the RTL; the HLS backend's resources come from Vitis' synthesis report.
    const synth = o.synth && o.backend === 'rtl';
    const g = await generateZynq({ model, hw, inputCodes: codes, synth, caps: capsFromOptions(o), backend: o.backend });
    replaceDirAtomically(out, g.files); // the whole folder, in one swap: no stale files, nothing half-written
    const perf = g.perf; // of the program gen compiled (once)
    const bytes = g.files.reduce((a, f) => a + f.data.length, 0);
    console.log(`wrote ${out}: ${g.files.length} files, ${(bytes / 1e6).toFixed(1)} MB (${model.name} on ${hw.board} at ${hw.clockMHz} MHz, ${g.compiled.descriptors.length} descriptors) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (g.synth) printResources(g.synth, false);
    else if (o.backend === 'hls') console.log('resources: the HLS backend\'s come from vitis_hls (hls/codenet_hls/solution1/syn/report); codenet synth estimates the RTL');
    else console.log('resources: not estimated (--no-synth); run codenet synth ' + out);
    console.log(`expected: ${perf.cycles.toLocaleString('en-US')} cycles per frame, ${perf.fps.toFixed(1)} FPS, ${utilisationText(perf.macUtilisation, perf.macs, perf.peakMacsPerCycle)}, DDR ${(perf.ddrBytes / 1e6).toFixed(1)} MB per frame (analytic model)`);
    console.log(`next:
  codenet sim ${out}                  simulate in Verilator, compare every tensor with the golden model (or: make -C ${join(out, 'sim')})
  codenet sim ${out} --backend hls    C-simulate the HLS version (or: make -C ${join(out, 'hls')})${o.backend === 'hls' ? `
  (cd ${out} && vitis_hls -f hls/run_hls.tcl)   synthesize and export the HLS IP (before Vivado)` : ''}
  (cd ${out} && vivado -mode batch -source vivado/create_project.tcl)   bitstream, .xsa and .hwh in vivado/output
  open ${join(out, 'report/report.html')}`);
  });
}
