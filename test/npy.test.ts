import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, readNpy, readNpyAs, type NpyArray } from '../src/io/npy.ts';
import { writeFilesAtomically } from '../src/io/atomic.ts';
import { UserError } from '../src/util/errors.ts';

let work: string;
beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'codenet-npy-')); });
afterEach(() => { rmSync(work, { recursive: true, force: true }); });

/** Runs fn and returns the UserError it throws (failing the test if it throws anything else). */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

/** Builds a .npy file by hand: magic, version, header length, the header text (unpadded unless given so). */
function rawNpy(header: string, data: Uint8Array | number[] = [], version = 1): Buffer {
  const h = Buffer.from(header, 'latin1');
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) len.writeUInt16LE(h.length); else len.writeUInt32LE(h.length);
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]), len, h, Buffer.from(data)]);
}

describe('npy round trips', () => {
  const cases: NpyArray[] = [
    { dtype: 'int8', shape: [2, 3], data: Int8Array.from([-128, -1, 0, 1, 2, 127]) },
    { dtype: 'int8', shape: [5], data: Int8Array.from([1, 2, 3, 4, -5]) },
    { dtype: 'uint8', shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => (i * 23) & 255) },
    { dtype: 'uint8', shape: [], data: Uint8Array.from([255]) },
    { dtype: 'int16', shape: [3, 4], data: Int16Array.from({ length: 12 }, (_, i) => (i - 6) * 5000 + (i === 0 ? -2768 : 0)) },
    { dtype: 'int16', shape: [5], data: Int16Array.from([-32768, -1, 0, 1, 32767]) },
    { dtype: 'int32', shape: [4, 4, 64], data: Int32Array.from({ length: 1024 }, (_, i) => (i * 2654435761) | 0) },
    { dtype: 'int32', shape: [0, 3], data: new Int32Array(0) },
    { dtype: 'float32', shape: [2, 3, 2], data: Float32Array.from([0, -0, 1.5, -2.25, 3.4028234663852886e38, 1e-45, Infinity, -Infinity, NaN, 0.1, -7, 1 / 3]) },
    { dtype: 'float32', shape: [5], data: Float32Array.from([1, 2, 3, 4, 5]) },
  ];
  for (const a of cases) {
    it(`${a.dtype} shape (${a.shape.join(', ')})`, () => {
      const buf = encodeNpy(a);
      expect(buf.length % 64).toBe((a.data.byteLength) % 64); // the data starts 64-aligned
      expect(buf[buf.length - a.data.byteLength - 1]).toBe(0x0a); // header ends with '\n'
      const b = decodeNpy(buf, 'mem.npy');
      expect(b.dtype).toBe(a.dtype);
      expect(b.shape).toEqual(a.shape);
      expect(b.data.constructor).toBe(a.data.constructor);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      // And through the file system.
      const p = join(work, 'a.npy');
      writeFileSync(p, buf);
      const c = readNpyAs(p, a.dtype, a.shape);
      expect(Array.from(c.data)).toEqual(Array.from(a.data));
    });
  }

  it('reads data that is not aligned in its buffer', () => {
    const buf = encodeNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([1, -2, 70000]) });
    const shifted = Buffer.alloc(buf.length + 1);
    buf.copy(shifted, 1);
    expect(Array.from(decodeNpy(shifted.subarray(1), 'x.npy').data)).toEqual([1, -2, 70000]);
  });

  it('reads format version 2.0 and unpadded, double-quoted headers', () => {
    const a = decodeNpy(rawNpy(`{"descr": "<i2", "fortran_order": False, "shape": (2,)}`, [1, 0, 0xff, 0xff], 2), 'v2.npy');
    expect(a).toEqual({ dtype: 'int16', shape: [2], data: Int16Array.from([1, -1]) });
    const b = decodeNpy(rawNpy(`{'shape':(1,2),'fortran_order':False,'descr':'<i1'}\n`, [5, 6]), 'order.npy');
    expect(b).toEqual({ dtype: 'int8', shape: [1, 2], data: Int8Array.from([5, 6]) });
  });
});

