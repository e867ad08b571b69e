// Real images and annotations: JPEG/PNG decoding and the model's preprocessing
// (src/data/images.ts), the VOC and COCO readers and writers (src/data/labelled.ts), COCO mAP
// (src/detect/coco-map.ts), training batches from a folder (src/data/batches.ts), the exact AP round
// trip of the built-in set through `codenet dataset export`, and the exit-2 errors naming the file.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { encodePng, fitTransform, loadImage, mapBox, prepareImage, unmapBox } from '../src/data/images.ts';
import { parseDataSpec, readCoco, readVoc, VOC_CLASSES, vocAnnotationXml } from '../src/data/labelled.ts';
import { cropBoxes, labelledBatches } from '../src/data/batches.ts';
import { CLASS_NAMES, makeDataset, type Box } from '../src/data/shapes.ts';
import { evaluateCocoMAP } from '../src/detect/coco-map.ts';
import { evaluateAP50 } from '../src/detect/ap.ts';
import { evalLabelled, evalSamples, integerDetector, type Detector } from '../src/detect/eval.ts';
import type { Detection } from '../src/detect/decode.ts';
import { calibrationImages } from '../src/quant/run.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { UserError } from '../src/util/errors.ts';
import { Rng } from '../src/util/rng.ts';

let root: string;
beforeAll(() => { root = tempDir('codenet-data-'); });

const rgb = (w: number, h: number, f: (x: number, y: number, c: number) => number) => {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = f(x, y, c);
  return d;
};

