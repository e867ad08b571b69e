import { Option, type Command } from 'commander';
import type { ActRangeMode, WeightScaleMode } from '../../quant/quantize.ts';
import type { QatInit } from '../../quant/qat-train.ts';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { findZooSpec, ZOO } from '../../zoo/specs.ts';
import { fail } from '../../util/errors.ts';
import { floatModelInputSize } from '../../float/model-file.ts';
import { emaOption, intOption, percentileOption, weightScaleOption } from '../model-arg.ts';
import { CLASSES_HELP, fitOption } from './eval.ts';
import type { Fit } from '../../data/images.ts';
import { LR_FLOOR, MAX_STEPS, OFFSET_LR, QAT_CALIB_IMAGES, QAT_ACT_RANGE, QAT_INIT, QAT_LR_FLOOR, QAT_OFFSET_LR, WARMUP_STEPS } from '../../float/defaults.ts';

interface TrainCli {
  zoo?: string; input?: number; steps?: number; minutes?: number; batch: number; lr?: number; offsetLr?: number; lrFloor?: number; warmup?: number; seed: number; resume?: string; out: string; threads?: number; dense?: boolean;
  qat?: boolean; learnScales?: boolean; calib: string; percentile?: number; ema?: number; actRange?: ActRangeMode; init: QatInit; weightPercentile?: number; weightScale: WeightScaleMode;
  data: string; split: string; classes?: string; fit: Fit;
}

