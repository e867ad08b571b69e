// codenet quantize (src/quant/): a float CoDeNet in the TensorFlow.js layers format -> a W4A8
// integer model that validates, runs in the golden model and, compiled, on the accelerator (HLS
// C-simulation, bit-exact); per-layer SQNR against the float model; user errors are exit 2.
import { beforeAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, imagesToTensor, initBackend } from '../src/float/model.ts';
import { loadFloatModel, saveFloatModel } from '../src/float/io.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { quantizeFloatModel, weightRange } from '../src/quant/quantize.ts';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import type { Model } from '../src/ir/model.ts';
import { runHlsCsim } from '../src/verify/simulators.ts';
import { checkAgainstGolden } from '../src/sim/compare.ts';
import { imageCodes } from '../src/zoo/image.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { SqnrReportSchema } from '../src/quant/report.ts';
import { encodeNpy } from '../src/io/npy.ts';
import { runCli } from './helpers/cli.ts';
import { runGolden } from '../src/golden/run.ts';
import { tempDir } from './helpers/temp.ts';

const spec = findZooSpec('codenet-tiny')!;
let root: string;
let floatDir: string;

beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-quant-');
  floatDir = join(root, 'float');
  const fm = buildFloatModel(spec, { classes: 6, seed: 5 });
  // Batch-norm statistics as training leaves them (not the identity of a fresh model): the fold must use them.
  for (const l of fm.layers.filter((x) => x.name.endsWith('.bn'))) {
    const c = l.getWeights()[0].shape[0];
    l.setWeights([tf.randomUniform([c], 0.5, 1.5, 'float32', 1), tf.randomUniform([c], -0.2, 0.2, 'float32', 2), tf.randomUniform([c], -0.3, 0.3, 'float32', 3), tf.randomUniform([c], 0.5, 2, 'float32', 4)]);
  }
  await saveFloatModel(fm, floatDir);
});

/** Compiles `m` for ultra96v2 and runs it in the HLS C-simulation on a val image: every element equals the golden model. */
async function expectBitExactOnHls(m: Model): Promise<void> {
  const hw = presetConfig('ultra96v2');
  const codes = imageCodes(makeDataset({ seed: 7, count: 1, size: 64, split: 'val' })[0].image);
  const c = compileModel(m, hw);
  const run = await runHlsCsim(hw, c, codes);
  expect(checkAgainstGolden(m, c.map, run.memory, codes).match).toBe(true);
}

describe('float models in the TensorFlow.js layers format', () => {
  it('save and load give the same predictions', async () => {
    const a = await loadFloatModel(floatDir);
    const b = await loadFloatModel(join(floatDir, 'model.json'));
    const x = imagesToTensor(makeDataset({ seed: 1, count: 1, size: 64 }).map((s) => s.image), 64, 64);
    const [ya, yb] = [a.predict(x) as tf.Tensor[], b.predict(x) as tf.Tensor[]];
    expect(Array.from(ya[0].dataSync())).toEqual(Array.from(yb[0].dataSync()));
    expect(JSON.parse(readFileSync(join(floatDir, 'model.json'), 'utf8')).format).toBe('layers-model');
  });
});

