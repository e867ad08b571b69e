import type { Command } from 'commander';
import { join } from 'node:path';
import { writeFilesAtomically } from '../../io/atomic.ts';
import { findZooSpec, ZOO } from '../../zoo/specs.ts';
import { fail } from '../../util/errors.ts';
import { intOption } from '../model-arg.ts';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a float CoDeNet (TensorFlow.js) on the built-in data set; saves model.json + weights.bin and train-log.json')
    .option('--zoo <name>', 'network structure', 'codenet-tiny')
    .option('--input <px>', 'input size (square)', intOption('--input', 16, 1024), 64)
    .option('--steps <n>', 'optimizer steps (each on freshly rendered images)', intOption('--steps', 1, 10_000_000), 1000)
    .option('--batch <n>', 'images per step', intOption('--batch', 1, 1024), 16)
    .option('--lr <rate>', 'Adam learning rate', (v) => Number(v), 2e-3)
    .option('--seed <n>', 'seed of the weights and the data', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--resume <float-model>', 'continue training this model')
    .requiredOption('-o, --out <dir>', 'folder for the trained model')
    .action(async (o: { zoo: string; input: number; steps: number; batch: number; lr: number; seed: number; resume?: string; out: string }) => {
      const spec = findZooSpec(o.zoo) ?? fail(`unknown zoo network "${o.zoo}"; known: ${ZOO.map((z) => z.name).join(', ')}`);
      const { trainFloat } = await import('../../float/train.ts');
      const log = await trainFloat({ ...o, spec, log: (m) => process.stderr.isTTY && process.stderr.write(`${m}\n`) });
      writeFilesAtomically(o.out, [{ name: 'train-log.json', data: JSON.stringify(log, null, 1) + '\n' }]);
      console.log(`trained ${spec.name} at ${o.input} px for ${log.steps} steps of ${log.batch} on tfjs ${log.backend}: loss ${log.loss[0].toFixed(3)} -> ${log.loss[log.loss.length - 1].toFixed(3)}, ${log.imagesPerSecond.toFixed(2)} images/s, ${log.seconds.toFixed(1)} s; saved ${join(o.out, 'model.json')}`);
    });
}
