/**
 * `codenet eval`: Pascal VOC AP50 (all-point interpolation, src/detect/ap.ts) and COCO
 * mAP@[.5:.95] (101-point, src/detect/coco-map.ts) of a float model (TensorFlow.js, inference on
 * the wasm backend) or of an integer model through the golden model (exactly what the accelerator
 * computes), on the built-in data set or on a VOC / COCO folder (docs/dataset.md).
 *
 * A Detector turns one image of the model's input size (uint8 RGB pixels) into detections in input
 * pixels; images of other sizes are brought to it by src/data/images.ts (letterbox or resize) and
 * the detections mapped back to the original pixels (not clipped: as for the built-in set, where
 * the transform is the identity).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../ir/model.ts';
import { runGolden } from '../golden/run.ts';
import { imageCodes } from '../zoo/image.ts';
import { imagesToTensor } from '../float/model.ts';
import { CLASS_NAMES, type Box, type Sample } from '../data/shapes.ts';
import { decode, decodeQuantized, type DecodeOptions, type Detection } from './decode.ts';
import { evaluateAP50, type APResult } from './ap.ts';
import { evaluateCocoMAP, type CocoResult } from './coco-map.ts';
import { centerNetHeads } from './heads.ts';
import { fail } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { loadImage, prepareImage, unmapBox, type Fit, type Transform } from '../data/images.ts';
import { checkClassCount, type LabelledSet } from '../data/labelled.ts';

export interface EvalResult extends APResult {
  images: number;
  classes: string[];
  seconds: number;
  /** COCO mAP@[.5:.95], AP50 and AP75 (101-point interpolation) and per-class mAP. */
  coco: CocoResult;
}

/** One model as a detector of single images of its input size. */
export interface Detector {
  /** Model name and what runs it, for messages. */
  name: string;
  kind: string;
  /** Input height and width. */
  height: number;
  width: number;
  /** Heat-map channels. */
  classes: number;
  /** Detections of one image (uint8 RGB, HWC, height x width), in input pixels. */
  detect(pixels: Uint8Array): Detection[];
}

/** The output stride of the heads, unless given: input rows per heat-map row, rounded (4 for CoDeNet). */
const headStride = (opts: DecodeOptions, input: number, hm: number): DecodeOptions => ({ ...opts, stride: opts.stride ?? Math.round(input / hm) });

/** The int8 heads of an integer model: which graph outputs, their tensors and the decode stride. */
export function integerHeads(m: Model) {
  const heads = centerNetHeads(m.outputs, m.outputs.map((t) => m.tensors.get(t)!.shape[2]), `integer model ${m.name}`);
  const [hm, wh, reg] = [heads.hm, heads.wh, heads.reg].map((i) => m.tensors.get(m.outputs[i])!);
  return { hm, wh, reg, stride: Math.round(m.tensors.get(m.inputs[0])!.shape[0] / hm.shape[0]) };
}

/** Decodes an integer model's int8 output tensors (by name) into detections in input pixels. */
export function decodeIntegerOutputs(m: Model, out: Map<string, Int8Array | Uint8Array>, opts: DecodeOptions = {}): Detection[] {
  const h = integerHeads(m);
  const q = (t: typeof h.hm) => ({ data: out.get(t.name) as Int8Array, scale: t.scale, zero: t.zero });
  return decodeQuantized({ height: h.hm.shape[0], width: h.hm.shape[1], classes: h.hm.shape[2], hm: q(h.hm), wh: q(h.wh), reg: q(h.reg) }, { ...opts, stride: opts.stride ?? h.stride });
}

/** An integer model through the golden model: code = pixel - 128, dequantized hm / wh / reg, CenterNet decode. */
export function integerDetector(m: Model, opts: DecodeOptions = {}): Detector {
  if (m.inputs.length !== 1) fail(`integer model ${m.name} has ${m.inputs.length} graph inputs; a detector takes one image`);
  const [h, w, c] = m.tensors.get(m.inputs[0])!.shape;
  if (c !== 3) fail(`integer model ${m.name} takes ${c}-channel input; a detector takes RGB images`);
  const heads = integerHeads(m);
  return {
    name: m.name, kind: 'integer (golden model)', height: h, width: w, classes: heads.hm.shape[2],
    detect: (pixels) => decodeIntegerOutputs(m, runGolden(m, new Map([[m.inputs[0], imageCodes(pixels)]])), opts),
  };
}

