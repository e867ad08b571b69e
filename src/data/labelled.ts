/**
 * Labelled image sets on disk (docs/dataset.md, "Real images"): Pascal VOC and COCO layouts, read
 * with their annotations validated (zod; VOC XML parsed with fast-xml-parser), and written from the
 * built-in data set (`codenet dataset export`). Boxes are held in continuous pixel coordinates with
 * x1, y1 exclusive, as the built-in set's (src/data/shapes.ts):
 *
 *   - VOC `bndbox` holds 1-based inclusive pixel indices: x0 = xmin - 1, x1 = xmax (same for y);
 *   - COCO `bbox` is [x, y, width, height] from the top-left corner: x0 = x, x1 = x + width.
 *
 * VOC "difficult" objects and COCO "iscrowd" annotations are kept as `ignore` boxes (evaluation
 * neither rewards nor penalises them; training leaves them out).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { Box, Sample } from './shapes.ts';
import { describeZodIssues, fail, fsErrorReason } from '../util/errors.ts';
import { htmlText } from '../util/escape.ts';
import { encodePng } from './images.ts';
import type { OutputFile } from '../io/atomic.ts';

/** The 20 Pascal VOC classes in the devkit's order: a VOC model's hm channel k is class k. */
export const VOC_CLASSES: readonly string[] = [
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

export interface LabelledImage {
  /** VOC image id or COCO image id (as text). */
  id: string;
  /** The image file. */
  file: string;
  /** The annotation file that describes it (named in errors). */
  annotation: string;
  /** Size the annotation gives, if any (checked against the decoded image). */
  width?: number;
  height?: number;
  boxes: Box[];
}

export interface LabelledSet {
  /** How the user named it, e.g. "voc:data/VOC2012 (val)". */
  source: string;
  /** Class k is the model's hm channel k. */
  classes: string[];
  /** Where the class names came from, for messages. */
  classesFrom: string;
  images: LabelledImage[];
}

export type DataSpec =
  | { kind: 'builtin'; count?: number }
  | { kind: 'voc'; dir: string }
  | { kind: 'coco'; annotations: string; images: string };

/** builtin[:N], voc:DIR or coco:ANNOTATIONS.json,IMAGEDIR (split at the last comma). */
export function parseDataSpec(s: string, flag = '--data'): DataSpec {
  const b = /^builtin(?::(\d+))?$/.exec(s);
  if (b) return { kind: 'builtin', count: b[1] === undefined ? undefined : Number(b[1]) };
  if (s.startsWith('voc:') && s.length > 4) return { kind: 'voc', dir: s.slice(4) };
  if (s.startsWith('coco:')) {
    const rest = s.slice(5), k = rest.lastIndexOf(',');
    if (k > 0 && k < rest.length - 1) return { kind: 'coco', annotations: rest.slice(0, k), images: rest.slice(k + 1) };
    fail(`${flag} coco: needs the annotation file and the image folder, coco:ANNOTATIONS.json,IMAGEDIR; got "${s}"`);
  }
  fail(`${flag} must be builtin[:N], voc:DIR or coco:ANNOTATIONS.json,IMAGEDIR; got "${s}"`);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const reason = fsErrorReason(e);
    if (reason !== undefined) fail(`cannot read ${what} ${path}: ${reason}`);
    throw e;
  }
}

/** A class-name file: one name a line (blank lines and lines starting with # skipped), unique. */
export function readClassNames(path: string): string[] {
  const names = readText(path, 'class-name file').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!names.length) fail(`class-name file ${path} holds no names (one class name a line)`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) fail(`class-name file ${path} names class "${dup}" twice`);
  return names;
}

/** The model's class count must be the data's: refused otherwise, saying how to fix it. */
export function checkClassCount(set: { classes: string[]; classesFrom: string; source: string }, modelClasses: number, model: string): void {
  if (modelClasses !== set.classes.length)
    fail(`${model} predicts ${modelClasses} classes (its hm head), the data set ${set.source} has ${set.classes.length} (${set.classesFrom}); give --classes names.txt with the model's ${modelClasses} class names, one a line in its hm channel order`);
}

