// The sim backend of `codenet detect` (HLS C-simulation of a bundle) and the CPU decode of the
// generated drivers: the C driver's codenet_decode (compiled with gcc) and the PYNQ driver's decode
// (python3 with NumPy) give the TypeScript decode's boxes exactly on fixed int8 heads.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { greyWithRed, handDetector } from './helpers/hand-detector.ts';
import { saveModelFile } from '../src/ir/save.ts';
import { encodePng } from '../src/data/images.ts';
import { DetectionsFileSchema, type DetectionsFile } from '../src/detect/detect.ts';
import { decode, decodeQuantized, dequantize, type Detection } from '../src/detect/decode.ts';
import { ModelBuilder } from '../src/verify/builder.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { presetConfig } from '../src/hw/config.ts';
import { driverHeads, renderDrivers } from '../src/gen/drivers.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { runGolden } from '../src/golden/run.ts';
import { imageCodes } from '../src/zoo/image.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { Rng } from '../src/util/rng.ts';

const ROOT = resolve(import.meta.dirname, '..');
const root = tempDir('codenet-detect-drv-');
const readDoc = (p: string): DetectionsFile => DetectionsFileSchema.parse(JSON.parse(readFileSync(p, 'utf8')));

describe('codenet detect --backend sim', () => {
  it('the sim backend (HLS C-simulation of a bundle) gives the golden model\'s boxes', async () => {
    const model = join(root, 'hand.json');
    saveModelFile(handDetector(32), model);
    const bundle = join(root, 'bundle');
    expect((await runCli('bundle', model, '-o', bundle)).code).toBe(0);
    writeFileSync(join(root, 'red2.png'), await encodePng({ data: greyWithRed(32, 32, [[12, 20], [28, 4], [0, 0]]), width: 32, height: 32 }));
    const r = await runCli('detect', bundle, join(root, 'red2.png'), '--backend', 'sim', '--simulator', 'hls', '-o', join(root, 'sim.json'), '--no-draw');
    expect(r.code, r.stderr).toBe(0);
    const g = await runCli('detect', model, join(root, 'red2.png'), '-o', join(root, 'golden.json'), '--no-draw');
    expect(g.code).toBe(0);
    const [s, gd] = [readDoc(join(root, 'sim.json')), readDoc(join(root, 'golden.json'))];
    expect(s.backend).toBe('sim/hls');
    expect(s.images[0].detections.length).toBe(3);
    expect(s.images[0].detections).toEqual(gd.images[0].detections);
  });
});

