// codenet import, op by op: small ONNX graphs (built with onnx-proto) of each supported op
// configuration are imported and run beside ONNX Runtime (WebAssembly) on the same input: equal to
// 1e-4 of the output range; configurations codenet cannot represent exit 2 naming node and attribute.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/float/model.ts';
import { convertOnnx } from '../src/import/run.ts';
import { buildOnnx, rand, SQUARE_TEMPLATE, tensor, type GraphSpec, type NodeSpec } from './helpers/onnx-build.ts';
import { relError, runImported, runOrt, seededInput, toNchw, toNhwc } from './helpers/onnx-compare.ts';
import { loadFloatModel } from '../src/float/io.ts';
import * as tf from '@tensorflow/tfjs';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

let root: string;
let count = 0;
beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-import-ops-');
});

function write(g: GraphSpec): string {
  const f = join(root, `g${count++}.onnx`);
  writeFileSync(f, buildOnnx(g));
  return f;
}

/** Imports `g` and runs it beside ONNX Runtime: every output within 1e-4 of its range. Returns the notes. */
async function agrees(g: GraphSpec): Promise<string[]> {
  const f = write(g);
  const dims = g.input.dims.map((d) => (typeof d === 'number' ? d : 1));
  const x = seededInput(dims.reduce((a, b) => a * b, 1), count);
  const ref = await runOrt(f, x, dims);
  const got = runImported(f, x);
  expect(got.outputs.length).toBe(ref.length);
  ref.forEach((r, i) => expect(got.outputs[i].length, `output ${r.name} [${r.dims}]`).toBe(r.data.length));
  ref.forEach((r, i) => {
    expect(Math.max(...r.data) - Math.min(...r.data)).toBeGreaterThan(0); // not a constant output
    expect(relError(got.outputs[i], r.data)).toBeLessThan(1e-4);
  });
  return got.notes;
}

/** `codenet import` exits 2 with every pattern in its message and writes nothing. */
async function refused(g: GraphSpec, ...patterns: RegExp[]): Promise<void> {
  const f = write(g), out = join(root, `out${count}`);
  const r = await runCli('import', f, '-o', out);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(f);
  for (const p of patterns) expect(r.stderr).toMatch(p);
  expect(existsSync(out)).toBe(false);
}

const conv = (name: string, x: string, y: string, cin: number, cout: number, k: number, attrs: NodeSpec['attrs'] = {}, group = 1, bias = true) => ({
  node: { op: 'Conv', name, inputs: [x, `${name}.w`, ...(bias ? [`${name}.b`] : [])], outputs: [y], attrs: { kernel_shape: [k, k], group, ...attrs } },
  inits: [tensor(`${name}.w`, [cout, cin / group, k, k], rand(cout * (cin / group) * k * k, cout * 7 + k, 0.6)), ...(bias ? [tensor(`${name}.b`, [cout], rand(cout, cout + 3, 0.2))] : [])],
});
const graph = (s: number, c: number, parts: Array<{ node: NodeSpec; inits?: GraphSpec['inits'] } | NodeSpec>, outputs: string[], extra: Partial<GraphSpec> = {}): GraphSpec => ({
  input: { dims: [1, c, s, s] }, outputs,
  nodes: parts.map((p) => ('node' in p ? p.node : p)),
  inits: parts.flatMap((p) => ('node' in p ? p.inits ?? [] : [])),
  ...extra,
});
const relu = (x: string, y: string): NodeSpec => ({ op: 'Relu', inputs: [x], outputs: [y] });