describe('images: decode and the model\'s preprocessing', () => {
  it('decodes PNG exactly and JPEG closely, grey to RGB, alpha dropped', async () => {
    const data = rgb(7, 5, (x, y, c) => (x * 31 + y * 17 + c * 80) % 256);
    const png = join(root, 'a.png');
    writeFileSync(png, await encodePng({ data, width: 7, height: 5 }));
    const back = await loadImage(png);
    expect([back.width, back.height]).toEqual([7, 5]);
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);

    const grey = join(root, 'grey.png');
    await sharp(Buffer.from(rgb(4, 3, (x) => x * 60).filter((_, i) => i % 3 === 0)), { raw: { width: 4, height: 3, channels: 1 } }).png().toFile(grey);
    const g = await loadImage(grey);
    expect(Array.from(g.data.subarray(0, 12))).toEqual([0, 0, 0, 60, 60, 60, 120, 120, 120, 180, 180, 180]);

    const rgba = join(root, 'rgba.png');
    await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(rgba);
    expect(Array.from((await loadImage(rgba)).data)).toEqual([10, 20, 30, 40, 50, 60]);

    const jpg = join(root, 'flat.jpg');
    await sharp(Buffer.from(rgb(16, 16, () => 100)), { raw: { width: 16, height: 16, channels: 3 } }).jpeg({ quality: 95 }).toFile(jpg);
    const j = await loadImage(jpg);
    expect(Math.max(...Array.from(j.data, (v) => Math.abs(v - 100)))).toBeLessThanOrEqual(1);
  });

  it('letterbox keeps the aspect ratio, pads with grey 128 and maps boxes back; resize stretches; same size is untouched', async () => {
    expect(fitTransform(100, 50, 64, 'letterbox')).toEqual({ transform: { scaleX: 0.64, scaleY: 0.64, padX: 0, padY: 16 }, w: 64, h: 32 });
    expect(fitTransform(30, 60, 64, 'letterbox')).toEqual({ transform: { scaleX: 32 / 30, scaleY: 64 / 60, padX: 16, padY: 0 }, w: 32, h: 64 });
    expect(fitTransform(100, 50, 64, 'resize').transform).toEqual({ scaleX: 0.64, scaleY: 1.28, padX: 0, padY: 0 });
    const img = { data: rgb(32, 16, (x) => (x < 16 ? 0 : 255)), width: 32, height: 16 };
    const lb = await prepareImage(img, 32, 'letterbox');
    expect(lb.transform).toEqual({ scaleX: 1, scaleY: 1, padX: 0, padY: 8 });
    expect(lb.pixels[0]).toBe(128); // padding row
    expect(lb.pixels[(8 * 32 + 0) * 3]).toBe(0);
    expect(lb.pixels[(8 * 32 + 31) * 3]).toBe(255);
    expect(lb.pixels[(31 * 32 + 31) * 3]).toBe(128);
    const rs = await prepareImage(img, 32, 'resize');
    expect(rs.transform).toEqual({ scaleX: 1, scaleY: 2, padX: 0, padY: 0 });
    expect(rs.pixels[(31 * 32 + 31) * 3]).toBe(255);
    const same = { data: rgb(32, 32, (x, y, c) => x ^ y ^ c), width: 32, height: 32 };
    for (const fit of ['letterbox', 'resize'] as const) expect((await prepareImage(same, 32, fit)).pixels).toBe(same.data);
    const box = { x0: 3, y0: 4.5, x1: 20, y1: 12, cls: 1 };
    const t = fitTransform(100, 50, 64, 'letterbox').transform;
    const back = unmapBox(mapBox(box, t), t);
    for (const k of ['x0', 'y0', 'x1', 'y1'] as const) expect(back[k]).toBeCloseTo(box[k], 12);
    expect(mapBox(box, t)).toMatchObject({ x0: 3 * 0.64, y0: 4.5 * 0.64 + 16 });
  });

  it('a file that is not a JPEG/PNG, a truncated JPEG and a missing file are user errors naming the file', async () => {
    const text = join(root, 'notes.jpg');
    writeFileSync(text, 'hello');
    await expect(loadImage(text)).rejects.toThrow(new UserError(`image ${text} is not a JPEG or PNG file (its first bytes are 68 65 6c 6c 6f)`));
    const full = readFileSync(join(root, 'flat.jpg'));
    const cut = join(root, 'cut.jpg');
    writeFileSync(cut, full.subarray(0, Math.floor(full.length / 2)));
    await expect(loadImage(cut)).rejects.toThrow(/^image .*cut\.jpg does not decode as JPEG: /);
    await expect(loadImage(join(root, 'none.png'))).rejects.toThrow(/cannot read image .*none\.png: no such file/);
  });

  it('--calib DIR: every JPEG/PNG of the folder in name order, brought to the input; a bad one names its file', async () => {
    const dir = join(root, 'calib');
    mkdirSync(dir);
    writeFileSync(join(dir, 'b.png'), await encodePng({ data: rgb(16, 16, () => 7), width: 16, height: 16 }));
    writeFileSync(join(dir, 'a.png'), await encodePng({ data: rgb(16, 8, () => 9), width: 16, height: 8 }));
    writeFileSync(join(dir, 'readme.txt'), 'not an image');
    const imgs = await calibrationImages(dir, 16, 0);
    expect(imgs.map((i) => [i.length, i[0], i[16 * 8 * 3 - 1]])).toEqual([[768, 128, 9], [768, 7, 7]]); // a.png letterboxed: grey rows on top
    writeFileSync(join(dir, 'c.jpg'), 'broken');
    await expect(calibrationImages(dir, 16, 0)).rejects.toThrow(/calibration image .*c\.jpg is not a JPEG or PNG file/);
    const empty = join(root, 'calib-empty');
    mkdirSync(empty);
    await expect(calibrationImages(empty, 16, 0)).rejects.toThrow(`calibration image folder ${empty} holds no .jpg, .jpeg or .png file`);
  });
});

/** A small VOC folder: 2 images, one with a difficult object. */
async function vocFixture(dir: string, classes = VOC_CLASSES): Promise<void> {
  for (const d of ['JPEGImages', 'Annotations', 'ImageSets/Main']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'JPEGImages/img1.jpg'), await sharp(Buffer.from(rgb(40, 30, () => 90)), { raw: { width: 40, height: 30, channels: 3 } }).jpeg().toBuffer());
  writeFileSync(join(dir, 'JPEGImages/img2.png'), await encodePng({ data: rgb(20, 20, () => 50), width: 20, height: 20 }));
  writeFileSync(join(dir, 'Annotations/img1.xml'), vocAnnotationXml('img1.jpg', 40, 30, [{ x0: 2, y0: 3, x1: 20, y1: 25, cls: 11 }, { x0: 0, y0: 0, x1: 10, y1: 10, cls: 14, ignore: true }], classes));
  writeFileSync(join(dir, 'Annotations/img2.xml'), `<?xml version="1.0"?>\n<annotation><filename>img2.png</filename><size><width>20</width><height>20</height><depth>3</depth></size>
    <object><name>person</name><difficult>0</difficult><bndbox><xmin>5.5</xmin><ymin>1</ymin><xmax>20</xmax><ymax>18</ymax></bndbox></object></annotation>`);
  writeFileSync(join(dir, 'ImageSets/Main/val.txt'), 'img1\nimg2\n');
}

