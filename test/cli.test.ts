import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { decodeNpy, encodeNpy } from '../src/io/npy.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { modelToDef } from '../src/ir/save.ts';
import { runGolden } from '../src/golden/run.ts';
import { loadInputCodes } from '../src/cli/commands/golden.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
let dir: string;
let modelPath: string;
let def: ReturnType<typeof modelToDef>;

beforeAll(() => {
  dir = tempDir('codenet-cli-');
  modelPath = join(dir, 'tiny.json');
  def = modelToDef(exportZooModel('codenet-tiny', { seed: 3 }));
  writeFileSync(modelPath, JSON.stringify(def));
});

/** Writes a variant of the tiny model changed by `edit` and returns its path. */
function variant(name: string, edit: (d: any) => void): string {
  const d = structuredClone(def) as any;
  edit(d);
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(d));
  return p;
}

describe('codenet golden', () => {
  it('writes the graph outputs as .npy equal to the golden model, deterministically', async () => {
    const out = join(dir, 'g1');
    const r = await runCli('golden', modelPath, '--out', out, '--seed', '4');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['hm.npy', 'reg.npy', 'wh.npy']);
    const m = exportZooModel('codenet-tiny', { seed: 3 });
    const ref = runGolden(m, new Map([['image', loadInputCodes(m, undefined, 4)]]));
    const hm = decodeNpy(readFileSync(join(out, 'hm.npy')), 'hm.npy');
    expect(hm.dtype).toBe('int8');
    expect(hm.shape).toEqual([16, 16, 20]);
    expect(Buffer.from(hm.data.buffer, hm.data.byteOffset, hm.data.byteLength).equals(Buffer.from((ref.get('hm') as Int8Array).buffer))).toBe(true);
    const out2 = join(dir, 'g2');
    await runCli('golden', modelPath, '--out', out2, '--seed', '4');
    for (const f of readdirSync(out)) expect(readFileSync(join(out2, f)).equals(readFileSync(join(out, f)))).toBe(true);
  });

  it('--dump-layers writes every tensor; --input takes a uint8 image', async () => {
    const img = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) & 255);
    const inPath = join(dir, 'img.npy');
    writeFileSync(inPath, encodeNpy({ dtype: 'uint8', shape: [1, 64, 64, 3], data: img }));
    const out = join(dir, 'g3');
    const r = await runCli('golden', modelPath, '--out', out, '--input', inPath, '--dump-layers');
    expect(r.code).toBe(0);
    const files = readdirSync(out);
    expect(files.length).toBe(def.layers.reduce((a, l) => a + l.outputs.length, 0));
    expect(files).toContain('dec1.offset.npy');
    expect(decodeNpy(readFileSync(join(out, 'dec1.offset.npy')), 'd').dtype).toBe('uint8');
    expect(files).toContain('stage2.1.split.0.npy');
  });

  it('runs a zoo model by name', async () => {
    const r = await runCli('golden', 'codenet-tiny', '--out', join(dir, 'g4'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/codenet-tiny/);
  });
});

describe('codenet info / zoo / export', () => {
  it('info --json has totals.macs and totals.params', async () => {
    const r = await runCli('info', 'codenet-a', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.totals.macs).toBe(279_844_352);
    expect(j.totals.params).toBe(1_570_160);
    expect(j.layers).toHaveLength(122);
  });

  it('info prints a table of a model file', async () => {
    const r = await runCli('info', modelPath);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dec1\.deform\s+dwdeform/);
  });

  it('zoo lists every model', async () => {
    const r = await runCli('zoo');
    for (const n of ['codenet-a', 'codenet-b', 'codenet-c', 'codenet-d', 'codenet-e', 'codenet-tiny']) expect(r.stdout).toContain(n);
  });

  it('export writes a loadable model, byte-identical for the same seed', async () => {
    const a = join(dir, 'e1.json'), b = join(dir, 'e2.json');
    expect((await runCli('export', 'codenet-tiny', '--seed', '9', '-o', a)).code).toBe(0);
    expect((await runCli('export', 'codenet-tiny', '--seed', '9', '-o', b)).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect((await runCli('info', a)).code).toBe(0);
  });
});