/** The float heads of one image (NHWC tensors' data), for decode() or for checks. */
export function floatDetector(fm: tf.LayersModel, opts: DecodeOptions = {}): Detector {
  const shape = fm.inputs[0].shape;
  const [h, w] = [shape[1] as number, shape[2] as number];
  const heads = centerNetHeads(fm.outputs.map((o) => o.sourceLayer.name), fm.outputs.map((o) => o.shape[3] as number), `float model ${fm.name}`);
  const dopts = headStride(opts, h, fm.outputs[heads.hm].shape[1] as number);
  return {
    name: fm.name, kind: 'float', height: h, width: w, classes: fm.outputs[heads.hm].shape[3] as number,
    detect: (pixels) => {
      const x = imagesToTensor([pixels], h, w);
      const ys = fm.predict(x) as tf.Tensor[];
      const [hm, wh, reg] = [ys[heads.hm], ys[heads.wh], ys[heads.reg]];
      const d = decode({ height: hm.shape[1]!, width: hm.shape[2]!, classes: hm.shape[3]!, hm: hm.dataSync() as Float32Array, wh: wh.dataSync() as Float32Array, reg: reg.dataSync() as Float32Array }, dopts);
      tf.dispose([x, ...ys]);
      return d;
    },
  };
}

function checkSize(samples: Sample[], h: number, w: number, what: string): void {
  if (!samples.length) fail('the evaluation data set is empty');
  if (samples[0].height !== h || samples[0].width !== w) fail(`${what} takes ${h}x${w} images, the data set has ${samples[0].height}x${samples[0].width}`);
}

/** AP50 and COCO mAP of a detector on built-in samples of its input size. */
export function evalSamples(det: Detector, samples: Sample[]): EvalResult {
  checkSize(samples, det.height, det.width, `${det.kind.startsWith('float') ? 'float' : 'integer'} model ${det.name}`);
  const t0 = performance.now();
  const bar = progress(`eval ${det.name} (${det.kind.startsWith('float') ? 'float' : 'golden model'})`);
  const dets = samples.map((s, i) => {
    const d = det.detect(s.image);
    bar.update(i + 1, samples.length);
    return d;
  });
  bar.finish();
  const names = Array.from({ length: det.classes }, (_, c) => CLASS_NAMES[c] ?? `class${c}`);
  return finish(dets, samples.map((s) => s.boxes), det.classes, names, t0);
}

/** Detections of an integer model: golden model, dequantized hm / wh / reg, CenterNet decode. */
export function evalInteger(m: Model, samples: Sample[], opts: DecodeOptions = {}): EvalResult {
  return evalSamples(integerDetector(m, opts), samples);
}

/** Detections of a float model (its heads hm, wh, reg: by name, else its three outputs in order). */
export function evalFloat(fm: tf.LayersModel, samples: Sample[], opts: DecodeOptions = {}): EvalResult {
  return evalSamples(floatDetector(fm, opts), samples);
}

/** One image of a labelled set, decoded and brought to the detector's input; its size checked against the annotation. */
export async function loadLabelledImage(im: LabelledSet['images'][number], size: number, fit: Fit): Promise<{ pixels: Uint8Array; transform: Transform; width: number; height: number }> {
  const img = await loadImage(im.file);
  if ((im.width !== undefined && im.width !== img.width) || (im.height !== undefined && im.height !== img.height))
    fail(`image ${im.file} is ${img.width}x${img.height} pixels, its annotation ${im.annotation} says ${im.width}x${im.height}`);
  return { ...(await prepareImage(img, size, fit)), width: img.width, height: img.height };
}

/**
 * AP50 and COCO mAP of a detector on a VOC or COCO set: every image decoded, brought to the input
 * (`fit`), detected, and the detections mapped back to the image's pixels.
 */
export async function evalLabelled(det: Detector, set: LabelledSet, fit: Fit, limit?: number): Promise<EvalResult & { detections: Detection[][] }> {
  if (det.height !== det.width) fail(`model ${det.name} takes ${det.height}x${det.width} images; VOC and COCO images are brought to a square input`);
  checkClassCount(set, det.classes, `model ${det.name}`);
  const images = set.images.slice(0, limit ?? set.images.length);
  if (!images.length) fail(`the data set ${set.source} is empty`);
  const t0 = performance.now();
  const bar = progress(`eval ${det.name} on ${set.source}`);
  const dets: Detection[][] = [];
  for (const [i, im] of images.entries()) {
    const { pixels, transform } = await loadLabelledImage(im, det.height, fit);
    dets.push(det.detect(pixels).map((d) => unmapBox(d, transform)));
    bar.update(i + 1, images.length);
  }
  bar.finish();
  return { ...finish(dets, images.map((im) => im.boxes), det.classes, set.classes, t0), detections: dets };
}

function finish(dets: Detection[][], gts: Box[][], classes: number, names: string[], t0: number): EvalResult {
  const r = evaluateAP50(dets, gts, classes);
  return { ...r, images: gts.length, classes: names, seconds: (performance.now() - t0) / 1000, coco: evaluateCocoMAP(dets, gts, classes) };
}
