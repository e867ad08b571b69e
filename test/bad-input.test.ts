/**
 * Bad input, case by case: every case runs the CLI on something a hostile or
 * unlucky user might give and asserts
 *   - the exit code (2: a user error; 0 where the right answer is to carry on, e.g. EPIPE),
 *   - one message naming the file and the field (expectMessage),
 *   - no stack trace (no "    at " line),
 *   - no partial output: the case's folder holds exactly what setup put there (no temporaries
 *     either), and none of expectNoOutput exists.
 *
 * Cases run in-process through main() (test/helpers/cli.ts: no tsx start-up per case) unless
 * `run` asks for a child process (bin/codenet.mjs: EPIPE, another user). To add a case, append
 * to CASES: in `args`, `$T` is the case's own temporary folder, `$M` a small valid model
 * (docs/ir.md section 9: x [2,2,2] -> dw3x3 -> conv1x1 -> y), `$IN` a valid int8 input for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { encodeNpy } from '../src/io/npy.ts';
import { MAX_LAYERS, MAX_MODEL_FILE_BYTES } from '../src/ir/limits.ts';
import { CLOCK_OPTION_MAX } from '../src/cli/hw-options.ts';

const ROOT = resolve(import.meta.dirname, '..');

export interface BadInputCase {
  name: string;
  /** CLI arguments; `$T`, `$M`, `$IN` as above. */
  args: string[];
  /** Prepares files in the case's folder `t` before the run. */
  setup?: (t: string) => void;
  expectCode: number;
  /** Must match stderr (newlines read as spaces). */
  expectMessage: RegExp;
  /** Paths (with `$T`) that must not exist after the run. */
  expectNoOutput?: string[];
  /** 'child': bin/codenet.mjs in a child process; 'epipe': the same with its stdout closed at once; 'nobody': as uid 65534 (or as the current user when not root). */
  run?: 'child' | 'epipe' | 'nobody';
}

/** docs/ir.md section 9, the two-layer example model. */
const BASE = {
  format: 'codenet-ir',
  version: 1,
  metadata: { name: 'tiny-example' },
  inputs: ['x'],
  outputs: ['y'],
  tensors: {
    x: { shape: [2, 2, 2], kind: 'act', scale: 0.0625, zero: 0, pad: [0, -10] },
    dw: { shape: [2, 2, 2], kind: 'act', scale: 0.0625, zero: 0, pad: 0 },
    y: { shape: [2, 2, 2], kind: 'act', scale: 0.0625, zero: -96, pad: -96 },
  } as Record<string, any>,
  layers: [
    {
      name: 'dw', op: 'dw3x3', inputs: ['x'], outputs: ['dw'], stride: 1, dilation: 1, relu: false,
      weights: { dtype: 'int4', shape: [2, 9], data: 'EBAUEPD/f/+P' },
      S: { dtype: 'int16', shape: [2], data: 'AEAAQA==' },
      B: { dtype: 'int16', shape: [2], data: 'gACAAA==' },
      n: 16,
    },
    {
      name: 'y', op: 'conv1x1', inputs: ['dw'], outputs: ['y'], relu: true,
      weights: { dtype: 'int4', shape: [2, 2], data: '40E=' },
      S: { dtype: 'int16', shape: [2], data: 'ACAAIA==' },
      B: { dtype: 'int16', shape: [2], data: 'IAAgAA==' },
      n: 15,
    },
  ] as any[],
};

