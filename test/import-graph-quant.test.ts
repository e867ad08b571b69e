// Quantization already in the ONNX graph (docs/import.md section 5): QuantizeLinear/DequantizeLinear
// pairs as PyTorch and ONNX Runtime write them, and QONNX Quant nodes as Brevitas writes them.
// `codenet import` keeps the dequantized weights in the float model and the quantizers in
// quant-hints.json; `codenet quantize` uses them: the integer model's weight codes are the graph's
// where they fit, activation scales and zero points are the graph's, and every quantizer that does
// not fit is listed in <out>.import-quant.json and the printed table. A graph whose quantizers all
// fit computes ONNX Runtime's QDQ outputs (to a code at rounding boundaries).
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type onnxProto from 'onnx-proto';
import { imagesToTensor, initBackend } from '../src/float/model.ts';
import { loadFloatModel } from '../src/float/io.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { runGolden } from '../src/golden/run.ts';
import { imageCodes } from '../src/zoo/image.ts';
import { makeDataset } from '../src/data/shapes.ts';
import { convertOnnx } from '../src/import/run.ts';
import type { QuantHints } from '../src/import/hints.ts';
import type { GraphQuantRow } from '../src/quant/graph-quant.ts';
import { buildOnnx, rand, tensor, type GraphSpec, type NodeSpec } from './helpers/onnx-build.ts';
import { runOrt, toNchw } from './helpers/onnx-compare.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const S = 16;
/** Scales are float32 in the ONNX file, and the integer model keeps them exactly. */
const f32 = Math.fround;
let root: string;
let count = 0;
beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-graph-quant-');
});

/** An integer initializer: 2 uint8, 3 int8, 6 int32 (int32_data, as ONNX stores them). */
const ints = (name: string, dims: number[], data: number[], type: number): onnxProto.onnx.ITensorProto => ({ name, dims, dataType: type, int32Data: data });
const seededInts = (n: number, seed: number, lo: number, hi: number) => rand(n, seed).map((v) => Math.min(hi, Math.floor(lo + ((v + 1) / 2) * (hi - lo + 1))));
const roundHalfEven = (v: number) => { const f = Math.floor(v), d = v - f; return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 ? f + 1 : f; };

function write(g: GraphSpec): string {
  const f = join(root, `g${count++}.onnx`);
  writeFileSync(f, buildOnnx(g));
  return f;
}
async function imported(g: GraphSpec): Promise<{ file: string; dir: string; stdout: string }> {
  const file = write(g), dir = join(root, `float${count}`);
  const r = await runCli('import', file, '-o', dir);
  expect(r.code, r.stderr).toBe(0);
  return { file, dir, stdout: r.stdout };
}
async function quantized(dir: string, ...extra: string[]): Promise<{ out: string; stdout: string; rows: GraphQuantRow[] }> {
  const out = join(root, `q${count++}.json`);
  const r = await runCli('quantize', dir, '--calib', 'builtin:4', '-o', out, ...extra);
  expect(r.code, r.stderr).toBe(0);
  const report = out.replace(/\.json$/, '.import-quant.json');
  return { out, stdout: r.stdout, rows: existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as { rows: GraphQuantRow[] }).rows : [] };
}
const row = (rows: GraphQuantRow[], kind: GraphQuantRow['kind'], name: string) => rows.find((r) => r.kind === kind && r.name === name) ?? { status: 'missing', why: '' } as unknown as GraphQuantRow;

// ---------------------------------------------------------------------------------------------
// QDQ whose every quantizer fits: the integer model is the graph's.

/** QuantizeLinear + DequantizeLinear of a feature map (uint8, or int8 with `type` 3). */
const qdq = (x: string, y: string, scale: number, zero: number, type = 2): { nodes: NodeSpec[]; inits: GraphSpec['inits'] } => ({
  nodes: [{ op: 'QuantizeLinear', name: `/${y}/QuantizeLinear`, inputs: [x, `${y}.s`, `${y}.z`], outputs: [`${y}.q`] }, { op: 'DequantizeLinear', name: `/${y}/DequantizeLinear`, inputs: [`${y}.q`, `${y}.s`, `${y}.z`], outputs: [y] }],
  inits: [tensor(`${y}.s`, [], [scale]), ints(`${y}.z`, [], [zero], type)],
});

/**
 * x -> stem (int8 codes -127..127 per channel, DequantizeLinear axis 0) -> Relu -> QDQ uint8 ->
 * depthwise (float weights through QuantizeLinear/DequantizeLinear per channel, codes -7..7:
 * a 4-bit quantizer written as int8, as PyTorch's fake-quant exports it) -> Relu -> QDQ uint8 ->
 * 1x1 (int8 codes -8..7, one scale for the tensor) -> QDQ int8 with zero point 5 = the output.
 */
