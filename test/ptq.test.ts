// Post-training quantization beyond calibration (src/quant/act-range.ts, adaround.ts, refine.ts):
// the MSE activation range search, bias correction and learned rounding; the model they export
// is exactly the one the quantizer simulated, and quantizing is deterministic.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, imagesToTensor, initBackend } from '../src/float/model.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { actQuantParams, mseRange, RangeHistogram } from '../src/quant/act-range.ts';
import { learnedRounding, roundingError } from '../src/quant/adaround.ts';
import { calibrateActivations, PTQ_DEFAULTS, quantizeFloatModel, validated } from '../src/quant/quantize.ts';
import { dilationFit, refineWeights } from '../src/quant/refine.ts';
import { serializeModel } from '../src/ir/save.ts';
import { runGolden, type TensorData } from '../src/golden/run.ts';
import { imageCodes } from '../src/zoo/image.ts';
import { saveFloatModel } from '../src/float/io.ts';
import { loadModelFile, validateModel } from '../src/ir/load.ts';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

beforeAll(async () => {
  await initBackend();
});

/** A deterministic uniform generator (Park-Miller) and standard normals from it. */
function rng(seed: number): { u: () => number; n: () => number } {
  let s = seed;
  const u = () => (s = (s * 48271) % 2147483647) / 2147483647;
  return { u, n: () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) };
}

/** The squared error of quantizing `v` with the int8 quantizer of [lo, hi], value by value. */
function exactError(v: Float32Array, lo: number, hi: number): number {
  const { scale: s, zero: z } = actQuantParams(lo, hi);
  let e = 0;
  for (const x of v) e += (x - s * (Math.max(-128, Math.min(127, Math.round(x / s) + z)) - z)) ** 2;
  return e;
}

describe('activation range search', () => {
  it('picks a range whose quantization error is below the 99.99th percentile\'s and min/max\'s', () => {
    // A heavy-tailed activation (a normal over a folded normal): min/max spends its steps on the far tail, the percentile clips too much of it.
    const { n } = rng(3);
    const v = Float32Array.from({ length: 50_000 }, () => n() / (Math.abs(n()) + 0.1));
    const sorted = Float32Array.from(v).sort();
    const k = Math.floor(0.9999 * (v.length - 1));
    const pct: [number, number] = [Math.min(0, sorted[v.length - 1 - k]), Math.max(0, sorted[k])];
    const minmax: [number, number] = [Math.min(0, sorted[0]), sorted[v.length - 1]];
    const h = new RangeHistogram(...minmax);
    h.add(v);
    const best = mseRange(h);
    expect(exactError(v, ...best)).toBeLessThan(0.95 * exactError(v, ...pct));
    expect(exactError(v, ...best)).toBeLessThan(0.95 * exactError(v, ...minmax));
    // The histogram's estimate is within a few percent of the exact error.
    expect(Math.abs(h.error(...best) / exactError(v, ...best) - 1)).toBeLessThan(0.05);
  });

  it('keeps a ReLU output one-sided and a range without outliers whole', () => {
    const { u } = rng(5);
    const relu = Float32Array.from({ length: 20_000 }, () => Math.max(0, u() - 0.3));
    const h = new RangeHistogram(0, Math.max(...relu));
    h.add(relu);
    const [lo, hi] = mseRange(h);
    expect(lo).toBe(0);
    // A uniform distribution: clipping gains nothing, the range stays within a few steps of the top.
    expect(hi).toBeGreaterThan(0.95 * Math.max(...relu));
  });
});

