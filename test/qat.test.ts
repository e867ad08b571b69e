// Quantization-aware fine-tuning (src/quant/qat.ts, qat-train.ts; `codenet train --qat`): the
// QAT forward pass is the integer model. After QAT, its codes and the golden model's of the
// exported integer model are compared on every element of every tensor (the issue allows one code
// on 0.1% of the elements of a layer; the forward is exact, so the test holds them equal).
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/float/model.ts';
import { loadFloatModel } from '../src/float/io.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { quantizeFloatModel, quantizeWeights, validated } from '../src/quant/quantize.ts';
import { startFromPtq } from '../src/quant/qat-init.ts';
import { learnedFakeQuant, qatForward } from '../src/quant/qat.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { qatSetup } from '../src/quant/qat-train.ts';
import { GradientWorker } from '../src/float/parallel.ts';
import { readFlat, writeFlat } from '../src/float/adam.ts';
import { halfBatchGradients } from '../src/float/train.ts';
import { runCli } from './helpers/cli.ts';
import { expectGoldenCodes } from './helpers/golden-codes.ts';
import { tempDir } from './helpers/temp.ts';

let root: string;
beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-qat-');
  // A briefly trained float model: batch-norm statistics and ranges as training leaves them.
  const r = await runCli('train', '--steps', '8', '--batch', '4', '--seed', '2', '-o', join(root, 'float'));
  expect(r.code, r.stderr).toBe(0);
});

