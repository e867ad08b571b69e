// ReLU6 / Clip(0, m) in the integer model: the quantizer pins the output quantizer of a capped ReLU
// so that its top code is exactly the cap (scale m / 255, zero -128 for a tensor >= 0), and the
// requantizer's clamp at code 127 is the cap (docs/numerics.md section 10). Checked: the golden
// model against the float model's ReLU6 (within one output code at the stem, exactly at
// saturation), QAT's forward against the golden model on every code, quantizers shared by a
// concat (equal caps pinned together; unequal caps, or an uncapped tensor above the cap, refused)
// and an ONNX graph with Clip(0, 6) through import and quantize.
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { imagesToTensor, initBackend } from '../src/float/model.ts';
import { integerGraph } from '../src/quant/graph.ts';
import { calibrateActivations, quantizeFloatModel, quantizeWeights, validated } from '../src/quant/quantize.ts';
import { qatForward } from '../src/quant/qat.ts';
import { runGolden } from '../src/golden/run.ts';
import { imageCodes } from '../src/zoo/image.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { UserError } from '../src/util/errors.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { expectGoldenCodes } from './helpers/golden-codes.ts';
import { buildOnnx, rand, tensor } from './helpers/onnx-build.ts';
import { loadExportedWeights } from './helpers/exported-weights.ts';

const L = tf.layers;
const SIDE = 24;
const images = (count: number, seed: number) => makeDataset({ seed, count, size: SIDE, split: 'train' }).map((s) => s.image);
const apply = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;

let root: string;
beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-relu6-');
});

/** Sets every conv kernel of `fm` to seeded values of `scale` (large enough that ReLU6 saturates often). */
function seedWeights(fm: tf.LayersModel, scale: number): void {
  let seed = 1;
  for (const l of fm.layers) {
    const ws = l.getWeights();
    if (!ws.length || l.getClassName() === 'BatchNormalization') continue;
    l.setWeights(ws.map((w, i) => (i === 0 ? tf.randomUniform(w.shape, -scale, scale, 'float32', seed++) : tf.randomUniform(w.shape, -0.5, 0.5, 'float32', seed++))));
  }
}

/**
 * stem (3x3 s2) -> ReLU6 -> depthwise 3x3 -> batch norm -> ReLU6 -> two 1x1 convs with ReLU
 * capped at `capA` and `capB`, concatenated -> a linear 1x1 head.
 */
function net(capA = 6, capB = 6, reluB: 'capped' | 'relu' | 'linear' = 'capped'): tf.LayersModel {
  const x = tf.input({ shape: [SIDE, SIDE, 3], name: 'image' });
  let y = apply(L.conv2d({ name: 'stem', filters: 8, kernelSize: 3, strides: 2, padding: 'valid' }), apply(L.zeroPadding2d({ name: 'stem.pad', padding: 1 }), x));
  y = apply(L.reLU({ name: 'stem.relu', maxValue: 6 }), y);
  y = apply(L.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'valid', useBias: false }), apply(L.zeroPadding2d({ name: 'dw.pad', padding: 1 }), y));
  y = apply(L.reLU({ name: 'dw.relu', maxValue: 6 }), apply(L.batchNormalization({ name: 'dw.bn' }), y));
  const a = apply(L.reLU({ name: 'a.relu', maxValue: capA }), apply(L.conv2d({ name: 'a', filters: 6, kernelSize: 1 }), y));
  let b = apply(L.conv2d({ name: 'b', filters: 4, kernelSize: 1 }), y);
  if (reluB !== 'linear') b = apply(L.reLU({ name: 'b.relu', ...(reluB === 'capped' ? { maxValue: capB } : {}) }), b);
  const cat = apply(L.concatenate({ name: 'cat' }), [a, b]);
  const head = apply(L.conv2d({ name: 'head', filters: 3, kernelSize: 1 }), cat);
  const fm = tf.model({ name: 'relu6net', inputs: x, outputs: head });
  seedWeights(fm, 1.2);
  fm.getLayer('a').setWeights([fm.getLayer('a').getWeights()[0], tf.fill([6], 2)]);
  const bn = fm.getLayer('dw.bn');
  bn.setWeights([tf.fill([8], 1.5), tf.fill([8], 0.5), tf.zeros([8]), tf.fill([8], 0.8)]);
  return fm;
}


