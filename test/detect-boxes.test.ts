// Boxes out: `codenet detect` on a detector whose heads are known (a red pixel on
// grey is one box), letterbox and resize mapping back to image pixels, the JSON schema, the drawn PNG
// (labels XML-escaped), the golden and float backends and exit-2 errors. The sim backend and the
// drivers' CPU decode (gcc, python3) are in test/detect-drivers.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { XMLValidator } from 'fast-xml-parser';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { greyWithRed, handDetector } from './helpers/hand-detector.ts';
import { saveModelFile } from '../src/ir/save.ts';
import { encodePng, loadImage } from '../src/data/images.ts';
import { DetectionsFileSchema, overlaySvg, type DetectionsFile } from '../src/detect/detect.ts';
import { makeDataset } from '../src/data/shapes.ts';

let root: string, model: string;
const png = async (name: string, w: number, h: number, reds: Array<[number, number]>) => {
  const p = join(root, name);
  writeFileSync(p, await encodePng({ data: greyWithRed(w, h, reds), width: w, height: h }));
  return p;
};
const readDoc = (p: string): DetectionsFile => DetectionsFileSchema.parse(JSON.parse(readFileSync(p, 'utf8')));
const SCORE = 1 / (1 + Math.exp(-8.7)); // red code 127: logit 0.1 * (127 - 40)

beforeAll(() => {
  root = tempDir('codenet-detect-');
  model = join(root, 'hand.json');
  saveModelFile(handDetector(32), model);
});

