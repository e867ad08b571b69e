import { Option, type Command } from 'commander';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { intOption } from '../model-arg.ts';

interface ExportCli { format: 'voc' | 'coco'; out: string; split: 'train' | 'val'; count: number; seed: number; size: number }

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('the built-in data set on disk');
  dataset
    .command('export')
    .description('write the built-in data set (one split, PNG images: lossless) in the Pascal VOC or COCO layout, to read back with eval --data voc:DIR or coco:DIR/annotations.json,DIR/images')
    .addOption(new Option('--format <layout>', 'voc (JPEGImages/, Annotations/, ImageSets/Main/<split>.txt, classes.txt) or coco (annotations.json, images/)').choices(['voc', 'coco']).makeOptionMandatory())
    .requiredOption('-o, --out <dir>', 'output folder')
    .addOption(new Option('--split <name>', 'which split of the built-in set').choices(['val', 'train']).default('val'))
    .option('--count <n>', 'images (sample i is the same whatever the count: eval --data builtin:N takes the first N of val)', intOption('--count', 1, 1_000_000), 64)
    .option('--seed <n>', 'seed of the data set (as eval --seed)', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--size <px>', 'image side in pixels (the model\'s input, to compare with eval --data builtin)', intOption('--size', 16, 4096), 64)
    .action(async (o: ExportCli) => {
      checkOutputPath(o.out, 'folder');
      const { makeDataset, CLASS_NAMES } = await import('../../data/shapes.ts');
      const { vocFiles, cocoFiles } = await import('../../data/labelled.ts');
      const samples = makeDataset({ seed: o.seed, count: o.count, size: o.size, split: o.split });
      const files = await (o.format === 'voc' ? vocFiles : cocoFiles)(samples, o.split, CLASS_NAMES);
      writeFilesAtomically(o.out, files);
      const boxes = samples.reduce((n, s) => n + s.boxes.length, 0);
      const read = o.format === 'voc' ? `--data voc:${o.out}${o.split === 'val' ? '' : ` --split ${o.split}`}` : `--data coco:${o.out}/annotations.json,${o.out}/images`;
      console.log(`wrote ${o.count} ${o.size}x${o.size} images of the built-in ${o.split} split (seed ${o.seed}), ${boxes} boxes, ${CLASS_NAMES.length} classes, in the ${o.format === 'voc' ? 'Pascal VOC' : 'COCO'} layout to ${o.out}; evaluate with codenet eval <model> ${read}`);
    });
}