describe('learned rounding', () => {
  it('on a small layer errs less than round-to-nearest; codes stay in -8..7 even where the weight is past the grid', () => {
    const F = 24, N = 400;
    const { n } = rng(11);
    // Correlated inputs (x = A z), their quantized version with noise, and the float target.
    const A = Array.from({ length: F * F }, () => n() / Math.sqrt(F));
    const w = Float64Array.from({ length: F }, () => n());
    w[0] = 4.2; // the largest: s = 0.6, w/s = 7
    w[1] = -5.0; // w/s = -8.33: clips at -8
    const s = 4.2 / 7;
    const G = new Float64Array(F * F), h = new Float64Array(F);
    for (let p = 0; p < N; p++) {
      const z = Array.from({ length: F }, () => n());
      const xf = Array.from({ length: F }, (_, i) => z.reduce((a, zj, j) => a + A[i * F + j] * zj, 0) + 0.5);
      const xq = xf.map((x) => x + 0.05 * n());
      const t = xf.reduce((a, x, i) => a + x * w[i], 0);
      for (let i = 0; i < F; i++) {
        h[i] += (xq[i] * t) / N;
        for (let j = 0; j < F; j++) G[i * F + j] += (xq[i] * xq[j]) / N;
      }
    }
    const rtn = Int8Array.from(w, (v) => Math.max(-8, Math.min(7, Math.round(v / s))));
    const q = learnedRounding(G, h, w, s, -8, 7, 400);
    expect(roundingError(G, h, q, s)).toBeLessThan(roundingError(G, h, rtn, s));
    for (let i = 0; i < F; i++) {
      expect(q[i]).toBeGreaterThanOrEqual(-8);
      expect(q[i]).toBeLessThanOrEqual(7);
      // Only down or up from the weight: floor(w / s) or the next code (clamped).
      expect(Math.abs(q[i] - w[i] / s)).toBeLessThan(1 + 1e-9 + Math.max(0, -8 - w[i] / s));
    }
    expect(q[1]).toBe(-8);
    // Deterministic.
    expect(Array.from(learnedRounding(G, h, w, s, -8, 7, 400))).toEqual(Array.from(q));
  });
});

describe('an offset conv (the dilation)', () => {
  it('chooses its whole-step B with the codes: learned codes make up the fraction B cannot hold, and fewer pixels change dilation', () => {
    // t = w . x + 2.45 on post-ReLU inputs (zero code -128, scale 0.05): B = round(2.45 - s q . r) alone loses the 0.45.
    const F = 6, N = 2000, sx = 0.05, zx = -128;
    const { u } = rng(17);
    const w = [0.8, -0.5, 0.3, 0.65, -0.2, 0.45], b = 2.45, s = 0.8 / 7;
    const xs = Array.from({ length: N }, () => Array.from({ length: F }, () => sx * Math.round((u() * 2) / sx)));
    const t = xs.map((x) => x.reduce((a, v, i) => a + v * w[i], 0) + b);
    const G = new Float64Array(F * F), h = new Float64Array(F), mx = new Float64Array(F);
    let mt = 0, tt = 0;
    xs.forEach((x, p) => {
      mt += t[p] / N; tt += t[p] ** 2 / N;
      for (let i = 0; i < F; i++) {
        mx[i] += x[i] / N; h[i] += (x[i] * t[p]) / N;
        for (let j = 0; j < F; j++) G[i * F + j] += (x[i] * x[j]) / N;
      }
    });
    const rtn = Int8Array.from(w, (v) => Math.round(v / s));
    // The integer offset: round(s q . r + B), r = x + s_x z_x (the accumulator times M).
    const c = sx * zx;
    const flips = (q: ArrayLike<number>, B: number) => xs.filter((x, p) => Math.round(x.reduce((a, v, i) => a + s * q[i] * (v + c), 0) + B) !== Math.round(t[p])).length / N;
    const plainB = Math.round(b - s * c * rtn.reduce((a, v) => a + v, 0)); // quantizeLayer's B for the float bias
    // The learned codes make up the fraction B cannot hold.
    const fit = dilationFit(G, h, mx, mt, tt, rtn, w, s, c, -8, 7, { biasCorrection: true, adaround: true, iterations: 100 });
    const plainError = xs.reduce((a, x, p) => a + (x.reduce((e, v, i) => e + s * rtn[i] * (v + c), 0) + plainB - t[p]) ** 2, 0) / N;
    expect(fit.error).toBeLessThan(0.8 * plainError);
    expect(flips(fit.q, fit.B)).toBeLessThan(0.8 * flips(rtn, plainB));
    // Round to nearest: the B of least error is the float bias's.
    expect(dilationFit(G, h, mx, mt, tt, rtn, w, s, c, -8, 7, { biasCorrection: true, adaround: false })).toMatchObject({ q: rtn, B: plainB });
  });
});