describe('convolutions', () => {
  it.each([1, 2, 4])('the stem: 3x3 over the image, pads 1, stride %i, with ReLU', async (s) => {
    await agrees(graph(10, 3, [conv('/stem/Conv', 'x', 'c', 3, 6, 3, { pads: [1, 1, 1, 1], strides: [s, s] }), relu('c', 'y')], ['y']));
  });
  it('1x1 and depthwise 3x3 (dilation 2, pads 2; stride 2) with batch norm and ReLU6 (Clip 0, 6)', async () => {
    const bn = ['g', 'b', 'm', 'v'].map((k, i) => tensor(`bn.${k}`, [6], i === 3 ? rand(6, 9).map((v) => 1.2 + v) : rand(6, 10 + i, 0.5).map((v) => (i === 0 ? 1 + v : v))));
    const g = graph(9, 3, [
      conv('/pw/Conv', 'x', 'a', 3, 6, 1),
      { op: 'BatchNormalization', name: '/pw/bn', inputs: ['a', 'bn.g', 'bn.b', 'bn.m', 'bn.v'], outputs: ['b'], attrs: { epsilon: { f: 1e-3 } } },
      { op: 'Clip', inputs: ['b', 'lo', 'hi'], outputs: ['c'] },
      conv('/dw/Conv', 'c', 'd', 6, 6, 3, { pads: [2, 2, 2, 2], dilations: [2, 2] }, 6),
      conv('/dw2/Conv', 'd', 'y', 6, 6, 3, { pads: [1, 1, 1, 1], strides: [2, 2] }, 6, false),
    ], ['y'], {});
    g.inits!.push(...bn, tensor('lo', [], [0]), tensor('hi', [], [6]));
    await agrees(g);
    const fl = convertOnnx(write(g)).graph.layers;
    expect(fl.map((l) => (l.kind === 'conv' ? `${l.role}:${l.name}:${l.bn ? 'bn' : ''}:${l.relu?.max ?? ''}` : l.kind))).toEqual(['conv1x1:pw:bn:6', 'dw:dw::', 'dw:y::']);
    // The written model (DepthwiseConv2D with dilationRate 2) loads and computes the same.
    const f = write(g), out = join(root, 'dilated');
    expect((await runCli('import', f, '-o', out)).code).toBe(0);
    const fm = await loadFloatModel(out);
    const x = seededInput(9 * 9 * 3, 1);
    const y = fm.predict(tf.tensor4d(toNhwc(x, 3, 9, 9), [1, 9, 9, 3])) as tf.Tensor;
    expect(relError(toNchw(y.dataSync() as Float32Array, 6, 5, 5), runImported(f, x).outputs[0])).toBe(0);
  });
  it('auto_pad SAME_UPPER on an odd size (pads 1 on each side) imports; on an even size (pads 0 and 1) it is refused', async () => {
    const p = (s: number) => graph(s, 4, [conv('/dw/Conv', 'x', 'y', 4, 4, 3, { auto_pad: 'SAME_UPPER', strides: [2, 2] }, 4)], ['y']);
    await agrees(p(9));
    await refused(p(8), /"\/dw\/Conv" \(Conv\)/, /pads \[0,0,1,1\]/, /codenet imports: Conv/);
  });
  it('refuses convs codenet has no layer for, naming the attribute', async () => {
    await refused(graph(8, 3, [conv('/big/Conv', 'x', 'y', 3, 4, 5, { pads: [2, 2, 2, 2] })], ['y']), /"\/big\/Conv" \(Conv\): kernel 5x5 with group 1/);
    await refused(graph(8, 4, [conv('/pw/Conv', 'x', 'y', 4, 4, 1, { strides: [2, 2] })], ['y']), /1x1 conv with stride 2/);
    await refused(graph(8, 4, [conv('/dw/Conv', 'x', 'y', 4, 4, 3, { pads: [1, 1, 1, 1], strides: [3, 3] }, 4)], ['y']), /depthwise conv with stride 3/);
    await refused(graph(8, 3, [conv('/stem/Conv', 'x', 'y', 3, 4, 3, { pads: [0, 0, 0, 0] })], ['y']), /stem has stride 1, 2 or 4, dilation 1 and pads 1/);
  });
});

