/**
 * Output paths and the file names of `golden` (docs/ir.md section 11): default
 * folders come from a sanitised model name and stay inside build/; file-system errors on output
 * become one message naming the path; tensor names map to file names as documented.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { decodeNpy } from '../src/io/npy.ts';
import { PROJECT_ROOT, defaultBuildDir, safeSlug } from '../src/util/paths.ts';
import { userFsErrorMessage } from '../src/cli/program.ts';
import { outputError, writeFilesAtomically } from '../src/io/atomic.ts';
import { UserError, fsErrorReason } from '../src/util/errors.ts';
import { tensorFileName } from '../src/cli/commands/golden.ts';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'cn-paths-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** docs/ir.md section 9's example with its tensors renamed by `rename` (x is the graph input, y the output). */
function example(rename: Record<string, string> = {}, extra: (d: any) => void = () => {}): any {
  const n = (s: string) => rename[s] ?? s;
  const d: any = {
    format: 'codenet-ir', version: 1, metadata: { name: 'tiny-example' }, inputs: [n('x')], outputs: [n('y')],
    tensors: {
      [n('x')]: { shape: [2, 2, 2], kind: 'act', scale: 0.0625, zero: 0, pad: [0, -10] },
      [n('dw')]: { shape: [2, 2, 2], kind: 'act', scale: 0.0625, zero: 0, pad: 0 },
      [n('y')]: { shape: [2, 2, 2], kind: 'act', scale: 0.0625, zero: -96, pad: -96 },
    },
    layers: [
      { name: 'dw', op: 'dw3x3', inputs: [n('x')], outputs: [n('dw')], stride: 1, dilation: 1, relu: false, weights: { dtype: 'int4', shape: [2, 9], data: 'EBAUEPD/f/+P' }, S: { dtype: 'int16', shape: [2], data: 'AEAAQA==' }, B: { dtype: 'int16', shape: [2], data: 'gACAAA==' }, n: 16 },
      { name: 'y', op: 'conv1x1', inputs: [n('dw')], outputs: [n('y')], relu: true, weights: { dtype: 'int4', shape: [2, 2], data: '40E=' }, S: { dtype: 'int16', shape: [2], data: 'ACAAIA==' }, B: { dtype: 'int16', shape: [2], data: 'IAAgAA==' }, n: 15 },
    ],
  };
  extra(d);
  return d;
}

describe('default output folders', () => {
  it('safeSlug keeps ordinary names and maps anything else to a deterministic safe name', () => {
    expect(safeSlug('codenet-a')).toBe('codenet-a');
    expect(safeSlug('tiny_v2.1')).toBe('tiny_v2.1');
    for (const name of ['../../etc', '/abs/path', 'a/b', '..', '.', '.hidden', 'x\ny', 'a\0b', '😀', 'a'.repeat(300), '', 'C:\\x', '$(rm -rf ~)']) {
      const s = safeSlug(name);
      expect(s, name).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
      expect(s.length, name).toBeLessThanOrEqual(73);
      expect(s, name).not.toMatch(/^\.\.?$/);
      expect(safeSlug(name), 'deterministic').toBe(s);
    }
    // Names that differ only in unsafe characters still get different folders.
    expect(safeSlug('a/b')).not.toBe(safeSlug('a_b'));
    expect(safeSlug('a/b')).not.toBe(safeSlug('a?b'));
    expect(safeSlug('a/b')).toMatch(/^a_b-[0-9a-f]{8}$/);
  });

  it('defaultBuildDir is always one folder directly inside build/', () => {
    expect(defaultBuildDir('codenet', 'codenet-a', 'ultra96v2')).toBe(join('build', 'codenet-codenet-a-ultra96v2'));
    for (const name of ['../../../tmp/x', '/etc', '..', 'a/../../b']) {
      const d = defaultBuildDir('codenet', name, 'ultra96v2');
      expect(d.startsWith(`build${'/'}codenet-`), d).toBe(true);
      expect(d.split('/')).toHaveLength(2);
    }
  });

  it('gen --model FILE with metadata.name "/../../escape" writes inside build/, in a folder named after the file', async () => {
    const cwd = tmp();
    const model = join(cwd, 'm.json');
    writeFileSync(model, JSON.stringify({ ...example(), metadata: { name: '/../../escape' } }));
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      const r = await runCli('gen', '--target', 'zynq', '--model', model, '--no-synth');
      expect(r.code, r.stderr).toBe(0);
    } finally {
      process.chdir(prev);
    }
    expect(readdirSync(cwd).sort()).toEqual(['build', 'm.json']);
    const made = readdirSync(join(cwd, 'build'));
    // named after the file (m.json), not its metadata.name, which may be a zoo model's
    expect(made).toEqual(['codenet-m-ultra96v2']);
    expect(existsSync(join(cwd, 'build', made[0], 'data', 'memory.bin'))).toBe(true);
  });
});