describe('decode of int8 heads: TypeScript, the generated C driver and the PYNQ driver agree exactly', () => {
  // A model whose three outputs are 16 x 16 heads (4 classes) at stride 4; the heads' scales are set so
  // that float32 saturates the top scores (different codes, equal float scores).
  const b = new ModelBuilder('heads', 64, 64);
  const m = b.build([b.stem('image', 4, 4, false), b.stem('image', 2, 4, false), b.stem('image', 2, 4, false)]);
  const [hmT, whT, regT] = m.outputs.map((n) => m.tensors.get(n)!);
  Object.assign(hmT, { scale: 0.173, zero: -7 });
  Object.assign(whT, { scale: 0.0931, zero: 3 });
  Object.assign(regT, { scale: 0.0123, zero: -20 });
  const rng = new Rng(42);
  const hm = Int8Array.from({ length: 16 * 16 * 4 }, () => rng.int(-128, 127));
  for (const [y, x] of [[3, 3], [9, 10], [14, 1]]) for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) hm[((y + dy) * 16 + x + dx) * 4 + 1] = 120; // plateaus
  const wh = Int8Array.from({ length: 16 * 16 * 2 }, () => rng.int(-128, 127));
  const reg = Int8Array.from({ length: 16 * 16 * 2 }, () => rng.int(-128, 127));
  const q = (t: typeof hmT, data: Int8Array) => ({ data, scale: t.scale, zero: t.zero });
  const ts = (topK: number, threshold: number) => decodeQuantized({ height: 16, width: 16, classes: 4, hm: q(hmT, hm), wh: q(whT, wh), reg: q(regT, reg) }, { topK, threshold });
  const row = (d: Detection) => [d.cls, d.x0, d.y0, d.x1, d.y1, d.score];
  const settings: Array<[number, number]> = [[100, 0.1], [20, 0.5], [2000, 0]];
  let sw: string;

  beforeAll(() => {
    const hw = presetConfig('ultra96v2');
    const files = renderDrivers(m.name, hw, compileModel(m, hw).map, driverHeads(m));
    sw = join(root, 'drivers');
    mkdirSync(join(sw, 'sw'), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(sw, name), text);
    for (const [name, data] of [['hm', hm], ['wh', wh], ['reg', reg]] as const) writeFileSync(join(sw, `${name}.bin`), data);
  });

  it('the code-based decode equals decode() of the dequantized maps where float32 keeps scores apart', () => {
    const small = { ...hmT, scale: 0.02 };
    const a = decodeQuantized({ height: 16, width: 16, classes: 4, hm: q(small, hm), wh: q(whT, wh), reg: q(regT, reg) }, { topK: 50 });
    const f = decode({ height: 16, width: 16, classes: 4, hm: dequantize(q(small, hm)), wh: dequantize(q(whT, wh)), reg: dequantize(q(regT, reg)) }, { topK: 50 });
    expect(a).toEqual(f);
    expect(a.length).toBe(50);
    // saturated: codes 100 and 127 both score float32 1.0; the higher code comes first
    const top = ts(100, 0.1);
    expect(top[0].score).toBe(1);
    expect(top.filter((d) => d.score === 1).length).toBeGreaterThan(3);
    // and on real golden outputs of a zoo model the two agree too
    const zoo = exportZooModel('codenet-tiny', { seed: 2, classes: 6 });
    for (const s of makeDataset({ seed: 9, count: 2, size: 64, split: 'val' })) {
      const out = runGolden(zoo, new Map([[zoo.inputs[0], imageCodes(s.image)]]));
      const t = (n: string) => ({ data: out.get(n) as Int8Array, scale: zoo.tensors.get(n)!.scale, zero: zoo.tensors.get(n)!.zero });
      const [H, W, C] = zoo.tensors.get('hm')!.shape;
      expect(decodeQuantized({ height: H, width: W, classes: C, hm: t('hm'), wh: t('wh'), reg: t('reg') }))
        .toEqual(decode({ height: H, width: W, classes: C, hm: dequantize(t('hm')), wh: dequantize(t('wh')), reg: dequantize(t('reg')) }));
    }
  });

  it('the C driver\'s codenet_decode (gcc) gives the same boxes, bit for bit', () => {
    const exe = join(sw, 'decode_host');
    execFileSync('gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', `-I${join(sw, 'sw')}`, '-o', exe, join(ROOT, 'test/helpers/decode_host.c'), join(sw, 'sw/codenet_decode.c'), '-lm'], { stdio: 'pipe' });
    for (const [k, t] of settings) {
      const want = ts(k, t);
      expect(want.length).toBe(Math.min(k, want.length));
      const lines = execFileSync(exe, [join(sw, 'hm.bin'), join(sw, 'wh.bin'), join(sw, 'reg.bin'), String(t), String(k)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      const got = lines.map((l) => l.split(' ').map(Number)).map(([cls, , , x0, y0, x1, y1, score]) => [cls, x0, y0, x1, y1, score]);
      expect(got, `top ${k} at ${t}`).toEqual(want.map(row));
    }
    expect(ts(2000, 0).length).toBeGreaterThan(100);
  });

  it('the PYNQ driver\'s decode (Python, NumPy) gives the same boxes, bit for bit', (ctx) => {
    if (spawnSync('python3', ['-c', 'import numpy'], { stdio: 'pipe' }).status !== 0) {
      console.warn('SKIPPED: the Python driver decode check needs NumPy (python3 -c "import numpy" fails)');
      ctx.skip();
      return;
    }
    const script = [
      'import sys, json', `sys.path.insert(0, ${JSON.stringify(join(sw, 'sw'))})`, 'import numpy as np', 'import codenet_accel as c',
      `d = ${JSON.stringify(sw)}`,
      'outs = {c.HEADS["hm"]: np.fromfile(d + "/hm.bin", dtype=np.int8).reshape(16, 16, 4), c.HEADS["wh"]: np.fromfile(d + "/wh.bin", dtype=np.int8).reshape(16, 16, 2), c.HEADS["reg"]: np.fromfile(d + "/reg.bin", dtype=np.int8).reshape(16, 16, 2)}',
      `print(json.dumps([[[b[4], b[0], b[1], b[2], b[3], b[5]] for b in c.decode(outs, k, t)] for k, t in ${JSON.stringify(settings)}]))`,
    ].join('\n');
    const got = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' })) as number[][][];
    settings.forEach(([k, t], i) => expect(got[i], `top ${k} at ${t}`).toEqual(ts(k, t).map(row)));
  });
});