describe('codenet train', () => {
  it('trains a float CoDeNet on the built-in data set, saves it in the tfjs format, resumes; eval and quantize take it', async () => {
    const dir = join(root, 'trained');
    const r = await runCli('train', '--zoo', 'codenet-tiny', '--input', '64', '--steps', '2', '--batch', '2', '--seed', '3', '-o', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained codenet-tiny at 64 px for 2 steps of 2 on tfjs \w+: loss \d+\.\d+ -> \d+\.\d+, \d+\.\d+ images\/s/);
    const log = JSON.parse(readFileSync(join(dir, 'train-log.json'), 'utf8')) as { loss: number[]; backend: string; imagesPerSecond: number; threads: number };
    expect(log.loss.length).toBe(2);
    expect(log.threads).toBe(Math.min(2, availableParallelism())); // a worker thread takes half of every batch
    expect(log.loss.every(Number.isFinite)).toBe(true);
    expect(log.imagesPerSecond).toBeGreaterThan(0);
    const again = await runCli('train', '--zoo', 'codenet-tiny', '--input', '64', '--steps', '1', '--batch', '2', '--resume', dir, '-o', join(root, 'trained2'));
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli('quantize', join(root, 'trained2'), '--calib', 'builtin:2', '-o', join(root, 'trained2', 'w4a8.json'))).code).toBe(0);
    expect((await runCli('train', '--steps', '0', '-o', join(root, 'x'))).code).toBe(2);
    expect((await runCli('train', '--threads', '3', '-o', join(root, 'x'))).code).toBe(2);
    const floor = await runCli('train', '--lr-floor', '2', '-o', join(root, 'x'));
    expect(floor.code).toBe(2);
    expect(floor.stderr).toMatch(/--lr-floor must be in \[0, 1\], got 2/);
    // --minutes: a wall-clock budget; steps is only the upper bound
    const timed = await runCli('train', '--zoo', 'codenet-tiny', '--steps', '50', '--batch', '2', '--minutes', '0.00001', '-o', join(root, 'timed'));
    expect(timed.stdout, timed.stderr).toMatch(/for 1 steps of 2/);
    expect((await runCli('train', '--minutes', '0', '-o', join(root, 'x'))).code).toBe(2);
    // a budget that --steps bounds before the plan (60 steps) changes nothing: the same model
    const short = ['train', '--zoo', 'codenet-tiny', '--steps', '3', '--batch', '2', '--seed', '5'];
    expect((await runCli(...short, '-o', join(root, 'plain'))).code).toBe(0);
    expect((await runCli(...short, '--minutes', '100', '-o', join(root, 'budget'))).code).toBe(0);
    expect(readFileSync(join(root, 'budget', 'weights.bin')).equals(readFileSync(join(root, 'plain', 'weights.bin')))).toBe(true);
    // QAT takes a budget too (docs/training.md); this one is spent after the first step
    const q = await runCli('train', '--qat', '--resume', dir, '--zoo', 'codenet-tiny', '--calib', 'builtin:2', '--init', 'float', '--batch', '2', '--steps', '50', '--minutes', '0.00001', '-o', join(root, 'qat-timed'));
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/QAT of codenet-tiny at 64 px for 1 steps of 2/);
  });
});

