import { Option, type Command } from 'commander';
import { checkOutputPath } from '../../io/atomic.ts';
import { emaOption, intOption, percentileOption, weightScaleOption } from '../model-arg.ts';
import type { QuantizeCliOptions } from '../../quant/run.ts';
import { ADAROUND_ITERATIONS } from '../../quant/adaround.ts';
import { fitOption } from './eval.ts';

export function registerQuantize(program: Command): void {
  program
    .command('quantize <float-model>')
    .description('W4A8 post-training quantization of a float model (TensorFlow.js layers format; any graph of the supported layers) into an integer model, with per-layer SQNR')
    .requiredOption('--calib <data>', 'calibration images: builtin[:N] (the built-in data set, default 32), a folder of JPEG/PNG images (all, in name order) or a uint8 .npy [N,H,W,3]')
    .addOption(fitOption())
    .requiredOption('-o, --out <model.json>', 'integer model file to write (beside it: <name>.sqnr.json and <name>.sqnr.svg)')
    .option('--zoo <name>', 'check that the float model is this zoo network (not needed: the integer graph comes from the model\'s own layers)')
    .addOption(new Option('--act-range <mode>', 'activation ranges: mse (per quantizer the clipping range of least quantization error over the calibration activations; the default) or percentile (min/max, or --percentile / --ema, which imply it)').choices(['mse', 'percentile']))
    .option('--percentile <p>', 'activation range: percentile of |values| (100 = min/max); implies --act-range percentile', percentileOption('--percentile'))
    .option('--weight-percentile <p>', 'weight scale per output channel from this percentile of |w| (larger weights clip; 100 = the largest)', percentileOption('--weight-percentile'))
    .addOption(weightScaleOption())
    .option('--ema <momentum>', 'activation range: moving average of the ranges of batches of 4 images (e.g. 0.9) instead of the range over all; implies --act-range percentile', emaOption)
    .option('--no-bias-correction', 'keep the folded biases: no correction of each layer\'s mean output error on the calibration images')
    .option('--no-adaround', 'round every weight to nearest: no learned rounding (AdaRound) on the calibration images')
    .option('--adaround-iterations <n>', 'learned-rounding iterations per output channel', intOption('--adaround-iterations', 1, 100000), ADAROUND_ITERATIONS)
    .option('--seed <n>', 'seed of the built-in calibration images', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--use-graph-quant', 'use the ONNX graph\'s quantization that codenet import kept (quant-hints.json beside the float model; the default when it is there): its weight codes and activation scales where they fit, a report <name>.import-quant.json of where they do not')
    .option('--calibrate', 'ignore quant-hints.json: calibrate the activations and choose the weight scales')
    .action(async (path: string, o: QuantizeCliOptions) => {
      checkOutputPath(o.out, 'file');
      const { runQuantize } = await import('../../quant/run.ts');
      await runQuantize(path, o);
    });
}