describe('npy header bytes', () => {
  it('matches np.save of an int8 (2, 3) array byte for byte', () => {
    // python3 -c "import numpy as np; np.save('a.npy', np.arange(6, dtype=np.int8).reshape(2, 3))"
    const dict = "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }";
    // numpy leaves room for the first axis to grow to 21 digits, then pads to a multiple of 64.
    const header = dict + ' '.repeat(118 - dict.length - 1) + '\n';
    const expected = Buffer.concat([
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 118, 0x00]),
      Buffer.from(header, 'latin1'),
      Buffer.from([0, 1, 2, 3, 4, 5]),
    ]);
    expect(expected.length).toBe(134);
    const got = encodeNpy({ dtype: 'int8', shape: [2, 3], data: Int8Array.from([0, 1, 2, 3, 4, 5]) });
    expect(got.toString('latin1')).toBe(expected.toString('latin1'));
    expect(got.equals(expected)).toBe(true);
  });

  it('pads every header to a multiple of 64 bytes ending in a newline, as numpy does', () => {
    const shapes: number[][] = [[], [5], [2, 3], [1, 2, 3, 4], [123456789012, 0], Array.from({ length: 20 }, () => 1)];
    for (const shape of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const buf = encodeNpy({ dtype: 'uint8', shape, data: new Uint8Array(n) });
      const hlen = buf.readUInt16LE(8);
      expect((10 + hlen) % 64).toBe(0);
      expect(buf[10 + hlen - 1]).toBe(0x0a);
      // Scalars get no growth room; numpy's shape text for (5,) keeps its trailing comma.
      const text = buf.toString('latin1', 10, 10 + hlen);
      if (shape.length === 0) expect(text).toMatch(/'shape': \(\), \} {62}\n$/);
      if (shape.length === 1) expect(text).toContain(`'shape': (${shape[0]},), }`);
    }
  });
});

describe('npy errors name the file and the problem', () => {
  const good = encodeNpy({ dtype: 'int16', shape: [3, 4], data: new Int16Array(12) });
  const cases: Array<[string, Buffer, RegExp]> = [
    ['bad magic', Buffer.from('PK\x03\x04 this is a zip file'), /not a NumPy \.npy file/],
    ['empty file', Buffer.alloc(0), /not a NumPy \.npy file/],
    ['truncated before the header length', good.subarray(0, 9), /truncated \.npy header/],
    ['truncated header', good.subarray(0, 40), /truncated \.npy header/],
    ['unsupported version', Buffer.concat([good.subarray(0, 6), Buffer.from([9, 0]), good.subarray(8)]), /version 9\.0/],
    ['unparsable header', rawNpy(`{'descr': '<i2', 'fortran_order': False, 'shape': (3, 4}\n`), /cannot parse the \.npy header/],
    ['header text after the dict', rawNpy(`{'descr': '<i2', 'fortran_order': False, 'shape': (3,)} junk\n`), /cannot parse the \.npy header/],
    ['header is not a dict', rawNpy(`[1, 2]\n`), /not a dictionary/],
    ['missing key', rawNpy(`{'descr': '<i2', 'shape': (3,), }\n`), /missing 'fortran_order'/],
    ['unknown key', rawNpy(`{'descr': '<i2', 'fortran_order': False, 'shape': (1,), 'x': 1}\n`, [0, 0]), /unexpected 'x'/],
    ['bad shape', rawNpy(`{'descr': '<i2', 'fortran_order': False, 'shape': (3, -1), }\n`), /'shape' must be a tuple of non-negative integers/],
    ['fortran order', rawNpy(`{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }\n`, new Uint8Array(8)), /Fortran order/],
    ['big-endian', rawNpy(`{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }\n`, new Uint8Array(8)), /big-endian \('>i4'\)/],
    ['unsupported dtype', rawNpy(`{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n`, new Uint8Array(16)), /dtype '<f8' is not supported/],
    ['structured dtype', rawNpy(`{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }\n`, new Uint8Array(8)), /structured/],
    ['truncated data', good.subarray(0, good.length - 1), /truncated: shape \(3, 4\) of int16 needs 24 bytes of data, the file holds 23/],
    ['data too long', Buffer.concat([good, Buffer.from([0, 0])]), /2 bytes of data beyond/],
  ];
  for (const [what, buf, re] of cases) {
    it(what, () => {
      const p = join(work, `case ${what}.npy`);
      writeFileSync(p, buf);
      const e = userError(() => readNpy(p));
      expect(e.message).toContain(p);
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain('\n\n');
      // The in-memory decoder names whatever it was told.
      expect(userError(() => decodeNpy(buf, 'weights/conv1.npy')).message).toContain('weights/conv1.npy');
    });
  }

  it('missing file', () => {
    const p = join(work, 'nope.npy');
    const e = userError(() => readNpy(p));
    expect(e.message).toBe(`cannot read .npy file ${p}: no such file`);
  });

  it('readNpyAs names the expected and the actual dtype and shape', () => {
    const p = join(work, 'in.npy');
    writeFileSync(p, good);
    expect(userError(() => readNpyAs(p, 'int8', [3, 4])).message).toBe(`.npy file ${p} has dtype int16 (<i2) where int8 (|i1) is expected`);
    expect(userError(() => readNpyAs(p, 'int16', [4, 3])).message).toBe(`.npy file ${p} has shape (3, 4) where (4, 3) is expected`);
    expect(userError(() => readNpyAs(p, 'float32', [12])).message).toBe(`.npy file ${p} has dtype int16 (<i2) where float32 (<f4) is expected and shape (3, 4) where (12,) is expected`);
    expect(readNpyAs(p, 'int16', [null, 4]).shape).toEqual([3, 4]);
  });
});