describe('Pascal VOC and COCO readers', () => {
  it('reads a VOC folder: 1-based inclusive bndbox to continuous boxes, difficult as ignore, the 20 VOC classes by default', async () => {
    const dir = join(root, 'voc1');
    await vocFixture(dir);
    const set = readVoc(dir, 'val');
    expect(set.classes).toEqual(VOC_CLASSES);
    expect(set.images.map((i) => [i.id, i.file, i.width, i.height])).toEqual([['img1', join(dir, 'JPEGImages/img1.jpg'), 40, 30], ['img2', join(dir, 'JPEGImages/img2.png'), 20, 20]]);
    expect(set.images[0].boxes).toEqual([{ x0: 2, y0: 3, x1: 20, y1: 25, cls: 11 }, { x0: 0, y0: 0, x1: 10, y1: 10, cls: 14, ignore: true }]);
    expect(set.images[1].boxes).toEqual([{ x0: 4.5, y0: 0, x1: 20, y1: 18, cls: 14 }]);
    expect(parseDataSpec('coco:a,b.json,imgs')).toEqual({ kind: 'coco', annotations: 'a,b.json', images: 'imgs' });
    expect(parseDataSpec('builtin:5')).toEqual({ kind: 'builtin', count: 5 });
  });

  it('VOC errors name the file and the field', async () => {
    const dir = join(root, 'voc-bad');
    await vocFixture(dir);
    const ann = join(dir, 'Annotations/img2.xml');
    const cases: Array<[string, RegExp]> = [
      ['<annotation><object><name>dog</name></annotation>', /VOC annotation .*img2\.xml does not parse as XML: line 1, column \d+: /],
      ['<annotation><object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax></bndbox></object></annotation>', /VOC annotation .*img2\.xml: invalid annotation\.object\[0\]\.bndbox\.ymax: /],
      ['<annotation><object><name>dog</name><bndbox><xmin>a</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object></annotation>', /annotation\.object\[0\]\.bndbox\.xmin: must be a number/],
      ['<annotation><object><name>unicorn</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object></annotation>', /annotation\.object\[0\]\.name "unicorn" is not one of the 20 classes \(the 20 Pascal VOC classes\); give --classes names\.txt/],
      ['<annotation><object><name>dog</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></object></annotation>', /annotation\.object\[0\]\.bndbox has xmin 5, xmax 3/],
    ];
    for (const [xml, msg] of cases) {
      writeFileSync(ann, xml);
      expect(() => readVoc(dir, 'val'), xml).toThrow(msg);
    }
    expect(() => readVoc(dir, 'test')).toThrow(/ImageSets\/Main\/test\.txt is missing/);
    writeFileSync(join(dir, 'ImageSets/Main/val.txt'), 'img1\nimg3\n');
    expect(() => readVoc(dir, 'val')).toThrow(`VOC annotation ${join(dir, 'Annotations/img3.xml')} is missing (image "img3" of ${join(dir, 'ImageSets/Main/val.txt')})`);
  });

  it('reads COCO: bbox [x, y, w, h], categories by id, iscrowd as ignore; errors name the file and the field', () => {
    const ann = join(root, 'coco.json');
    const doc = {
      images: [{ id: 7, file_name: 'x.png', width: 10, height: 10 }, { id: 3, file_name: 'y.png' }],
      annotations: [{ id: 1, image_id: 7, category_id: 5, bbox: [1, 2, 3.5, 4], iscrowd: 0 }, { id: 2, image_id: 3, category_id: 2, bbox: [0, 0, 5, 5], iscrowd: 1 }],
      categories: [{ id: 5, name: 'cat' }, { id: 2, name: 'dog' }],
    };
    writeFileSync(ann, JSON.stringify(doc));
    const set = readCoco(ann, '/imgs');
    expect(set.classes).toEqual(['dog', 'cat']);
    expect(set.images).toEqual([
      { id: '7', file: '/imgs/x.png', annotation: ann, width: 10, height: 10, boxes: [{ x0: 1, y0: 2, x1: 4.5, y1: 6, cls: 1 }] },
      { id: '3', file: '/imgs/y.png', annotation: ann, width: undefined, height: undefined, boxes: [{ x0: 0, y0: 0, x1: 5, y1: 5, cls: 0, ignore: true }] },
    ]);
    const bad = (patch: object, msg: RegExp | string) => {
      writeFileSync(ann, JSON.stringify({ ...doc, ...patch }));
      expect(() => readCoco(ann, '/imgs')).toThrow(msg);
    };
    bad({ annotations: [{ image_id: 7, category_id: 5, bbox: [1, 2, 3] }] }, `COCO annotation file ${ann}: invalid annotations[0].bbox`);
    bad({ annotations: [{ image_id: 9, category_id: 5, bbox: [1, 2, 3, 4] }] }, `COCO annotation file ${ann}: annotations[0].image_id 9 is not in images`);
    bad({ annotations: [{ image_id: 7, category_id: 4, bbox: [1, 2, 3, 4] }] }, `COCO annotation file ${ann}: annotations[0].category_id 4 is not in categories`);
    bad({ images: 'x' }, `COCO annotation file ${ann}: invalid images: `);
    writeFileSync(ann, '{"images": [');
    expect(() => readCoco(ann, '/imgs')).toThrow(new RegExp(`^COCO annotation file ${ann} is not valid JSON: `));
  });
});