const L = tf.layers;
/** image -> 3x3 stem (stride 2, ReLU) -> 1x1 conv with a bias (linear): two integer layers. */
function twoLayers(pwKernel: number[], cout: number): tf.LayersModel {
  const x = tf.input({ shape: [16, 16, 3], name: 'image' });
  const stem = L.conv2d({ name: 'stem', filters: 8, kernelSize: 3, strides: 2, padding: 'valid', kernelInitializer: tf.initializers.randomNormal({ seed: 1, stddev: 0.3 }), biasInitializer: 'ones' }).apply(L.zeroPadding2d({ name: 'stem.pad', padding: 1 }).apply(x));
  const r = L.reLU({ name: 'stem.relu' }).apply(stem);
  const pwLayer = L.conv2d({ name: 'pw', filters: cout, kernelSize: 1, useBias: true });
  const y = pwLayer.apply(r) as tf.SymbolicTensor;
  const fm = tf.model({ inputs: x, outputs: y });
  pwLayer.setWeights([tf.tensor4d(pwKernel, [1, 1, 8, cout]), tf.tensor1d(new Array(cout).fill(0.2))]);
  return fm;
}

describe('bias correction', () => {
  it('removes the mean output error of a layer whose rounding error has a known mean', () => {
    // Each channel: one weight of 7 steps (the scale with --weight-scale max is one step u) and seven at k + 0.45 steps,
    // which round to nearest down by 0.45 u: the output's mean error is -0.45 u sum E[x] over those inputs.
    const cout = 3, u = 0.05;
    const kernel = new Array(8 * cout).fill(0);
    for (let c = 0; c < cout; c++) for (let i = 0; i < 8; i++) kernel[i * cout + c] = i === c ? 7 * u : u * ((i % 5) - 2 + 0.45);
    const fm = twoLayers(kernel, cout);
    const images = makeDataset({ seed: 2, count: 16, size: 16, split: 'train' }).map((s) => s.image);
    const meanError = (m: ReturnType<typeof quantizeFloatModel>['model']): number[] => {
      const t = m.tensors.get('pw')!, err = new Array(cout).fill(0);
      const f = (fm.predict(imagesToTensor(images, 16, 16)) as tf.Tensor).dataSync();
      images.forEach((img, k) => {
        const q = runGolden(m, new Map([[m.inputs[0], imageCodes(img)]])).get('pw')!;
        for (let i = 0; i < q.length; i++) err[i % cout] += (t.scale * (q[i] - t.zero) - f[k * q.length + i]) / (q.length / cout) / images.length;
      });
      return err.map((e) => e / t.scale); // in output codes
    };
    const plain = quantizeFloatModel(fm, images, { weightScale: 'max' }).model;
    const corrected = quantizeFloatModel(fm, images, { weightScale: 'max', biasCorrection: true }).model;
    const before = meanError(plain), after = meanError(corrected);
    for (let c = 0; c < cout; c++) {
      expect(before[c], `channel ${c}`).toBeLessThan(-2); // several codes low
      expect(Math.abs(after[c]), `channel ${c}`).toBeLessThan(0.6); // within B's rounding (and the stem's)
    }
    // Only B moved: the same codes and multipliers.
    const [a, b] = [plain, corrected].map((m) => m.layers.find((l) => l.name === 'pw')!.quant!);
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    expect(Array.from(b.S)).toEqual(Array.from(a.S));
    expect(Array.from(b.B)).not.toEqual(Array.from(a.B));
  });
});

/** codenet-tiny-skip (deformable decoder, skip concats) with seeded batch-norm statistics. */
function skipModel(): tf.LayersModel {
  const fm = buildFloatModel(findZooSpec('codenet-tiny-skip')!, { classes: 6, seed: 4 });
  fm.layers.filter((x) => x.name.endsWith('.bn')).forEach((l, i) => {
    const c = l.getWeights()[0].shape[0];
    l.setWeights([tf.randomUniform([c], 0.5, 1.5, 'float32', 10 * i + 1), tf.randomUniform([c], -0.2, 0.2, 'float32', 10 * i + 2), tf.randomUniform([c], -0.3, 0.3, 'float32', 10 * i + 3), tf.randomUniform([c], 0.5, 2, 'float32', 10 * i + 4)]);
  });
  return fm;
}