describe('codenet train --qat', () => {
  it('fine-tunes through the integer forward and exports the model it trained: every code of every tensor equals the golden model', async () => {
    const dir = join(root, 'qat');
    const r = await runCli('train', '--qat', '--resume', join(root, 'float'), '--init', 'float', '--steps', '3', '--batch', '2', '--calib', 'builtin:8', '-o', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/QAT of codenet-tiny at 64 px for 3 steps of 2 on tfjs wasm: loss \d+\.\d+ -> \d+\.\d+/);
    const log = JSON.parse(readFileSync(join(dir, 'train-log.json'), 'utf8')) as { loss: number[]; calibrationImages: number };
    expect(log.loss.length).toBe(3);
    expect(log.calibrationImages).toBe(8);

    const exported = loadModelFile(join(dir, 'quantized.json'));
    expect(exported.metadata.quantizer).toContain('quantization-aware');
    expect(exported.metadata.qatWeightScales).toBe('frozen');
    const before = await loadFloatModel(join(root, 'float'));
    const fm = await loadFloatModel(dir);
    // QAT moved the weights (the gradient reaches through the straight-through estimators).
    expect(Array.from(fm.getLayer('hm').getWeights()[0].dataSync())).not.toEqual(Array.from(before.getLayer('hm').getWeights()[0].dataSync()));
    // ...but not the offset convs (QAT_OFFSET_LR = 0: every move would flip integer dilations).
    for (const w of [0, 1]) expect(Array.from(fm.getLayer('dec1.offset').getWeights()[w].dataSync())).toEqual(Array.from(before.getLayer('dec1.offset').getWeights()[w].dataSync()));

    // The QAT forward of the fine-tuned model, with the exported activation quantizers.
    const m = validated(exported, 'copy');
    const images = makeDataset({ seed: 11, count: 3, size: 64, split: 'val' }).map((s) => s.image);
    // QAT froze the weight scales the float model had (against these activation quantizers)
    const fixedScales = quantizeWeights(before, validated(exported, 'copy'), { saturateBias: true });
    const codes = tf.tidy(() => {
      const out = qatForward(fm, m, images, { saturateBias: true, fixedScales }).codes;
      return Object.fromEntries([...out].map(([k, v]) => [k, v.dataSync().slice()]));
    }) as unknown as Record<string, Float32Array>;
    // Its integer parameters are the exported ones...
    for (const l of m.layers.filter((x) => x.quant)) {
      const e = exported.layers.find((x) => x.name === l.name)!.quant!;
      expect([Array.from(l.quant!.weights), Array.from(l.quant!.S), Array.from(l.quant!.B), l.quant!.n], l.name).toEqual([Array.from(e.weights), Array.from(e.S), Array.from(e.B), e.n]);
    }
    // ...and its codes are the golden model's, element for element, in every tensor.
    expectGoldenCodes(exported, images, codes);
  }, 180_000);

  it('--learn-scales: the weight scales train too (LSQ), and the exported model says so', async () => {
    const dir = join(root, 'qat-lsq');
    const r = await runCli('train', '--qat', '--learn-scales', '--resume', join(root, 'float'), '--steps', '2', '--batch', '2', '--calib', 'builtin:8', '-o', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(loadModelFile(join(dir, 'quantized.json')).metadata.qatWeightScales).toBe('learned');
  });

  it('learned weight scales: the gradient reaches them, and the exported model is still the one trained, code for code', async () => {
    const calib = makeDataset({ seed: 0, count: 8, size: 64, split: 'train' }).map((s) => s.image);
    const s = await qatSetup({ input: 64, from: join(root, 'float'), calib, learnScales: true });
    const floatVars = s.fm.trainableWeights.length, floatSize = readFlat(s.vars.slice(0, floatVars)).length;
    // one log-scale vector per layer with weights, but the offset convs (frozen in QAT)
    const learned = s.m.layers.filter((l) => l.quant && l.op !== 'offset');
    expect(s.vars.length - floatVars).toBe(learned.length);
    const frozen = new Map([...s.wq.fixedScales!].map(([k, v]) => [k, Float64Array.from(v)]));
    // the gradient reaches the scales
    const g = halfBatchGradients(s.forward, s.vars, { stream: 5, from: 0, to: 2, input: 64 });
    expect(g.grads.subarray(floatSize).filter((v) => v !== 0).length).toBeGreaterThan(learned.length);
    // scales moved as a step would move them: the integer path and the export use the new ones
    writeFlat(s.vars, readFlat(s.vars).map((v, i) => (i >= floatSize ? v + 0.05 * Math.sin(i) : v)));
    const images = makeDataset({ seed: 12, count: 2, size: 64, split: 'val' }).map((x) => x.image);
    s.syncScales(); // as every forward does
    const codes = tf.tidy(() => Object.fromEntries([...qatForward(s.fm, s.m, images, s.wq).codes].map(([k, v]) => [k, v.dataSync().slice()]))) as unknown as Record<string, Float32Array>;
    const hmLog = s.vars[floatVars + learned.findIndex((l) => l.name === 'hm')].dataSync();
    expect(s.wq.fixedScales!.get('hm')).toEqual(Float64Array.from(hmLog, Math.exp));
    expect(s.wq.fixedScales!.get('hm')![0]).not.toBeCloseTo(frozen.get('hm')![0], 8);
    expect(s.wq.fixedScales!.get('dec1.offset')).toEqual(frozen.get('dec1.offset'));
    expectGoldenCodes(validated(s.m, 'copy'), images, codes);
  });

  it('the learned fake quantizer: value s * codes; gradient to w inside the code range, to log s (codes - w / s) inside and the code where clipped', () => {
    const w = tf.tensor4d([0.33, 2.0], [1, 1, 1, 2]);
    const wi = tf.tensor4d([3, 7], [1, 1, 1, 2]); // clamp(round(w / 0.1), -8, 7)
    const logS = tf.variable(tf.tensor1d([Math.log(0.1), Math.log(0.1)]));
    const value = learnedFakeQuant(w, wi, logS, false, -8, 7);
    expect(Array.from(value.dataSync()).map((v) => +v.toFixed(6))).toEqual([0.3, 0.7]);
    const [dw, ds] = tf.grads((a: tf.Tensor, b: tf.Tensor) => learnedFakeQuant(a as tf.Tensor4D, wi, b as tf.Variable, false, -8, 7))([w, logS]);
    expect(Array.from(dw.dataSync())).toEqual([1, 0]);
    const d = ds.dataSync();
    expect(d[0]).toBeCloseTo(0.1 * (3 - 3.3), 5);
    expect(d[1]).toBeCloseTo(0.1 * 7, 5);
    tf.dispose([w, wi, logS, value, dw, ds]);
  });

  it.each([false, true])('on two threads: the QAT worker computes bit for bit the gradient this thread computes (same model, quantizers, weights and samples; learned scales: %s)', async (learnScales) => {
    const calib = makeDataset({ seed: 0, count: 8, size: 64, split: 'train' }).map((s) => s.image);
    const o = { input: 64, from: join(root, 'float'), calib, learnScales };
    const main = await qatSetup(o);
    const worker = new GradientWorker({ kind: 'qat', ...o }, new URL('../src/quant/qat-worker.ts', import.meta.url));
    try {
      const weights = readFlat(main.vars).map((w, i) => w * (1 + 1e-3 * Math.sin(i))); // not the saved weights: the request carries them
      const req = { weights, stream: 77, from: 1, to: 3 };
      const remote = await worker.request(req);
      writeFlat(main.vars, weights);
      const local = halfBatchGradients(main.forward, main.vars, { ...req, input: 64 });
      expect(remote.objects).toBe(local.objects);
      expect(remote.loss).toBe(local.loss);
      expect(local.grads.some((g) => g !== 0)).toBe(true);
      expect(Buffer.from(remote.grads.buffer).equals(Buffer.from(local.grads.buffer))).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it('freezes the weight scales at the ones chosen for the float model: the weights train on a fixed grid', async () => {
    const calib = makeDataset({ seed: 0, count: 8, size: 64, split: 'train' }).map((s) => s.image);
    const s = await qatSetup({ input: 64, from: join(root, 'float'), calib, learnScales: false });
    const frozen = s.wq.fixedScales!;
    // the scales `codenet quantize` would choose for the float model
    expect([...quantizeWeights(s.fm, s.m, { ...s.wq, fixedScales: undefined })]).toEqual([...frozen]);
    // weights 1.5 times larger: chosen afresh the scales follow them, frozen they stay
    writeFlat(s.vars, readFlat(s.vars).map((w) => 1.5 * w));
    const fresh = quantizeWeights(s.fm, s.m, { ...s.wq, fixedScales: undefined });
    const used = quantizeWeights(s.fm, s.m, s.wq);
    expect([...used]).toEqual([...frozen]);
    expect(fresh.get('hm')![0]).toBeCloseTo(1.5 * frozen.get('hm')![0], 6);
    // the int weights are the weights on the frozen grid (more of them at the int4 ends now)
    const l = s.m.layers.find((x) => x.name === 'hm')!;
    const w = s.fm.getLayer('hm').getWeights()[0].dataSync(), cout = frozen.get('hm')!.length, fan = w.length / cout;
    for (let co = 0; co < cout; co++)
      for (let i = 0; i < fan; i++) expect(l.quant!.weights[co * fan + i]).toBe(Math.max(-8, Math.min(7, Math.round(w[i * cout + co] / frozen.get('hm')![co]))) + 0);
  });

  it('starting from post-training quantization: the first step runs exactly the model `codenet quantize` exports (MSE ranges, learned rounding, bias correction)', async () => {
    const calib = makeDataset({ seed: 0, count: 8, size: 64, split: 'train' }).map((s) => s.image);
    const ptqOpts = { actRange: 'mse' as const, biasCorrection: true, adaround: true, adaroundIterations: 40 };
    const ptq = quantizeFloatModel(await loadFloatModel(join(root, 'float')), calib, ptqOpts).model;
    const s = await qatSetup({ input: 64, from: join(root, 'float'), calib, actRange: 'mse' });
    const before = readFlat(s.vars);
    startFromPtq(s.fm, s.m, s.wq, calib, { biasCorrection: true, adaround: true, iterations: 40 });
    const after = readFlat(s.vars);
    expect(after).not.toEqual(before); // the float weights moved onto the learned codes
    // What the QAT forward quantizes the moved float model to, on its frozen scales: the PTQ model's every code and constant.
    quantizeWeights(s.fm, s.m, s.wq);
    for (const l of ptq.layers.filter((x) => x.quant)) {
      const e = l.quant!, q = s.m.layers.find((x) => x.name === l.name)!.quant!;
      expect([Array.from(q.weights), Array.from(q.S), Array.from(q.B), q.n], l.name).toEqual([Array.from(e.weights), Array.from(e.S), Array.from(e.B), e.n]);
    }
  }, 120_000);

  it('user errors: --qat without a float model, a model of another input size (exit 2, nothing written)', async () => {
    const r1 = await runCli('train', '--qat', '-o', join(root, 'x'));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('--resume <float-model>');
    const r2 = await runCli('train', '--qat', '--resume', join(root, 'float'), '--input', '96', '--steps', '1', '-o', join(root, 'y'));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('takes 64-pixel images, --input is 96');
    const r3 = await runCli('train', '--qat', '--resume', join(root, 'float'), '--act-range', 'mse', '--percentile', '99.9', '-o', join(root, 'z'));
    expect(r3.code).toBe(2);
    expect(r3.stderr.trim().split('\n')).toHaveLength(1);
    expect(r3.stderr).toContain('--act-range mse chooses the ranges itself: leave out --percentile and --ema');
    const r4 = await runCli('train', '--qat', '--resume', join(root, 'float'), '--init', 'rtn', '-o', join(root, 'z'));
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/--init.*rtn/);
    expect(existsSync(join(root, 'x')) || existsSync(join(root, 'y')) || existsSync(join(root, 'z'))).toBe(false);
  });
});