/** Float outputs of the named layers for `imgs` (flat NHWC). */
function probe(fm: tf.LayersModel, layers: string[], imgs: Uint8Array[]): Float32Array[] {
  return tf.tidy(() => {
    const p = tf.model({ inputs: fm.inputs, outputs: layers.map((n) => fm.getLayer(n).output as tf.SymbolicTensor) });
    return [p.predict(imagesToTensor(imgs, SIDE, SIDE))].flat().map((t) => (t as tf.Tensor).dataSync() as Float32Array);
  });
}

describe('a capped ReLU quantizes exactly: its output quantizer tops out at the cap', () => {
  it('the integer graph holds ReLU layers and the caps; quantize pins every capped tensor (and the concat sharing their quantizer) to [0, 6]', () => {
    const fm = net();
    const g = integerGraph(fm);
    expect(g.model.layers.map((l) => `${l.name}:${l.op}:${l.relu}`)).toEqual(['stem:stem:true', 'dw:dw3x3:true', 'a:conv1x1:true', 'b:conv1x1:true', 'cat:concat:false', 'head:conv1x1:false']);
    expect([...g.caps]).toEqual([['stem', 6], ['dw', 6], ['a', 6], ['b', 6]]);
    const r = quantizeFloatModel(fm, images(8, 1));
    for (const t of ['stem', 'dw', 'a', 'b', 'cat']) {
      const q = r.model.tensors.get(t)!;
      expect([q.scale, q.zero], t).toEqual([6 / 255, -128]);
      expect(q.scale * (127 - q.zero), t).toBe(6); // the top code is the cap
      expect(Array.from(q.pad), t).toEqual(new Array(q.shape[2]).fill(-128));
    }
    expect(r.capped).toEqual(['stem [0, 6]', 'dw [0, 6]', 'a [0, 6]', 'b [0, 6]']);
    // the linear head is calibrated as before: its range holds negative values
    expect(r.model.tensors.get('head')!.zero).toBeGreaterThan(-128);
  });

  it('the golden model computes the float ReLU6 quantized: within one code of each float layer on the golden input (two at the stem\'s border), code 127 (= 6) wherever the float output passes the cap', () => {
    const fm = net();
    const r = quantizeFloatModel(fm, images(8, 2));
    const scales = quantizeWeights(fm, validated(r.model, 'copy'), { saturateBias: true });
    loadExportedWeights(fm, r.model, scales);
    const sample = images(3, 9);
    const stats: Record<string, { worst: number; border: number; saturated: number; total: number; topWhereBelow: number }> = {};
    sample.forEach((img) => {
      const golden = runGolden(r.model, new Map([[r.model.inputs[0], imageCodes(img)]]), { keepAll: true });
      /** The float layers before the ReLU6 applied to the golden model's input of the layer, dequantized (the image: the float model's input). */
      const floatLayer = (input: string, layers: string[]): Float32Array => tf.tidy(() => {
        const q = r.model.tensors.get(input)!;
        let x: tf.Tensor = input === r.model.inputs[0] ? imagesToTensor([img], SIDE, SIDE) : tf.mul(tf.sub(tf.tensor4d(Float32Array.from(golden.get(input)!), [1, ...q.shape]), q.zero), q.scale);
        for (const l of layers) x = fm.getLayer(l).apply(x) as tf.Tensor;
        return x.dataSync() as Float32Array;
      });
      for (const [t, input, layers] of [['stem', 'image', ['stem.pad', 'stem']], ['dw', 'stem', ['dw.pad', 'dw', 'dw.bn']], ['a', 'dw', ['a']], ['b', 'dw', ['b']]] as const) {
        const q = r.model.tensors.get(t)!, g = golden.get(t)!, [h, w, c] = q.shape;
        const pre = floatLayer(input, [...layers]);
        const st = (stats[t] ??= { worst: 0, border: 0, saturated: 0, total: 0, topWhereBelow: 0 });
        for (let j = 0; j < g.length; j++) {
          const y = Math.min(Math.max(pre[j], 0), 6); // ReLU6
          const qf = Math.min(127, Math.max(q.zero, Math.round(y / q.scale) + q.zero)); // float ReLU6, quantized
          const e = Math.abs(g[j] - qf);
          const yy = Math.floor(j / (w * c)), xx = Math.floor(j / c) % w;
          if (t === 'stem' && (yy === 0 || xx === 0 || yy === h - 1 || xx === w - 1)) st.border = Math.max(st.border, e);
          else st.worst = Math.max(st.worst, e);
          // Saturation is exact: a float value past the cap by one step or more is code 127, which is 6.
          if (pre[j] >= 6 + q.scale) {
            st.saturated++;
            expect(g[j], `${t}[${j}] float ${pre[j]}`).toBe(127);
          }
          if (g[j] === 127 && pre[j] < 6 - 2 * q.scale) st.topWhereBelow++;
          st.total++;
        }
      }
      // the whole float model (not layer by layer) agrees too, at the cap: where its ReLU6 output is 6, the golden code is within 4 of 127
      const whole = probe(fm, ['a.relu'], [img])[0], ga = golden.get('a')!;
      for (let j = 0; j < ga.length; j++) if (whole[j] === 6) expect(ga[j]).toBeGreaterThanOrEqual(123);
    });
    for (const t of ['stem', 'dw', 'a', 'b']) {
      expect(stats[t].worst, t).toBeLessThanOrEqual(1);
      expect(stats[t].topWhereBelow, t).toBe(0);
      // both regimes occur: many saturated elements, and most not
      expect(stats[t].saturated, t).toBeGreaterThan(stats[t].total / 50);
      expect(stats[t].saturated, t).toBeLessThan(stats[t].total / 2);
    }
    expect(stats.stem.border).toBeLessThanOrEqual(2);
  });

  it('QAT\'s forward (frozen range [0, 6]) equals the golden model of the exported model on every code', () => {
    const fm = net();
    const { model: m } = calibrateActivations(fm, images(8, 3));
    expect([m.tensors.get('a')!.scale, m.tensors.get('a')!.zero]).toEqual([6 / 255, -128]);
    const wq = { saturateBias: true, fixedScales: quantizeWeights(fm, m, { saturateBias: true }) };
    const imgs = images(2, 12);
    const out = tf.tidy(() => {
      const r = qatForward(fm, m, imgs, wq);
      return { codes: Object.fromEntries([...r.codes].map(([k, v]) => [k, v.dataSync().slice()])) as Record<string, Float32Array>, top: [...r.real.get('a')!.dataSync()].filter((_, i) => r.codes.get('a')!.dataSync()[i] === 127) };
    });
    const exported = validated(m, 'QAT export');
    expectGoldenCodes(exported, imgs, out.codes, 1000);
    // saturated codes are 6 in QAT's real values too
    expect(out.top.length).toBeGreaterThan(10);
    for (const v of out.top) expect(v).toBeCloseTo(6, 5);
  });
});

