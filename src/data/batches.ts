/**
 * Training batches from a VOC or COCO folder (`codenet train --data voc:DIR|coco:...`), made the
 * way the built-in set's are (src/float/train.ts halfBatchGradients): sample i of a step is a pure
 * function of the step's data stream and i, so both gradient threads render the same image for it.
 *
 * Sample i of stream s: an Rng seeded with sampleSeed(s, 'train', i) picks an image of the set
 * (uniformly), a random crop of it (each side 60-100 % of the image's, the aspect ratio kept, at a
 * uniform position) and a horizontal flip (probability 1/2); the crop is brought to the model's
 * input by the run's --fit (letterbox or resize, src/data/images.ts). A box is clipped to the crop
 * and kept when at least MIN_VISIBLE (30 %) of its area is inside, the built-in set's rule for
 * occluded objects; `ignore` boxes (VOC difficult, COCO crowd) are left out.
 */
import { Rng } from '../util/rng.ts';
import { MIN_VISIBLE, sampleSeed, type Box, type Sample } from './shapes.ts';
import { loadImage, mapBox, prepareImage, type Fit, type RgbImage } from './images.ts';
import { parseDataSpec, readLabelled, type LabelledSet } from './labelled.ts';
import { fail } from '../util/errors.ts';

/** What a training worker needs to open the same data (plain data: it crosses to the worker thread). */
export interface TrainDataSpec {
  /** The --data text: voc:DIR or coco:ANNOTATIONS.json,IMAGEDIR. */
  data: string;
  split?: string;
  /** A class-name file (--classes). */
  classes?: string;
  fit: Fit;
}

/** Batches of one step: samples [from, to) of stream `stream` at `input` pixels. */
export interface BatchSource {
  /** Class count of the data (the model's hm channels must match). */
  classes: number;
  /** For logs: e.g. "voc:DIR (train), 5717 images". */
  description: string;
  samples(stream: number, from: number, to: number, input: number): Promise<Sample[]>;
}

/** The crop fraction range of a training sample's sides. */
export const CROP_MIN = 0.6;

/** A crop of an RGB image, mirrored left-right when `flip`. */
export function cropRgb(img: RgbImage, x: number, y: number, w: number, h: number, flip: boolean): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const src = ((y + r) * img.width + x + (flip ? w - 1 - c : c)) * 3, dst = (r * w + c) * 3;
      out[dst] = img.data[src];
      out[dst + 1] = img.data[src + 1];
      out[dst + 2] = img.data[src + 2];
    }
  return { data: out, width: w, height: h };
}

/** The boxes of a crop (x, y, w, h), mirrored when `flip`: clipped, kept with >= MIN_VISIBLE of their area inside, ignore boxes left out. */
export function cropBoxes(boxes: Box[], x: number, y: number, w: number, h: number, flip: boolean): Box[] {
  const out: Box[] = [];
  for (const b of boxes) {
    if (b.ignore) continue;
    const x0 = Math.max(b.x0, x) - x, x1 = Math.min(b.x1, x + w) - x, y0 = Math.max(b.y0, y) - y, y1 = Math.min(b.y1, y + h) - y;
    const area = (b.x1 - b.x0) * (b.y1 - b.y0);
    if (x1 <= x0 || y1 <= y0 || area <= 0 || ((x1 - x0) * (y1 - y0)) / area < MIN_VISIBLE) continue;
    out.push(flip ? { x0: w - x1, y0, x1: w - x0, y1, cls: b.cls } : { x0, y0, x1, y1, cls: b.cls });
  }
  return out;
}

/** One training sample of a labelled set (see the module comment). */
export async function labelledSample(set: LabelledSet, seed: number, input: number, fit: Fit): Promise<Sample> {
  const rng = new Rng(seed);
  const im = set.images[rng.int(0, set.images.length - 1)];
  const img = await loadImage(im.file);
  const u = CROP_MIN + (1 - CROP_MIN) * rng.float();
  const w = Math.max(1, Math.round(img.width * u)), h = Math.max(1, Math.round(img.height * u));
  const x = rng.int(0, img.width - w), y = rng.int(0, img.height - h), flip = rng.float() < 0.5;
  const { pixels, transform } = await prepareImage(cropRgb(img, x, y, w, h, flip), input, fit);
  return { image: pixels, height: input, width: input, boxes: cropBoxes(im.boxes, x, y, w, h, flip).map((b) => mapBox(b, transform)) };
}

export function labelledBatches(spec: TrainDataSpec): BatchSource {
  const d = parseDataSpec(spec.data);
  if (d.kind === 'builtin') throw new Error('labelledBatches: the built-in set renders its own batches');
  const set = readLabelled(d, { split: spec.split ?? 'train', classes: spec.classes });
  if (!set.images.length) fail(`the training set ${set.source} is empty`);
  return {
    classes: set.classes.length,
    description: `${set.source}, ${set.images.length} images, ${set.classes.length} classes (${set.classesFrom}), --fit ${spec.fit}`,
    async samples(stream, from, to, input) {
      const out: Sample[] = [];
      for (let i = from; i < to; i++) out.push(await labelledSample(set, sampleSeed(stream, 'train', i), input, spec.fit));
      return out;
    },
  };
}