describe('user errors: one message naming file and field, exit code 2, no output', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['missing model file', () => ['golden', join(dir, 'nope.json')], /nope\.json.*neither a zoo model/],
    ['unknown zoo name', () => ['info', 'codenet-z'], /"codenet-z".*codenet-a/],
    ['malformed JSON', () => { const p = join(dir, 'bad.json'); writeFileSync(p, '{"format": "codenet-ir", '); return ['golden', p]; }, /bad\.json is not valid JSON/],
    ['truncated model', () => { const p = join(dir, 'trunc.json'); writeFileSync(p, JSON.stringify(def).slice(0, 5000)); return ['info', p]; }, /trunc\.json is not valid JSON/],
    ['unknown op', () => ['info', variant('op', (d) => { d.layers[3].op = 'conv5x5'; })], /op\.json.*layers\[3\]\.op/],
    ['wrong weight shape', () => ['info', variant('wshape', (d) => { d.layers[0].weights.shape = [8, 27]; })], /wshape\.json.*layer "stem" field weights.*should be \[8,3,3,3\]/],
    ['truncated payload', () => ['info', variant('payload', (d) => { d.layers[2].weights.data = d.layers[2].weights.data.slice(0, 8); })], /payload\.json.*field weights.*bytes/],
    ['zero code out of range', () => ['info', variant('zero', (d) => { d.tensors.stem.zero = 200; })], /zero\.json.*tensors\.stem\.zero/],
    ['shift out of range', () => ['info', variant('shift', (d) => { d.layers[1].n = 40; })], /shift\.json.*layers\[1\]\.n/],
    ['wrong tensor shape', () => ['info', variant('tshape', (d) => { d.tensors.stem.shape = [15, 16, 8]; })], /tshape\.json.*"stem".*expected \[16,16,8\]/],
    ['dangling input', () => ['info', variant('dangle', (d) => { d.layers[1].inputs = ['ghost']; })], /dangle\.json.*"ghost".*dangling/],
    ['cycle', () => ['info', variant('cycle', (d) => { d.layers[1].inputs = [d.layers[2].outputs[0]]; })], /cycle\.json.*cycle/],
    ['concat quantization mismatch', () => ['info', variant('catq', (d) => { d.tensors['stage2.0.b1.pw'].zero = 3; })], /catq\.json.*must share scale and zero code/],
    ['unsupported version', () => ['info', variant('ver', (d) => { d.version = 2; })], /ver\.json.*version 2 is not supported/],
    ['accumulator bound', () => ['info', variant('acc', (d) => {
      // 1x1 with 8192 input channels and |w| = 8 could reach 2^23.
      d.tensors.big = { shape: [1, 1, 8192], kind: 'act', scale: 1, zero: 0, pad: 0 };
      d.tensors.bigout = { shape: [1, 1, 1], kind: 'act', scale: 1, zero: 0, pad: 0 };
      d.inputs.push('big');
      d.outputs.push('bigout');
      const w = Buffer.alloc(4096, 0x88).toString('base64');
      const one = Buffer.from([1, 0]).toString('base64');
      d.layers.push({ name: 'huge', op: 'conv1x1', inputs: ['big'], outputs: ['bigout'], relu: false, weights: { dtype: 'int4', shape: [1, 8192], data: w }, S: { dtype: 'int16', shape: [1], data: one }, B: { dtype: 'int16', shape: [1], data: one }, n: 8 });
    })], /acc\.json.*layer "huge".*8192\*128\*8.*2\^23/],
    ['input with wrong shape', () => { const p = join(dir, 'in1.npy'); writeFileSync(p, encodeNpy({ dtype: 'uint8', shape: [32, 32, 3], data: new Uint8Array(32 * 32 * 3) })); return ['golden', modelPath, '--input', p]; }, /in1\.npy.*\(32, 32, 3\).*\(64, 64, 3\)/],
    ['input with wrong dtype', () => { const p = join(dir, 'in2.npy'); writeFileSync(p, encodeNpy({ dtype: 'float32', shape: [64, 64, 3], data: new Float32Array(64 * 64 * 3) })); return ['golden', modelPath, '--input', p]; }, /in2\.npy.*float32/],
    ['malformed npy', () => { const p = join(dir, 'in3.npy'); writeFileSync(p, 'not numpy'); return ['golden', modelPath, '--input', p]; }, /in3\.npy/],
    ['bad --seed', () => ['golden', modelPath, '--seed', 'x1'], /--seed must be an integer/],
    ['graph output listed twice', () => ['golden', variant('dupout', (d) => { d.outputs.push('hm'); })], /dupout\.json.*graph outputs lists "hm" twice/],
    ['dilation map as dwdeform data input', () => ['info', variant('defin', (d) => { const l = d.layers.find((x: any) => x.op === 'dwdeform'); l.inputs = [l.inputs[1], l.inputs[1]]; })], /defin\.json.*must be an activation tensor/],
    ['metadata.inputSize mismatch', () => ['info', variant('insize', (d) => { d.metadata.inputSize = [32, 32]; })], /insize\.json.*metadata\.inputSize \[32,32\]/],
    ['version as a string', () => ['info', variant('verstr', (d) => { d.version = '1'; })], /verstr\.json.*version "1" is not supported/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const out = join(dir, `err-${name.replace(/\W+/g, '-')}`);
      const argv = args();
      const r = await runCli(...argv, ...(argv[0] === 'golden' ? ['--out', out] : []));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^codenet: error: /);
      expect(r.stderr.replace(/\n/g, ' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('the codenet executable', () => {
  it('runs through bin/codenet.mjs and exits 2 on a user error', () => {
    const ok = execFileSync(process.execPath, [join(ROOT, 'bin/codenet.mjs'), 'zoo'], { encoding: 'utf8' });
    expect(ok).toContain('codenet-a');
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/codenet.mjs'), 'info', 'codenet-z'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/codenet: error: model "codenet-z"/);
    const usage = spawnSync(process.execPath, [join(ROOT, 'bin/codenet.mjs'), 'golden'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});
