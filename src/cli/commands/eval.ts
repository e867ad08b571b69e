import { Option, type Command } from 'commander';
import { basename, dirname } from 'node:path';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { fail } from '../../util/errors.ts';
import { intOption, resolveModel } from '../model-arg.ts';
import { DEFAULT_FIT, FITS, type Fit } from '../../data/images.ts';
import { isFloatModelPath } from '../../float/model-file.ts';

/** A float model is a tfjs layers model (a model.json with modelTopology, or its folder); anything else is an integer model. TensorFlow.js loads only for float models. */
export const isFloatModel = isFloatModelPath;

/** --fit: how an image of another size becomes the model's square input (src/data/images.ts). */
export const fitOption = () =>
  new Option('--fit <mode>', 'how an image of another size becomes the model\'s square input: letterbox (keep the aspect ratio, pad with grey 128 = code 0) or resize (stretch)').choices([...FITS]).default(DEFAULT_FIT);

/** --classes: a class-name file, one name a line in the model's hm channel order. */
export const CLASSES_HELP = 'class names, one a line, in the model\'s hm channel order (default: the data\'s: classes.txt of a VOC folder, else the 20 VOC classes; a COCO file\'s categories by id)';

interface EvalCli { data: string; seed: number; json?: string; split: string; classes?: string; fit: Fit; limit?: number }

export function registerEval(program: Command): void {
  program
    .command('eval <model>')
    .description('AP50 (Pascal VOC, all-point) per class and mean, and COCO mAP@[.5:.95], of a float model (tfjs) or of an integer model through the golden model, on the built-in data set or a VOC / COCO folder')
    .option('--data <spec>', 'evaluation images: builtin[:N] (the built-in data set\'s val split, default 64), voc:DIR (Pascal VOC layout) or coco:ANNOTATIONS.json,IMAGEDIR', 'builtin:64')
    .option('--split <name>', 'with voc: the image list ImageSets/Main/<name>.txt', 'val')
    .option('--classes <names.txt>', CLASSES_HELP)
    .addOption(fitOption())
    .option('--limit <n>', 'with voc: or coco: only the first N images', intOption('--limit', 1, 10_000_000))
    .option('--seed <n>', 'seed of the built-in data set', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--json <file>', 'also write the result as JSON')
    .action(async (modelArg: string, o: EvalCli) => {
      if (o.json) checkOutputPath(o.json, 'file');
      const { parseDataSpec, readLabelled } = await import('../../data/labelled.ts');
      const spec = parseDataSpec(o.data);
      const set = spec.kind === 'builtin' ? undefined : readLabelled(spec, { split: o.split, classes: o.classes });
      if (spec.kind === 'builtin' && o.classes) fail('--classes applies to voc: and coco: data; the built-in set has its own six classes');
      const { makeDataset, NUM_CLASSES, CLASS_NAMES } = await import('../../data/shapes.ts');
      const { evalSamples, evalLabelled, floatDetector, integerDetector } = await import('../../detect/eval.ts');
      let det;
      if (isFloatModel(modelArg)) {
        const { initBackend } = await import('../../float/model.ts');
        const { loadFloatModel } = await import('../../float/io.ts');
        const backend = await initBackend({ log: (s) => process.stderr.isTTY && process.stderr.write(`${s}\n`) });
        det = { ...floatDetector(await loadFloatModel(modelArg)), kind: `float (tfjs ${backend})` };
      } else {
        det = integerDetector(resolveModel(modelArg));
      }
      const count = spec.kind === 'builtin' ? (spec.count ?? 64) : 0;
      // The zoo and `export` default to 20 classes (the VOC count, which the zoo's published figures
      // assume); the built-in set has six. Scoring a 20-class head against it would print 14 classes
      // with no ground truth and a meaningless mean, so such a model is refused with the way out.
      if (!set && det.classes !== NUM_CLASSES)
        fail(`model ${det.name} has ${det.classes} classes (its hm head), the built-in data set ${NUM_CLASSES} (${CLASS_NAMES.join(', ')}): evaluate it on data with its classes (--data voc:DIR or coco:...), or use a ${NUM_CLASSES}-class model (codenet export <zoo> --classes ${NUM_CLASSES}, codenet train)`);
      const res = set ? await evalLabelled(det, set, o.fit, o.limit) : evalSamples(det, makeDataset({ seed: o.seed, count, size: [det.height, det.width], split: 'val' }));
      const { detections: _d, ...rest } = res as typeof res & { detections?: unknown };
      const where = set ? `${set.source}${spec.kind !== 'builtin' ? `, --fit ${o.fit}` : ''}` : 'the built-in val split';
      const r = { model: det.name, kind: det.kind, data: set ? set.source : `builtin:${count} (val, seed ${o.seed})`, ...(set ? { fit: o.fit } : {}), ...rest };
      const width = Math.max(10, ...r.classes.map((c) => c.length + 1));
      console.log(`${'class'.padEnd(width)} ${'AP50'.padStart(6)} ${'mAP'.padStart(6)}`);
      for (const [c, ap] of r.perClass.entries())
        console.log(`${r.classes[c].padEnd(width)} ${ap === null ? '  (no ground truth)' : `${(100 * ap).toFixed(1).padStart(6)} ${(100 * r.coco.perClass[c]!).toFixed(1).padStart(6)}`}`);
      console.log(`${r.model}, ${r.kind}: AP50 ${(100 * r.mAP).toFixed(1)} (Pascal VOC all-point), mAP@[.5:.95] ${(100 * r.coco.mAP).toFixed(1)} (COCO 101-point; AP50 ${(100 * r.coco.ap50).toFixed(1)}, AP75 ${(100 * r.coco.ap75).toFixed(1)}) on ${r.images} images of ${where}, ${r.seconds.toFixed(1)} s`);
      if (o.json) writeFilesAtomically(dirname(o.json), [{ name: basename(o.json), data: JSON.stringify(r, null, 2) + '\n' }]);
    });
}