describe('ReLU, Clip, max pool, upsampling', () => {
  it('MaxPool 3x3 s2 pads 1 after a ReLU (ceil_mode on an odd size gives the same windows)', async () => {
    const g = (s: number, ceil: number) => graph(s, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), relu('a', 'b'),
      { op: 'MaxPool', name: '/pool/MaxPool', inputs: ['b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: ceil } }], ['y']);
    await agrees(g(8, 0));
    await agrees(g(9, 1));
    await refused(g(8, 1), /ceil_mode 1/);
    // On values that may be negative, the border must be ignored: TensorFlow's 'same' padding does it on an odd size.
    const neg = (s: number) => graph(s, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), { op: 'MaxPool', name: '/pool/MaxPool', inputs: ['a'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } }], ['y']);
    await agrees(neg(9));
    await refused(neg(8), /may be negative \(it does not come from a ReLU\) and has an even size \(8\)/);
  });
  it('refuses a max pool that may read negative values, other kernels, and ReLU or Clip codenet cannot fold', async () => {
    const pool = (attrs: NodeSpec['attrs'], pre: NodeSpec[] = []) => graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), ...pre, { op: 'MaxPool', name: '/p/MaxPool', inputs: [pre.length ? 'b' : 'a'], outputs: ['y'], attrs }], ['y']);
    await refused(pool({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), /may be negative/);
    await refused(pool({ kernel_shape: [2, 2], strides: [2, 2] }, [relu('a', 'b')]), /kernel_shape \[2,2\]/);
    await refused(graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), { op: 'Concat', inputs: ['a', 'a'], outputs: ['b'], attrs: { axis: 1 } }, relu('b', 'y')], ['y']), /\(Relu\): ReLU of a tensor that is not the unshared output of a conv/);
    const clip = graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), { op: 'Clip', name: '/clip', inputs: ['a', 'lo', 'hi'], outputs: ['y'] }], ['y']);
    clip.inits!.push(tensor('lo', [], [-1]), tensor('hi', [], [1]));
    await refused(clip, /Clip\(-1, 1\)/);
  });
  it('ReLU after a ReLU folds away; Identity and Dropout pass through', async () => {
    await agrees(graph(6, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), relu('a', 'b'), { op: 'Identity', inputs: ['b'], outputs: ['c'] }, { op: 'Dropout', inputs: ['c'], outputs: ['d'] }, relu('d', 'y')], ['y']));
  });
  const up = (op: 'Resize' | 'Upsample', attrs: NodeSpec['attrs'], inputs: (s: number) => { names: string[]; inits: GraphSpec['inits'] }, opset = 13) => {
    const i = inputs(5);
    return graph(5, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), { op, name: `/up/${op}`, inputs: ['a', ...i.names], outputs: ['y'], attrs: { mode: 'nearest', ...attrs } }], ['y'], { opset, inits: [...conv('/c/Conv', 'x', 'a', 3, 4, 1).inits, ...(i.inits ?? [])] });
  };
  const scales = (v: number[]) => () => ({ names: ['', 'scales'], inits: [tensor('scales', [4], v)] });
  it.each([
    ['asymmetric', 'floor'], ['half_pixel', 'round_prefer_floor'], ['pytorch_half_pixel', 'round_prefer_floor'], ['tf_half_pixel_for_nn', 'floor'],
  ])('Resize nearest x2 (%s, %s) repeats each pixel', async (coord, nearest) => {
    await agrees(up('Resize', { coordinate_transformation_mode: coord, nearest_mode: nearest }, scales([1, 1, 2, 2])));
  });
  it('Resize with sizes (opset 11) and with axes (opset 18)', async () => {
    await agrees(up('Resize', { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, (s) => ({ names: ['roi', 'none', 'sizes'], inits: [tensor('roi', [0], []), tensor('none', [0], []), tensor('sizes', [4], [1, 4, 2 * s, 2 * s], 7)] }), 11));
    await agrees(up('Resize', { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', axes: [2, 3] }, () => ({ names: ['', 'scales'], inits: [tensor('scales', [2], [2, 2])] }), 18));
  });
  it('refuses resizes that are not a nearest x2 repeat', async () => {
    await refused(up('Resize', { coordinate_transformation_mode: 'align_corners', nearest_mode: 'floor' }, scales([1, 1, 2, 2])), /"align_corners" and nearest_mode "floor" maps output/);
    await refused(up('Resize', { coordinate_transformation_mode: 'half_pixel', nearest_mode: 'ceil' }, scales([1, 1, 2, 2])), /nearest_mode "ceil"/);
    await refused(up('Resize', { mode: 'linear' }, scales([1, 1, 2, 2])), /mode "linear"/);
    await refused(up('Resize', {}, scales([1, 1, 3, 3])), /upsamples height and width by exactly 2/);
  });
});

describe('a separate Pad node folds into the padding of the Conv or MaxPool after it', () => {
  /** Pad over height and width ([top, left, bottom, right]), as opset 11+ takes it (pads and constant_value as inputs). */
  const pad = (x: string, y: string, p: number[], value?: number, extra: Partial<NodeSpec> = {}): { node: NodeSpec; inits: GraphSpec['inits'] } => ({
    node: { op: 'Pad', name: `/pad_${y}/Pad`, inputs: [x, `${y}.pads`, ...(value !== undefined ? [`${y}.value`] : [])], outputs: [y], ...extra },
    inits: [tensor(`${y}.pads`, [8], [0, 0, p[0], p[1], 0, 0, p[2], p[3]], 7), ...(value !== undefined ? [tensor(`${y}.value`, [], [value])] : [])],
  });
  const kinds = (g: GraphSpec) => convertOnnx(write(g)).graph.layers.map((l) => (l.kind === 'conv' ? `${l.role}:pad${l.pad}` : l.kind === 'maxpool' ? `maxpool:${l.same ? 'same' : 'zero'}` : l.kind));
  it('Pad 1 + stem with pads 0, Pad 1 + depthwise with pads 0, Pad 1 + depthwise at dilation 2 with pads 1 (2 in all), stride 2', async () => {
    const g = graph(9, 3, [
      pad('x', 'xp', [1, 1, 1, 1]), conv('/stem/Conv', 'xp', 'a', 3, 4, 3, { strides: [2, 2] }), relu('a', 'b'),
      pad('b', 'bp', [1, 1, 1, 1], 0), conv('/dw/Conv', 'bp', 'c', 4, 4, 3, {}, 4),
      pad('c', 'cp', [1, 1, 1, 1]), conv('/dw2/Conv', 'cp', 'd', 4, 4, 3, { pads: [1, 1, 1, 1], dilations: [2, 2] }, 4),
      pad('d', 'dp', [1, 1, 1, 1]), conv('/dw3/Conv', 'dp', 'y', 4, 4, 3, { strides: [2, 2] }, 4),
    ], ['y']);
    await agrees(g);
    expect(kinds(g)).toEqual(['stem:pad1', 'dw:pad1', 'dw:pad2', 'dw:pad1']);
  });
  it('Pad 1 (zeros) + MaxPool with pads 0 after a ReLU; Pad -inf + MaxPool over values that may be negative (odd size); opset 18 with axes', async () => {
    const pooled = (pre: boolean, value: number, s: number) => graph(s, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), ...(pre ? [relu('a', 'b')] : []), pad(pre ? 'b' : 'a', 'p', [1, 1, 1, 1], value),
      { op: 'MaxPool', name: '/pool/MaxPool', inputs: ['p'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2] } }], ['y']);
    await agrees(pooled(true, 0, 8));
    expect(kinds(pooled(true, 0, 8))).toEqual(['conv1x1:pad0', 'maxpool:zero']);
    await agrees(pooled(false, -Infinity, 9));
    const axes = graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), relu('a', 'b'),
      { op: 'Pad', name: '/p/Pad', inputs: ['b', 'pads', '', 'axes'], outputs: ['p'] }, conv('/dw/Conv', 'p', 'y', 4, 4, 3, {}, 4)], ['y'], { opset: 18 });
    axes.inits!.push(tensor('pads', [4], [1, 1, 1, 1], 7), tensor('axes', [2], [2, 3], 7));
    await agrees(axes);
  });
  it('refuses a Pad that is not the op\'s padding: channels, other modes or values, asymmetric or wrong totals, other readers', async () => {
    const dw = (p: number[], value?: number, extra: Partial<NodeSpec> = {}, own: number[] = [0, 0, 0, 0]) => graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), relu('a', 'b'), pad('b', 'p', p, value, extra), conv('/dw/Conv', 'p', 'y', 4, 4, 3, { pads: own }, 4)], ['y']);
    const chan = dw([1, 1, 1, 1]);
    chan.inits!.find((t) => t.name === 'p.pads')!.int64Data = [0, 1, 1, 1, 0, 0, 1, 1];
    await refused(chan, /"\/pad_p\/Pad" \(Pad\): pads \[0,1,1,1,0,0,1,1\] pad the batch or channel axis/);
    await refused(dw([1, 1, 1, 1], undefined, { attrs: { mode: 'reflect' } }), /\(Pad\): mode "reflect"; codenet folds only a constant Pad/);
    await refused(dw([1, 1, 1, 1], 0.5), /"\/dw\/Conv" \(Conv\): it reads Pad "\/pad_p\/Pad" with constant_value 0.5; a conv's padding is zero/);
    await agrees(dw([0, 0, 1, 1], undefined, {}, [1, 1, 0, 0])); // asymmetric parts that add up to codenet's padding fold
    await refused(dw([0, 0, 1, 1]), /kernel 3x3, strides \[1,1\], dilations \[1,1\], pads \[0,0,1,1\] \(Pad "\/pad_p\/Pad" \[0,0,1,1\] folded into the Conv's own pads \[0,0,0,0\]\): codenet's convs are square/);
    await refused(dw([1, 1, 1, 1], undefined, {}, [1, 1, 1, 1]), /depthwise conv with dilation 1 and pads 2 \(Pad "\/pad_p\/Pad" \[1,1,1,1\] folded into the Conv's own pads \[1,1,1,1\]\); codenet's depthwise 3x3 needs pads = dilation/);
    await refused(graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), pad('a', 'p', [1, 1, 1, 1]), conv('/pw/Conv', 'p', 'y', 4, 4, 1)], ['y']), /"\/pw\/Conv" \(Conv\): 1x1 conv with stride 1 and pads 1 \(Pad "\/pad_p\/Pad" \[1,1,1,1\] folded into the Conv's own pads \[0,0,0,0\]\)/);
    await refused(graph(8, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), pad('a', 'p', [1, 1, 1, 1]), relu('p', 'y')], ['y']), /\(Relu\): input 0 \("p"\) is the output of Pad "\/pad_p\/Pad", which codenet folds only into the padding of a Conv or MaxPool that reads it/);
    await refused(graph(9, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), pad('a', 'p', [1, 1, 1, 1]), { op: 'MaxPool', name: '/pool/MaxPool', inputs: ['p'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2] } }], ['y']),
      /"\/pool\/MaxPool" \(MaxPool\): it reads Pad "\/pad_p\/Pad" with constant_value 0 over values that may be negative/);
  });
});