describe('codenet quantize', () => {
  it('writes a validated W4A8 model and its SQNR per layer; the model runs on the accelerator bit-exact', async () => {
    const out = join(root, 'q', 'tiny-w4a8.json');
    const r = await runCli('quantize', floatDir, '--calib', 'builtin:8', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SQNR against the float model: worst -?\d+\.\d dB at /);
    const m = loadModelFile(out);
    for (const l of m.layers.filter((x) => x.quant)) {
      const q = l.quant!;
      const [lo, hi] = l.op === 'stem' ? [-128, 127] : [-8, 7];
      expect(Math.min(...q.weights) >= lo && Math.max(...q.weights) <= hi, l.name).toBe(true);
      expect(Math.max(...Array.from(q.S, Math.abs)), `${l.name}: n is the most precise shift`).toBeGreaterThan(16383);
    }
    // concat shares one quantizer with its inputs (and so does the whole chain of moves)
    for (const l of m.layers.filter((x) => ['concat', 'split', 'shuffle', 'upsample'].includes(x.op)))
      for (const t of [...l.inputs, ...l.outputs]) {
        expect(m.tensors.get(t)!.scale, `${l.name}: ${t}`).toBe(m.tensors.get(l.inputs[0])!.scale);
        expect(m.tensors.get(t)!.zero).toBe(m.tensors.get(l.inputs[0])!.zero);
      }

    const rep = SqnrReportSchema.parse(JSON.parse(readFileSync(join(root, 'q', 'tiny-w4a8.sqnr.json'), 'utf8')));
    const db = (t: string) => rep.layers.find((l) => l.tensor === t)!.sqnrDb!;
    expect(db('stem')).toBeGreaterThan(30); // int8 weights, int8 codes
    expect(db('stage2.0.b1.dw')).toBeGreaterThan(15); // int4 weights
    for (const l of rep.layers.filter((x) => x.dilationAgreement !== undefined)) expect(l.dilationAgreement!, l.tensor).toBeGreaterThan(0.9);
    expect(readFileSync(join(root, 'q', 'tiny-w4a8.sqnr.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*stage2\.0\.b1\.dw/);

    await expectBitExactOnHls(m);
  });

  it('codenet-tiny-skip: the decoder skip concats share one quantizer with both operands; the model runs on the accelerator bit-exact', async () => {
    const skip = findZooSpec('codenet-tiny-skip')!;
    const fm = buildFloatModel(skip, { classes: 6, seed: 2 });
    const images = makeDataset({ seed: 4, count: 4, size: 64, split: 'train' }).map((x) => x.image);
    const m = quantizeFloatModel(fm, images).model;
    const cats = m.layers.filter((l) => l.name.endsWith('.cat'));
    expect(cats.map((l) => l.inputs[1])).toEqual(['stage3.2.shuffle', 'stage2.1.shuffle', 'stem.pool']);
    for (const l of cats)
      for (const t of [...l.inputs, ...l.outputs]) {
        expect(m.tensors.get(t)!.scale, `${l.name}: ${t}`).toBe(m.tensors.get(l.outputs[0])!.scale);
        expect(m.tensors.get(t)!.zero, `${l.name}: ${t}`).toBe(m.tensors.get(l.outputs[0])!.zero);
      }
    await expectBitExactOnHls(m);
  }, 180_000);

  it('--ema: activation ranges as a moving average of per-batch ranges (never wider than min/max over all images)', async () => {
    const out = join(root, 'q', 'tiny-ema.json');
    const r = await runCli('quantize', floatDir, '--calib', 'builtin:8', '--ema', '0.9', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('EMA momentum 0.9');
    // min/max ranges to compare with (the default is the MSE range search)
    expect((await runCli('quantize', floatDir, '--calib', 'builtin:8', '--act-range', 'percentile', '-o', join(root, 'q', 'tiny-minmax.json'))).code).toBe(0);
    const ema = loadModelFile(out), minmax = loadModelFile(join(root, 'q', 'tiny-minmax.json'));
    const acts = [...ema.tensors.values()].filter((t) => t.kind === 'act' && t.name !== ema.inputs[0]);
    for (const t of acts) expect(t.scale, t.name).toBeLessThanOrEqual(minmax.tensors.get(t.name)!.scale * (1 + 1e-9));
    expect(acts.some((t) => t.scale < minmax.tensors.get(t.name)!.scale)).toBe(true);
    expect(ema.metadata.emaMomentum).toBe(0.9);
    const bad = await runCli('quantize', floatDir, '--calib', 'builtin:8', '--ema', '1.5', '-o', join(root, 'q', 'x.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ema must be a momentum in [0, 1)');
  });

  it('--weight-percentile: weight scales from a percentile of |w| per output channel, so more weights clip to the int4 ends', async () => {
    const out = join(root, 'q', 'tiny-wp.json');
    const r = await runCli('quantize', floatDir, '--calib', 'builtin:8', '--weight-percentile', '90', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const clipped = loadModelFile(out), full = loadModelFile(join(root, 'q', 'tiny-w4a8.json'));
    const ends = (m: typeof full) => m.layers.filter((l) => l.quant && l.op !== 'stem').reduce((a, l) => a + Array.from(l.quant!.weights).filter((w) => w === 7 || w === -8 || w === -7).length, 0);
    expect(ends(clipped)).toBeGreaterThan(ends(full));
    for (const l of clipped.layers.filter((x) => x.quant && x.op !== 'stem')) expect(Math.min(...l.quant!.weights) >= -8 && Math.max(...l.quant!.weights) <= 7, l.name).toBe(true);
    expect(clipped.metadata.weightPercentile).toBe(90);
    const bad = await runCli('quantize', floatDir, '--calib', 'builtin:8', '--weight-percentile', '20', '-o', join(root, 'q', 'y.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--weight-percentile must be a number in (50, 100]');
  });

  it('--weight-scale: mse (the default) picks per channel the range with the least squared error; max takes the largest |w|', async () => {
    const err = (w: Float64Array, r: number) => w.reduce((a, v) => a + (v - Math.max(-8, Math.min(7, Math.round((v * 7) / r))) * (r / 7)) ** 2, 0);
    // 192 Gaussian weights (a 1x1 conv's fan-in): the largest lies far out, and clipping it pays.
    let seed = 1;
    const u = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const gauss = Float64Array.from({ length: 192 }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
    const top = Math.max(...Array.from(gauss, Math.abs));
    const r = weightRange(gauss, -8, 7, {});
    expect(r).toBeLessThan(0.9 * top);
    expect(err(gauss, r)).toBeLessThan(0.8 * err(gauss, top));
    expect(weightRange(gauss, -8, 7, { weightScale: 'max' })).toBe(top);
    const nine = Float64Array.from([1, 0.1, 0.12, -0.15, 0.2, 0.05, -0.08, 0.3, 0.11]);
    expect(weightRange(nine, -8, 7, { weightPercentile: 90 })).toBeCloseTo(0.3); // a percentile implies max
    // Weights on the int4 grid of their largest: nothing to gain, the range stays.
    expect(weightRange(Float64Array.from([-7, -3, 0, 2, 5, 7], (v) => v / 7), -8, 7, {})).toBe(1);
    expect(weightRange(new Float64Array(4), -8, 7, {})).toBe(0);

    const out = join(root, 'q', 'tiny-max.json');
    const r2 = await runCli('quantize', floatDir, '--calib', 'builtin:8', '--weight-scale', 'max', '-o', out);
    expect(r2.code, r2.stderr).toBe(0);
    const max = loadModelFile(out), mse = loadModelFile(join(root, 'q', 'tiny-w4a8.json'));
    expect([max.metadata.weightScale, mse.metadata.weightScale]).toEqual(['max', 'mse']);
    const differs = max.layers.filter((l) => l.quant && l.op !== 'stem' && Array.from(l.quant.weights).join() !== Array.from(mse.layers.find((x) => x.name === l.name)!.quant!.weights).join());
    expect(differs.length).toBeGreaterThan(0);
    const bad = await runCli('quantize', floatDir, '--calib', 'builtin:8', '--weight-scale', 'median', '-o', join(root, 'q', 'z.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'median' is invalid");
  });

  it('a folded bias beyond int16 B (a dead channel) is clamped and listed; the clamped channel still outputs its floor', async () => {
    const fm = await loadFloatModel(floatDir);
    const bn = fm.getLayer('stage2.0.b1.pw.bn');
    const [g, beta, mean, v] = bn.getWeights();
    const b = beta.arraySync() as number[];
    b[3] = -1e4; // after ReLU: 0 for any input
    bn.setWeights([g, tf.tensor1d(b), mean, v]);
    const images = makeDataset({ seed: 2, count: 4, size: 64 }).map((x) => x.image);
    const r = quantizeFloatModel(fm, images);
    expect(r.clampedBias).toEqual([expect.stringMatching(/^stage2\.0\.b1\.pw channel 3: B -\d+$/)]);
    const l = r.model.layers.find((x) => x.name === 'stage2.0.b1.pw')!;
    expect(l.quant!.B[3]).toBe(-32768);
    const t = r.model.tensors.get(l.outputs[0])!;
    const out = runGolden(r.model, new Map([[r.model.inputs[0], imageCodes(images[0])]]), { keepAll: true }).get(t.name) as Int8Array;
    const c = t.shape[2];
    for (let p = 3; p < out.length; p += c) expect(out[p]).toBe(t.zero); // ReLU's floor: real 0
  });

  it('a channel batch norm saw constant (variance 0: a dead input) is exported as its constant and does not take the layer\'s precision', async () => {
    const fm = await loadFloatModel(floatDir);
    const bn = fm.getLayer('stage2.0.b2.dw.bn');
    const [g, beta, mean, v] = bn.getWeights().map((t) => t.arraySync() as number[]);
    v[2] = 0; // folded weight gamma / sqrt(eps): ~300x the others
    bn.setWeights([g, beta, mean, v].map((a) => tf.tensor1d(a)));
    const images = makeDataset({ seed: 2, count: 4, size: 64 }).map((x) => x.image);
    const r = quantizeFloatModel(fm, images);
    // (the random statistics of this test model make a few other channels constant too)
    expect(r.constantChannels).toContain('stage2.0.b2.dw channel 2');
    const l = r.model.layers.find((x) => x.name === 'stage2.0.b2.dw')!;
    const y = r.model.tensors.get(l.outputs[0])!;
    expect(Array.from(l.quant!.weights.slice(2 * 9, 3 * 9))).toEqual(new Array(9).fill(0));
    expect(l.quant!.B[2]).toBe(Math.round(128 + y.zero + beta[2] / y.scale));
    expect(Math.max(...Array.from(l.quant!.S, Math.abs))).toBeGreaterThan(16383); // n still set by the other channels
  });

  it('codenet eval: AP50 per class and mean of the float model (tfjs) and of the quantized model through the golden model', async () => {
    const q = join(root, 'q', 'tiny-w4a8.json');
    expect(existsSync(q)).toBe(true);
    const f = await runCli('eval', floatDir, '--data', 'builtin:3', '--json', join(root, 'ev', 'float.json'));
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/codenet-tiny, float \(tfjs \w+\): AP50 \d+\.\d \(Pascal VOC all-point\), mAP@\[\.5:\.95\] \d+\.\d \(COCO 101-point; AP50 \d+\.\d, AP75 \d+\.\d\) on 3 images/);
    const i = await runCli('eval', q, '--data', 'builtin:3', '--json', join(root, 'ev', 'int.json'));
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/integer \(golden model\): AP50/);
    for (const n of ['float', 'int']) {
      const r = JSON.parse(readFileSync(join(root, 'ev', `${n}.json`), 'utf8')) as { perClass: Array<number | null>; classes: string[]; images: number };
      expect(r.classes).toEqual(['disc', 'square', 'triangle', 'cross', 'ring', 'star']);
      expect(r.perClass.length).toBe(6);
      expect(r.images).toBe(3);
    }
    expect((await runCli('eval', q, '--data', 'voc')).code).toBe(2);
  });

  it('user errors: no calibration images, a misshapen calibration file, a float model that is not the zoo structure (exit 2)', async () => {
    const out = join(root, 'bad', 'm.json');
    const r1 = await runCli('quantize', floatDir, '--calib', 'builtin:0', '-o', out);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('no calibration images');
    const npy = join(root, 'calib.npy');
    writeFileSync(npy, encodeNpy({ dtype: 'uint8', shape: [2, 32, 32, 3], data: new Uint8Array(2 * 32 * 32 * 3) }));
    const r2 = await runCli('quantize', floatDir, '--calib', npy, '-o', out);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`calibration data ${npy} must be uint8 RGB images [N, 64, 64, 3], got uint8 (2, 32, 32, 3)`);
    const r3 = await runCli('quantize', floatDir, '--calib', 'builtin:2', '--zoo', 'codenet-a', '-o', out);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/its layers do not match the zoo structure|does not match/);
    const r4 = await runCli('quantize', join(root, 'nope'), '--calib', 'builtin:2', '-o', out);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain('not found');
    expect(existsSync(out)).toBe(false);
  });
});