describe('training batches from a folder', () => {
  it('crops keep boxes with >= 30 % of their area inside, mirrored with a flip; ignore boxes are left out', () => {
    const boxes: Box[] = [{ x0: 10, y0: 10, x1: 20, y1: 20, cls: 0 }, { x0: 0, y0: 0, x1: 10, y1: 10, cls: 1 }, { x0: 25, y0: 5, x1: 30, y1: 8, cls: 2, ignore: true }];
    // crop x 8..38, y 5..35: box 0 fully inside, box 1 is 2x5 of 10x10 = 20 % inside -> dropped
    expect(cropBoxes(boxes, 8, 5, 30, 30, false)).toEqual([{ x0: 2, y0: 5, x1: 12, y1: 15, cls: 0 }]);
    expect(cropBoxes(boxes, 8, 5, 30, 30, true)).toEqual([{ x0: 18, y0: 5, x1: 28, y1: 15, cls: 0 }]);
    expect(cropBoxes(boxes, 5, 0, 30, 30, false)).toEqual([{ x0: 5, y0: 10, x1: 15, y1: 20, cls: 0 }, { x0: 0, y0: 0, x1: 5, y1: 10, cls: 1 }]);
  });

  it('sample i of a step is a pure function of (stream, i): the same whoever renders it, boxes inside the input', async () => {
    const dir = join(root, 'voc1');
    const src = labelledBatches({ data: `voc:${dir}`, split: 'val', fit: 'letterbox' });
    expect(src.classes).toBe(20);
    const a = await src.samples(17, 0, 6, 32), b = await src.samples(17, 2, 6, 32);
    expect(a.slice(2).map((s) => [Buffer.from(s.image).toString('base64'), s.boxes])).toEqual(b.map((s) => [Buffer.from(s.image).toString('base64'), s.boxes]));
    for (const s of a) {
      expect(s.image.length).toBe(32 * 32 * 3);
      for (const bx of s.boxes) expect(bx.x0 >= 0 && bx.y0 >= 0 && bx.x1 <= 32 && bx.y1 <= 32 && bx.x1 > bx.x0 && !bx.ignore).toBe(true);
    }
    expect(new Set(a.map((s) => Buffer.from(s.image).toString('base64'))).size).toBeGreaterThan(1);
  });

  it('codenet train --data voc: trains a model of the data\'s classes on both threads and logs the data', async () => {
    const out = join(root, 'trained');
    const r = await runCli('train', '--data', `voc:${join(root, 'voc1')}`, '--split', 'val', '--input', '32', '--steps', '2', '--batch', '2', '--threads', '2', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const log = JSON.parse(readFileSync(join(out, 'train-log.json'), 'utf8')) as { steps: number; threads: number; data: string; loss: number[] };
    expect([log.steps, log.threads, log.loss.every(Number.isFinite)]).toEqual([2, 2, true]);
    expect(log.data).toBe(`voc:${join(root, 'voc1')} (val), 2 images, 20 classes (the 20 Pascal VOC classes), --fit letterbox`);
    const topo = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as object;
    expect(JSON.stringify(topo)).toMatch(/"name":"hm".*?"filters":20/);
    writeFileSync(join(root, 'three.txt'), 'person\ndog\ncat\n');
    const bad = await runCli('train', '--data', `voc:${join(root, 'voc1')}`, '--split', 'val', '--input', '32', '--steps', '1', '--resume', out, '--classes', join(root, 'three.txt'), '-o', join(root, 'never'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/its hm head has 20 classes; the training data voc:.* has 3/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
});

describe('COCO mAP@[.5:.95] (pycocotools rules)', () => {
  it('matches a hand-computed example, with a crowd box and a duplicate', () => {
    const gt: Box[][] = [[{ x0: 0, y0: 0, x1: 10, y1: 10, cls: 0 }], [{ x0: 0, y0: 0, x1: 10, y1: 10, cls: 0 }], [{ x0: 40, y0: 40, x1: 60, y1: 60, cls: 0, ignore: true }]];
    const d = (x1: number, y1: number, score: number, x0 = 0, y0 = 0): Detection => ({ x0, y0, x1, y1, cls: 0, score });
    const dets = [[d(10, 10, 0.9), d(10, 5, 0.8)], [d(10, 8.2, 0.7), d(30, 30, 0.6, 20, 20)], [d(58, 58, 0.95, 40, 40)]];
    // IoU 1 (TP at every threshold), a duplicate (FP), IoU 0.82 (TP up to 0.80, 7 of 10 thresholds), a miss (FP);
    // the crowd detection (intersection / its own area = 1; VOC IoU 0.81) is ignored.
    // 7 thresholds: precision 1 up to recall 0.5 (51 points), 2/3 above (50 points); 3 thresholds: 1 up to 0.5, then 0.
    const hi = (51 + 50 * (2 / 3)) / 101, lo = 51 / 101;
    const r = evaluateCocoMAP(dets, gt, 1);
    expect(r.mAP).toBeCloseTo((7 * hi + 3 * lo) / 10, 12);
    expect(r.ap50).toBeCloseTo(hi, 12);
    expect(r.ap75).toBeCloseTo(hi, 12);
    expect(r.perClass[0]).toBeCloseTo(r.mAP, 15);
    // VOC AP50 of the same (all-point; the crowd box as VOC "difficult"): 0.5 * 1 + 0.5 * 2/3
    expect(evaluateAP50(dets, gt, 1).mAP).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    // Without the ignore flag the crowd box is a third object, found first: recall 1/3, 2/3, 2/3, 1, 1.
    expect(evaluateAP50(dets, gt.map((g) => g.map((b) => ({ ...b, ignore: undefined }))), 1).mAP).toBeCloseTo(2 / 3 + (1 / 3) * 0.75, 12);
    expect(evaluateCocoMAP([[]], [[]], 2)).toMatchObject({ perClass: [null, null] });
    expect(Number.isNaN(evaluateCocoMAP([[]], [[]], 2).mAP)).toBe(true);
  });
});

describe('codenet dataset export: the built-in set in VOC and COCO layouts, read back exactly', () => {
  const seed = 3, count = 10, size = 64;
  const samples = makeDataset({ seed, count, size, split: 'val' });
  /** A detector that knows the data: the ground truth of the image it recognises (by its exact pixels), jittered, plus a false positive. */
  const oracle: Detector = {
    name: 'oracle', kind: 'test', height: size, width: size, classes: CLASS_NAMES.length,
    detect(pixels) {
      const i = samples.findIndex((s) => Buffer.from(s.image).equals(Buffer.from(pixels)));
      if (i < 0) return [];
      const rng = new Rng(i);
      return [...samples[i].boxes.map((b) => ({ ...b, x0: b.x0 + rng.int(-3, 3), x1: b.x1 + rng.int(-3, 3), score: rng.float() })), { x0: 1, y0: 1, x1: 9, y1: 9, cls: i % 6, score: rng.float() }];
    },
  };

  it('VOC and COCO exports give the same pixels, boxes, detections and exactly the same AP50 and mAP as the built-in set', async () => {
    for (const format of ['voc', 'coco'] as const) {
      const dir = join(root, `export-${format}`);
      const r = await runCli('dataset', 'export', '--format', format, '--count', String(count), '--seed', String(seed), '--size', String(size), '-o', dir);
      expect(r.code, r.stderr).toBe(0);
      const set = format === 'voc' ? readVoc(dir, 'val') : readCoco(join(dir, 'annotations.json'), join(dir, 'images'));
      expect(set.classes).toEqual([...CLASS_NAMES]);
      expect(set.images.map((im) => im.boxes)).toEqual(samples.map((s) => s.boxes));
      for (const [i, im] of set.images.entries()) expect(Buffer.from((await loadImage(im.file)).data).equals(Buffer.from(samples[i].image)), im.file).toBe(true);
      const want = evalSamples(oracle, samples);
      expect(want.mAP).toBeGreaterThan(0.2);
      expect(want.mAP).toBeLessThan(1);
      const got = await evalLabelled(oracle, set, 'letterbox');
      expect(got.mAP).toBe(want.mAP);
      expect(got.perClass).toEqual(want.perClass);
      expect(got.coco).toEqual(want.coco);
      const m = integerDetector(exportZooModel('codenet-tiny', { seed: 1, classes: 6 }));
      const [a, b] = [evalSamples(m, samples), await evalLabelled(m, set, 'resize')];
      expect(b.detections).toEqual(samples.map((s) => m.detect(s.image)));
      expect([b.mAP, b.coco]).toEqual([a.mAP, a.coco]);
    }
  });

  it('codenet eval --data voc: and coco: print the same AP as --data builtin on the same images; a wrong class count is refused', async () => {
    const model = join(root, 'm6.json');
    expect((await runCli('export', 'codenet-tiny', '--seed', '1', '--classes', '6', '-o', model)).code).toBe(0);
    const json = (name: string) => JSON.parse(readFileSync(join(root, name), 'utf8')) as { mAP: number; perClass: unknown; coco: unknown; images: number };
    const runs = [['builtin', `builtin:${count}`], ['voc', `voc:${join(root, 'export-voc')}`], ['coco', `coco:${join(root, 'export-coco', 'annotations.json')},${join(root, 'export-coco', 'images')}`]];
    for (const [name, data] of runs) {
      const r = await runCli('eval', model, '--data', data, '--seed', String(seed), '--json', join(root, `${name}.json`));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/AP50 [\d.]+ \(Pascal VOC all-point\), mAP@\[\.5:\.95\] [\d.]+ \(COCO 101-point/);
    }
    const [b, v, c] = ['builtin', 'voc', 'coco'].map((n) => json(`${n}.json`));
    expect(b.images).toBe(count);
    for (const x of [v, c]) expect([x.mAP, x.perClass, x.coco, x.images]).toEqual([b.mAP, b.perClass, b.coco, b.images]);
    const r = await runCli('eval', 'codenet-tiny', '--data', `voc:${join(root, 'export-voc')}`, '--json', join(root, 'no.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`predicts 20 classes (its hm head), the data set voc:${join(root, 'export-voc')} (val) has 6 (from ${join(root, 'export-voc', 'classes.txt')}); give --classes names.txt`);
    expect(existsSync(join(root, 'no.json'))).toBe(false);
  });

  it('an image that does not decode or an annotation that does not parse: exit 2 naming the file, nothing written', async () => {
    const dir = join(root, 'export-voc');
    const img = join(dir, 'JPEGImages', 'val_000004.png');
    const keep = readFileSync(img);
    writeFileSync(img, keep.subarray(0, 100));
    let r = await runCli('eval', join(root, 'm6.json'), '--data', `voc:${dir}`, '--json', join(root, 'bad.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`image ${img} does not decode as PNG: `));
    writeFileSync(img, keep);
    writeFileSync(join(dir, 'Annotations', 'val_000002.xml'), '<annotation><object>');
    r = await runCli('eval', join(root, 'm6.json'), '--data', `voc:${dir}`, '--json', join(root, 'bad.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`VOC annotation ${join(dir, 'Annotations', 'val_000002.xml')} does not parse as XML`);
    expect(existsSync(join(root, 'bad.json'))).toBe(false);
    r = await runCli('eval', join(root, 'm6.json'), '--data', 'voc');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--data must be builtin[:N], voc:DIR or coco:ANNOTATIONS.json,IMAGEDIR; got "voc"');
  });
});
