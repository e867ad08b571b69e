import type { Command } from 'commander';
import type { ImportOptions } from '../../import/run.ts';

export function registerImport(program: Command): void {
  program
    .command('import <model.onnx>')
    .description('convert an ONNX model (PyTorch export, opsets 11-19) into a codenet float model folder (TensorFlow.js layers: model.json + weights.bin) for quantize, train --qat --resume and eval')
    .requiredOption('-o, --out <dir>', 'float model folder to write')
    .option('--heads <map>', 'the CenterNet outputs: hm=NAME,wh=NAME,reg=NAME (default: the outputs named hm, wh and reg)')
    .option('--name <name>', 'model name (default: the file name)')
    .action(async (path: string, o: ImportOptions) => {
      const { runImport } = await import('../../import/run.ts');
      await runImport(path, o);
    });
}
