// codenet import on ONNX files exported by PyTorch (test/fixtures/onnx, written by
// python/make_fixtures.py): the imported float model computes PyTorch's stored outputs (and ONNX
// Runtime's, for the graphs it runs) to 1e-4 of the output range, with the same dilation at every
// pixel; the zoo-shaped export keeps the zoo's layer names and quantizes; bad files exit 2.
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { buildFloatModel, initBackend } from '../src/float/model.ts';
import { loadFloatModel } from '../src/float/io.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { readNpy } from '../src/io/npy.ts';
import { readOnnx } from '../src/import/onnx.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { relError, runOrt, toNchw, toNhwc } from './helpers/onnx-compare.ts';
import { buildOnnx, rand, tensor } from './helpers/onnx-build.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const FIX = join(import.meta.dirname, 'fixtures', 'onnx');
interface Fixture { name: string; data: string; size: number; classes: number; dmax: number; deform: string; batchNormNodes: boolean; relu6: boolean; dilations: number[][] }
const fixtures = JSON.parse(readFileSync(join(FIX, 'fixtures.json'), 'utf8')) as Fixture[];
let root: string;

beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-import-');
});

/** Imports a fixture through the CLI; returns the loaded float model. */
async function imported(f: Fixture, name?: string): Promise<tf.LayersModel> {
  const out = join(root, `${f.name}${name ? `-${name}` : ''}`);
  if (!existsSync(out)) {
    const r = await runCli('import', join(FIX, `${f.name}.onnx`), '-o', out, ...(name ? ['--name', name] : []));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CenterNet heads hm/wh/reg, ${f.classes} classes`);
  }
  return loadFloatModel(out);
}

describe.each(fixtures)('PyTorch fixture $name ($deform)', (f) => {
  const x = () => readNpy(join(FIX, `${f.data}.input.npy`)).data as Float32Array;
  it('computes PyTorch\'s outputs, and ONNX Runtime\'s where it runs the graph', async () => {
    const fm = await imported(f);
    expect(fm.outputNames.length).toBe(3);
    const ys = fm.predict(tf.tensor4d(toNhwc(x(), 3, f.size, f.size), [1, f.size, f.size, 3])) as tf.Tensor[];
    const got = ys.map((y) => { const [, h, w, c] = y.shape; return toNchw(y.dataSync() as Float32Array, c, h, w); });
    ['hm', 'wh', 'reg'].forEach((head, i) => {
      const ref = readNpy(join(FIX, `${f.data}.${head}.npy`)).data as Float32Array;
      expect(relError(got[i], ref), head).toBeLessThan(1e-4);
    });
    if (f.deform === 'DeformConv') {
      const ort = await runOrt(join(FIX, `${f.name}.onnx`), x(), [1, 3, f.size, f.size]);
      expect(ort.map((o) => o.name)).toEqual(['hm', 'wh', 'reg']);
      ort.forEach((o, i) => expect(relError(got[i], o.data), o.name).toBeLessThan(1e-4));
    }
  });
  it('has the same dilation as PyTorch at every pixel, spanning 0..dmax', async () => {
    const fm = await imported(f);
    const probe = tf.model({ inputs: fm.inputs, outputs: [1, 2, 3].map((i) => fm.getLayer(`dec${i}.offset`).output as tf.SymbolicTensor) });
    const vs = probe.predict(tf.tensor4d(toNhwc(x(), 3, f.size, f.size), [1, f.size, f.size, 3])) as tf.Tensor[];
    const hist = vs.map((v) => {
      const h = new Array(f.dmax + 1).fill(0);
      for (const o of v.dataSync()) h[Math.min(f.dmax, Math.max(0, Math.floor(o + 0.5)))]++;
      return h;
    });
    expect(hist).toEqual(f.dilations);
    expect(hist.flat().filter((_, i) => f.dilations.flat()[i] > 0).length).toBeGreaterThan(f.dmax); // many (layer, dilation) pairs occur
  });
});

describe('the layers of an import', () => {
  it('a zoo-shaped PyTorch network gets the zoo\'s layer names (the exporter folded the convs\' batch norm)', async () => {
    const fm = await imported(fixtures.find((f) => f.name === 'tiny-skip')!);
    const zoo = buildFloatModel(findZooSpec('codenet-tiny-skip')!, { classes: 6 }).layers.map((l) => l.name);
    const names = fm.layers.map((l) => l.name).sort();
    expect(names).toEqual(zoo.filter((n) => !n.endsWith('.bn') || n.endsWith('.deform.bn')).sort());
  });
  it('kept batch norm nodes become batch-norm layers, Clip(0, 6) a ReLU with max 6', async () => {
    const fm = await imported(fixtures.find((f) => f.batchNormNodes && f.relu6)!);
    const bn = fm.layers.filter((l) => l.getClassName() === 'BatchNormalization');
    const relu = fm.layers.filter((l) => l.getClassName() === 'ReLU');
    expect(bn.length).toBeGreaterThan(20);
    expect(relu.length).toBeGreaterThan(20);
    expect(relu.every((l) => l.getConfig().maxValue === 6)).toBe(true);
  });
  it('the ReLU6 export quantizes: every ReLU6 output\'s top code is 6 (scale 6/255, zero -128)', async () => {
    const f = fixtures.find((x) => x.batchNormNodes && x.relu6)!;
    const fm = await imported(f);
    const out = join(root, 'q', 'relu6.json');
    const q = await runCli('quantize', join(root, f.name), '--calib', 'builtin:4', '-o', out);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/tensor\(s\) after a capped ReLU have their top code at the cap/);
    const m = loadModelFile(out);
    const capped = fm.layers.filter((l) => l.getClassName() === 'ReLU').map((l) => l.name.replace(/\.relu$/, ''));
    expect(capped.length).toBeGreaterThan(20);
    for (const t of capped) expect([m.tensors.get(t)!.scale, m.tensors.get(t)!.zero], t).toEqual([6 / 255, -128]);
  });
  it('the zoo-shaped import quantizes (W4A8), fine-tunes quantization-aware and evaluates', async () => {
    const f = fixtures.find((x) => x.name === 'tiny-skip')!;
    await imported(f, 'codenet-tiny-skip');
    const dir = join(root, 'tiny-skip-codenet-tiny-skip');
    const q = await runCli('quantize', dir, '--calib', 'builtin:4', '-o', join(root, 'q', 'tiny.json'));
    expect(q.code, q.stderr).toBe(0);
    const m = loadModelFile(join(root, 'q', 'tiny.json'));
    expect(m.layers.filter((l) => l.op === 'dwdeform').length).toBe(3);
    expect(m.tensors.get('hm')!.shape).toEqual([16, 16, 6]);
    const t = await runCli('train', '--qat', '--resume', dir, '--steps', '2', '--batch', '4', '--calib', 'builtin:4', '--threads', '1', '-o', join(root, 'qat'));
    expect(t.code, t.stderr).toBe(0);
    expect(loadModelFile(join(root, 'qat', 'quantized.json')).layers.length).toBe(m.layers.length);
    const e = await runCli('eval', dir, '--data', 'builtin:4');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/AP50 \d+\.\d/);
  });
});

describe('errors: exit 2 naming the file and the problem, nothing written', () => {
  const small = join(FIX, 'small.onnx');
  async function refused(file: string, pattern: RegExp, ...extra: string[]): Promise<void> {
    const out = join(root, `out-${Math.random().toString(36).slice(2)}`);
    const r = await runCli('import', file, '-o', out, ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
  }
  const write = (name: string, data: Uint8Array | string) => { const p = join(root, name); writeFileSync(p, data); return p; };
  const conv = { op: 'Conv', name: '/c/Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } };

  it('a truncated file and files that are not ONNX', async () => {
    const bytes = readFileSync(small);
    await refused(write('cut.onnx', bytes.subarray(0, bytes.length >> 1)), /is not a valid ONNX model \(truncated, or not an ONNX protobuf file/);
    await refused(write('model.json.onnx', '{"modelTopology": {}}\n'), /is not a valid ONNX model/);
    await refused(write('empty.onnx', ''), /is not a valid ONNX model/);
    await refused(join(root, 'absent.onnx'), /not found/);
  });
  it('an unsupported opset, dynamic, non-square and several inputs', async () => {
    const g = (dims: Array<number | string>, opset = 17, extraInputs?: Array<{ name: string; dims: number[] }>) =>
      buildOnnx({ input: { dims }, outputs: ['y'], nodes: [conv], inits: [tensor('w', [2, 3, 1, 1], rand(6, 1))], opset, extraInputs });
    await refused(write('op9.onnx', g([1, 3, 4, 4], 9)), /uses ONNX opset 9; codenet imports opsets 11 to 19/);
    await refused(write('dyn.onnx', g([1, 3, 'height', 'width'])), /has a dynamic shape \[1,3,height,width\]; export with a fixed image size/);
    await refused(write('rect.onnx', g([1, 3, 4, 6])), /is 4x6; codenet takes square images/);
    await refused(write('two.onnx', g([1, 3, 4, 4], 17, [{ name: 'z', dims: [1, 3, 4, 4] }])), /has 2 inputs \(x, z\); codenet models take one image/);
    await refused(write('batch.onnx', g([2, 3, 4, 4])), /has batch 2; export with batch 1/);
  });
  it('external data: read from a file beside the model; missing or outside the folder refused', async () => {
    const { onnx } = onnxProto;
    const w = rand(6, 3);
    const model = (location: string) => {
      const m = onnx.ModelProto.decode(buildOnnx({ input: { dims: [1, 3, 4, 4] }, outputs: ['y'], nodes: [conv], inits: [tensor('w', [2, 3, 1, 1], [])] }));
      Object.assign(m.graph!.initializer![0], { floatData: [], dataLocation: 1, externalData: [{ key: 'location', value: location }, { key: 'offset', value: '8' }, { key: 'length', value: '24' }] });
      return onnx.ModelProto.encode(m).finish();
    };
    const dir = mkdtempSync(join(root, 'ext-'));
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(8), Buffer.from(Float32Array.from(w).buffer)]));
    writeFileSync(join(dir, 'ok.onnx'), model('weights.bin'));
    const r = await runCli('import', join(dir, 'ok.onnx'), '-o', join(dir, 'out'));
    expect(r.code, r.stderr).toBe(0);
    const k = (await loadFloatModel(join(dir, 'out'))).getLayer('y').getWeights()[0].dataSync();
    expect(Array.from(k)).toEqual([0, 1, 2].flatMap((ci) => [0, 1].map((co) => Math.fround(w[co * 3 + ci]))));
    writeFileSync(join(dir, 'missing.onnx'), model('gone.bin'));
    await refused(join(dir, 'missing.onnx'), /the external data file "gone.bin" of tensor "w" is missing/);
    copyFileSync(join(dir, 'weights.bin'), join(root, 'outside.bin'));
    writeFileSync(join(dir, 'escape.onnx'), model('../outside.bin'));
    await refused(join(dir, 'escape.onnx'), /has its data in "..\/outside.bin", outside the model's folder/);
    writeFileSync(join(dir, 'short.onnx'), model('weights.bin').slice()); // same file, but claim more bytes than it has
    const m = onnx.ModelProto.decode(readFileSync(join(dir, 'short.onnx')));
    m.graph!.initializer![0].externalData![2].value = '4000';
    writeFileSync(join(dir, 'short.onnx'), onnx.ModelProto.encode(m).finish());
    await refused(join(dir, 'short.onnx'), /reads bytes 8..4008 of "weights.bin", which holds 32/);
  });
  it('--heads naming an output the graph does not have', async () => {
    await refused(small, /--heads hm=score: the graph has no output "score" \(its outputs: hm, wh, reg\)/, '--heads', 'hm=score,wh=wh,reg=reg');
    const r = await runCli('import', small, '-o', join(root, 'no'), '--heads', 'hm');
    expect([r.code, r.stderr]).toEqual([2, 'codenet: error: --heads must be hm=NAME,wh=NAME,reg=NAME, got "hm"\n']);
  });
});

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) console.warn('import-onnx: /usr/bin/python3 cannot import torch and onnx (Debian: apt-get install python3-torch python3-onnx); the re-export test is skipped');

/**
 * A small network fine-tuned quantization-aware in PyTorch (torch.ao.quantization, per-channel int8
 * weights, uint8 activations, conv + ReLU fused), with an nn.ZeroPad2d before the depthwise conv,
 * exported at opset 13: QuantizeLinear/DequantizeLinear pairs, and a Pad of PyTorch's shape arithmetic.
 */
const QAT_EXPORT = `
import sys, torch, torch.nn as nn, torch.ao.quantization as tq
class M(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Conv2d(3, 8, 3, 2, 1); s.r1 = nn.ReLU(); s.pad = nn.ZeroPad2d(1)
        s.dw = nn.Conv2d(8, 8, 3, 1, 0, groups=8); s.r2 = nn.ReLU(); s.pw = nn.Conv2d(8, 6, 1)
    def forward(s, x):
        return s.pw(s.r2(s.dw(s.pad(s.r1(s.stem(x))))))
torch.manual_seed(0)
m = M().train()
m.qconfig = tq.QConfig(activation=tq.FakeQuantize.with_args(observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8),
    weight=tq.FakeQuantize.with_args(observer=tq.MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_symmetric))
tq.fuse_modules_qat(m, [['stem', 'r1'], ['dw', 'r2']], inplace=True)
tq.prepare_qat(m, inplace=True)
for _ in range(5): m(torch.randn(2, 3, 16, 16))
m.eval(); m.apply(tq.disable_observer)
torch.onnx.export(m, torch.randn(1, 3, 16, 16), sys.argv[1], opset_version=13, output_names=['y'])
`;

describe.skipIf(!hasTorch)('a PyTorch quantization-aware export (QDQ; python3-torch installed)', () => {
  it('imports (the Pad folded) and quantizes with the graph\'s quantization: the stem\'s int8 codes and every activation scale are the graph\'s, the 8-bit codes of the others are requantized and reported', async () => {
    const file = join(root, 'qat.onnx');
    const py = spawnSync('/usr/bin/python3', ['-c', QAT_EXPORT, file], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    expect(readOnnx(file).nodes.map((n) => n.op)).toEqual(expect.arrayContaining(['QuantizeLinear', 'DequantizeLinear', 'Pad']));
    const i = await runCli('import', file, '-o', join(root, 'qat'));
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/3 layers \(1 stem, 1 dw, 1 conv1x1\).*the graph is quantized: 3 weight and 3 activation quantizer\(s\)/s);
    const out = join(root, 'q', 'qat.json');
    const q = await runCli('quantize', join(root, 'qat'), '--calib', 'builtin:4', '-o', out);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/graph quantization: 4 exact, 2 approximated, 0 calibrated, 0 ignored/);
    const hints = JSON.parse(readFileSync(join(root, 'qat', 'quant-hints.json'), 'utf8')) as { weights: Record<string, { codes: number[] }>; activations: Record<string, { scale: number[]; zero: number[] }> };
    const m = loadModelFile(out);
    expect(Array.from(m.layers.find((l) => l.name === 'stem')!.quant!.weights)).toEqual(hints.weights.stem.codes);
    for (const t of ['stem', 'dw', 'y']) expect([m.tensors.get(t)!.scale, m.tensors.get(t)!.zero], t).toEqual([hints.activations[t].scale[0], hints.activations[t].zero[0] - 128]);
    const rows = (JSON.parse(readFileSync(join(root, 'q', 'qat.import-quant.json'), 'utf8')) as { rows: Array<{ kind: string; name: string; status: string; why?: string }> }).rows;
    for (const l of ['dw', 'y']) expect(rows.find((r) => r.kind === 'weights' && r.name === l)!.why, l).toMatch(/on a (dw3x3|conv1x1) layer, whose int4 codes are -8\.\.7: requantized/);
  });
});

describe.skipIf(!hasTorch)('re-export with PyTorch (python3-torch installed)', () => {
  it('python/make_fixtures.py writes the same graphs and PyTorch computes the same outputs', () => {
    const out = mkdtempSync(join(root, 'reexport-'));
    const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '..', 'python', 'make_fixtures.py'), '-o', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const again = JSON.parse(readFileSync(join(out, 'fixtures.json'), 'utf8')) as Fixture[];
    expect(again.map((f) => f.name)).toEqual(fixtures.map((f) => f.name));
    for (const f of fixtures) {
      const ops = (dir: string) => readOnnx(join(dir, `${f.name}.onnx`)).nodes.map((n) => `${n.domain}${n.op}`);
      expect(ops(out)).toEqual(ops(FIX));
      for (const head of ['input', 'hm', 'wh', 'reg'])
        expect(relError(readNpy(join(out, `${f.data}.${head}.npy`)).data as Float32Array, readNpy(join(FIX, `${f.data}.${head}.npy`)).data as Float32Array), `${f.name} ${head}`).toBeLessThan(1e-5);
    }
  });
});
