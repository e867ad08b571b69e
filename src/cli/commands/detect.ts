import { Option, type Command } from 'commander';
import { renderCsimSources } from '../../gen/hls.ts';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutputPath, writeFilesAtomically, type OutputFile } from '../../io/atomic.ts';
import { fail } from '../../util/errors.ts';
import { intOption, resolveModel } from '../model-arg.ts';
import { fitOption, isFloatModel } from './eval.ts';
import type { Fit } from '../../data/images.ts';
import type { Detection } from '../../detect/decode.ts';
import { DEFAULT_SIMULATOR, SIMULATOR_NAMES, type SimulatorName } from '../../sim/simulator.ts';

interface DetectCli { backend?: 'golden' | 'float' | 'sim'; simulator: SimulatorName; topK: number; threshold: number; classes?: string; fit: Fit; out: string; draw: boolean }

function thresholdOption(v: string): number {
  const t = Number(v);
  if (!v.trim() || !(t >= 0 && t <= 1)) fail(`--threshold must be a score in [0, 1], got "${v}"`);
  return t;
}

export function registerDetect(program: Command): void {
  program
    .command('detect <model> <images>')
    .description('boxes out: run a detector on a JPEG/PNG image or a folder of them, decode the CenterNet heads into boxes in image pixels (JSON) and draw them on PNGs beside it')
    .addOption(new Option('--backend <name>', 'golden (the integer model\'s golden model), float (a tfjs float model) or sim (<model> is a folder from codenet gen or bundle: its accelerator in simulation); default golden, or float for a float model').choices(['golden', 'float', 'sim']))
    .addOption(new Option('--simulator <name>', `with --backend sim: ${SIMULATOR_NAMES.join(', ')} (as codenet sim)`).choices([...SIMULATOR_NAMES]).default(DEFAULT_SIMULATOR))
    .option('--top-k <k>', 'at most K detections an image (before the threshold)', intOption('--top-k', 1, 100_000), 100)
    .option('--threshold <t>', 'smallest score kept', thresholdOption, 0.1)
    .option('--classes <names.txt>', 'class names, one a line in the hm channel order (default: the built-in set\'s six for a 6-class model, the VOC 20 for a 20-class one, else class0, class1, ...)')
    .addOption(fitOption())
    .requiredOption('-o, --out <out.json>', 'the detections (JSON); the drawn image beside it: <out>.png for one image, <out>/<image>.png for a folder')
    .option('--no-draw', 'write the JSON only')
    .action(async (modelArg: string, input: string, o: DetectCli) => {
      checkOutputPath(o.out, 'file');
      const { isFolder, listImages, loadImage, prepareImage } = await import('../../data/images.ts');
      const { decodeIntegerOutputs, floatDetector, integerDetector } = await import('../../detect/eval.ts');
      const { DETECTIONS_FORMAT, DETECTIONS_VERSION, DetectionsFileSchema, defaultClassNames, drawDetections, imageEntry } = await import('../../detect/detect.ts');
      const { readClassNames } = await import('../../data/labelled.ts');
      const files = isFolder(input) ? listImages(input, 'image') : [input];
      const opts = { topK: o.topK, threshold: o.threshold };
      const backend = o.backend ?? (isFloatModel(modelArg) ? 'float' : 'golden');

      // The detector: input size, class count, and an async "pixels -> detections in input pixels".
      let name: string, size: [number, number], classes: number, run: (pixels: Uint8Array, file: string) => Promise<Detection[]>;
      let label: string = backend;
      if (backend === 'sim') {
        const { loadBundle, runSimulation } = await import('../../sim/run.ts');
        const { readTensor } = await import('../../compiler/tensors.ts');
        const { imageCodes } = await import('../../zoo/image.ts');
        const { integerHeads } = await import('../../detect/eval.ts');
        const bundle = loadBundle(modelArg);
        const m = bundle.model;
        const h = integerHeads(m);
        name = m.name; size = [m.tensors.get(m.inputs[0])!.shape[0], m.tensors.get(m.inputs[0])!.shape[1]]; classes = h.hm.shape[2];
        label = `sim/${o.simulator}`;
        run = async (pixels, file) => {
          const out = new Map<string, Int8Array>();
          const r = await runSimulation({
            dir: modelArg, bundle, simulator: o.simulator, inputCodes: imageCodes(pixels), inputName: file, renderHls: renderCsimSources,
            onDump: (dump, map) => { for (const t of [h.hm, h.wh, h.reg]) out.set(t.name, readTensor(map, dump, t.name) as Int8Array); },
          });
          if (!r.match) fail(`the accelerator of ${modelArg} and the golden model differ on ${file} (layer "${r.firstMismatch?.layer}"); run codenet sim ${modelArg} for the details`);
          return decodeIntegerOutputs(m, out, opts);
        };
      } else if (backend === 'float') {
        if (!isFloatModel(modelArg)) fail(`--backend float needs a float model (a tfjs model.json or its folder); ${modelArg} is not one`);
        const { initBackend } = await import('../../float/model.ts');
        const { loadFloatModel } = await import('../../float/io.ts');
        await initBackend({ log: (s) => process.stderr.isTTY && process.stderr.write(`${s}\n`) });
        const det = floatDetector(await loadFloatModel(modelArg), opts);
        name = det.name; size = [det.height, det.width]; classes = det.classes;
        run = async (pixels) => det.detect(pixels);
      } else {
        if (isFloatModel(modelArg)) fail(`${modelArg} is a float model: quantize it (codenet quantize) for --backend golden, or use --backend float`);
        const det = integerDetector(resolveModel(modelArg), opts);
        name = det.name; size = [det.height, det.width]; classes = det.classes;
        run = async (pixels) => det.detect(pixels);
      }
      if (size[0] !== size[1]) fail(`model ${name} takes ${size[0]}x${size[1]} images; detect brings images to a square input`);
      const names = o.classes ? readClassNames(o.classes) : defaultClassNames(classes);
      if (names.length !== classes) fail(`--classes ${o.classes} names ${names.length} classes, model ${name} predicts ${classes} (its hm head)`);

      const stem = basename(o.out).replace(/\.json$/i, '');
      const outFiles: OutputFile[] = [];
      const images = [];
      for (const file of files) {
        const img = await loadImage(file);
        const { pixels, transform } = await prepareImage(img, size[0], o.fit);
        const entry = imageEntry(file, img.width, img.height, transform, await run(pixels, file), names);
        if (o.draw) {
          const png = files.length === 1 && !isFolder(input) ? `${stem}.png` : `${stem}/${basename(file)}.png`;
          if (files.some((f) => resolve(f) === resolve(dirname(o.out), png))) fail(`the drawing ${join(dirname(o.out), png)} would replace the input image ${file}; choose another -o (or --no-draw)`);
          outFiles.push({ name: png, data: await drawDetections(img, entry) });
          entry.overlay = png;
        }
        images.push(entry);
        console.log(`${file}: ${entry.detections.length} detection${entry.detections.length === 1 ? '' : 's'}${entry.detections.slice(0, 3).map((d) => `, ${d.label} ${d.score.toFixed(2)} at [${d.box.map((v) => v.toFixed(0)).join(', ')}]`).join('')}${entry.detections.length > 3 ? ', ...' : ''}`);
      }
      const doc = DetectionsFileSchema.parse({ format: DETECTIONS_FORMAT, version: DETECTIONS_VERSION, model: name, backend: label, input: size, fit: o.fit, topK: o.topK, threshold: o.threshold, classes: names, images });
      outFiles.unshift({ name: basename(o.out), data: JSON.stringify(doc, null, 1) + '\n' });
      writeFilesAtomically(dirname(o.out), outFiles);
      const total = images.reduce((n, e) => n + e.detections.length, 0);
      console.log(`${name} (${label}): ${total} detection${total === 1 ? '' : 's'} on ${images.length} image${images.length === 1 ? '' : 's'}; wrote ${o.out}${o.draw ? ` and ${outFiles.length - 1} PNG${outFiles.length > 2 ? 's' : ''} beside it` : ''}`);
    });
}