describe('file-system errors on output', () => {
  const fake = (code: string, syscall = 'mkdir', path = '/x/y') => Object.assign(new Error(`${code}: fake`), { code, syscall, path, errno: -1 });

  it('map every user-side code to one message naming the path, and leave other errors alone', () => {
    for (const code of ['ENOENT', 'ENOTDIR', 'EEXIST', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']) {
      expect(fsErrorReason(fake(code)), code).toMatch(new RegExp(`\\(${code}: mkdir /x/y\\)$`));
      expect(() => outputError(fake(code), '/out/dir')).toThrow(UserError);
      expect(() => outputError(fake(code), '/out/dir')).toThrow(/^cannot write \/out\/dir: /);
    }
    expect(() => outputError(fake('EROFS'), '/out/dir')).toThrow(/read-only file system \(EROFS/);
    expect(() => outputError(fake('ENOSPC'), '/out/dir')).toThrow(/no space left on the device \(ENOSPC/);
    const bug = new TypeError('a bug');
    expect(() => outputError(bug, '/out')).toThrow(bug);
    expect(fsErrorReason(fake('EBADF'))).toBeUndefined(); // a descriptor bug, not a path problem
  });

  it('writeFilesAtomically does not rename over a FIFO or device (as root it would replace it)', () => {
    const d = tmp();
    execFileSync('mkfifo', [join(d, 'r.json')]);
    expect(() => writeFilesAtomically(d, [{ name: 'r.json', data: '{}' }])).toThrow(/r\.json: it exists and is not a regular file/);
    expect(statSync(join(d, 'r.json')).isFIFO()).toBe(true);
    expect(readdirSync(d)).toEqual(['r.json']);
  });

  it('a real full-disk error becomes the message naming the output (ENOSPC from /dev/full)', () => {
    if (!existsSync('/dev/full')) return;
    const d = tmp();
    // A real ENOSPC from the kernel (writing /dev/full), through the mapping every writer uses.
    expect(() => { try { writeFileSync('/dev/full', 'x'); } catch (e) { outputError(e, '/dev/full'); } }).toThrow(/cannot write \/dev\/full: no space left on the device \(ENOSPC: write\)/);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('golden file names (docs/ir.md section 11)', () => {
  it('maps each character outside [A-Za-z0-9._-], also one outside the BMP, to one _', () => {
    expect(tensorFileName('stage2.0.b1-dw_x')).toBe('stage2.0.b1-dw_x.npy');
    expect(tensorFileName('a/b c')).toBe('a_b_c.npy');
    expect(tensorFileName('a😀b')).toBe('a_b.npy'); // U+1F600 is two UTF-16 units, one character
    expect(tensorFileName('𝔁')).toBe('_.npy');
    expect(tensorFileName('é')).toBe('_.npy');
  });

  it('writes a tensor named with a character outside the BMP as documented', async () => {
    const d = tmp();
    const m = join(d, 'm.json');
    writeFileSync(m, JSON.stringify(example({ y: 'out😀put' })));
    const r = await runCli('golden', m, '--out', join(d, 'o'));
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(d, 'o'))).toEqual(['out_put.npy']);
  });

  it('--dump-layers also writes a graph output that is the graph input', async () => {
    const d = tmp();
    const m = join(d, 'm.json');
    writeFileSync(m, JSON.stringify(example({}, (x) => { x.outputs = ['y', 'x']; })));
    const input = join(d, 'o1');
    expect((await runCli('golden', m, '--out', input)).code).toBe(0);
    expect(readdirSync(input).sort()).toEqual(['x.npy', 'y.npy']);
    const all = join(d, 'o2');
    const r = await runCli('golden', m, '--out', all, '--dump-layers');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(all).sort()).toEqual(['dw.npy', 'x.npy', 'y.npy']);
    // The input written is the input used (seeded random codes), identical in both runs.
    expect(readFileSync(join(all, 'x.npy')).equals(readFileSync(join(input, 'x.npy')))).toBe(true);
    expect(decodeNpy(readFileSync(join(all, 'x.npy')), 'x').shape).toEqual([2, 2, 2]);
  });

  it('a name clash after mapping is exit 2 before the golden model runs, nothing written', async () => {
    const d = tmp();
    const m = join(d, 'm.json');
    writeFileSync(m, JSON.stringify(example({ y: 'a b', dw: 'a_b' })));
    mkdirSync(join(d, 'keep'));
    const r = await runCli('golden', m, '--out', join(d, 'o'), '--dump-layers');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tensors "a_b" and "a b" would both be written as .*a_b\.npy/);
    expect(readdirSync(d).sort()).toEqual(['keep', 'm.json']);
  });
});

describe('the CLI catch-all for file-system errors', () => {
  const fake = (code: string, path: string) => Object.assign(new Error(`${code}: fake`), { code, syscall: 'open', path, errno: -1 });

  it('turns an error on a user path into one exit-2 message naming it', () => {
    expect(userFsErrorMessage(fake('ENOENT', '/home/me/model.json'))).toBe('cannot use /home/me/model.json: no such file or folder, or the file system does not allow creating one there (ENOENT: open /home/me/model.json)');
    expect(userFsErrorMessage(fake('EACCES', join(tmpdir(), 'mine', 'x.npy')))).toMatch(/^cannot use .*x\.npy: permission denied \(EACCES/);
  });

  it('keeps errors on codenet\'s own files and temporaries a bug (stack trace, exit 1)', () => {
    expect(userFsErrorMessage(fake('ENOENT', join(PROJECT_ROOT, 'templates', 'sim', 'Makefile.hbs')))).toBeUndefined();
    expect(userFsErrorMessage(fake('ENOENT', join(PROJECT_ROOT, '.cache', 'verilator', 'x')))).toBeUndefined();
    expect(userFsErrorMessage(fake('ENOENT', join(tmpdir(), 'codenet-sim-abc123', 'memory.bin')))).toBeUndefined();
    expect(userFsErrorMessage(fake('EBADF', '/home/me/x'))).toBeUndefined();
    expect(userFsErrorMessage(new Error('not a file-system error'))).toBeUndefined();
  });
});