describe('channel moves', () => {
  const halves = (split: NodeSpec, extra: GraphSpec['inits'] = [], opset = 17) => graph(6, 3, [
    conv('/c/Conv', 'x', 'a', 3, 8, 1), relu('a', 'b'), split,
    conv('/p/Conv', 's1', 'p', 4, 4, 1),
    { op: 'Concat', name: '/cat/Concat', inputs: ['p', 's0'], outputs: ['y'], attrs: { axis: 1 } },
  ], ['y'], { opset, inits: [...conv('/c/Conv', 'x', 'a', 3, 8, 1).inits, ...conv('/p/Conv', 's1', 'p', 4, 4, 1).inits, ...extra] });
  it('Split (opset 11 attribute, opset 13 input, opset 18 num_outputs) and Slice on channels', async () => {
    await agrees(halves({ op: 'Split', name: '/u/Split', inputs: ['b'], outputs: ['s0', 's1'], attrs: { axis: 1, split: [4, 4] } }, [], 11));
    await agrees(halves({ op: 'Split', name: '/u/Split', inputs: ['b', 'sp'], outputs: ['s0', 's1'], attrs: { axis: 1 } }, [tensor('sp', [2], [4, 4], 7)], 13));
    await agrees(halves({ op: 'Split', name: '/u/Split', inputs: ['b'], outputs: ['s0', 's1'], attrs: { axis: 1, num_outputs: 2 } }, [], 18));
    const sl = halves({ op: 'Slice', inputs: ['b', 'st', 'en', 'ax'], outputs: ['s1'] }, [tensor('st', [2], [4, 0], 7), tensor('en', [2], [2 ** 53, 2 ** 53], 7), tensor('ax', [2], [1, 2], 7)]);
    sl.nodes.splice(3, 0, { op: 'Slice', inputs: ['b', 'st0', 'en0', 'ax0'], outputs: ['s0'] });
    sl.inits!.push(tensor('st0', [1], [0], 7), tensor('en0', [1], [4], 7), tensor('ax0', [1], [-3], 7));
    await agrees(sl);
  });
  it('refuses slices that do not tile the channels (codenet\'s split cuts all of them) and a 3x3 conv that does not read the image', async () => {
    const lone = graph(4, 3, [conv('/c/Conv', 'x', 'a', 3, 8, 1), { op: 'Slice', name: '/u/Slice', inputs: ['a', 'st', 'en', 'ax'], outputs: ['y'] }], ['y']);
    lone.inits!.push(tensor('st', [1], [0], 7), tensor('en', [1], [4], 7), tensor('ax', [1], [1], 7));
    await refused(lone, /"\/u\/Slice" \(Slice\/Split\): the channel slices of one tensor that the outputs use take \[0, 4\) of its 8 channels/);
    await refused(graph(6, 3, [conv('/c/Conv', 'x', 'a', 3, 3, 1), conv('/s/Conv', 'a', 'y', 3, 4, 3, { pads: [1, 1, 1, 1] })], ['y']), /"\/s\/Conv" \(Conv\): a full 3x3 conv must read the input image/);
  });
  it('the Reshape-Transpose-Reshape channel shuffle with 2 groups; 3 groups and other reshapes are refused', async () => {
    const shuffle = (g: number) => graph(4, 3, [conv('/c/Conv', 'x', 'a', 3, 6, 1),
      { op: 'Reshape', inputs: ['a', 's5'], outputs: ['r'] }, { op: 'Transpose', inputs: ['r'], outputs: ['t'], attrs: { perm: [0, 2, 1, 3, 4] } },
      { op: 'Reshape', name: '/u/Reshape_1', inputs: ['t', 's4'], outputs: ['y'] }], ['y'], { inits: [...conv('/c/Conv', 'x', 'a', 3, 6, 1).inits, tensor('s5', [5], [1, g, 6 / g, 4, 4], 7), tensor('s4', [4], [0, -1, 4, 4], 7)] });
    await agrees(shuffle(2));
    await refused(shuffle(3), /"\/u\/Reshape_1" \(Reshape\): a channel shuffle with 3 groups/);
    const flat = graph(4, 3, [conv('/c/Conv', 'x', 'a', 3, 6, 1), { op: 'Reshape', name: '/flat', inputs: ['a', 's'], outputs: ['y'] }], ['y'], { inits: [...conv('/c/Conv', 'x', 'a', 3, 6, 1).inits, tensor('s', [2], [1, -1], 7)] });
    await refused(flat, /reshapes \[1,6,4,4\] to \[1,96\]/);
  });
  it('refuses an unsupported op, naming it and listing what is supported', async () => {
    await refused(graph(4, 3, [conv('/c/Conv', 'x', 'a', 3, 4, 1), { op: 'Sigmoid', name: '/hm/Sigmoid', inputs: ['a'], outputs: ['y'] }], ['y']), /"\/hm\/Sigmoid" \(Sigmoid\): operator Sigmoid is not supported/, /codenet imports: Conv .* DeformConv/);
  });
});