/** Writes the base model changed by `edit` as `t/name` (setup helper). */
const model = (name: string, edit: (d: any) => void) => (t: string) => {
  const d = structuredClone(BASE) as any;
  edit(d);
  writeFileSync(join(t, name), JSON.stringify(d));
};
/** Writes a .npy file's bytes as `t/name`. */
const npyFile = (name: string, bytes: () => Buffer) => (t: string) => writeFileSync(join(t, name), bytes());
/** A .npy file with a hand-written header (version 1.0). */
function rawNpy(header: string, data: Buffer = Buffer.alloc(0), major = 1): Buffer {
  const lenBytes = major === 1 ? 2 : 4;
  const pre = 6 + 2 + lenBytes;
  const h = Buffer.from(header + ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n', 'latin1');
  const out = Buffer.alloc(pre + h.length + data.length);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = major;
  if (major === 1) out.writeUInt16LE(h.length, 8);
  else out.writeUInt32LE(h.length, 8);
  h.copy(out, pre);
  data.copy(out, pre + h.length);
  return out;
}
const hwFile = (name: string, json: unknown) => (t: string) => writeFileSync(join(t, name), typeof json === 'string' ? json : JSON.stringify(json));
const golden = (...more: string[]) => ['golden', '$M', '--out', '$T/out', ...more];

export const CASES: BadInputCase[] = [
  // ---- model files ----
  { name: 'model: not JSON', setup: (t) => writeFileSync(join(t, 'm.json'), 'hello'), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json is not valid JSON/ },
  { name: 'model: truncated JSON', setup: (t) => writeFileSync(join(t, 'm.json'), JSON.stringify(BASE).slice(0, 300)), args: ['golden', '$T/m.json', '--out', '$T/out'], expectCode: 2, expectMessage: /m\.json is not valid JSON/, expectNoOutput: ['$T/out'] },
  { name: 'model: a folder', setup: (t) => mkdirSync(join(t, 'm.json')), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /model file .*m\.json: it is a folder/ },
  { name: 'model: neither zoo name nor file', args: ['info', '$T/none.json'], expectCode: 2, expectMessage: /none\.json" is neither a zoo model .* nor an existing file/ },
  { name: 'model: unknown top-level key', setup: model('m.json', (d) => { d.extra = 1; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: invalid \(root\): Unrecognized key: "extra"/ },
  { name: 'model: version 2', setup: model('m.json', (d) => { d.version = 2; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: format version 2 is not supported/ },
  { name: 'model: dw3x3 stride 4 names layer, field and allowed values', setup: model('m.json', (d) => { d.layers[0].stride = 4; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: invalid layers\[0\]\.stride \(layer "dw", op "dw3x3"\): must be one of 1, 2, got 4/ },
  { name: 'model: stem stride 3', setup: model('m.json', (d) => { d.layers[0] = { ...d.layers[0], op: 'stem', stride: 3 }; delete d.layers[0].dilation; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /layers\[0\]\.stride \(layer "dw", op "stem"\): must be one of 1, 2, 4, got 3/ },
  { name: 'model: shift out of range names the layer', setup: model('m.json', (d) => { d.layers[1].n = 40; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /layers\[1\]\.n \(layer "y", op "conv1x1"\): Too big/ },
  { name: 'model: payload not base64', setup: model('m.json', (d) => { d.layers[1].weights.data = '%%%'; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /layers\[1\]\.weights\.data \(layer "y", op "conv1x1"\): not base64/ },
  { name: 'model: 65536 x 65536 tensor refused before allocation (golden)', setup: model('m.json', (d) => { d.tensors.x.shape = [65536, 65536, 2]; }), args: golden('--seed', '1').map((a) => a === '$M' ? '$T/m.json' : a), expectCode: 2, expectMessage: /m\.json: tensor "x" field shape: \[65536,65536,2\] has 8,589,934,592 elements, more than the limit of 268,435,456 \(2\^28\)/, expectNoOutput: ['$T/out'] },
  { name: 'model: 65536 x 65536 tensor refused before allocation (bundle)', setup: model('m.json', (d) => { d.tensors.x.shape = [65536, 65536, 2]; }), args: ['bundle', '$T/m.json', '-o', '$T/out'], expectCode: 2, expectMessage: /m\.json: tensor "x" field shape: .*limit of 268,435,456/, expectNoOutput: ['$T/out'] },
  {
    name: 'model: total activation bytes over the limit', args: ['golden', '$T/m.json', '--out', '$T/out'], expectCode: 2, expectNoOutput: ['$T/out'],
    setup: model('m.json', (d) => { for (let i = 0; i < 9; i++) d.tensors[`big${i}`] = { shape: [16384, 16384, 1], scale: 1, zero: 0, pad: 0 }; }),
    expectMessage: /m\.json: field tensors: the tensors hold 2,415,919,128 bytes together, more than the limit of 2,147,483,648 \(2\^31\)/,
  },
  {
    name: 'model: more layers than the limit', args: ['info', '$T/m.json'], expectCode: 2,
    setup: (t) => writeFileSync(join(t, 'm.json'), JSON.stringify({ ...BASE, layers: Array.from({ length: MAX_LAYERS + 1 }, () => ({})) })),
    expectMessage: /m\.json: field layers: layer count 1,048,577, more than the limit of 1,048,576 \(2\^20\)/,
  },
  {
    name: 'model: file larger than the limit is not read', args: ['info', '$T/m.json'], expectCode: 2,
    setup: (t) => { writeFileSync(join(t, 'm.json'), '{'); truncateSync(join(t, 'm.json'), MAX_MODEL_FILE_BYTES + 1); }, // sparse: no disk space
    expectMessage: /model file .*m\.json has 268,435,457 bytes, more than the limit of 268,435,456/,
  },
  {
    name: 'model: deeply nested metadata', args: ['bundle', '$T/m.json', '-o', '$T/out'], expectCode: 2, expectNoOutput: ['$T/out'],
    setup: (t) => writeFileSync(join(t, 'm.json'), JSON.stringify({ ...BASE, metadata: { name: 'deep' } }).replace('{"name":"deep"}', `{"name":"deep","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)),
    expectMessage: /m\.json: field metadata is nested more than 64 levels deep/,
  },
  { name: 'model: terminal escapes in a name are shown, not sent to the terminal', setup: model('m.json', (d) => { d.layers[1].name = 'y\u001b[2J\u001b]0;pwned\u0007'; d.layers[1].inputs = ['ghost']; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /layer "y<U\+001B>\[2J<U\+001B>\]0;pwned<U\+0007>" reads tensor "ghost"/ },
  { name: 'model: dangling input', setup: model('m.json', (d) => { d.layers[1].inputs = ['ghost']; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: layer "y" reads tensor "ghost", which no layer or graph input produces/ },
  { name: 'model: cycle', setup: model('m.json', (d) => { d.layers[0].inputs = ['y']; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: the graph has a cycle through layer\(s\) "dw", "y"/ },
  { name: 'model: layer reads its own output', setup: model('m.json', (d) => { d.layers[1].inputs = ['y']; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: the graph has a cycle through layer\(s\) "y"/ },
  { name: 'model: layer name used twice', setup: model('m.json', (d) => { d.layers[1].name = 'dw'; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: layer name "dw" is used twice/ },
  { name: 'model: tensor written twice', setup: model('m.json', (d) => { d.layers[1].outputs = ['dw']; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: tensor "dw" is written by both layer "dw" and layer "y"/ },
  { name: 'model: graph output listed twice', setup: model('m.json', (d) => { d.outputs = ['y', 'y']; }), args: ['info', '$T/m.json'], expectCode: 2, expectMessage: /m\.json: graph outputs lists "y" twice/ },
  {
    name: 'golden: two tensor names clash after sanitising (nothing written)', args: ['golden', '$T/m.json', '--out', '$T/out', '--dump-layers'], expectCode: 2, expectNoOutput: ['$T/out'],
    setup: model('m.json', (d) => {
      d.tensors['a/b'] = d.tensors.dw; d.tensors['a_b'] = d.tensors.y; delete d.tensors.dw; delete d.tensors.y;
      d.layers[0].outputs = ['a/b']; d.layers[1].inputs = ['a/b']; d.layers[1].outputs = ['a_b']; d.outputs = ['a_b'];
    }),
    expectMessage: /m\.json: tensors "a\/b" and "a_b" would both be written as .*out\/a_b\.npy; rename one/,
  },

  // ---- .npy inputs ----
  { name: 'npy: bad magic', setup: npyFile('in.npy', () => Buffer.from('PK\x03\x04 a zip file')), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy is not a NumPy \.npy file/, expectNoOutput: ['$T/out'] },
  { name: 'npy: deeply nested header', setup: npyFile('in.npy', () => rawNpy(`{'descr': '|i1', 'fortran_order': False, 'shape': ${'('.repeat(20_000)}${')'.repeat(20_000)}, }`)), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy: cannot parse the \.npy header dictionary \(nesting deeper than 16 levels/, expectNoOutput: ['$T/out'] },
  { name: 'npy: header larger than the limit', setup: npyFile('in.npy', () => rawNpy(`{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 2), }${' '.repeat(70_000)}`, Buffer.alloc(8), 2)), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy: the \.npy header declares 70,\d+ bytes, more than the limit of 65,536/, expectNoOutput: ['$T/out'] },
  { name: 'npy: too many dimensions', setup: npyFile('in.npy', () => rawNpy(`{'descr': '|i1', 'fortran_order': False, 'shape': (${'1, '.repeat(100)}), }`, Buffer.alloc(1))), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy: the \.npy header field 'shape' has 100 dimensions, more than the limit of 64/, expectNoOutput: ['$T/out'] },
  { name: 'npy: wrong dtype', setup: npyFile('in.npy', () => encodeNpy({ dtype: 'int16', shape: [2, 2, 2], data: new Int16Array(8) })), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /input .*in\.npy has dtype int16; give int8 codes/, expectNoOutput: ['$T/out'] },
  { name: 'npy: wrong shape', setup: npyFile('in.npy', () => encodeNpy({ dtype: 'int8', shape: [2, 2, 3], data: new Int8Array(12) })), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /input .*in\.npy has shape \(2, 2, 3\), model input "x" needs \(2, 2, 2\)/, expectNoOutput: ['$T/out'] },
  { name: 'npy: truncated data', setup: npyFile('in.npy', () => encodeNpy({ dtype: 'int8', shape: [2, 2, 2], data: new Int8Array(8) }).subarray(0, 130)), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy: the file is truncated: shape \(2, 2, 2\) of int8 needs 8 bytes of data, the file holds 2/, expectNoOutput: ['$T/out'] },
  { name: 'npy: Fortran order', setup: npyFile('in.npy', () => rawNpy(`{'descr': '|i1', 'fortran_order': True, 'shape': (2, 2, 2), }`, Buffer.alloc(8))), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy: the array is stored in Fortran order/, expectNoOutput: ['$T/out'] },
  { name: 'npy: big-endian', setup: npyFile('in.npy', () => rawNpy(`{'descr': '>i2', 'fortran_order': False, 'shape': (2, 2, 2), }`, Buffer.alloc(16))), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /in\.npy: the data is big-endian/, expectNoOutput: ['$T/out'] },
  { name: 'npy: input is a folder', setup: (t) => mkdirSync(join(t, 'in.npy')), args: golden('--input', '$T/in.npy'), expectCode: 2, expectMessage: /cannot read \.npy file .*in\.npy: it is a directory/, expectNoOutput: ['$T/out'] },
  { name: 'npy: input missing', args: golden('--input', '$T/none.npy'), expectCode: 2, expectMessage: /cannot read \.npy file .*none\.npy: no such file/, expectNoOutput: ['$T/out'] },

  // ---- flags ----
  { name: 'flag: --seed not a number', args: golden('--seed', 'abc'), expectCode: 2, expectMessage: /--seed must be an integer in 0\.\.2147483647, got "abc"/, expectNoOutput: ['$T/out'] },
  { name: 'flag: --seed negative', args: golden('--seed', '-1'), expectCode: 2, expectMessage: /--seed must be an integer/, expectNoOutput: ['$T/out'] },
  { name: 'flag: --clock 0', args: ['perf', '$M', '--clock', '0'], expectCode: 2, expectMessage: new RegExp(`--clock must be an integer in 1\\.\\.${CLOCK_OPTION_MAX}, got "0"`) },
  { name: 'flag: unknown --board names the flag', args: ['perf', '$M', '--board', 'zedboard'], expectCode: 2, expectMessage: /--board: unknown board "zedboard"; known: ultra96v2/ },
  { name: 'flag: unknown option', args: ['info', '$M', '--frobnicate'], expectCode: 2, expectMessage: /unknown option '--frobnicate'/ },
  { name: 'flag: export of an unknown zoo network', args: ['export', 'codenet-z', '-o', '$T/m.json'], expectCode: 2, expectMessage: /codenet-z/, expectNoOutput: ['$T/m.json'] },
  { name: 'flag: eval --data', args: ['eval', '$M', '--data', 'imagenet'], expectCode: 2, expectMessage: /--data must be builtin\[:N\], voc:DIR or coco:ANNOTATIONS\.json,IMAGEDIR; got "imagenet"/ },

  // ---- hardware configs ----
  { name: 'hw: unknown board names file and field', setup: hwFile('hw.json', { board: 'zedboard' }), args: ['perf', '$M', '--hw', '$T/hw.json'], expectCode: 2, expectMessage: /hardware config .*hw\.json: field "board": unknown board "zedboard"; known: ultra96v2/ },
  { name: 'hw: board missing', setup: hwFile('hw.json', { clockMHz: 100 }), args: ['perf', '$M', '--hw', '$T/hw.json'], expectCode: 2, expectMessage: /hardware config .*hw\.json: field "board" \(one of ultra96v2.*\) is required/ },
  { name: 'hw: board not a string', setup: hwFile('hw.json', { board: 7 }), args: ['perf', '$M', '--hw', '$T/hw.json'], expectCode: 2, expectMessage: /hw\.json: field "board" .* is required, got 7/ },
  { name: 'hw: an array', setup: hwFile('hw.json', [1]), args: ['perf', '$M', '--hw', '$T/hw.json'], expectCode: 2, expectMessage: /hw\.json: must be a JSON object/ },
  { name: 'hw: not JSON', setup: hwFile('hw.json', '{"board": '), args: ['perf', '$M', '--hw', '$T/hw.json'], expectCode: 2, expectMessage: /cannot read hardware config .*hw\.json: it is not valid JSON/ },
  { name: 'hw: missing file', args: ['perf', '$M', '--hw', '$T/none.json'], expectCode: 2, expectMessage: /cannot read hardware config .*none\.json: no such file/ },
  { name: 'hw: field out of range', setup: hwFile('hw.json', { board: 'kv260', dmax: 99 }), args: ['perf', '$M', '--hw', '$T/hw.json'], expectCode: 2, expectMessage: /hardware config .*hw\.json: invalid dmax: Too big/ },
  { name: 'hw: unknown field', setup: hwFile('hw.json', { board: 'kv260', lanez: 8 }), args: ['bundle', '$M', '--hw', '$T/hw.json', '-o', '$T/out'], expectCode: 2, expectMessage: /hw\.json: invalid \(root\): Unrecognized key: "lanez"/, expectNoOutput: ['$T/out'] },

  // ---- output paths ----
  { name: 'out: golden into /proc', args: ['golden', '$M', '--out', '/proc/codenet-x'], expectCode: 2, expectMessage: /cannot write \/proc\/codenet-x: .*ENOENT/, expectNoOutput: ['/proc/codenet-x'] },
  { name: 'out: golden into /sys', args: ['golden', '$M', '--out', '/sys/codenet-x'], expectCode: 2, expectMessage: /cannot write \/sys\/codenet-x: (operation not permitted|permission denied|read-only)/, expectNoOutput: ['/sys/codenet-x'] },
  { name: 'out: golden under /dev/null', args: ['golden', '$M', '--out', '/dev/null/x'], expectCode: 2, expectMessage: /cannot write \/dev\/null\/x: \/dev\/null is not a folder/ },
  { name: 'out: golden under a regular file', setup: (t) => writeFileSync(join(t, 'f'), 'x'), args: ['golden', '$M', '--out', '$T/f/sub/out'], expectCode: 2, expectMessage: /cannot write .*\/f\/sub\/out: .*\/f is not a folder/ },
  { name: 'out: golden onto a regular file', setup: (t) => writeFileSync(join(t, 'f'), 'x'), args: ['golden', '$M', '--out', '$T/f'], expectCode: 2, expectMessage: /cannot write output folder .*\/f: it exists and is not a folder/ },
  { name: 'out: golden where a folder is in the way of an output file', setup: (t) => mkdirSync(join(t, 'out', 'y.npy'), { recursive: true }), args: golden(), expectCode: 2, expectMessage: /cannot write .*out\/y\.npy: a directory of that name is in the way/ },
  { name: 'out: bundle into /proc', args: ['bundle', '$M', '-o', '/proc/codenet-x'], expectCode: 2, expectMessage: /cannot write \/proc\/codenet-x/, expectNoOutput: ['/proc/codenet-x'] },
  { name: 'out: bundle under a regular file', setup: (t) => writeFileSync(join(t, 'f'), 'x'), args: ['bundle', '$M', '-o', '$T/f/out'], expectCode: 2, expectMessage: /cannot write .*\/f\/out: .*\/f is not a folder/ },
  { name: 'out: gen under /dev/null', args: ['gen', '--target', 'zynq', '--model', '$M', '--no-synth', '-o', '/dev/null/x'], expectCode: 2, expectMessage: /cannot write \/dev\/null\/x: \/dev\/null is not a folder/ },
  { name: 'out: perf --report under /dev/null', args: ['perf', '$M', '--report', '/dev/null/r'], expectCode: 2, expectMessage: /cannot write \/dev\/null\/r: \/dev\/null is not a folder/ },
  { name: 'out: export into /proc', args: ['export', 'codenet-tiny', '-o', '/proc/codenet-x.json'], expectCode: 2, expectMessage: /cannot write \/proc\/codenet-x\.json/, expectNoOutput: ['/proc/codenet-x.json'] },
  { name: 'out: export onto a folder', setup: (t) => mkdirSync(join(t, 'm.json')), args: ['export', 'codenet-tiny', '-o', '$T/m.json'], expectCode: 2, expectMessage: /cannot write .*m\.json: it is a folder/ },
  // A FIFO of the case's own, never a system device: a writer that renamed over it (as root) would destroy it.
  { name: 'out: export onto a FIFO (not a regular file)', setup: (t) => execFileSync('mkfifo', [join(t, 'fifo')]), args: ['export', 'codenet-tiny', '-o', '$T/fifo'], expectCode: 2, expectMessage: /cannot write .*\/fifo: it exists and is not a regular file/ },
  { name: 'out: export under a regular file', setup: (t) => writeFileSync(join(t, 'f'), 'x'), args: ['export', 'codenet-tiny', '-o', '$T/f/m.json'], expectCode: 2, expectMessage: /cannot write .*\/f\/m\.json: .*\/f is not a folder/ },
  { name: 'out: eval --json under /dev/null', args: ['eval', '$M', '--json', '/dev/null/r.json'], expectCode: 2, expectMessage: /cannot write \/dev\/null\/r\.json: \/dev\/null is not a folder/ },
  { name: 'out: verify --junit into /proc (before running anything)', args: ['verify', '--quick', '--junit', '/proc/codenet-x/j.xml'], expectCode: 2, expectMessage: /cannot write \/proc\/codenet-x\/j\.xml/ },
  { name: 'out: verify --json under /dev/null', args: ['verify', '--quick', '--json', '/dev/null/j.json'], expectCode: 2, expectMessage: /cannot write \/dev\/null\/j\.json: \/dev\/null is not a folder/ },
  { name: 'out: quantize -o into /proc (before loading anything)', args: ['quantize', '$T/float', '--calib', 'builtin:1', '-o', '/proc/codenet-x.json'], expectCode: 2, expectMessage: /cannot write \/proc\/codenet-x\.json/ },
  { name: 'out: train -o under /dev/null (before training)', args: ['train', '--steps', '1', '-o', '/dev/null/t'], expectCode: 2, expectMessage: /cannot write \/dev\/null\/t: \/dev\/null is not a folder/ },
  {
    name: 'out: golden into a read-only folder', run: 'nobody', args: ['golden', '$M', '--out', '$T/ro/out'], expectCode: 2, expectNoOutput: ['$T/ro/out'],
    setup: (t) => { mkdirSync(join(t, 'ro')); chmodSync(join(t, 'ro'), 0o555); },
    expectMessage: /cannot write .*ro\/out: permission denied \(EACCES/,
  },

  // ---- closed pipes ----
  { name: 'epipe: info | head -1', run: 'epipe', args: ['info', 'codenet-a'], expectCode: 0, expectMessage: /^$/ },
  { name: 'epipe: info --json | head -1', run: 'epipe', args: ['info', 'codenet-tiny', '--json'], expectCode: 0, expectMessage: /^$/ },
];

let shared: string;
const work: string[] = [];

beforeAll(() => {
  shared = mkdtempSync(join(tmpdir(), 'cn-bad-shared-'));
  chmodSync(shared, 0o755); // readable by the 'nobody' cases
  writeFileSync(join(shared, 'model.json'), JSON.stringify(BASE));
  writeFileSync(join(shared, 'in.npy'), encodeNpy({ dtype: 'int8', shape: [2, 2, 2], data: new Int8Array(8) }));
});
afterAll(() => {
  for (const d of [shared, ...work]) rmSync(d, { recursive: true, force: true });
});

/** Every path under `dir`, relative, sorted (what the case's folder holds). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out.push(relative(dir, p));
      if (e.isDirectory() && !e.isSymbolicLink()) {
        try { walk(p); } catch { /* unreadable: listed, not entered */ }
      }
    }
  };
  walk(dir);
  return out.sort();
}

interface Result { code: number; stdout: string; stderr: string }

/** bin/codenet.mjs in a child process; 'epipe' closes its stdout before it writes anything. */
function runChild(argv: string[], mode: 'child' | 'epipe' | 'nobody'): Promise<Result> {
  const asNobody = mode === 'nobody' && process.getuid?.() === 0;
  const child = spawn(process.execPath, [join(ROOT, 'bin/codenet.mjs'), ...argv], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(asNobody ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: tmpdir() } } : {}),
  });
  let stdout = '', stderr = '';
  if (mode === 'epipe') child.stdout.destroy(); // the reader is gone, as after `| head -1`
  else child.stdout.on('data', (b) => { stdout += b; });
  child.stderr.on('data', (b) => { stderr += b; });
  return new Promise((res) => child.on('close', (code, signal) => res({ code: code ?? (signal ? 128 : 1), stdout, stderr })));
}

async function runInProcess(argv: string[]): Promise<Result> {
  try {
    return await runCli(...argv);
  } catch (e) {
    // main() rethrows internal errors: that is exit 1 with a stack trace in the executable.
    return { code: 1, stdout: '', stderr: String((e as Error).stack ?? e) };
  }
}

describe('bad input: exit code, one message naming file and field, no stack trace, no partial output', () => {
  it('has at least 60 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(60));

  for (const c of CASES) {
    it(c.name, async () => {
      const t = mkdtempSync(join(tmpdir(), 'cn-bad-'));
      work.push(t);
      chmodSync(t, 0o755);
      c.setup?.(t);
      const before = tree(t);
      const sub = (a: string) => a.replaceAll('$T', t).replaceAll('$M', join(shared, 'model.json')).replaceAll('$IN', join(shared, 'in.npy'));
      const argv = c.args.map(sub);
      const r = c.run ? await runChild(argv, c.run) : await runInProcess(argv);
      const why = `stderr: ${r.stderr.slice(0, 2000)}`;
      expect(r.code, why).toBe(c.expectCode);
      expect(r.stderr.replace(/\n/g, ' ').trim(), why).toMatch(c.expectMessage);
      expect(r.stderr, why).not.toMatch(/^\s+at /m); // no stack trace
      if (c.expectCode === 2) expect(r.stderr.trim().split('\n'), why).toHaveLength(1); // one message
      if (c.run) chmodSync(t, 0o755);
      for (const d of readdirSync(t)) if (statSync(join(t, d)).isDirectory()) chmodSync(join(t, d), 0o755);
      expect(tree(t), 'the case folder holds only what setup made').toEqual(before);
      for (const p of c.expectNoOutput ?? []) expect(existsSync(sub(p)), sub(p)).toBe(false);
    });
  }
});
