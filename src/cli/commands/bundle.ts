import type { Command } from 'commander';
import { join } from 'node:path';
import { writeSimBundle } from '../../gen/bundle.ts';
import { checkOutputPath } from '../../io/atomic.ts';
import { addHwOptions, hwFromOptions, type HwOptions } from '../hw-options.ts';
import { loadInputCodes } from './golden.ts';
import { intOption, resolveModel } from '../model-arg.ts';

/** `codenet bundle`: the simulation folder (rtl/, sim/, data/) that `codenet sim` and `make sim` run. */
export function registerBundle(program: Command): void {
  addHwOptions(program
    .command('bundle <model>')
    .description('compile a model and write the simulation bundle (rtl/, sim/, data/) that codenet sim runs')
    .requiredOption('-o, --out <dir>', 'output folder'))
    .option('--seed <n>', 'seed of a zoo model\'s weights and of the random input image', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--input <file>', 'input .npy: uint8 RGB image [H,W,3] or int8 codes (default: a seeded random image)')
    .action((modelArg: string, opts: HwOptions & { out: string; seed: number; input?: string }) => {
      checkOutputPath(opts.out, 'folder');
      const model = resolveModel(modelArg, { seed: opts.seed });
      const hw = hwFromOptions(opts);
      const codes = loadInputCodes(model, opts.input, opts.seed);
      const files = writeSimBundle(opts.out, model, hw, codes);
      const mem = files['data/memory.bin'] as Uint8Array;
      console.log(`wrote the simulation bundle of ${model.name} for ${hw.board} at ${hw.clockMHz} MHz to ${opts.out} (${Object.keys(files).length} files, image ${(mem.length / 1e6).toFixed(2)} MB)`);
      console.log(`run it with: codenet sim ${opts.out}   (or without codenet: make -C ${join(opts.out, 'sim')})`);
    });
}
