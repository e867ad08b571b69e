import type { Command } from 'commander';
import { emaOption, intOption, percentileOption, weightScaleOption } from '../model-arg.ts';
import type { QuantizeCliOptions } from '../../quant/run.ts';

export function registerQuantize(program: Command): void {
  program
    .command('quantize <float-model>')
    .description('W4A8 post-training quantization of a float CoDeNet (TensorFlow.js layers format) into an integer model, with per-layer SQNR')
    .requiredOption('--calib <data>', 'calibration images: builtin[:N] (the built-in data set, default 32) or a uint8 .npy [N,H,W,3]')
    .requiredOption('-o, --out <model.json>', 'integer model file to write (beside it: <name>.sqnr.json and <name>.sqnr.svg)')
    .option('--zoo <name>', 'zoo structure of the float model (default: its name)')
    .option('--percentile <p>', 'activation range: percentile of |values| (100 = min/max)', percentileOption('--percentile'), 100)
    .option('--weight-percentile <p>', 'weight scale per output channel from this percentile of |w| (larger weights clip; 100 = the largest)', percentileOption('--weight-percentile'))
    .addOption(weightScaleOption())
    .option('--ema <momentum>', 'activation range: moving average of the ranges of batches of 4 images (e.g. 0.9) instead of the range over all', emaOption)
    .option('--seed <n>', 'seed of the built-in calibration images', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .action(async (path: string, o: QuantizeCliOptions) => {
      const { runQuantize } = await import('../../quant/run.ts');
      await runQuantize(path, o);
    });
}