describe('a capped ReLU sharing a quantizer (concat) with other tensors', () => {
  const refusal = (fm: tf.LayersModel): string => {
    try {
      quantizeFloatModel(fm, images(4, 5));
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message;
    }
    throw new Error('not refused');
  };
  it('unequal caps are refused, explaining the shared quantizer', () => {
    expect(refusal(net(6, 4))).toMatch(/tensors "a" \(ReLU capped at 6\) and "b" \(ReLU capped at 4\) share one quantizer: split, concat, .* a capped ReLU is exact only as that quantizer's top code; give them the same cap/);
  });
  it('an uncapped ReLU whose values exceed the cap is refused; one that stays below it shares the pinned quantizer', () => {
    const over = net(6, 6, 'relu');
    over.getLayer('b').setWeights([tf.fill([1, 1, 8, 4], 0.5), tf.fill([4], 1)]);
    expect(refusal(over)).toMatch(/tensor "b" \(no cap\) shares one quantizer with "a" \(ReLU capped at 6\): .*which would clip "b" at 6, but it reaches \d+\.?\d* on the calibration images; cap it at 6 too, or drop the cap/);
    const under = net(6, 6, 'relu');
    under.getLayer('b').setWeights([tf.fill([1, 1, 8, 4], 0.05), tf.fill([4], 0)]);
    const r = quantizeFloatModel(under, images(4, 5));
    for (const t of ['a', 'b', 'cat']) expect([r.model.tensors.get(t)!.scale, r.model.tensors.get(t)!.zero], t).toEqual([6 / 255, -128]);
  });
  it('a linear tensor in the concat: the zero code moves up to cover its negative values, the top code stays the cap', () => {
    const fm = net(6, 6, 'linear');
    fm.getLayer('b').setWeights([tf.fill([1, 1, 8, 4], 0.05), tf.fill([4], -1)]);
    const r = quantizeFloatModel(fm, images(4, 5));
    const q = r.model.tensors.get('cat')!;
    expect(q.zero).toBeGreaterThan(-128);
    expect(q.scale * (127 - q.zero)).toBeCloseTo(6, 12);
    expect(r.model.tensors.get('a')!).toMatchObject({ scale: q.scale, zero: q.zero });
    // the ReLU floor is the zero code (real 0) of the layer with the cap
    expect(r.model.layers.find((l) => l.name === 'a')!.relu).toBe(true);
  });
});

describe('ONNX: Clip(0, 6) imports as ReLU6 and quantizes', () => {
  it('codenet import -> codenet quantize: the Clip outputs are pinned to [0, 6]', async () => {
    const s = 16;
    const w = (name: string, dims: number[], seed: number, scale: number) => tensor(name, dims, rand(dims.reduce((a, b) => a * b, 1), seed, scale));
    const onnx = buildOnnx({
      input: { dims: [1, 3, s, s] }, outputs: ['y'],
      nodes: [
        { op: 'Conv', name: '/stem/Conv', inputs: ['x', 'stem.w', 'stem.b'], outputs: ['c0'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
        { op: 'Clip', name: '/stem/act/Clip', inputs: ['c0', 'lo', 'hi'], outputs: ['r0'] },
        { op: 'Conv', name: '/pw/Conv', inputs: ['r0', 'pw.w', 'pw.b'], outputs: ['c1'], attrs: { kernel_shape: [1, 1] } },
        { op: 'Clip', name: '/pw/act/Clip', inputs: ['c1', 'lo', 'hi'], outputs: ['r1'] },
        { op: 'Conv', name: '/head/Conv', inputs: ['r1', 'head.w'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } },
      ],
      inits: [w('stem.w', [8, 3, 3, 3], 1, 1.5), w('stem.b', [8], 2, 0.5), w('pw.w', [8, 8, 1, 1], 3, 1), w('pw.b', [8], 4, 0.5), w('head.w', [2, 8, 1, 1], 5, 1), tensor('lo', [], [0]), tensor('hi', [], [6])],
    });
    const file = join(root, 'clip6.onnx');
    writeFileSync(file, onnx);
    const i = await runCli('import', file, '-o', join(root, 'clip6'));
    expect(i.code, i.stderr).toBe(0);
    const q = await runCli('quantize', join(root, 'clip6'), '--calib', 'builtin:4', '-o', join(root, 'clip6.json'));
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/2 tensor\(s\) after a capped ReLU have their top code at the cap: stem \[0, 6\], pw \[0, 6\]/);
    const m = loadModelFile(join(root, 'clip6.json'));
    expect(m.layers.map((l) => `${l.name}:${l.op}:${l.relu}`)).toEqual(['stem:stem:true', 'pw:conv1x1:true', 'y:conv1x1:false']);
    for (const t of ['stem', 'pw']) expect([m.tensors.get(t)!.scale, m.tensors.get(t)!.zero]).toEqual([6 / 255, -128]);
  });
});