function exactGraph(): { g: GraphSpec; stem: number[]; dw: number[]; pw: number[]; dwScales: number[] } {
  const stem = seededInts(8 * 27, 1, -127, 127), pw = seededInts(6 * 8, 3, -8, 7);
  const dwW = rand(8 * 9, 2, 0.8);
  const dwScales = Array.from({ length: 8 }, (_, c) => Math.max(...dwW.slice(c * 9, c * 9 + 9).map(Math.abs)) / 7);
  const dw = dwW.map((w, i) => Math.max(-128, Math.min(127, roundHalfEven(Math.fround(w) / Math.fround(dwScales[Math.floor(i / 9)])))));
  const a = qdq('a.r', 'a', 0.05, 0), b = qdq('b.r', 'b', 0.03, 0), y = qdq('y.c', 'y', 0.02, 5, 3);
  const g: GraphSpec = {
    input: { dims: [1, 3, S, S] }, outputs: ['y'],
    nodes: [
      { op: 'DequantizeLinear', name: '/stem/w/DequantizeLinear', inputs: ['stem.wq', 'stem.ws', 'stem.wz'], outputs: ['stem.w'], attrs: { axis: 0 } },
      { op: 'Conv', name: '/stem/Conv', inputs: ['x', 'stem.w', 'stem.b'], outputs: ['a.c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Relu', name: '/stem/Relu', inputs: ['a.c'], outputs: ['a.r'] }, ...a.nodes,
      { op: 'QuantizeLinear', name: '/dw/w/QuantizeLinear', inputs: ['dw.wf', 'dw.ws', 'dw.wz'], outputs: ['dw.wq'], attrs: { axis: 0 } },
      { op: 'DequantizeLinear', name: '/dw/w/DequantizeLinear', inputs: ['dw.wq', 'dw.ws', 'dw.wz'], outputs: ['dw.w'], attrs: { axis: 0 } },
      { op: 'Conv', name: '/dw/Conv', inputs: ['a', 'dw.w', 'dw.b'], outputs: ['b.c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 } },
      { op: 'Relu', name: '/dw/Relu', inputs: ['b.c'], outputs: ['b.r'] }, ...b.nodes,
      { op: 'DequantizeLinear', name: '/pw/w/DequantizeLinear', inputs: ['pw.wq', 'pw.ws', 'pw.wz'], outputs: ['pw.w'] },
      { op: 'Conv', name: '/pw/Conv', inputs: ['b', 'pw.w', 'pw.b'], outputs: ['y.c'], attrs: { kernel_shape: [1, 1] } }, ...y.nodes,
    ],
    inits: [
      ints('stem.wq', [8, 3, 3, 3], stem, 3), tensor('stem.ws', [8], rand(8, 4).map((v) => 0.004 + 0.002 * v)), ints('stem.wz', [8], new Array(8).fill(0), 3), tensor('stem.b', [8], rand(8, 5, 0.3)),
      tensor('dw.wf', [8, 1, 3, 3], dwW), tensor('dw.ws', [8], dwScales), ints('dw.wz', [8], new Array(8).fill(0), 3), tensor('dw.b', [8], rand(8, 6, 0.2)),
      ints('pw.wq', [6, 8, 1, 1], pw, 3), tensor('pw.ws', [], [0.03]), ints('pw.wz', [], [0], 3), tensor('pw.b', [6], rand(6, 7, 0.1)),
      ...a.inits!, ...b.inits!, ...y.inits!,
    ],
  };
  return { g, stem, dw, pw, dwScales };
}

describe('QDQ (QuantizeLinear/DequantizeLinear) that fits the integer model', () => {
  it('import keeps the dequantized weights and writes quant-hints.json; quantize uses the graph\'s codes, scales and zero points', async () => {
    const { g, stem, dw, pw, dwScales } = exactGraph();
    const { file, dir, stdout } = await imported(g);
    expect(stdout).toMatch(/the graph is quantized: 3 weight and 3 activation quantizer\(s\) kept for codenet quantize/);
    expect(stdout).toMatch(/quant-hints\.json: the graph's quantization/);
    const hints = JSON.parse(readFileSync(join(dir, 'quant-hints.json'), 'utf8')) as QuantHints;
    expect(Object.keys(hints.weights).sort()).toEqual(['dw', 'stem', 'y']);
    expect(hints.activations.stem).toMatchObject({ format: 'qdq', bits: 8, signed: false, qmin: 0, qmax: 255, scale: [f32(0.05)], zero: [0], granularity: 'tensor' });
    expect(hints.weights.dw.granularity).toBe('channel');
    expect(hints.weights.y.granularity).toBe('tensor');

    const { out, stdout: qout, rows } = await quantized(dir);
    expect(qout).toMatch(/graph quantization: 6 exact, 0 approximated, 0 calibrated, 0 ignored/);
    const m = loadModelFile(out);
    expect(m.metadata.graphQuantization).toBe(file.split('/').pop());
    // weights: the graph's codes, in the integer model's order (stem [co][ky][kx][ci])
    const q = (l: string) => Array.from(m.layers.find((x) => x.name === l)!.quant!.weights);
    const stemIr = Array.from({ length: 8 * 27 }, (_, i) => { const co = Math.floor(i / 27), t = Math.floor((i % 27) / 3), ci = i % 3; return stem[(co * 3 + ci) * 9 + t]; });
    expect(q('stem')).toEqual(stemIr);
    expect(q('dw')).toEqual(dw);
    expect(q('y')).toEqual(pw);
    expect(Math.max(...dw.map(Math.abs))).toBe(7);
    // activations: scale and zero point (uint8 zero 0 is code -128; int8 zero 5 is 5)
    expect([m.tensors.get('stem')!.scale, m.tensors.get('stem')!.zero]).toEqual([f32(0.05), -128]);
    expect([m.tensors.get('dw')!.scale, m.tensors.get('dw')!.zero]).toEqual([f32(0.03), -128]);
    expect([m.tensors.get('y')!.scale, m.tensors.get('y')!.zero]).toEqual([f32(0.02), 5]);
    expect(rows.every((r) => r.status === 'exact')).toBe(true);
    expect(row(rows, 'weights', 'y').why).toMatch(/one scale for the tensor/);
    expect(dwScales.length).toBe(8);

  });

  it('the integer model computes ONNX Runtime\'s run of the QDQ graph, layer by layer on the golden model\'s input codes: every code within one (each requantizer adds the graph\'s bias rounded to an integer B)', async () => {
    const { g } = exactGraph();
    const { file, dir } = await imported(g);
    const { out } = await quantized(dir);
    const m = loadModelFile(out);
    /** The part of g from node `from` to the QDQ that writes `to`, reading tensor `input` ([1, c, h, h]). */
    const part = (input: string, c: number, h: number, from: string, to: string): string => {
      const k = g.nodes.findIndex((n) => n.name === from), e = g.nodes.findIndex((n) => n.outputs[0] === to);
      return write({ ...g, input: { name: input, dims: [1, c, h, h] }, outputs: [to], nodes: g.nodes.slice(k, e + 1) });
    };
    const layers = [
      { t: 'stem', file: part('x', 3, S, '/stem/w/DequantizeLinear', 'a') },
      { t: 'dw', input: 'stem', file: part('a', 8, 8, '/dw/w/QuantizeLinear', 'b') },
      { t: 'y', input: 'dw', file: part('b', 8, 8, '/pw/w/DequantizeLinear', 'y') },
    ];
    expect(layers[0].file).not.toBe(file);
    const stats: Record<string, { worst: number; same: number; total: number }> = {};
    for (const s of makeDataset({ seed: 3, count: 3, size: S, split: 'val' })) {
      const golden = runGolden(m, new Map([[m.inputs[0], imageCodes(s.image)]]), { keepAll: true });
      for (const l of layers) {
        // the layer's input: the image as the float model takes it, or the golden model's codes dequantized
        let x: Float32Array, dims: number[];
        if (!l.input) [x, dims] = [toNchw(imagesToTensor([s.image], S, S).dataSync() as Float32Array, 3, S, S), [1, 3, S, S]];
        else {
          const ti = m.tensors.get(l.input)!, [h, w, c] = ti.shape;
          [x, dims] = [toNchw(Float32Array.from(golden.get(l.input)!, (q) => ti.scale * (q - ti.zero)), c, h, w), [1, c, h, w]];
        }
        const [ref] = await runOrt(l.file, x, dims);
        const t = m.tensors.get(l.t)!, gq = golden.get(l.t)!;
        const ort = toNhwcCodes(ref.data, ref.dims[1], ref.dims[2], ref.dims[3], t.scale, t.zero);
        const st = (stats[l.t] ??= { worst: 0, same: 0, total: 0 });
        for (let i = 0; i < gq.length; i++) {
          const d = Math.abs(gq[i] - ort[i]);
          st.worst = Math.max(st.worst, d);
          st.same += d === 0 ? 1 : 0;
          st.total++;
        }
      }
    }
    for (const t of ['stem', 'dw', 'y']) {
      expect(stats[t].worst, t).toBeLessThanOrEqual(1);
      expect(stats[t].same / stats[t].total, t).toBeGreaterThan(0.7);
    }
  });
});

/** ONNX Runtime's dequantized NCHW output -> its int8 codes, NHWC. */
function toNhwcCodes(y: Float32Array, c: number, h: number, w: number, scale: number, zero: number): number[] {
  const out = new Array<number>(y.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = Math.round(y[k * h * w + i] / scale) + zero;
  return out;
}

// ---------------------------------------------------------------------------------------------
// QDQ with what does not fit: every such quantizer is in the report.

describe('QDQ that does not all fit: the report lists each quantizer codenet approximates or ignores', () => {
  it('8-bit weights on a 1x1, unequal scales on a concat, per-input-channel weights, a quantizer before batch norm, ReLU6 below the top code, an unquantized head, the input', async () => {
    const nodes: NodeSpec[] = [], inits: NonNullable<GraphSpec['inits']> = [];
    const add = (p: { nodes: NodeSpec[]; inits: GraphSpec['inits'] }) => { nodes.push(...p.nodes); inits.push(...p.inits!); };
    const convQ = (name: string, x: string, y: string, cin: number, cout: number, k: number, codes: number[], scale: number[], axis = 0, attrs: NodeSpec['attrs'] = {}) => {
      nodes.push({ op: 'DequantizeLinear', name: `/${name}/w/DequantizeLinear`, inputs: [`${name}.wq`, `${name}.ws`, `${name}.wz`], outputs: [`${name}.w`], attrs: { axis } },
        { op: 'Conv', name: `/${name}/Conv`, inputs: [x, `${name}.w`, `${name}.b`], outputs: [y], attrs: { kernel_shape: [k, k], ...attrs } });
      inits.push(ints(`${name}.wq`, [cout, cin, k, k], codes, 3), tensor(`${name}.ws`, [scale.length], scale), ints(`${name}.wz`, [scale.length], new Array(scale.length).fill(0), 3), tensor(`${name}.b`, [cout], rand(cout, cout, 0.2)));
    };
    add(qdq('x', 'xin', 1 / 64, 128)); // the input image, quantized
    convQ('stem', 'xin', 's.c', 3, 8, 3, seededInts(8 * 27, 11, -127, 127), rand(8, 12).map((v) => 0.004 + 0.001 * v), 0, { pads: [1, 1, 1, 1], strides: [2, 2] });
    nodes.push({ op: 'Clip', name: '/stem/Clip', inputs: ['s.c', 'lo', 'hi'], outputs: ['s.r'] });
    inits.push(tensor('lo', [], [0]), tensor('hi', [], [6]));
    add(qdq('s.r', 's', 8 / 255, 0)); // ReLU6 with a top of 8: the cap is not a code
    // branch a: 8-bit weights on a 1x1 (codenet's are int4): requantized
    convQ('pa', 's', 'pa.c', 8, 4, 1, seededInts(32, 13, -127, 127), rand(4, 14).map((v) => 0.01 + 0.002 * v));
    nodes.push({ op: 'Relu', inputs: ['pa.c'], outputs: ['pa.r'] });
    add(qdq('pa.r', 'pa', 0.05, 0));
    // branch b: weights quantized per input channel (axis 1); a quantizer before batch norm; then ReLU and its own, narrower quantizer
    convQ('pb', 's', 'pb.c', 8, 4, 1, seededInts(32, 15, -7, 7), rand(8, 16).map((v) => 0.05 + 0.01 * v), 1);
    add(qdq('pb.c', 'pbq', 0.1, 128));
    nodes.push({ op: 'BatchNormalization', name: '/pb/bn/BatchNormalization', inputs: ['pbq', 'bn.g', 'bn.b', 'bn.m', 'bn.v'], outputs: ['pb.n'] }, { op: 'Relu', inputs: ['pb.n'], outputs: ['pb.r'] });
    inits.push(tensor('bn.g', [4], [1, 1.5, 0.5, 2]), tensor('bn.b', [4], [0, 0.1, -0.1, 0.2]), tensor('bn.m', [4], [0.1, 0, -0.1, 0]), tensor('bn.v', [4], [1, 2, 0.5, 1]));
    add(qdq('pb.r', 'pb', 0.02, 0));
    nodes.push({ op: 'Concat', name: '/cat/Concat', inputs: ['pa', 'pb'], outputs: ['cat'], attrs: { axis: 1 } });
    // an unquantized head
    nodes.push({ op: 'Conv', name: '/head/Conv', inputs: ['cat', 'head.w'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } });
    inits.push(tensor('head.w', [2, 8, 1, 1], rand(16, 17, 0.5)));
    const { dir } = await imported({ input: { dims: [1, 3, S, S] }, outputs: ['y'], nodes, inits });
    const { out, stdout, rows } = await quantized(dir);
    const m = loadModelFile(out);

    // the stem's int8 codes fit (its weights are int8)
    expect(row(rows, 'weights', 'stem').status).toBe('exact');
    // 8-bit codes on a 1x1: requantized to int4, with the error
    const pa = row(rows, 'weights', 'pa');
    expect(pa.status).toBe('approximated');
    expect(pa.why).toMatch(/codes -1\d\d\.\.1\d\d \(zero point removed\) on a conv1x1 layer, whose int4 codes are -8\.\.7: requantized/);
    expect(pa.error!.rms).toBeGreaterThan(0.01);
    expect(pa.error!.rms).toBeLessThan(0.3);
    expect(Math.max(...m.layers.find((l) => l.name === 'pa')!.quant!.weights)).toBeLessThanOrEqual(7);
    // scales per input channel: requantized
    expect(row(rows, 'weights', 'pb').why).toMatch(/the graph's scales run along axis 1 of the ONNX weight; codenet has one per output channel/);
    // the concat chain shares one quantizer: the wider (pa's, scale 0.05) is used, pb's is approximated
    for (const t of ['pa', 'pb', 'cat']) expect([m.tensors.get(t)!.scale, m.tensors.get(t)!.zero], t).toEqual([f32(0.05), -128]);
    expect(row(rows, 'activation', 'pa').status).toBe('exact');
    expect(row(rows, 'activation', 'pb')).toMatchObject({ status: 'approximated' });
    expect(row(rows, 'activation', 'pb').why).toMatch(/"pb" shares one quantizer with "pa".*a concat chain is one quantizer\): the widest of their graph quantizers, that of "pa", is used/);
    // the quantizer before batch norm cannot be carried over
    expect(rows.find((r) => r.kind === 'import')).toMatchObject({ status: 'ignored', name: 'quantizer /pbq/QuantizeLinear + /pbq/DequantizeLinear' });
    expect(rows.find((r) => r.kind === 'import')!.why).toMatch(/before its batch norm, which codenet folds into the conv/);
    // ReLU6 whose quantizer tops out at 8: the graph's scale is kept, the cap is approximated
    expect([m.tensors.get('stem')!.scale, m.tensors.get('stem')!.zero]).toEqual([f32(8 / 255), -128]);
    expect(rows.find((r) => r.kind === 'activation' && r.name === 'stem' && r.graph.startsWith('ReLU capped'))!.why).toMatch(/the top code is 8, above the cap: the integer layer clamps at its top code, not at 6/);
    // the input's quantizer is not used; the unquantized head is calibrated
    expect(row(rows, 'input', 'image')).toMatchObject({ status: 'ignored' });
    expect(row(rows, 'weights', 'y')).toMatchObject({ status: 'calibrated' });
    expect(row(rows, 'activation', 'y')).toMatchObject({ status: 'calibrated' });
    // the table names every one of them
    expect(stdout).toMatch(/graph quantization: 3 exact, 4 approximated, 2 calibrated, 2 ignored/);
    for (const name of ['pa', 'pb', 'image', 'quantizer /pbq/QuantizeLinear']) expect(stdout).toContain(name);
  });
});

// ---------------------------------------------------------------------------------------------
// QONNX Quant nodes (Brevitas).

const QONNX = 'qonnx.custom_op.general';
/** A QONNX Quant node on `x` with constant scale, zero point and bit width. */
const quant = (x: string, y: string, scale: { dims: number[]; v: number[] }, bits: number, signed: number, narrow: number, zero = 0): { nodes: NodeSpec[]; inits: GraphSpec['inits'] } => ({
  nodes: [{ op: 'Quant', domain: QONNX, name: `/${y}/Quant`, inputs: [x, `${y}.s`, `${y}.z`, `${y}.b`], outputs: [y], attrs: { signed, narrow, rounding_mode: 'ROUND' } }],
  inits: [tensor(`${y}.s`, scale.dims, scale.v), tensor(`${y}.z`, [], [zero]), tensor(`${y}.b`, [], [bits])],
});

describe('QONNX Quant nodes (as Brevitas writes them)', () => {
  it('weights at 8 bits (stem, narrow) and 4 bits per channel and per tensor: the graph\'s codes; activations at 8 bits exact, 4 bits and narrow ranges reported', async () => {
    const stemW = rand(8 * 27, 21, 0.5), dwW = rand(8 * 9, 22, 0.6), pwW = rand(6 * 8, 23, 0.4);
    const perChannel = (w: number[], n: number, q: number) => Array.from({ length: n }, (_, c) => Math.max(...w.slice(c * (w.length / n), (c + 1) * (w.length / n)).map(Math.abs)) / q);
    const stemS = perChannel(stemW, 8, 127), dwS = perChannel(dwW, 8, 7), pwS = Math.max(...pwW.map(Math.abs)) / 8;
    const parts = [
      quant('stem.wf', 'stem.w', { dims: [8, 1, 1, 1], v: stemS }, 8, 1, 1),
      quant('a.r', 'a', { dims: [], v: [0.04] }, 8, 0, 0),
      quant('dw.wf', 'dw.w', { dims: [8, 1, 1, 1], v: dwS }, 4, 1, 1),
      quant('b.r', 'b', { dims: [1], v: [0.3] }, 4, 0, 0),
      quant('pw.wf', 'pw.w', { dims: [], v: [pwS] }, 4, 1, 0),
      quant('y.c', 'y', { dims: [], v: [0.05] }, 8, 1, 1, 0),
    ];
    const g: GraphSpec = {
      input: { dims: [1, 3, S, S] }, outputs: ['y'], opset: 13, domains: { [QONNX]: 1 },
      nodes: [
        parts[0].nodes[0], { op: 'Conv', name: '/stem/Conv', inputs: ['x', 'stem.w'], outputs: ['a.c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
        { op: 'Relu', name: '/stem/Relu', inputs: ['a.c'], outputs: ['a.r'] }, parts[1].nodes[0],
        parts[2].nodes[0], { op: 'Conv', name: '/dw/Conv', inputs: ['a', 'dw.w'], outputs: ['b.c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 } },
        { op: 'Relu', name: '/dw/Relu', inputs: ['b.c'], outputs: ['b.r'] }, parts[3].nodes[0],
        parts[4].nodes[0], { op: 'Conv', name: '/pw/Conv', inputs: ['b', 'pw.w'], outputs: ['y.c'], attrs: { kernel_shape: [1, 1] } }, parts[5].nodes[0],
      ],
      inits: [tensor('stem.wf', [8, 3, 3, 3], stemW), tensor('dw.wf', [8, 1, 3, 3], dwW), tensor('pw.wf', [6, 8, 1, 1], pwW), ...parts.flatMap((p) => p.inits!)],
    };
    const { dir } = await imported(g);
    const { out, stdout, rows } = await quantized(dir);
    const m = loadModelFile(out);
    const codes = (w: number[], s: (i: number) => number, lo: number, hi: number) => w.map((v, i) => Math.max(lo, Math.min(hi, Math.round(Math.fround(v) / Math.fround(s(i))))) || 0); // (no -0)
    const stemC = codes(stemW, (i) => stemS[Math.floor(i / 27)], -127, 127);
    const stemIr = Array.from({ length: 8 * 27 }, (_, i) => { const co = Math.floor(i / 27), t = Math.floor((i % 27) / 3), ci = i % 3; return stemC[(co * 3 + ci) * 9 + t]; });
    const q = (l: string) => Array.from(m.layers.find((x) => x.name === l)!.quant!.weights);
    expect(q('stem')).toEqual(stemIr);
    expect(q('dw')).toEqual(codes(dwW, (i) => dwS[Math.floor(i / 9)], -7, 7));
    expect(q('y')).toEqual(codes(pwW, () => pwS, -8, 7));
    expect(Math.min(...q('y'))).toBe(-8);
    for (const l of ['stem', 'dw', 'y']) expect(row(rows, 'weights', l).status, l).toBe('exact');
    // activations: uint8 exact; 4-bit unsigned: the scale and zero (the same grid), clipped further out; int8 narrow: one more code
    expect([m.tensors.get('stem')!.scale, m.tensors.get('stem')!.zero]).toEqual([f32(0.04), -128]);
    expect(row(rows, 'activation', 'stem').status).toBe('exact');
    expect([m.tensors.get('dw')!.scale, m.tensors.get('dw')!.zero]).toEqual([f32(0.3), -128]);
    expect(row(rows, 'activation', 'dw')).toMatchObject({ status: 'approximated', graph: 'uint4 0..15, tensor, scale 0.3, zero 0 (qonnx)' });
    expect(row(rows, 'activation', 'dw').why).toMatch(/codes 0\.\.15; codenet keeps the scale and zero point \(the same grid\) with codes -128\.\.127, so it clips at \[0, 76\.5\] instead of \[0, 4\.5\]/);
    expect([m.tensors.get('y')!.scale, m.tensors.get('y')!.zero]).toEqual([f32(0.05), 0]);
    expect(row(rows, 'activation', 'y').why).toMatch(/codes -127\.\.127/);
    expect(stdout).toMatch(/graph quantization: 4 exact, 2 approximated, 0 calibrated, 0 ignored/);
  });

  it('refuses QONNX ops that are not integer quantizers, and QOperator graphs (QLinearConv)', async () => {
    const refused = async (g: GraphSpec, pattern: RegExp) => {
      const f = write(g), out = join(root, `no${count}`);
      const r = await runCli('import', f, '-o', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    };
    await refused({ input: { dims: [1, 3, 8, 8] }, outputs: ['y'], domains: { [QONNX]: 1 }, nodes: [{ op: 'BipolarQuant', domain: QONNX, name: '/bq', inputs: ['x', 's'], outputs: ['y'] }], inits: [tensor('s', [], [1])] },
      /node "\/bq" \(qonnx.custom_op.general.BipolarQuant\): QONNX BipolarQuant is not supported; codenet reads QONNX Quant/);
    const q = qdq('x', 'xq', 0.02, 128);
    await refused({ input: { dims: [1, 3, 8, 8] }, outputs: ['y'], nodes: [q.nodes[0], { op: 'QLinearConv', name: '/c/QLinearConv', inputs: ['xq.q'], outputs: ['y'] }], inits: q.inits },
      /node "\/c\/QLinearConv" \(QLinearConv\): operator QLinearConv is the QOperator format of a quantized graph; codenet reads QDQ graphs/);
    await refused({ input: { dims: [1, 3, 8, 8] }, outputs: ['y'], nodes: [q.nodes[0], { op: 'Relu', name: '/r/Relu', inputs: ['xq.q'], outputs: ['y'] }], inits: q.inits },
      /node "\/r\/Relu" \(Relu\): input 0 \("xq.q"\) is the integer output of QuantizeLinear "\/xq\/QuantizeLinear"; codenet reads QDQ graphs/);
    const bad = qdq('x', 'xq', 0.02, 128);
    bad.inits!.push(tensor('other', [], [0.03]));
    bad.nodes[1].inputs = ['xq.q', 'other', 'xq.z'];
    await refused({ input: { dims: [1, 3, 8, 8] }, outputs: ['y'], nodes: [...bad.nodes, { op: 'Conv', name: '/c/Conv', inputs: ['xq', 'w'], outputs: ['y'], attrs: { kernel_shape: [1, 1] } }], inits: [...bad.inits!, tensor('w', [2, 3, 1, 1], rand(6, 1))] },
      /\(DequantizeLinear\): its scale or zero point differs from those of QuantizeLinear "\/xq\/QuantizeLinear" before it/);
  });
});

describe('batch norm after a quantized conv, and quantizers codenet has no tensor for', () => {
  it('the graph\'s codes with each scale times the batch norm (a negative gamma too): the golden model computes the float model within a code', async () => {
    const w = rand(8 * 27, 31, 0.5), s = Array.from({ length: 8 }, (_, c) => Math.max(...w.slice(c * 27, c * 27 + 27).map(Math.abs)) / 127);
    const wq = quant('stem.wf', 'stem.w', { dims: [8, 1, 1, 1], v: s }, 8, 1, 1), aq = quant('r', 'a', { dims: [], v: [0.05] }, 8, 0, 0);
    const gamma = [1, -0.8, 1.5, 0.5, -1.2, 1, 0.7, 2];
    const { dir } = await imported({
      input: { dims: [1, 3, S, S] }, outputs: ['a'], opset: 13, domains: { [QONNX]: 1 },
      nodes: [wq.nodes[0], { op: 'Conv', name: '/stem/Conv', inputs: ['x', 'stem.w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
        { op: 'BatchNormalization', name: '/stem/bn/BatchNormalization', inputs: ['c', 'g', 'b', 'mu', 'v'], outputs: ['n'] }, { op: 'Relu', name: '/stem/Relu', inputs: ['n'], outputs: ['r'] }, aq.nodes[0]],
      inits: [tensor('stem.wf', [8, 3, 3, 3], w), tensor('g', [8], gamma), tensor('b', [8], rand(8, 32, 0.5)), tensor('mu', [8], rand(8, 33, 0.2)), tensor('v', [8], rand(8, 34).map((x) => 1 + 0.5 * x)), ...wq.inits!, ...aq.inits!],
    });
    const { out, rows } = await quantized(dir);
    expect(row(rows, 'weights', 'a')).toMatchObject({ status: 'exact', codenet: 'int8, the graph\'s codes and scales (times the batch norm after the conv)' });
    const m = loadModelFile(out);
    const L = m.layers.find((l) => l.name === 'a')!;
    const codes = w.map((v, i) => Math.max(-127, Math.min(127, Math.round(Math.fround(v) / Math.fround(s[Math.floor(i / 27)])))) || 0);
    expect(Array.from(L.quant!.weights)).toEqual(Array.from({ length: 8 * 27 }, (_, i) => { const co = Math.floor(i / 27), t = Math.floor((i % 27) / 3), ci = i % 3; return codes[(co * 3 + ci) * 9 + t]; }));
    expect(Array.from(L.quant!.S).filter((v) => v < 0).length).toBe(2); // the negative gammas
    const fm = await loadFloatModel(dir);
    const t = m.tensors.get('a')!, [h, ww, c] = t.shape;
    let inner = 0, border = 0;
    for (const img of makeDataset({ seed: 5, count: 2, size: S, split: 'val' }).map((d) => d.image)) {
      const f = (fm.predict(imagesToTensor([img], S, S)) as { dataSync(): Float32Array }).dataSync();
      const g = runGolden(m, new Map([[m.inputs[0], imageCodes(img)]])).get('a')!;
      for (let i = 0; i < g.length; i++) {
        const e = Math.abs(g[i] - Math.min(127, Math.round(f[i] / t.scale) + t.zero));
        const y = Math.floor(i / (ww * c)), x = Math.floor(i / c) % ww;
        if (y === 0 || x === 0 || y === h - 1 || x === ww - 1) border = Math.max(border, e);
        else inner = Math.max(inner, e);
      }
    }
    expect(inner).toBeLessThanOrEqual(1);
    expect(border).toBeLessThanOrEqual(2);
  });

  it('a quantizer between a conv and its ReLU quantizes the ReLU\'s output too (the same grid): used for it', async () => {
    const q = qdq('c', 'cq', 0.04, 128);
    const r = convertOnnx(write({
      input: { dims: [1, 3, S, S] }, outputs: ['y'],
      nodes: [{ op: 'Conv', name: '/stem/Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }, ...q.nodes, { op: 'Relu', name: '/stem/Relu', inputs: ['cq'], outputs: ['y'] }],
      inits: [tensor('w', [4, 3, 3, 3], rand(108, 51)), ...q.inits!],
    }));
    expect(r.graph.layers.map((l) => (l.kind === 'conv' ? `${l.name}:${l.role}:${l.relu ? 'relu' : ''}` : l.kind))).toEqual(['y:stem:relu']);
    expect(r.quant!.notes).toEqual([]);
    expect(r.quant!.activations.y).toMatchObject({ scale: [f32(0.04)], zero: [128] });
  });

  it('a quantizer on the deformable layer\'s offsets is ignored (codenet rounds them to an integer dilation), listed in the report', async () => {
    const C = 4, q = qdq('v', 'vq', 0.1, 128);
    const { dir, stdout } = await imported({
      input: { dims: [1, 3, S, S] }, outputs: ['y'], opset: 17, domains: { codenet: 1 },
      nodes: [{ op: 'Conv', name: '/f/Conv', inputs: ['x', 'fw'], outputs: ['fa'], attrs: { kernel_shape: [1, 1] } }, { op: 'Relu', name: '/f/Relu', inputs: ['fa'], outputs: ['fr'] },
        { op: 'Conv', name: '/dec/offset/Conv', inputs: ['fr', 'ow', 'ob'], outputs: ['v'], attrs: { kernel_shape: [1, 1] } }, ...q.nodes,
        { op: 'DeformDepthwise', domain: 'codenet', name: '/dec/deform/DeformDepthwise', inputs: ['fr', 'W', 'vq'], outputs: ['y'], attrs: { dmax: 4 } }],
      inits: [tensor('fw', [C, 3, 1, 1], rand(3 * C, 41)), tensor('ow', [1, C, 1, 1], rand(C, 42, 2)), tensor('ob', [1], [2]), tensor('W', [C, 1, 3, 3], rand(9 * C, 43)), ...q.inits!],
    });
    expect(stdout).toMatch(/the graph is quantized: 0 weight and 0 activation quantizer\(s\) kept for codenet quantize; 1 not carried over/);
    const { rows } = await quantized(dir);
    expect(rows.find((r) => r.kind === 'import')).toMatchObject({ status: 'ignored', name: 'quantizer /vq/QuantizeLinear + /vq/DequantizeLinear' });
    expect(rows.find((r) => r.kind === 'import')!.why).toMatch(/it quantizes the offsets of "dec.offset", which codenet rounds to an integer dilation/);
  });
});

describe('codenet quantize and quant-hints.json', () => {
  it('--calibrate ignores the hints; --use-graph-quant without hints and hints of other weights exit 2; an import without quantization removes old hints', async () => {
    const { g } = exactGraph();
    const { dir } = await imported(g);
    const c = await quantized(dir, '--calibrate');
    expect(c.stdout).toMatch(/quant-hints\.json ignored \(--calibrate\)/);
    expect(c.rows).toEqual([]);
    expect(loadModelFile(c.out).tensors.get('stem')!.scale).not.toBe(0.05);
    expect((await runCli('quantize', dir, '--calib', 'builtin:2', '--calibrate', '--use-graph-quant', '-o', join(root, 'x.json'))).stderr).toMatch(/--use-graph-quant and --calibrate exclude each other/);
    // a hints file that is not one
    const hintsPath = join(dir, 'quant-hints.json'), good = readFileSync(hintsPath, 'utf8');
    for (const [bad, msg] of [['{"format": "codenet-quant-hints"', /quant-hints\.json is not JSON/], [good.replace('"version":1', '"version":2'), /quant-hints\.json: field "version": .*written by codenet import/]] as const) {
      writeFileSync(hintsPath, bad);
      const r = await runCli('quantize', dir, '--calib', 'builtin:2', '-o', join(root, 'bad.json'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    writeFileSync(hintsPath, good);
    // the float model trained since import: its weights are not those of the hints
    const w = readFileSync(join(dir, 'weights.bin'));
    w[0] ^= 1;
    writeFileSync(join(dir, 'weights.bin'), w);
    const stale = await runCli('quantize', dir, '--calib', 'builtin:2', '-o', join(root, 'stale.json'));
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/quant-hints\.json was written by codenet import for other weights than .*weights\.bin .*--calibrate to ignore/);
    expect(existsSync(join(root, 'stale.json'))).toBe(false);
    // the same folder imported from a graph without quantization
    const plain = write({ input: { dims: [1, 3, S, S] }, outputs: ['y'], nodes: [{ op: 'Conv', name: '/c/Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }], inits: [tensor('w', [4, 3, 3, 3], rand(108, 2))] });
    expect((await runCli('import', plain, '-o', dir)).code).toBe(0);
    expect(existsSync(join(dir, 'quant-hints.json'))).toBe(false);
    const u = await runCli('quantize', dir, '--calib', 'builtin:2', '--use-graph-quant', '-o', join(root, 'u.json'));
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--use-graph-quant: there is no .*quant-hints\.json/);
  });

  it('convertOnnx returns the quantizers by float layer name, without notes for a graph whose quantizers all have a place', () => {
    const r = convertOnnx(write(exactGraph().g));
    expect(r.quant!.notes).toEqual([]);
    expect(Object.keys(r.quant!.activations).sort()).toEqual(['dw', 'stem', 'y']);
  });
});