describe('the exported model is the simulated one', () => {
  it('codenet-tiny-skip with MSE ranges, bias correction and learned rounding: the golden model of the model file computes every code the quantizer simulated', () => {
    const fm = skipModel();
    const images = makeDataset({ seed: 6, count: 3, size: 64, split: 'train' }).map((s) => s.image);
    const { model: m } = calibrateActivations(fm, images, { actRange: 'mse' });
    const sim = images.map(() => new Map<string, TensorData>());
    refineWeights(fm, m, images, { saturateBias: true }, { biasCorrection: true, adaround: true, iterations: 10, onTensor: (k, t, codes) => sim[k].set(t, codes) });
    const file = validateModel(JSON.parse(serializeModel(validated(m, 'test'))), 'ptq.json');
    let compared = 0;
    images.forEach((img, k) => {
      const g = runGolden(file, new Map([[file.inputs[0], imageCodes(img)]]), { keepAll: true });
      for (const l of file.layers)
        for (const t of l.outputs) {
          expect(Array.from(g.get(t)!), `image ${k}, tensor ${t}`).toEqual(Array.from(sim[k].get(t)!));
          compared += g.get(t)!.length;
        }
    });
    expect(compared).toBeGreaterThan(100_000);
  }, 60_000);

  it('is deterministic: the same float model and images give a byte-identical model', () => {
    const images = makeDataset({ seed: 8, count: 3, size: 64, split: 'train' }).map((s) => s.image);
    const opts = { ...PTQ_DEFAULTS, adaroundIterations: 10 };
    const [a, b] = [0, 1].map(() => serializeModel(quantizeFloatModel(skipModel(), images, opts).model));
    expect(a).toBe(b);
    expect(JSON.parse(a).metadata).toMatchObject({ activationRange: 'mse', biasCorrection: true, learnedRounding: 10 });
  }, 60_000);
});

describe('codenet quantize options', () => {
  it('MSE ranges, bias correction and learned rounding by default; each can be switched off; --percentile implies percentile ranges', async () => {
    const d = tempDir('codenet-ptq-');
    const kernel = Array.from({ length: 8 * 4 }, (_, i) => Math.sin(i) * 0.3);
    await saveFloatModel(twoLayers(kernel, 4), join(d, 'float'));
    const q = (name: string, ...args: string[]) => runCli('quantize', join(d, 'float'), '--calib', 'builtin:4', '-o', join(d, name), ...args);
    const def = await q('def.json');
    expect(def.code, def.stderr).toBe(0);
    expect(def.stdout).toMatch(/activation ranges by MSE search, bias correction, learned rounding \(400 iterations\)/);
    expect(def.stdout).toMatch(/layer output SNR on the calibration images \(mean over layers\): -?\d+\.\d dB rounded to nearest, -?\d+\.\d dB exported/);
    expect(loadModelFile(join(d, 'def.json')).metadata).toMatchObject({ activationRange: 'mse', biasCorrection: true, learnedRounding: 400 });
    const off = await q('off.json', '--act-range', 'percentile', '--no-bias-correction', '--no-adaround');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/\(range percentile 100\)/);
    const m = loadModelFile(join(d, 'off.json')).metadata;
    expect(m.percentile).toBe(100);
    expect(m.activationRange).toBeUndefined();
    expect(m.biasCorrection).toBeUndefined();
    const pct = await q('pct.json', '--percentile', '99.9', '--adaround-iterations', '20');
    expect(pct.code, pct.stderr).toBe(0);
    expect(loadModelFile(join(d, 'pct.json')).metadata).toMatchObject({ percentile: 99.9, learnedRounding: 20 });
    const bad = await q('bad.json', '--act-range', 'mse', '--ema', '0.9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--act-range mse chooses the ranges itself: leave out --percentile and --ema');
  }, 60_000);
});
