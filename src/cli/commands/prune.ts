import { Option, type Command } from 'commander';
import { checkOutputPath } from '../../io/atomic.ts';
import { fail } from '../../util/errors.ts';
import { intOption } from '../model-arg.ts';
import { addHwOptions, hwFromOptions } from '../hw-options.ts';
import { MAX_STEPS } from '../../float/defaults.ts';

interface PruneCli {
  targetFps?: number; ratio?: number; board: string; hw?: string; clock?: number; importance: 'bn' | 'l1' | 'taylor'; minKeep: number; headMinKeep: number;
  steps: number; minutes?: number; batch: number; lr: number; seed: number; distillWeight: number; distill: boolean; taylorBatches: number; out: string;
}

/** A number option, naming the flag when the text is not a number. */
const num = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) fail(`${flag} must be a number, got "${v}"`);
  return n;
};

export function registerPrune(program: Command): void {
  const cmd = program
    .command('prune <float-model>')
    .description('structured channel pruning of a float model for a board, widths chosen by the accelerator\'s cycle model, then fine-tuning with distillation from the unpruned model (docs/codesign.md)')
    .option('--target-fps <F>', 'search the per-layer widths that reach F frames/s by the cycle model, losing the least channel importance ("max": as fast as --min-keep and --head-min-keep allow)', (v: string) => (v.trim() === 'max' ? Infinity : num('--target-fps')(v)))
    .option('--ratio <R>', 'instead: remove this share (0..1) of the prunable channels, the least important first', num('--ratio'))
    .addOption(new Option('--importance <method>', 'channel importance: bn (|batch-norm scale|), l1 (filter L1 norm) or taylor (first-order Taylor on the batch-norm parameters)').choices(['bn', 'l1', 'taylor']).default('bn'))
    .option('--min-keep <fraction>', 'the smallest share of each layer\'s channels kept (at least one)', num('--min-keep'), 0.125)
    .option('--head-min-keep <fraction>', 'the smallest share kept by the detection heads\' hidden layers and the layers that feed them (a head cut to a few channels collapses the detector)', num('--head-min-keep'), 0.5)
    .option('--taylor-batches <n>', 'with --importance taylor: training batches the estimate sums over', intOption('--taylor-batches', 1, 1000), 4)
    .option('--steps <n>', 'fine-tuning steps after pruning, each on freshly rendered images (0: none; with --minutes the most)', intOption('--steps', 0, MAX_STEPS), 300)
    .option('--minutes <m>', 'fine-tuning wall-time budget, planned as codenet train plans it (--steps with the logged count repeats the run)', num('--minutes'))
    .option('--batch <n>', 'fine-tuning images per step', intOption('--batch', 1, 1024), 16)
    .option('--lr <rate>', 'fine-tuning Adam learning rate (cosine decay as codenet train)', num('--lr'), 1e-3)
    .option('--distill-weight <w>', 'weight of the distillation term (heat map and boxes from the unpruned model) beside the CenterNet loss', num('--distill-weight'), 1)
    .option('--no-distill', 'fine-tune on the CenterNet loss alone')
    .option('--seed <n>', 'seed of the fine-tuning and taylor data', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .requiredOption('-o, --out <dir>', 'folder for the pruned float model (model.json, weights.bin) and prune-report.json');
  // The board whose cycle model sets the latency (and the FPS the report gives).
  addHwOptions(cmd).action(async (path: string, o: PruneCli) => {
      const { checkPruneOptions, runPrune, pruneSummary } = await import('../../codesign/prune.ts');
      const distillWeight = o.distill ? o.distillWeight : 0;
      checkPruneOptions({ ...o, distillWeight });
      checkOutputPath(o.out, 'folder');
      const hw = hwFromOptions(o);
      const log = (m: string) => process.stderr.isTTY && process.stderr.write(`${m}\n`);
      const r = await runPrune(path, { ...o, hw, distillWeight, log });
      for (const line of pruneSummary(r, o.out)) console.log(line);
    });
}
