import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, ChannelShuffle, deformDepthwise, DeformDepthwise, imagesToTensor, initBackend, roundDilationSTE } from '../src/float/model.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { buildTopology } from '../src/zoo/graph.ts';
import { Rng } from '../src/util/rng.ts';
import { makeDataset } from '../src/data/shapes.ts';

let backend = '';
beforeAll(async () => { backend = await initBackend({ log: (m) => console.log(m) }); });

/** Direct loop: out[y][x][c] = sum_ij k[i][j][c] * x[y + i*d][x + j*d][c], zero outside. */
function reference(x: Float32Array, d: Uint8Array, k: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let ch = 0; ch < c; ch++) {
        let a = 0;
        const dd = d[y * w + xx];
        for (let i = -1; i <= 1; i++)
          for (let j = -1; j <= 1; j++) {
            const iy = y + i * dd, ix = xx + j * dd;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            a += k[((i + 1) * 3 + (j + 1)) * c + ch] * x[(iy * w + ix) * c + ch];
          }
        out[(y * w + xx) * c + ch] = a;
      }
  return out;
}

describe('deformable depthwise op', () => {
  it(`matches a direct loop on a tiny input`, () => {
    const rng = new Rng(5);
    const h = 7, w = 6, c = 3, dmax = 4;
    const x = Float32Array.from({ length: h * w * c }, () => rng.normal());
    const k = Float32Array.from({ length: 9 * c }, () => rng.normal());
    const d = Uint8Array.from({ length: h * w }, () => rng.int(0, dmax));
    const got = deformDepthwise(tf.tensor4d(x, [1, h, w, c]), tf.tensor4d(Float32Array.from(d), [1, h, w, 1]), tf.tensor4d(k, [3, 3, c, 1])).dataSync();
    const want = reference(x, d, k, h, w, c);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    // with d = 1 everywhere it is an ordinary depthwise 3x3 with "same" zero padding
    const ones = tf.ones([1, h, w, 1]) as tf.Tensor4D;
    const dw1 = deformDepthwise(tf.tensor4d(x, [1, h, w, c]), ones, tf.tensor4d(k, [3, 3, c, 1])).dataSync();
    const tfdw = tf.depthwiseConv2d(tf.tensor4d(x, [1, h, w, c]), tf.tensor4d(k, [3, 3, c, 1]), 1, 'same').dataSync();
    for (let i = 0; i < dw1.length; i++) expect(dw1[i]).toBeCloseTo(tfdw[i], 4);
  });

  it('gradients: x and the kernel exactly (the op is linear in each), d by the sampling-position slope', () => {
    const rng = new Rng(11);
    const n = 2, h = 5, w = 6, c = 3, dmax = 3;
    const x = Float32Array.from({ length: n * h * w * c }, () => rng.normal());
    const k = Float32Array.from({ length: 9 * c }, () => rng.normal());
    const d = Float32Array.from({ length: n * h * w }, () => rng.int(0, dmax));
    const r = Float32Array.from({ length: n * h * w * c }, () => rng.normal());
    const f = (xt: tf.Tensor, dt: tf.Tensor, kt: tf.Tensor) => tf.sum(tf.mul(deformDepthwise(xt as tf.Tensor4D, dt as tf.Tensor4D, kt), tf.tensor4d(r, [n, h, w, c])));
    const [gx, gd, gk] = tf.grads(f)([tf.tensor4d(x, [n, h, w, c]), tf.tensor4d(d, [n, h, w, 1]), tf.tensor4d(k, [3, 3, c, 1])]).map((t) => t.dataSync());
    const wantX = new Float64Array(x.length), wantK = new Float64Array(k.length), wantD = new Float64Array(d.length);
    const at = (b: number, y: number, xx: number, ch: number) => (y < h && xx < w ? x[((b * h + y) * w + xx) * c + ch] : 0);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++)
          for (let i = -1; i <= 1; i++)
            for (let j = -1; j <= 1; j++) {
              const p = (b * h + y) * w + xx, dd = d[p], iy = y + i * dd, ix = xx + j * dd, t = (i + 1) * 3 + j + 1;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              for (let ch = 0; ch < c; ch++) {
                const q = ((b * h + iy) * w + ix) * c + ch, g = r[p * c + ch];
                wantX[q] += g * k[t * c + ch];
                wantK[t * c + ch] += g * x[q];
                wantD[p] += g * k[t * c + ch] * (i * (at(b, iy + 1, ix, ch) - x[q]) + j * (at(b, iy, ix + 1, ch) - x[q]));
              }
            }
    for (const [got, want] of [[gx, wantX], [gk, wantK], [gd, wantD]] as const)
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
  });

  it('rounds the offset half up, clamps to [0, dmax], and passes the gradient straight through inside the range and inward outside it', () => {
    const v = tf.tensor1d([-1.2, 0.49, 0.5, 2.4, 6.6, 9]);
    expect(Array.from(roundDilationSTE(v, 7).dataSync())).toEqual([0, 0, 1, 2, 7, 7]);
    const grad = (dy: number[]) => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roundDilationSTE(t, 7), tf.tensor1d(dy))))(v).dataSync());
    // A descent step moves v by -gradient: 9 > dmax gets a positive gradient (back down), -1.2 none.
    expect(grad([1, 2, 3, 4, 5, 6])).toEqual([0, 2, 3, 4, 5, 6]);
    // Negative gradients raise v: -1.2 < 0 gets it, 9 does not.
    expect(grad([-1, -2, -3, -4, -5, -6]).map((g) => g + 0)).toEqual([-1, -2, -3, -4, -5, 0]); // + 0: -0 is 0
  });

  it('as a layer: forward equals the loop on the rounded offset, and the offset conv gets a gradient', () => {
    const rng = new Rng(9);
    const h = 5, w = 5, c = 2;
    const x = Float32Array.from({ length: h * w * c }, () => rng.normal());
    const raw = Float32Array.from({ length: h * w }, () => rng.float() * 4 - 0.5);
    const layer = new DeformDepthwise({ dmax: 3, seed: 3 });
    const xt = tf.tensor4d(x, [1, h, w, c]), ot = tf.variable(tf.tensor4d(raw, [1, h, w, 1]));
    const y = layer.apply([xt, ot]) as tf.Tensor;
    const k = layer.getWeights()[0].dataSync() as Float32Array;
    const d = Uint8Array.from(raw, (r) => Math.min(3, Math.max(0, Math.floor(r + 0.5))));
    const want = reference(x, d, k, h, w, c);
    const got = y.dataSync();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply([xt, ot]) as tf.Tensor)) as tf.Scalar, [ot]);
    const gsum = tf.sum(tf.abs(Object.values(grads)[0])).dataSync()[0];
    expect(gsum).toBeGreaterThan(0);
  });

  it('channel shuffle puts input channel g*(C/2) + i at output i*2 + g', () => {
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5], [1, 1, 1, 6]);
    const y = new ChannelShuffle({}).apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('float zoo model', () => {
  it('codenet-tiny: mirrors the graph layer names and gives hm/wh/reg of the right shapes', () => {
    const spec = findZooSpec('codenet-tiny')!;
    const model = buildFloatModel(spec, { classes: 6 });
    const names = new Set(model.layers.map((l) => l.name));
    for (const l of buildTopology(spec, 6).layers) expect(names.has(l.name) || names.has(`${l.name}.0`), l.name).toBe(true);
    const x = imagesToTensor(makeDataset({ seed: 1, count: 1, size: 64 }).map((s) => s.image), 64, 64);
    const [hm, wh, reg] = model.predict(x) as tf.Tensor[];
    expect(hm.shape).toEqual([1, 16, 16, 6]);
    expect(wh.shape).toEqual([1, 16, 16, 2]);
    expect(reg.shape).toEqual([1, 16, 16, 2]);
    for (const t of [hm, wh, reg]) expect(t.dataSync().every(Number.isFinite)).toBe(true);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(backend);
  });

  it('codenet-tiny-skip: the decoder skip concats mirror the integer graph, layer by layer and shape by shape', () => {
    const spec = findZooSpec('codenet-tiny-skip')!;
    const model = buildFloatModel(spec, { classes: 6 });
    const topo = buildTopology(spec, 6);
    for (const l of topo.layers) {
      const name = model.layers.some((f) => f.name === l.name) ? l.name : `${l.name}.0`;
      const out = topo.tensors.get(l.outputs[0])!;
      expect(model.getLayer(name).outputShape, l.name).toEqual([null, ...out.shape]);
    }
    const cats = topo.layers.filter((l) => l.name.endsWith('.cat'));
    expect(cats.map((l) => l.inputs)).toEqual([['dec1.up', 'stage3.2.shuffle'], ['dec2.up', 'stage2.1.shuffle'], ['dec3.up', 'stem.pool']]);
    expect(cats.map((l) => model.getLayer(l.name).inboundNodes[0].inboundLayers.map((f) => f.name))).toEqual([['dec1.up', 'stage3.2.shuffle'], ['dec2.up', 'stage2.1.shuffle'], ['dec3.up', 'stem.pool']]);
    expect(topo.tensors.get('hm')!.shape).toEqual([16, 16, 6]);
    expect(() => buildFloatModel(spec, { classes: 6, input: 72 })).toThrow(/divisible by 32/);
    expect(() => buildTopology({ ...spec, input: 72 }, 6)).toThrow(/divisible by 32/);
  });

  it('any input size and a stride-2 + maxpool stem follow the integer graph shapes', () => {
    const spec = { ...findZooSpec('codenet-tiny')!, stem: 's2+maxpool' as const, input: 40 };
    const model = buildFloatModel(spec, { classes: 3 });
    const topo = buildTopology(spec, 3);
    for (const name of ['stem', 'stem.pool', 'stage3.0.shuffle', 'conv5', 'dec1.deform', 'hm']) {
      const t = topo.tensors.get(name)!;
      expect(model.getLayer(name).outputShape, name).toEqual([null, ...t.shape]);
    }
  });

  it('trains: one SGD step (on wasm, with the conv backprop kernels of src/float/grads.ts) moves the offset conv through the straight-through dilation', async () => {
    expect(backend).toBe('wasm');
    // 64 px: at 32 px stage4 is 1x1 and training-mode batch norm over one value zeroes every gradient
    const model = buildFloatModel(findZooSpec('codenet-tiny')!, { classes: 2, input: 64, seed: 4 });
    const x = imagesToTensor(makeDataset({ seed: 2, count: 1, size: 64 }).map((s) => s.image), 64, 64);
    const before = model.getLayer('dec1.offset').getWeights()[1].dataSync()[0];
    const loss = tf.train.sgd(0.1).minimize(() => {
      const [hm, wh, reg] = model.apply(x, { training: true }) as tf.Tensor[];
      return tf.addN([tf.mean(tf.sigmoid(hm)), tf.mean(tf.square(wh)), tf.mean(tf.square(reg))]) as tf.Scalar;
    }, true)!;
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    const after = model.getLayer('dec1.offset').getWeights()[1].dataSync()[0];
    expect(after).not.toBe(before);
  });
});