describe('the deformable layer', () => {
  const C = 4, S = 7;
  /** x -> 1x1 conv + ReLU (features) -> offset conv (1 channel) -> `offsets` -> DeformConv. */
  const deform = (offsets: (v: string) => { nodes: NodeSpec[]; inits?: GraphSpec['inits']; out: string }, attrs: NodeSpec['attrs'] = {}, offsetChannels = 1) => {
    const f = conv('/f/Conv', 'x', 'fa', 3, C, 1), o = conv('/dec1/offset/Conv', 'fr', 'v', C, offsetChannels, 1);
    o.inits[0] = tensor('/dec1/offset/Conv.w', [offsetChannels, C, 1, 1], rand(offsetChannels * C, 5, 3));
    o.inits[1] = tensor('/dec1/offset/Conv.b', [offsetChannels], Array(offsetChannels).fill(2.2));
    const off = offsets('v');
    return graph(S, 3, [f, relu('fa', 'fr'), o, ...off.nodes,
      { op: 'DeformConv', name: '/dec1/deform/DeformConv', inputs: ['fr', 'W', off.out], outputs: ['y'], attrs: { group: C, kernel_shape: [3, 3], pads: [1, 1, 1, 1], ...attrs } }], ['y'],
    { opset: 19, inits: [...f.inits, ...o.inits, tensor('W', [C, 1, 3, 3], rand(9 * C, 11)), ...(off.inits ?? [])] });
  };
  const consts = (k: Record<string, [number[], number[]]>) => Object.entries(k).map(([n, [d, v]]) => tensor(n, d, v));
  const square = (round: NodeSpec[], form: 'sub' | 'add' | 'expand', dil = 1) => (v: string) => {
    const d = round.length ? round[round.length - 1].outputs[0] : v;
    const nodes: NodeSpec[] = [...round, { op: 'Clip', inputs: [d, 'zero', 'dmax'], outputs: ['dc'] }];
    if (form === 'sub') nodes.push({ op: 'Sub', inputs: ['dc', 'shift'], outputs: ['ds'] }, { op: 'Mul', inputs: ['ds', 'T'], outputs: ['off'] });
    if (form === 'add') nodes.push({ op: 'Mul', inputs: ['T', 'dc'], outputs: ['dt'] }, { op: 'Add', inputs: ['dt', 'B'], outputs: ['off'] });
    if (form === 'expand') nodes.push({ op: 'Expand', inputs: ['dc', 'eshape'], outputs: ['de'] }, { op: 'Mul', inputs: ['de', 'T'], outputs: ['dt'] }, { op: 'Sub', inputs: ['dt', 'T'], outputs: ['off'] });
    const inits = [...consts({ zero: [[], [0]], dmax: [[], [4]], shift: [[], [dil]], T: [[1, 18, 1, 1], SQUARE_TEMPLATE], B: [[18, 1, 1], SQUARE_TEMPLATE.map((t) => -dil * t)] }), tensor('eshape', [4], [1, 18, 1, 1], 7)];
    return { nodes, inits, out: 'off' };
  };
  const floorHalf: NodeSpec[] = [{ op: 'Add', inputs: ['v', 'half'], outputs: ['vh'] }, { op: 'Floor', inputs: ['vh'], outputs: ['vr'] }];
  const withHalf = (g: GraphSpec) => (g.inits!.push(tensor('half', [], [0.5])), g);
  it.each(['sub', 'add', 'expand'] as const)('DeformConv with square offsets from clamp(floor(v + 0.5)) (%s form) equals ONNX Runtime', async (form) => {
    const g = withHalf(deform(square(floorHalf, form)));
    expect((await agrees(g)).join()).not.toMatch(/round/);
    const l = convertOnnx(write(g)).graph.layers;
    const def = l.find((x) => x.kind === 'deform')!;
    expect(def.name).toBe('y'); // a layer that writes a graph output takes its name
    expect(def.kind === 'deform' && def.offset.name).toBe('dec1.offset');
    expect(def.kind === 'deform' && def.dmax).toBe(4);
  });
  it('with ONNX Round (half to even) and with dilation 2 and pads 2', async () => {
    await agrees(deform(square([{ op: 'Round', inputs: ['v'], outputs: ['vr'] }], 'sub')));
    await agrees(withHalf(deform(square(floorHalf, 'add', 2), { pads: [2, 2, 2, 2], dilations: [2, 2] })));
  });
  it('offsets without rounding import with a note (codenet rounds the dilation)', async () => {
    const r = convertOnnx(write(deform(square([], 'sub'))));
    expect(r.notes.join()).toMatch(/does not round its dilation map/);
  });
  it('refuses free offsets, non-square templates and other clamps', async () => {
    await refused(deform(() => ({ nodes: [], out: 'v' }), {}, 18), /"\/dec1\/deform\/DeformConv" \(DeformConv\): the deformable offsets come from conv "dec1.offset" with 18 output channels: free \(non-square\) offsets/);
    const swapped = withHalf(deform(square(floorHalf, 'sub')));
    swapped.inits!.find((t) => t.name === 'T')!.floatData = SQUARE_TEMPLATE.map((_, i) => SQUARE_TEMPLATE[i ^ 1]);
    await refused(swapped, /free \(non-square\) deformable offsets: offset channel 2 \(tap 0,1 row\) is 0 \* d \+ 0, the square needs -1 \* d \+ 1/);
    const clamp = withHalf(deform(square(floorHalf, 'sub')));
    clamp.inits!.find((t) => t.name === 'zero')!.floatData = [-1];
    await refused(clamp, /\(Clip\): computes deformable offsets that are not codenet's square ones: the dilation clamp is Clip\(-1, 4\)/);
    await refused(withHalf(deform(square(floorHalf, 'sub'), { strides: [2, 2] })), /strides \[2,2\]; codenet's float deformable layer has stride 1/);
    const custom = (dmax: number) => {
      const g = deform(() => ({ nodes: [], out: 'v' }));
      g.nodes[g.nodes.length - 1] = { op: 'DeformDepthwise', domain: 'codenet', name: '/dec1/deform/DeformDepthwise', inputs: ['fr', 'W', 'v'], outputs: ['y'], attrs: { dmax } };
      return { ...g, opset: 17, domains: { codenet: 1 } };
    };
    expect(convertOnnx(write(custom(4))).graph.layers.map((l) => l.kind)).toEqual(['conv', 'conv', 'deform']);
    await refused(custom(20), /"\/dec1\/deform\/DeformDepthwise" \(codenet.DeformDepthwise\): attribute dmax = 20; it must be an integer in 1..15/);
  });
});