describe('codenet detect', () => {
  it('a known image gives its known boxes, in image pixels, and a PNG with them drawn', async () => {
    const img = await png('red.png', 32, 32, [[12, 20], [28, 4]]);
    const clash = await runCli('detect', model, img, '-o', join(root, 'red.json'));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain(`the drawing ${join(root, 'red.png')} would replace the input image ${img}`);
    const out = join(root, 'red-det.json');
    const r = await runCli('detect', model, img, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const doc = readDoc(out);
    expect(doc).toMatchObject({ format: 'codenet-detections', version: 1, model: 'hand-detector', backend: 'golden', input: [32, 32], fit: 'letterbox', topK: 100, threshold: 0.1, classes: ['class0'] });
    const [e] = doc.images;
    expect([e.file, e.width, e.height, e.transform, e.overlay]).toEqual([img, 32, 32, { scaleX: 1, scaleY: 1, padX: 0, padY: 0 }, 'red-det.png']);
    // red pixel (28, 4): cell (7, 1), centre ((7 + 0.5) * 4, (1 + 0.5) * 4) = (30, 6), 20 x 20; the equal codes: lower cell first
    expect(e.detections.map((d) => [d.inputBox, d.box, d.cls, d.label])).toEqual([
      [[20, -4, 40, 16], [20, 0, 32, 16], 0, 'class0'],
      [[4, 12, 24, 32], [4, 12, 24, 32], 0, 'class0'],
    ]);
    for (const d of e.detections) expect(d.score).toBeCloseTo(SCORE, 6);
    const drawn = await loadImage(join(root, 'red-det.png'));
    expect([drawn.width, drawn.height]).toEqual([32, 32]);
    // the boxes are drawn on the image: box 2's left edge (x = 4, rows 12..31) is no longer grey, the far corner is
    const at = (x: number, y: number) => Array.from(drawn.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    expect(at(4, 25)).not.toEqual([128, 128, 128]);
    expect(at(0, 31)).toEqual([128, 128, 128]);
    expect(at(12, 20)).toEqual([255, 128, 128]);
  });

  it('letterbox and resize map the boxes back to the original pixels', async () => {
    // 32 x 16: letterbox pads 8 rows above; red (12, 4) sits at input (12, 12): cell (3, 3)
    const img = await png('wide.png', 32, 16, [[12, 4]]);
    let r = await runCli('detect', model, img, '-o', join(root, 'wide.json'), '--no-draw');
    expect(r.code, r.stderr).toBe(0);
    let e = readDoc(join(root, 'wide.json')).images[0];
    expect(e.transform).toEqual({ scaleX: 1, scaleY: 1, padX: 0, padY: 8 });
    expect(e.overlay).toBeUndefined();
    expect(existsSync(join(root, 'wide.png.png'))).toBe(false);
    expect(e.detections.map((d) => [d.inputBox, d.box])).toEqual([[[4, 4, 24, 24], [4, 0, 24, 16]]]);
    // resize: rows doubled (16 -> 32); a 1x2 red block at (20, 8..9) -> rows 16..19 at input: cell (5, 4)
    const tall = await png('tall.png', 32, 16, [[20, 8]]);
    r = await runCli('detect', model, tall, '--fit', 'resize', '-o', join(root, 'tall.json'), '--no-draw', '--threshold', '0.5');
    expect(r.code, r.stderr).toBe(0);
    e = readDoc(join(root, 'tall.json')).images[0];
    expect(e.transform).toEqual({ scaleX: 1, scaleY: 2, padX: 0, padY: 0 });
    for (const d of e.detections) {
      const [x0, y0, x1, y1] = d.inputBox;
      expect(d.box).toEqual([Math.max(0, x0), Math.max(0, y0 / 2), Math.min(32, x1), Math.min(16, y1 / 2)]);
    }
    expect(e.detections.length).toBeGreaterThan(0);
  });

  it('a folder: every image, a PNG each under out/; class names from --classes, XML-escaped in the drawing', async () => {
    const dir = join(root, 'images');
    mkdirSync(dir);
    writeFileSync(join(dir, 'b.png'), await encodePng({ data: greyWithRed(32, 32, [[4, 4]]), width: 32, height: 32 }));
    writeFileSync(join(dir, 'a.jpg'), await sharp(Buffer.from(greyWithRed(32, 32, [])), { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toBuffer());
    writeFileSync(join(dir, 'notes.txt'), 'skipped');
    const names = join(root, 'names.txt');
    writeFileSync(names, '# the one class\nred <dot> & "co"\n');
    const out = join(root, 'many.json');
    const r = await runCli('detect', model, dir, '--classes', names, '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const doc = readDoc(out);
    expect(doc.classes).toEqual(['red <dot> & "co"']);
    expect(doc.images.map((e) => [e.file, e.overlay, e.detections.length])).toEqual([[join(dir, 'a.jpg'), 'many/a.jpg.png', 0], [join(dir, 'b.png'), 'many/b.png.png', 1]]);
    for (const e of doc.images) expect((await loadImage(join(root, e.overlay!))).width).toBe(32);
    const svg = overlaySvg(doc.images[1]);
    expect(svg).toContain('>red &lt;dot&gt; &amp; &quot;co&quot; 1.00</text>');
    expect(XMLValidator.validate(svg)).toBe(true);
  });

  it('the float backend decodes a float model\'s heads', async () => {
    const { buildFloatModel, initBackend } = await import('../src/float/model.ts');
    const { saveFloatModel, loadFloatModel } = await import('../src/float/io.ts');
    const { findZooSpec } = await import('../src/zoo/specs.ts');
    const { floatDetector } = await import('../src/detect/eval.ts');
    await initBackend();
    const dir = join(root, 'float');
    await saveFloatModel(buildFloatModel(findZooSpec('codenet-tiny')!, { classes: 6, seed: 3, input: 64 }), dir);
    const s = makeDataset({ seed: 4, count: 1, size: 64, split: 'val' })[0];
    const img = join(root, 'shapes.png');
    writeFileSync(img, await encodePng({ data: s.image, width: 64, height: 64 }));
    const r = await runCli('detect', dir, img, '-o', join(root, 'float.json'), '--top-k', '7', '--threshold', '0');
    expect(r.code, r.stderr).toBe(0);
    const doc = readDoc(join(root, 'float.json'));
    expect(doc.backend).toBe('float');
    expect(doc.classes).toEqual(['disc', 'square', 'triangle', 'cross', 'ring', 'star']);
    const want = floatDetector(await loadFloatModel(dir), { topK: 7, threshold: 0 }).detect(s.image);
    expect(doc.images[0].detections.map((d) => [...d.inputBox, d.cls, d.score])).toEqual(want.map((d) => [d.x0, d.y0, d.x1, d.y1, d.cls, d.score]));
  });

  it('golden --input takes a JPEG/PNG: letterboxed, code = pixel - 128; one that does not decode is exit 2, nothing written', async () => {
    const img = await png('g.png', 32, 16, [[12, 4]]);
    const out = join(root, 'golden-out');
    const r = await runCli('golden', model, '--input', img, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const { readNpy } = await import('../src/io/npy.ts');
    const hm = readNpy(join(out, 'hm.npy'));
    expect(hm.shape).toEqual([8, 8, 1]);
    // red (12, 4) lands at input (12, 12): cell (3, 3) holds its red code 127, every other cell grey 0
    expect(Array.from(hm.data as Int8Array).map((v, i) => (v ? `${i}:${v}` : '')).filter(Boolean)).toEqual([`${3 * 8 + 3}:127`]);
    writeFileSync(join(root, 'cut.png'), readFileSync(img).subarray(0, 60));
    const bad = await runCli('golden', model, '--input', join(root, 'cut.png'), '--out', join(root, 'golden-bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`input image ${join(root, 'cut.png')} does not decode as PNG`);
    expect(existsSync(join(root, 'golden-bad'))).toBe(false);
  });

  it('bad inputs: exit 2 naming the file or flag, nothing written', async () => {
    const text = join(root, 'notes.png');
    writeFileSync(text, 'not an image');
    const cases: Array<[string[], RegExp | string]> = [
      [[model, text], `image ${text} is not a JPEG or PNG file`],
      [[model, join(root, 'missing.png')], /cannot read image .*missing\.png: no such file/],
      [[model, join(root, 'red.png'), '--classes', join(root, 'names2.txt')], /cannot read class-name file .*names2\.txt/],
      [[model, join(root, 'red.png'), '--threshold', '2'], '--threshold must be a score in [0, 1], got "2"'],
      [[model, join(root, 'red.png'), '--backend', 'float'], /--backend float needs a float model/],
      [[root, join(root, 'red.png'), '--backend', 'sim'], /is not a complete simulation bundle/],
    ];
    writeFileSync(join(root, 'two.txt'), 'a\nb\n');
    cases.push([[model, join(root, 'red.png'), '--classes', join(root, 'two.txt')], /names 2 classes, model hand-detector predicts 1/]);
    for (const [args, msg] of cases) {
      const out = join(root, 'bad', 'out.json');
      const r = await runCli('detect', ...args, '-o', out);
      expect(r.code, args.join(' ')).toBe(2);
      if (typeof msg === 'string') expect(r.stderr).toContain(msg);
      else expect(r.stderr).toMatch(msg);
      expect(existsSync(join(root, 'bad'))).toBe(false);
    }
  });
});