/** One line for a finished run: size, steps, backend, first and last loss, speed, time. */
const runSummary = (input: number, r: { steps: number; batch: number; backend: string; loss: number[]; imagesPerSecond: number; seconds: number; plannedSteps?: number }) =>
  `at ${input} px for ${r.steps} steps of ${r.batch}${r.plannedSteps !== undefined ? ` (${r.plannedSteps} planned for --minutes; --steps ${r.plannedSteps} repeats the run)` : ''} on tfjs ${r.backend}: loss ${r.loss[0].toFixed(3)} -> ${r.loss[r.loss.length - 1].toFixed(3)}, ${r.imagesPerSecond.toFixed(2)} images/s, ${r.seconds.toFixed(1)} s`;

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a float CoDeNet (TensorFlow.js) on the built-in data set, or fine-tune one quantization-aware (--qat); saves model.json + weights.bin and train-log.json')
    .option('--zoo <name>', 'network structure of a new model (default codenet-tiny); with --qat or --resume the model\'s own layers give it (--zoo then checks them)')
    .option('--input <px>', 'input size (square; default 64, or the --resume model\'s)', intOption('--input', 16, 1024))
    .option('--steps <n>', 'optimizer steps, each on freshly rendered images (default 1000; 500 with --qat; with --minutes the most)', intOption('--steps', 1, MAX_STEPS))
    .option('--minutes <m>', 'wall-time budget: the first 60 steps time this machine, then the run takes the steps that fit (logged; --steps with that count repeats the run)', (v) => Number(v))
    .option('--batch <n>', 'images per step', intOption('--batch', 1, 1024), 16)
    .option('--lr <rate>', 'Adam learning rate, decayed by a cosine to --lr-floor of it (default 2e-3; 1e-3 with --qat)', (v) => Number(v))
    .option('--lr-floor <fraction>', `where the cosine ends, as a fraction of --lr (default ${LR_FLOOR}; ${QAT_LR_FLOOR} with --qat)`, (v) => Number(v))
    .option('--warmup <steps>', `linear learning-rate warm-up steps (default ${WARMUP_STEPS} for a new model, 0 with --resume or --qat)`, intOption('--warmup', 0, MAX_STEPS))
    .option('--offset-lr <fraction>', `the offset convs' learning rate as a fraction of --lr (their one output is the dilation: at the full rate it jumps by units a step; default ${OFFSET_LR}, ${QAT_OFFSET_LR} with --qat: frozen)`, (v) => Number(v))
    .option('--threads <n>', 'threads computing gradients, 1 or 2 (data parallel: a worker thread takes half of every batch; default 2 on a machine with 2 or more cores)', intOption('--threads', 1, 2))
    .option('--dense', 'dense box targets: wh and reg also at the cells around each centre, weighted by the heat-map Gaussian (TTFNet-style; docs/training.md)')
    .option('--seed <n>', 'seed of the weights and the data', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--data <spec>', 'training images: builtin (the built-in set, rendered afresh every step), voc:DIR (Pascal VOC layout) or coco:ANNOTATIONS.json,IMAGEDIR: random crops and flips of its images (docs/dataset.md)', 'builtin')
    .option('--split <name>', 'with --data voc: the image list ImageSets/Main/<name>.txt', 'train')
    .option('--classes <names.txt>', CLASSES_HELP)
    .addOption(fitOption())
    .option('--resume <float-model>', 'continue training this model (with --qat: the float model to fine-tune)')
    .option('--qat', 'quantization-aware fine-tuning of --resume: the forward pass is the W4A8 integer model; also writes quantized.json')
    .option('--calib <data>', 'with --qat: images for the frozen activation ranges, builtin[:N], a folder of JPEG/PNG images or a uint8 .npy [N,H,W,3]', `builtin:${QAT_CALIB_IMAGES}`)
    .addOption(new Option('--act-range <mode>', `with --qat: the frozen activation ranges, mse (per quantizer the range of least quantization error, as codenet quantize) or percentile (min/max, or --percentile / --ema, which imply it); default ${QAT_ACT_RANGE}`).choices(['mse', 'percentile']))
    .option('--percentile <p>', 'with --qat: activation range percentile (100 = min/max); implies --act-range percentile', percentileOption('--percentile'))
    .addOption(new Option('--init <from>', 'with --qat: start from the float model rounded to nearest (float) or from the weights codenet quantize exports, learned rounding and bias correction on the --calib images (ptq)').choices(['float', 'ptq']).default(QAT_INIT))
    .option('--weight-percentile <p>', 'with --qat: weight scales from this percentile of |w| per output channel', percentileOption('--weight-percentile'))
    .addOption(weightScaleOption('with --qat: '))
    .option('--learn-scales', 'with --qat: train the weight scales with the weights (LSQ, from the chosen ones; default: frozen at those)')
    .option('--ema <momentum>', 'with --qat: activation ranges as a moving average of per-batch ranges; implies --act-range percentile', emaOption)
    .requiredOption('-o, --out <dir>', 'folder for the trained model')
    .action(async (o: TrainCli) => {
      const zoo = o.zoo === undefined ? undefined : (findZooSpec(o.zoo) ?? fail(`unknown zoo network "${o.zoo}"; known: ${ZOO.map((z) => z.name).join(', ')}`));
      const spec = zoo ?? findZooSpec('codenet-tiny')!;
      // A resumed model (float or QAT) keeps its own input size unless --input says otherwise (then checked).
      const input = o.input ?? (o.resume ? floatModelInputSize(o.resume) : undefined) ?? 64;
      checkOutputPath(o.out, 'folder');
      const log = (m: string) => process.stderr.isTTY && process.stderr.write(`${m}\n`);
      const { parseDataSpec } = await import('../../data/labelled.ts');
      const dataKind = parseDataSpec(o.data);
      if (dataKind.kind === 'builtin' && dataKind.count !== undefined) fail('--data builtin takes no count when training: every step renders new images');
      if (dataKind.kind === 'builtin' && o.classes) fail('--classes applies to --data voc: and coco:; the built-in set has its own six classes');
      const dataSpec = dataKind.kind === 'builtin' ? undefined : { data: o.data, split: o.split, classes: o.classes, fit: o.fit };
      const base = { input, batch: o.batch, offsetLr: o.offsetLr, lrFloor: o.lrFloor, warmup: o.warmup, seed: o.seed, out: o.out, log, dense: o.dense, dataSpec };
      if (o.qat) {
        if (!o.resume) fail('--qat fine-tunes a trained float model: give it with --resume <float-model>');
        const { trainQat } = await import('../../quant/qat-train.ts');
        const { serializeModel } = await import('../../ir/save.ts');
        const { calibrationImages, chooseActRange } = await import('../../quant/run.ts');
        const r = await trainQat({ ...base, zoo, actRange: chooseActRange(o, QAT_ACT_RANGE), init: o.init, steps: o.steps ?? (o.minutes !== undefined ? MAX_STEPS : 500), minutes: o.minutes, lr: o.lr ?? 1e-3, from: o.resume, calib: await calibrationImages(o.calib, input, o.seed, o.fit), percentile: o.percentile, ema: o.ema, weightPercentile: o.weightPercentile, weightScale: o.weightScale, learnScales: o.learnScales, threads: o.threads });
        writeFilesAtomically(o.out, [
          { name: 'quantized.json', data: serializeModel(r.model) },
          { name: 'train-log.json', data: JSON.stringify(r.log, null, 1) + '\n' },
        ]);
        console.log(`QAT of ${r.model.name} ${runSummary(input, r.log)}; saved ${join(o.out, 'model.json')} (float) and ${join(o.out, 'quantized.json')} (W4A8 integer model)`);
        const { floatModelDir, HINTS_FILE } = await import('../../import/hints.ts');
        if (existsSync(join(floatModelDir(o.resume), HINTS_FILE)))
          console.log(`note: QAT calibrated its own activation ranges and chose its weight scales; the graph's quantization in ${join(floatModelDir(o.resume), HINTS_FILE)} is used by codenet quantize only (docs/import.md section 5)`);
        return;
      }
      const { trainFloat } = await import('../../float/train.ts');
      const r = await trainFloat({ ...base, spec, steps: o.steps ?? (o.minutes !== undefined ? MAX_STEPS : 1000), minutes: o.minutes, lr: o.lr ?? 2e-3, resume: o.resume, threads: o.threads, dense: o.dense });
      writeFilesAtomically(o.out, [{ name: 'train-log.json', data: JSON.stringify(r, null, 1) + '\n' }]);
      console.log(`trained ${o.resume && !zoo ? o.resume : spec.name} ${runSummary(input, r)}; saved ${join(o.out, 'model.json')}`);
    });
}