// ---------------------------------------------------------------------------------------------
// Pascal VOC: DIR/JPEGImages/<file>, DIR/Annotations/<id>.xml, DIR/ImageSets/Main/<split>.txt.

const vocNumber = z.string().regex(/^[-+]?(\d+(\.\d*)?|\.\d+)$/, 'must be a number').transform(Number);
const VocObject = z.object({
  name: z.string().min(1, 'must be a class name'),
  difficult: z.enum(['0', '1']).optional(),
  bndbox: z.object({ xmin: vocNumber, ymin: vocNumber, xmax: vocNumber, ymax: vocNumber }),
});
const VocAnnotation = z.object({
  annotation: z.object({
    filename: z.string().min(1).optional(),
    size: z.object({ width: vocNumber, height: vocNumber }).optional(),
    object: z.array(VocObject).optional(),
  }),
});

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, jPath: true, isArray: (_n: string, j: unknown) => j === 'annotation.object' });

/** One VOC annotation file: image file name, size and boxes (class names looked up in `classes`). */
export function parseVocAnnotation(path: string, id: string, classes: readonly string[], classesFrom: string): Omit<LabelledImage, 'file'> & { filename: string } {
  const text = readText(path, 'VOC annotation');
  const valid = XMLValidator.validate(text);
  if (valid !== true) fail(`VOC annotation ${path} does not parse as XML: line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  const parsed = VocAnnotation.safeParse(xml.parse(text));
  if (!parsed.success) fail(describeZodIssues(`VOC annotation ${path}`, parsed.error.issues));
  const a = parsed.data.annotation;
  const boxes = (a.object ?? []).map((o, k): Box => {
    const cls = classes.indexOf(o.name);
    if (cls < 0) fail(`VOC annotation ${path}: annotation.object[${k}].name "${o.name}" is not one of the ${classes.length} classes (${classesFrom}); give --classes names.txt`);
    const { xmin, ymin, xmax, ymax } = o.bndbox;
    if (!(xmax >= xmin && ymax >= ymin)) fail(`VOC annotation ${path}: annotation.object[${k}].bndbox has xmin ${xmin}, xmax ${xmax}, ymin ${ymin}, ymax ${ymax}: a maximum below its minimum`);
    return { x0: xmin - 1, y0: ymin - 1, x1: xmax, y1: ymax, cls, ...(o.difficult === '1' ? { ignore: true } : {}) };
  });
  const size = a.size && a.size.width > 0 && a.size.height > 0 ? { width: a.size.width, height: a.size.height } : {};
  return { id, annotation: path, filename: a.filename ?? `${id}.jpg`, ...size, boxes };
}

export function readVoc(dir: string, split: string, classNames?: { names: string[]; from: string }): LabelledSet {
  if (!/^[A-Za-z0-9_.-]+$/.test(split)) fail(`--split must be a plain name (letters, digits, _ . -), got "${split}"`);
  const list = join(dir, 'ImageSets', 'Main', `${split}.txt`);
  if (!existsSync(list)) fail(`voc:${dir}: ${list} is missing (a Pascal VOC folder has ImageSets/Main/<split>.txt, Annotations/ and JPEGImages/; --split names the list)`);
  const own = join(dir, 'classes.txt');
  const { names: classes, from: classesFrom } = classNames ?? (existsSync(own) ? { names: readClassNames(own), from: `from ${own}` } : { names: [...VOC_CLASSES], from: 'the 20 Pascal VOC classes' });
  // The list holds one image id a line (a class list's second column, 1/-1, is ignored).
  const ids = readText(list, 'VOC image list').split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
  if (!ids.length) fail(`VOC image list ${list} names no image`);
  const images = ids.map((id) => {
    if (id.includes('/') || id.includes('\\') || id === '..') fail(`VOC image list ${list}: image id "${id}" is not a plain name`);
    const ann = join(dir, 'Annotations', `${id}.xml`);
    if (!existsSync(ann)) fail(`VOC annotation ${ann} is missing (image "${id}" of ${list})`);
    const { filename, ...rest } = parseVocAnnotation(ann, id, classes, classesFrom);
    if (filename.includes('/') || filename.includes('\\')) fail(`VOC annotation ${ann}: annotation.filename "${filename}" is not a plain file name`);
    return { ...rest, file: join(dir, 'JPEGImages', filename) };
  });
  return { source: `voc:${dir} (${split})`, classes, classesFrom, images };
}

/** A VOC annotation file of one image (what readVoc reads back exactly, for integer boxes). */
export function vocAnnotationXml(file: string, width: number, height: number, boxes: Box[], classes: readonly string[]): string {
  const objects = boxes.map((b) => [
    '  <object>',
    `    <name>${htmlText(classes[b.cls])}</name>`,
    '    <pose>Unspecified</pose>',
    '    <truncated>0</truncated>',
    `    <difficult>${b.ignore ? 1 : 0}</difficult>`,
    `    <bndbox><xmin>${b.x0 + 1}</xmin><ymin>${b.y0 + 1}</ymin><xmax>${b.x1}</xmax><ymax>${b.y1}</ymax></bndbox>`,
    '  </object>',
  ].join('\n'));
  return [
    '<annotation>',
    '  <folder>codenet</folder>',
    `  <filename>${htmlText(file)}</filename>`,
    `  <size><width>${width}</width><height>${height}</height><depth>3</depth></size>`,
    '  <segmented>0</segmented>',
    ...objects,
    '</annotation>',
    '',
  ].join('\n');
}

/** Sample ids of an exported split: <split>_000000, <split>_000001, ... */
export const exportId = (split: string, i: number): string => `${split}_${String(i).padStart(6, '0')}`;

/** The built-in samples in the VOC layout: PNG images (lossless) in JPEGImages/, classes.txt with the class names. */
export async function vocFiles(samples: Sample[], split: string, classes: readonly string[]): Promise<OutputFile[]> {
  const files: OutputFile[] = [];
  for (const [i, s] of samples.entries()) {
    const id = exportId(split, i);
    files.push({ name: `JPEGImages/${id}.png`, data: await encodePng({ data: s.image, width: s.width, height: s.height }) });
    files.push({ name: `Annotations/${id}.xml`, data: vocAnnotationXml(`${id}.png`, s.width, s.height, s.boxes, classes) });
  }
  files.push({ name: `ImageSets/Main/${split}.txt`, data: samples.map((_, i) => exportId(split, i)).join('\n') + '\n' });
  files.push({ name: 'classes.txt', data: classes.join('\n') + '\n' });
  return files;
}

// ---------------------------------------------------------------------------------------------
// COCO: one annotation JSON (images, annotations, categories) and an image folder.

const CocoSchema = z.object({
  images: z.array(z.object({ id: z.number().int(), file_name: z.string().min(1), width: z.number().int().positive().optional(), height: z.number().int().positive().optional() }).loose()),
  annotations: z.array(z.object({
    image_id: z.number().int(),
    category_id: z.number().int(),
    bbox: z.tuple([z.number(), z.number(), z.number().nonnegative(), z.number().nonnegative()]),
    iscrowd: z.union([z.literal(0), z.literal(1)]).optional(),
  }).loose()),
  categories: z.array(z.object({ id: z.number().int(), name: z.string().min(1) }).loose()).min(1),
}).loose();

export function readCoco(annotations: string, imageDir: string, classNames?: { names: string[]; from: string }): LabelledSet {
  const text = readText(annotations, 'COCO annotation file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`COCO annotation file ${annotations} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = CocoSchema.safeParse(json);
  if (!parsed.success) fail(describeZodIssues(`COCO annotation file ${annotations}`, parsed.error.issues));
  const d = parsed.data;
  const cats = [...d.categories].sort((a, b) => a.id - b.id);
  for (const [k, c] of cats.entries()) {
    if (k > 0 && cats[k - 1].id === c.id) fail(`COCO annotation file ${annotations}: categories: id ${c.id} is used twice`);
    if (cats.findIndex((x) => x.name === c.name) !== k) fail(`COCO annotation file ${annotations}: categories: name "${c.name}" is used twice`);
  }
  const classes = classNames?.names ?? cats.map((c) => c.name);
  const classesFrom = classNames?.from ?? `the categories of ${annotations}, by id`;
  const catClass = new Map(cats.map((c) => {
    const k = classes.indexOf(c.name);
    if (k < 0) fail(`COCO annotation file ${annotations}: category "${c.name}" (id ${c.id}) is not one of the ${classes.length} classes (${classesFrom})`);
    return [c.id, k];
  }));
  const byId = new Map<number, LabelledImage>();
  for (const [k, im] of d.images.entries()) {
    if (byId.has(im.id)) fail(`COCO annotation file ${annotations}: images[${k}].id ${im.id} is used twice`);
    if (im.file_name.split(/[\\/]/).includes('..')) fail(`COCO annotation file ${annotations}: images[${k}].file_name "${im.file_name}" leaves the image folder`);
    byId.set(im.id, { id: String(im.id), file: join(imageDir, im.file_name), annotation: annotations, width: im.width, height: im.height, boxes: [] });
  }
  for (const [k, a] of d.annotations.entries()) {
    const im = byId.get(a.image_id) ?? fail(`COCO annotation file ${annotations}: annotations[${k}].image_id ${a.image_id} is not in images`);
    const cls = catClass.get(a.category_id) ?? fail(`COCO annotation file ${annotations}: annotations[${k}].category_id ${a.category_id} is not in categories`);
    const [x, y, w, h] = a.bbox;
    im.boxes.push({ x0: x, y0: y, x1: x + w, y1: y + h, cls, ...(a.iscrowd === 1 ? { ignore: true } : {}) });
  }
  if (!byId.size) fail(`COCO annotation file ${annotations} lists no images`);
  return { source: `coco:${annotations}`, classes, classesFrom, images: [...byId.values()] };
}

/** The built-in samples in the COCO layout: annotations.json and images/<id>.png. */
export async function cocoFiles(samples: Sample[], split: string, classes: readonly string[]): Promise<OutputFile[]> {
  const files: OutputFile[] = [];
  const images: object[] = [], annotations: object[] = [];
  for (const [i, s] of samples.entries()) {
    const file = `${exportId(split, i)}.png`;
    files.push({ name: `images/${file}`, data: await encodePng({ data: s.image, width: s.width, height: s.height }) });
    images.push({ id: i + 1, file_name: file, width: s.width, height: s.height });
    for (const b of s.boxes)
      annotations.push({ id: annotations.length + 1, image_id: i + 1, category_id: b.cls + 1, bbox: [b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0], area: (b.x1 - b.x0) * (b.y1 - b.y0), iscrowd: b.ignore ? 1 : 0 });
  }
  const categories = classes.map((name, k) => ({ id: k + 1, name, supercategory: 'shape' }));
  files.push({ name: 'annotations.json', data: JSON.stringify({ info: { description: `codenet built-in data set, ${split} split` }, images, annotations, categories }) + '\n' });
  return files;
}

/** Reads a voc: or coco: data set; `--classes` names override the data's. */
export function readLabelled(spec: DataSpec, opts: { split?: string; classes?: string }): LabelledSet {
  const names = opts.classes ? { names: readClassNames(opts.classes), from: `from ${opts.classes}` } : undefined;
  if (spec.kind === 'voc') return readVoc(spec.dir, opts.split ?? 'val', names);
  if (spec.kind === 'coco') return readCoco(spec.annotations, spec.images, names);
  throw new Error('readLabelled: the built-in set is made, not read');
}
