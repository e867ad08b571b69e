/**
 * JPEG and PNG images in, the model's input pixels out (docs/dataset.md, "Real images").
 *
 * Decoding and resampling use sharp (libvips, prebuilt for Linux/macOS/Windows in its npm package:
 * no compiler, no download at install time). An image is decoded to 8-bit RGB (grey and palette
 * images are expanded, an alpha channel is dropped, the EXIF orientation is NOT applied: VOC and
 * COCO boxes are in the stored pixel grid), then brought to the model's square input by one of:
 *
 *   - `letterbox` (the default): scaled by s = min(S / W, S / H) to round(W s) x round(H s) and
 *     centred on an S x S canvas of grey 128 (code 0), the padding floor((S - w) / 2) left / top;
 *   - `resize`: stretched to S x S (the aspect ratio is not kept).
 *
 * Resampling is sharp's default (Lanczos-3). An image that already is S x S is used as it is, in
 * both modes, so an exported built-in image gives back its exact pixels. The model sees
 * code = pixel - 128 (integer models, src/zoo/image.ts) or the normalisation of
 * src/float/model.ts imagesToTensor (float models), as for the built-in data set.
 *
 * A box in the input maps back to the original image through the transform: x = (x' - padX) / scaleX.
 */
import sharp from 'sharp';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError, fail, fsErrorReason } from '../util/errors.ts';

export type Fit = 'letterbox' | 'resize';
export const FITS: readonly Fit[] = ['letterbox', 'resize'];
export const DEFAULT_FIT: Fit = 'letterbox';
/** The letterbox padding: grey 128 is code 0 of the integer model. */
export const PAD_PIXEL = 128;

export interface RgbImage {
  /** HWC RGB uint8. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Input pixel (x', y') = (x * scaleX + padX, y * scaleY + padY) of original pixel (x, y), continuous coordinates. */
export interface Transform {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

export const IDENTITY: Transform = { scaleX: 1, scaleY: 1, padX: 0, padY: 0 };

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/** 'jpeg' or 'png' from the file's first bytes, else undefined. */
export function sniffFormat(bytes: Uint8Array): 'jpeg' | 'png' | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

/** Whether a file starts as a JPEG or PNG does (false for a file that cannot be read: its reader names the problem). */
export function isImageFile(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(8);
      return sniffFormat(head.subarray(0, readSync(fd, head, 0, 8, 0))) !== undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Whether a path names a JPEG or PNG by its extension (case-insensitive). */
export const isImagePath = (p: string): boolean => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase());

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const reason = fsErrorReason(e);
    if (reason !== undefined) fail(`cannot read ${what} ${path}: ${reason}`);
    throw e;
  }
}

/**
 * Decodes a JPEG or PNG file to RGB. Anything else, a truncated or corrupt file: a UserError naming
 * the file and what is wrong. `what` names the role in messages ("image", "calibration image", ...).
 */
export async function loadImage(path: string, what = 'image'): Promise<RgbImage> {
  const bytes = readBytes(path, what);
  const format = sniffFormat(bytes);
  if (!format) fail(`${what} ${path} is not a JPEG or PNG file (its first bytes are ${Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ') || 'missing: the file is empty'})`);
  try {
    // failOn 'error': a truncated or corrupt file is an error, not a partly grey image; a decoder
    // warning is not (some VOC and COCO JPEGs have extraneous bytes before a marker).
    const { data, info } = await sharp(bytes, { failOn: 'error' }).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) fail(`${what} ${path}: decoded to ${info.channels} channels, expected RGB`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    if (e instanceof UserError) throw e;
    fail(`${what} ${path} does not decode as ${format === 'jpeg' ? 'JPEG' : 'PNG'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Resamples an RGB image to w x h (sharp, Lanczos-3); the same size is returned as is. */
export async function resizeRgb(img: RgbImage, w: number, h: number): Promise<Uint8Array> {
  if (img.width === w && img.height === h) return img.data;
  const out = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The transform that brings a W x H image to an S x S input (see the module comment). */
export function fitTransform(width: number, height: number, size: number, fit: Fit): { transform: Transform; w: number; h: number } {
  if (fit === 'resize' || (width === size && height === size)) return { transform: { scaleX: size / width, scaleY: size / height, padX: 0, padY: 0 }, w: size, h: size };
  const s = Math.min(size / width, size / height);
  const w = Math.max(1, Math.min(size, Math.round(width * s))), h = Math.max(1, Math.min(size, Math.round(height * s)));
  return { transform: { scaleX: w / width, scaleY: h / height, padX: Math.floor((size - w) / 2), padY: Math.floor((size - h) / 2) }, w, h };
}

/** An image brought to the model's S x S input, with the transform from original to input pixels. */
export interface Prepared {
  pixels: Uint8Array;
  transform: Transform;
}

export async function prepareImage(img: RgbImage, size: number, fit: Fit): Promise<Prepared> {
  const { transform, w, h } = fitTransform(img.width, img.height, size, fit);
  const scaled = await resizeRgb(img, w, h);
  if (w === size && h === size) return { pixels: scaled, transform };
  const pixels = new Uint8Array(size * size * 3).fill(PAD_PIXEL);
  for (let y = 0; y < h; y++) pixels.set(scaled.subarray(y * w * 3, (y + 1) * w * 3), ((y + transform.padY) * size + transform.padX) * 3);
  return { pixels, transform };
}

/** A box from input pixels back to original pixels (not clipped). */
export function unmapBox<B extends { x0: number; y0: number; x1: number; y1: number }>(b: B, t: Transform): B {
  return { ...b, x0: (b.x0 - t.padX) / t.scaleX, x1: (b.x1 - t.padX) / t.scaleX, y0: (b.y0 - t.padY) / t.scaleY, y1: (b.y1 - t.padY) / t.scaleY };
}

/** A box from original pixels to input pixels. */
export function mapBox<B extends { x0: number; y0: number; x1: number; y1: number }>(b: B, t: Transform): B {
  return { ...b, x0: b.x0 * t.scaleX + t.padX, x1: b.x1 * t.scaleX + t.padX, y0: b.y0 * t.scaleY + t.padY, y1: b.y1 * t.scaleY + t.padY };
}

/** Lossless PNG of an RGB image (deterministic for one sharp/libpng version). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/** The JPEG and PNG files of a folder (not its subfolders), sorted by name; none is an error naming the folder. */
export function listImages(dir: string, what: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const reason = fsErrorReason(e);
    if (reason !== undefined) fail(`cannot read ${what} folder ${dir}: ${reason}`);
    throw e;
  }
  const files = names.filter(isImagePath).sort().map((n) => join(dir, n)).filter((p) => statSync(p).isFile());
  if (!files.length) fail(`${what} folder ${dir} holds no .jpg, .jpeg or .png file`);
  return files;
}

/** Whether a path is an existing folder. */
export function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Loads and prepares every image of a folder (in name order) for an S x S model: calibration images. */
export async function folderInputs(dir: string, size: number, fit: Fit, what: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const f of listImages(dir, what)) out.push((await prepareImage(await loadImage(f, what), size, fit)).pixels);
  return out;
}
