import type { Command } from 'commander';
import { join } from 'node:path';
import type { Model } from '../../ir/model.ts';
import { tensorSize } from '../../ir/model.ts';
import { runGolden } from '../../golden/run.ts';
import { encodeNpy, readNpy, formatShape } from '../../io/npy.ts';
import { checkOutputPath, writeFilesAtomically } from '../../io/atomic.ts';
import { imageCodes, randomImage } from '../../zoo/image.ts';
import { resolveModel, intOption } from '../model-arg.ts';
import { fail } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { isImageFile, isImagePath, loadImage, prepareImage, type Fit } from '../../data/images.ts';
import { fitOption } from './eval.ts';

/**
 * The graph input as int8 codes. A uint8 file is an image (code = pixel - 128, docs/numerics.md);
 * an int8 file holds codes. The shape is [H, W, C] or [1, H, W, C].
 */
export function loadInputCodes(model: Model, path: string | undefined, seed: number): Int8Array {
  if (model.inputs.length !== 1) fail(`model ${model.name} has ${model.inputs.length} graph inputs (${model.inputs.join(', ')}); codenet golden feeds exactly one`);
  const t = model.tensors.get(model.inputs[0])!;
  if (!path) {
    if (t.shape[2] === 3) return imageCodes(randomImage(seed, t.shape[0], t.shape[1]));
    const rng = new Rng(seed);
    return Int8Array.from({ length: tensorSize(t) }, () => rng.int(-128, 127));
  }
  const a = readNpy(path);
  const shape = a.shape.length === 4 && a.shape[0] === 1 ? a.shape.slice(1) : a.shape;
  if (shape.length !== 3 || shape.some((d, i) => d !== t.shape[i]))
    fail(`input ${path} has shape ${formatShape(a.shape)}, model input "${t.name}" needs (${t.shape.join(', ')}) or (1, ${t.shape.join(', ')})`);
  if (a.dtype === 'uint8' && t.shape[2] === 3) return imageCodes(a.data as Uint8Array);
  if (a.dtype === 'int8') return a.data as Int8Array;
  fail(`input ${path} has dtype ${a.dtype}; give ${t.shape[2] === 3 ? 'uint8 pixels (code = pixel - 128) or ' : ''}int8 codes`);
}

/**
 * loadInputCodes, and also a JPEG or PNG image (recognised by its first bytes): decoded, brought to
 * the model's square RGB input by `fit` (src/data/images.ts) and turned into codes (pixel - 128).
 */
export async function loadInputCodesOrImage(model: Model, path: string | undefined, seed: number, fit: Fit): Promise<Int8Array> {
  if (!path || !(isImageFile(path) || isImagePath(path))) return loadInputCodes(model, path, seed);
  if (model.inputs.length !== 1) fail(`model ${model.name} has ${model.inputs.length} graph inputs (${model.inputs.join(', ')}); an image feeds exactly one`);
  const [h, w, c] = model.tensors.get(model.inputs[0])!.shape;
  if (c !== 3 || h !== w) fail(`input ${path} is an image; model input "${model.inputs[0]}" of shape (${h}, ${w}, ${c}) is not a square RGB image: give an .npy`);
  return imageCodes((await prepareImage(await loadImage(path, 'input image'), h, fit)).pixels);
}

/**
 * File name of a tensor: its name with every character (Unicode code point, so one outside the
 * Basic Multilingual Plane is one `_`, not two) outside [A-Za-z0-9._-] replaced by `_`, plus `.npy`.
 */
export function tensorFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/gu, '_')}.npy`;
}

export function registerGolden(program: Command): void {
  program
    .command('golden <model>')
    .description('run the integer golden model; write each graph output (and with --dump-layers every tensor) as .npy')
    .requiredOption('--out <dir>', 'output folder')
    .option('--input <file>', 'input: a JPEG or PNG image, or an .npy of a uint8 image [H,W,3] or int8 codes (default: a seeded random image)')
    .addOption(fitOption())
    .option('--seed <n>', 'seed of the random input image (and of a zoo model\'s weights)', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--dump-layers', 'write every tensor, named after the layer that writes it')
    .action(async (modelArg: string, opts: { out: string; input?: string; seed: number; dumpLayers?: boolean; fit: Fit }) => {
      checkOutputPath(opts.out, 'folder');
      const model = resolveModel(modelArg, { seed: opts.seed });
      const input = await loadInputCodesOrImage(model, opts.input, opts.seed, opts.fit);
      // Every graph output, also with --dump-layers (one that is a graph input is no layer's output).
      const names = opts.dumpLayers ? [...new Set([...model.layers.flatMap((l) => l.outputs), ...model.outputs])] : model.outputs;
      const byFile = new Map<string, string>();
      for (const n of names) {
        const f = tensorFileName(n);
        if (byFile.has(f) && byFile.get(f) !== n) fail(`model ${modelArg}: tensors "${byFile.get(f)}" and "${n}" would both be written as ${join(opts.out, f)}; rename one in the model (docs/ir.md section 11)`);
        byFile.set(f, n);
      }
      const t0 = performance.now();
      const values = runGolden(model, new Map([[model.inputs[0], input]]), { keepAll: opts.dumpLayers });
      const ms = performance.now() - t0;
      writeFilesAtomically(opts.out, names.map((n) => {
        const t = model.tensors.get(n)!;
        const data = values.get(n)!;
        return { name: tensorFileName(n), data: encodeNpy({ dtype: t.kind === 'dilation' ? 'uint8' : 'int8', shape: [...t.shape], data }) };
      }));
      console.log(`golden ${model.name}: ${model.layers.length} layers in ${ms.toFixed(0)} ms; wrote ${names.length} tensor(s) to ${opts.out}`);
    });
}
