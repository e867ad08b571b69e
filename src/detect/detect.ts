/**
 * `codenet detect`: boxes out of a detector (docs/dataset.md, "codenet detect"). Each image is
 * decoded, brought to the model's input (letterbox or resize, src/data/images.ts), run on a backend
 * (the golden model, the float model, or the generated accelerator in simulation), its CenterNet
 * heads decoded (top K, score threshold) and the boxes mapped back to the image's pixels. The result
 * is one JSON file (DetectionsFileSchema) and, per image, a PNG with the boxes drawn on it.
 */
import sharp from 'sharp';
import { z } from 'zod';
import type { Detection } from './decode.ts';
import { htmlText } from '../util/escape.ts';
import type { RgbImage, Transform } from '../data/images.ts';
import { unmapBox } from '../data/images.ts';
import { CLASS_NAMES } from '../data/shapes.ts';
import { VOC_CLASSES } from '../data/labelled.ts';

export const DETECTIONS_FORMAT = 'codenet-detections';
export const DETECTIONS_VERSION = 1;

const Box4 = z.tuple([z.number(), z.number(), z.number(), z.number()]);

/** The JSON `codenet detect` writes (docs/dataset.md). */
export const DetectionsFileSchema = z.object({
  format: z.literal(DETECTIONS_FORMAT),
  version: z.literal(DETECTIONS_VERSION),
  model: z.string(),
  /** golden, float or sim (with the simulator: sim/verilator, sim/icarus, sim/hls). */
  backend: z.string(),
  /** The model's input: [height, width]. */
  input: z.tuple([z.number().int(), z.number().int()]),
  fit: z.enum(['letterbox', 'resize']),
  topK: z.number().int(),
  threshold: z.number(),
  /** Class names; a detection's `cls` indexes them. */
  classes: z.array(z.string()),
  images: z.array(z.object({
    /** The image file as given. */
    file: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    /** Input pixel = original pixel * scale + pad. */
    transform: z.object({ scaleX: z.number(), scaleY: z.number(), padX: z.number(), padY: z.number() }),
    /** The PNG with the boxes drawn, relative to the JSON's folder (absent with --no-draw). */
    overlay: z.string().optional(),
    detections: z.array(z.object({
      /** [x0, y0, x1, y1] in the image's pixels (continuous, x1 and y1 exclusive), clipped to the image. */
      box: Box4,
      /** The decoded box in the model's input pixels, before mapping back and clipping. */
      inputBox: Box4,
      cls: z.number().int(),
      label: z.string(),
      score: z.number(),
    })),
  })),
});
export type DetectionsFile = z.infer<typeof DetectionsFileSchema>;
export type ImageDetections = DetectionsFile['images'][number];

/** Default class names by the model's class count: the built-in set's six, VOC's 20, else class0, class1, ... */
export function defaultClassNames(classes: number): string[] {
  if (classes === CLASS_NAMES.length) return [...CLASS_NAMES];
  if (classes === VOC_CLASSES.length) return [...VOC_CLASSES];
  return Array.from({ length: classes }, (_, k) => `class${k}`);
}

const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));

/** One image's entry: input-pixel detections mapped back to the image and clipped to it. */
export function imageEntry(file: string, width: number, height: number, transform: Transform, dets: Detection[], names: string[]): ImageDetections {
  return {
    file, width, height, transform,
    detections: dets.map((d) => {
      const o = unmapBox(d, transform);
      return {
        box: [clip(o.x0, width), clip(o.y0, height), clip(o.x1, width), clip(o.y1, height)] as [number, number, number, number],
        inputBox: [d.x0, d.y0, d.x1, d.y1] as [number, number, number, number],
        cls: d.cls, label: names[d.cls] ?? `class${d.cls}`, score: d.score,
      };
    }),
  };
}

/** Colours of the classes' boxes (cycled). */
const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe', '#008080', '#e6beff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#808000', '#ffd8b1', '#000075', '#808080'];

/** The SVG overlay of one image's boxes: a rectangle per detection and a "label score" tag above it (text XML-escaped). */
export function overlaySvg(entry: ImageDetections): string {
  const { width: W, height: H } = entry;
  const line = Math.max(1, Math.round(Math.min(W, H) / 200)), font = Math.max(8, Math.round(Math.min(W, H) / 30));
  const f = (v: number) => +v.toFixed(2);
  const items = entry.detections.map((d) => {
    const [x0, y0, x1, y1] = d.box, colour = PALETTE[d.cls % PALETTE.length];
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const tw = Math.ceil(text.length * font * 0.6) + 4, th = font + 4;
    const ty = y0 - th >= 0 ? y0 - th : y0;
    return [
      `<rect x="${f(x0)}" y="${f(y0)}" width="${f(Math.max(0, x1 - x0))}" height="${f(Math.max(0, y1 - y0))}" fill="none" stroke="${colour}" stroke-width="${line}"/>`,
      `<rect x="${f(x0)}" y="${f(ty)}" width="${tw}" height="${th}" fill="${colour}" fill-opacity="0.75"/>`,
      `<text x="${f(x0 + 2)}" y="${f(ty + font)}" font-family="sans-serif" font-size="${font}" fill="#000">${htmlText(text)}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${items.join('\n')}</svg>\n`;
}

/** The image with its boxes drawn (sharp composites the SVG overlay), as PNG. */
export async function drawDetections(img: RgbImage, entry: ImageDetections): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: Buffer.from(overlaySvg(entry)), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
