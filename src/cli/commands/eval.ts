import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFilesAtomically } from '../../io/atomic.ts';
import { fail } from '../../util/errors.ts';
import { intOption, resolveModel } from '../model-arg.ts';

/** A float model is a tfjs layers model (a model.json with modelTopology, or its folder); anything else is an integer model. TensorFlow.js loads only for float models. */
function isFloatModel(path: string): boolean {
  const f = existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
  if (!existsSync(f)) return false;
  try {
    return 'modelTopology' in JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return false; // not JSON: the integer model loader names the problem
  }
}

export function registerEval(program: Command): void {
  program
    .command('eval <model>')
    .description('AP50 (Pascal VOC, all-point) per class and mean of a float model (tfjs) or of an integer model through the golden model, on the built-in data set')
    .option('--data <spec>', 'evaluation images: builtin[:N] (the built-in data set\'s val split, default 64)', 'builtin:64')
    .option('--seed <n>', 'seed of the data set', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--json <file>', 'also write the result as JSON')
    .action(async (modelArg: string, o: { data: string; seed: number; json?: string }) => {
      const m = /^builtin(?::(\d+))?$/.exec(o.data) ?? fail(`--data must be builtin[:N], got "${o.data}"`);
      const count = Number(m[1] ?? 64);
      const { makeDataset } = await import('../../data/shapes.ts');
      const { evalFloat, evalInteger } = await import('../../detect/eval.ts');
      let r;
      if (isFloatModel(modelArg)) {
        const { initBackend } = await import('../../float/model.ts');
        const { loadFloatModel } = await import('../../float/io.ts');
        const backend = await initBackend({ log: (s) => process.stderr.isTTY && process.stderr.write(`${s}\n`) });
        const fm = await loadFloatModel(modelArg);
        const size = fm.inputs[0].shape[1] as number;
        r = { model: fm.name, kind: `float (tfjs ${backend})`, ...evalFloat(fm, makeDataset({ seed: o.seed, count, size, split: 'val' })) };
      } else {
        const im = resolveModel(modelArg);
        const [h] = im.tensors.get(im.inputs[0])!.shape;
        r = { model: im.name, kind: 'integer (golden model)', ...evalInteger(im, makeDataset({ seed: o.seed, count, size: h, split: 'val' })) };
      }
      for (const [c, ap] of r.perClass.entries()) console.log(`${r.classes[c].padEnd(10)} ${ap === null ? '  (no ground truth)' : (100 * ap).toFixed(1).padStart(6)}`);
      console.log(`${r.model}, ${r.kind}: AP50 ${(100 * r.mAP).toFixed(1)} (Pascal VOC all-point) on ${r.images} images of the built-in val split, ${r.seconds.toFixed(1)} s`);
      if (o.json) writeFilesAtomically(dirname(o.json), [{ name: basename(o.json), data: JSON.stringify(r, null, 2) + '\n' }]);
    });
}