describe('writeFilesAtomically', () => {
  const list = (d: string): string[] => readdirSync(d, { recursive: true, encoding: 'utf8' }).sort();

  it('creates the folder with every file, subfolders included, and leaves no temp folder', () => {
    const out = join(work, 'out');
    writeFilesAtomically(out, [
      { name: 'a.txt', data: 'hello\n' },
      { name: 'sub/deeper/b.bin', data: Buffer.from([1, 2, 3]) },
    ]);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('hello\n');
    expect([...readFileSync(join(out, 'sub/deeper/b.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(work)).toEqual(['out']);
  });

  it('adds to and replaces files in an existing folder, keeping the others', () => {
    const out = join(work, 'out');
    mkdirSync(join(out, 'keep'), { recursive: true });
    writeFileSync(join(out, 'keep/k.txt'), 'kept');
    writeFileSync(join(out, 'a.txt'), 'old');
    writeFilesAtomically(out, [{ name: 'a.txt', data: 'new' }, { name: 'keep/n.txt', data: 'n' }, { name: 'x/y.txt', data: 'y' }]);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('new');
    expect(readFileSync(join(out, 'keep/k.txt'), 'utf8')).toBe('kept');
    expect(list(out)).toEqual(['a.txt', 'keep', 'keep/k.txt', 'keep/n.txt', 'x', 'x/y.txt']);
    expect(readdirSync(work)).toEqual(['out']);
  });

  it('a failure while writing leaves neither the target nor a temp folder', () => {
    const out = join(work, 'out');
    // The second file needs "a" to be a folder, but the first made it a file: the write fails mid-way.
    expect(() => writeFilesAtomically(out, [{ name: 'a', data: '1' }, { name: 'a/b', data: '2' }])).toThrow();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
  });

  it('a failure while moving into an existing folder restores it as it was', () => {
    const out = join(work, 'out');
    mkdirSync(join(out, 'c'), { recursive: true });
    writeFileSync(join(out, 'a.txt'), 'old a');
    writeFileSync(join(out, 'c/inside'), 'i');
    // "c" is a folder in the target, so the third file cannot replace it.
    expect(() => writeFilesAtomically(out, [
      { name: 'a.txt', data: 'new a' },
      { name: 'new/b.txt', data: 'b' },
      { name: 'c', data: 'c' },
    ])).toThrow(/directory/);
    expect(list(out)).toEqual(['a.txt', 'c', 'c/inside']);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('old a');
    expect(readdirSync(work)).toEqual(['out']);
  });

  it('refuses names that would escape the folder, before writing anything', () => {
    const out = join(work, 'out');
    for (const name of ['../evil', '/abs', 'a//b', './a', '']) {
      const e = userError(() => writeFilesAtomically(out, [{ name: 'ok', data: '' }, { name, data: 'x' }]));
      expect(e.message).toContain(out);
    }
    expect(readdirSync(work)).toEqual([]);
  });

  it('refuses a target that is a file', () => {
    const out = join(work, 'out');
    writeFileSync(out, 'x');
    expect(userError(() => writeFilesAtomically(out, [{ name: 'a', data: '' }])).message).toMatch(/not a directory/);
    expect(readdirSync(work)).toEqual(['out']);
  });
});
