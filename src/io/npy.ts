/**
 * NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 * Reads format versions 1.0, 2.0 (and 3.0, which only differs in the header's text encoding);
 * writes 1.0 byte for byte as numpy's np.save does. C order, little-endian, and the dtypes
 * int8, uint8, int16, int32, float32 only. Every problem with a file is a UserError naming it.
 */
import { readFileSync, statSync } from 'node:fs';
import { UserError, fail } from '../util/errors.ts';
import { MAX_NPY_DIMS, MAX_NPY_FILE_BYTES, MAX_NPY_HEADER_BYTES, MAX_NPY_HEADER_DEPTH, limitText } from '../ir/limits.ts';

export type NpyDtype = 'int8' | 'uint8' | 'int16' | 'int32' | 'float32';

export interface NpyTypedArrays {
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
}
export type NpyData = NpyTypedArrays[NpyDtype];

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** An NpyArray whose dtype (and so its data's type) is known. */
export interface NpyArrayOf<D extends NpyDtype> extends NpyArray {
  dtype: D;
  data: NpyTypedArrays[D];
}

interface DtypeInfo {
  descr: string;
  size: number;
  make: (n: number) => NpyData;
  get: (dv: DataView, off: number) => number;
  set: (dv: DataView, off: number, v: number) => void;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  int8: { descr: '|i1', size: 1, make: (n) => new Int8Array(n), get: (dv, o) => dv.getInt8(o), set: (dv, o, v) => dv.setInt8(o, v) },
  uint8: { descr: '|u1', size: 1, make: (n) => new Uint8Array(n), get: (dv, o) => dv.getUint8(o), set: (dv, o, v) => dv.setUint8(o, v) },
  int16: { descr: '<i2', size: 2, make: (n) => new Int16Array(n), get: (dv, o) => dv.getInt16(o, true), set: (dv, o, v) => dv.setInt16(o, v, true) },
  int32: { descr: '<i4', size: 4, make: (n) => new Int32Array(n), get: (dv, o) => dv.getInt32(o, true), set: (dv, o, v) => dv.setInt32(o, v, true) },
  float32: { descr: '<f4', size: 4, make: (n) => new Float32Array(n), get: (dv, o) => dv.getFloat32(o, true), set: (dv, o, v) => dv.setFloat32(o, v, true) },
};

const SUPPORTED = 'int8 (|i1), uint8 (|u1), int16 (<i2), int32 (<i4), float32 (<f4)';
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** numpy aligns the start of the data to this many bytes. */
const ARRAY_ALIGN = 64;
/** numpy leaves room in the header for the first axis to grow to this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;

const TYPED_CTOR: Record<NpyDtype, Function> = {
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array,
};

function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes an array as a version 1.0 .npy file, the same bytes np.save writes. */
export function encodeNpy(a: NpyArray): Buffer {
  const info = DTYPES[a.dtype];
  if (!info) throw new Error(`encodeNpy: unknown dtype ${String(a.dtype)}`);
  for (const d of a.shape) if (!Number.isSafeInteger(d) || d < 0) throw new Error(`encodeNpy: bad shape [${a.shape}]`);
  const count = elementCount(a.shape);
  if (!(a.data instanceof TYPED_CTOR[a.dtype])) throw new Error(`encodeNpy: data is a ${a.data.constructor.name}, dtype ${a.dtype} needs a ${TYPED_CTOR[a.dtype].name}`);
  if (a.data.length !== count) throw new Error(`encodeNpy: data holds ${a.data.length} values, shape [${a.shape}] needs ${count}`);

  let dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shapeText(a.shape)}, }`;
  if (a.shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(a.shape[0]).length));
  // Version 1.0 has a 2-byte header length; numpy moves to 2.0 (4 bytes) only when it must.
  let version = 1;
  let hlen = dict.length + 1; // + '\n'
  let prefix = MAGIC.length + 2 + 2;
  let pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  if (hlen + pad > 0xffff) {
    version = 2;
    prefix = MAGIC.length + 2 + 4;
    pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  }
  const headerBytes = hlen + pad;
  const out = Buffer.alloc(prefix + headerBytes + count * info.size);
  MAGIC.copy(out, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) out.writeUInt16LE(headerBytes, 8);
  else out.writeUInt32LE(headerBytes, 8);
  out.write(dict + ' '.repeat(pad) + '\n', prefix, 'latin1');
  const base = prefix + headerBytes;
  if (info.size === 1) {
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, count), base);
  } else {
    const dv = new DataView(out.buffer, out.byteOffset + base, count * info.size);
    const data = a.data;
    for (let i = 0; i < count; i++) info.set(dv, i * info.size, data[i]);
  }
  return out;
}

// ---- header parsing: a small reader for the Python literal numpy writes ----

type PyValue = string | number | boolean | null | PyValue[] | { dict: Map<string, PyValue> };

class PyLiteralError extends Error {}

function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const err = (what: string): never => {
    throw new PyLiteralError(`${what} at character ${i + 1}`);
  };
  let depth = 0;
  const value = (): PyValue => {
    ws();
    const ch = text[i];
    if (ch === undefined) return err('unexpected end of text');
    if ((ch === '{' || ch === '(' || ch === '[') && ++depth > MAX_NPY_HEADER_DEPTH)
      err(`nesting deeper than ${MAX_NPY_HEADER_DEPTH} levels`);
    const v = item(ch);
    if (ch === '{' || ch === '(' || ch === '[') depth--;
    return v;
  };
  const item = (ch: string): PyValue => {
    if (ch === '{') {
      i++;
      const dict = new Map<string, PyValue>();
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return { dict }; }
        const k = value();
        if (typeof k !== 'string') err('dictionary key is not a string');
        ws();
        if (text[i] !== ':') err(`expected ':'`);
        i++;
        const v = value();
        if (dict.has(k as string)) err(`key '${k as string}' appears twice`);
        dict.set(k as string, v);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return { dict }; }
        err(`expected ',' or '}'`);
      }
    }
    if (ch === '(' || ch === '[') {
      const close = ch === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      let sawComma = false;
      for (;;) {
        ws();
        if (text[i] === close) { i++; break; }
        items.push(value());
        ws();
        if (text[i] === ',') { i++; sawComma = true; continue; }
        if (text[i] === close) { i++; break; }
        err(`expected ',' or '${close}'`);
      }
      // "(5)" is just 5 in Python; only "(5,)" is a tuple.
      if (ch === '(' && items.length === 1 && !sawComma) return items[0];
      return items;
    }
    if (ch === "'" || ch === '"') {
      i++;
      let s = '';
      for (;;) {
        const c = text[i];
        if (c === undefined || c === '\n') return err('unterminated string');
        i++;
        if (c === ch) return s;
        if (c === '\\') {
          const e = text[i++];
          if (e === undefined) return err('unterminated string');
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        } else s += c;
      }
    }
    const m = /^[+-]?\d+[lL]?/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      const n = Number(m[0].replace(/[lL]$/, ''));
      if (!Number.isSafeInteger(n)) err(`integer ${m[0]} is too large`);
      return n;
    }
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i) && !/\w/.test(text[i + word.length] ?? '')) { i += word.length; return v; }
    }
    return err(`unexpected '${ch}'`);
  };
  const v = value();
  ws();
  if (i < text.length) err('unexpected text after the header dictionary');
  return v;
}

function dtypeFromDescr(descr: PyValue, where: string): NpyDtype {
  if (typeof descr !== 'string') fail(`${where}: the .npy header has a structured or non-string 'descr' (${JSON.stringify(descr)}); only plain arrays of ${SUPPORTED} are supported`);
  const d = descr as string;
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(d);
  if (m) {
    const [, order, kind, sizeText] = m;
    const size = Number(sizeText);
    const name = kind === 'i' && size === 1 ? 'int8' : kind === 'u' && size === 1 ? 'uint8' : kind === 'i' && size === 2 ? 'int16'
      : kind === 'i' && size === 4 ? 'int32' : kind === 'f' && size === 4 ? 'float32' : null;
    if (name) {
      if (size === 1) return name; // byte order means nothing for one byte
      if (order === '>') fail(`${where}: the data is big-endian ('${d}'); only little-endian data is supported (save it from numpy with arr.astype('<${kind}${size}'))`);
      if (order === '<') return name;
    }
  }
  return fail(`${where}: dtype '${d}' is not supported; supported dtypes are ${SUPPORTED}`);
}

/** Decodes the bytes of a .npy file; `where` (the file name) is used in error messages. */
export function decodeNpy(buf: Buffer, where: string): NpyArray {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC))
    fail(`${where} is not a NumPy .npy file: it does not start with the magic bytes \\x93NUMPY`);
  if (buf.length < 8) fail(`${where}: truncated .npy header (the file has only ${buf.length} bytes)`);
  const major = buf[6], minor = buf[7];
  if (!(major >= 1 && major <= 3 && minor === 0)) fail(`${where}: .npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
  const lenBytes = major === 1 ? 2 : 4;
  const prefix = 8 + lenBytes;
  if (buf.length < prefix) fail(`${where}: truncated .npy header (the file has only ${buf.length} bytes)`);
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (hlen > MAX_NPY_HEADER_BYTES) fail(`${where}: the .npy header declares ${hlen.toLocaleString('en-US')} bytes, more than the limit of ${limitText(MAX_NPY_HEADER_BYTES)} (numpy writes a few hundred)`);
  if (buf.length < prefix + hlen) fail(`${where}: truncated .npy header: it declares ${hlen} header bytes, the file holds only ${buf.length - prefix} after the header length`);
  const headerText = buf.toString(major === 3 ? 'utf8' : 'latin1', prefix, prefix + hlen);

  let header: PyValue;
  try {
    header = parsePyLiteral(headerText);
  } catch (e) {
    if (!(e instanceof PyLiteralError)) throw e;
    return fail(`${where}: cannot parse the .npy header dictionary (${e.message}): ${JSON.stringify(headerText.trim().slice(0, 200))}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail(`${where}: the .npy header is not a dictionary: ${JSON.stringify(headerText.trim().slice(0, 200))}`);
  const dict = (header as { dict: Map<string, PyValue> }).dict;
  const expected = ['descr', 'fortran_order', 'shape'];
  const missing = expected.filter((k) => !dict.has(k));
  const extra = [...dict.keys()].filter((k) => !expected.includes(k));
  if (missing.length || extra.length)
    fail(`${where}: the .npy header must have exactly the keys 'descr', 'fortran_order' and 'shape'${missing.length ? `; missing ${missing.map((k) => `'${k}'`).join(', ')}` : ''}${extra.length ? `; unexpected ${extra.map((k) => `'${k}'`).join(', ')}` : ''}`);

  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') fail(`${where}: the .npy header field 'fortran_order' must be True or False, not ${JSON.stringify(fortran)}`);
  const rawShape = dict.get('shape');
  if (!Array.isArray(rawShape) || !rawShape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0))
    fail(`${where}: the .npy header field 'shape' must be a tuple of non-negative integers, not ${JSON.stringify(rawShape)}`);
  const shape = rawShape as number[];
  if (shape.length > MAX_NPY_DIMS) fail(`${where}: the .npy header field 'shape' has ${shape.length} dimensions, more than the limit of ${MAX_NPY_DIMS}`);
  const dtype = dtypeFromDescr(dict.get('descr')!, where);
  if (fortran) {
    // A 0-D or 1-D array is the same in both orders, but numpy itself only writes True for arrays
    // that are not C-contiguous; reject it plainly rather than guess.
    fail(`${where}: the array is stored in Fortran order (fortran_order: True); only C order is supported (save it from numpy with np.ascontiguousarray(arr))`);
  }

  const info = DTYPES[dtype];
  const count = elementCount(shape);
  const need = count * info.size;
  const have = buf.length - prefix - hlen;
  if (have < need) fail(`${where}: the file is truncated: shape ${shapeText(shape)} of ${dtype} needs ${need} bytes of data, the file holds ${have}`);
  if (have > need) fail(`${where}: the file has ${have - need} bytes of data beyond what shape ${shapeText(shape)} of ${dtype} needs (${need}); the header and data disagree`);

  const base = prefix + hlen;
  const data = info.make(count);
  if (info.size === 1) {
    new Uint8Array(data.buffer).set(buf.subarray(base, base + need));
  } else {
    const dv = new DataView(buf.buffer, buf.byteOffset + base, need);
    for (let i = 0; i < count; i++) data[i] = info.get(dv, i * info.size);
  }
  return { dtype, shape, data };
}

/** Reads a .npy file; a missing or unreadable file is a UserError ("cannot read ..."). */
export function readNpy(path: string): NpyArray {
  let buf: Buffer;
  try {
    const st = statSync(path);
    if (st.isFile() && st.size > MAX_NPY_FILE_BYTES) fail(`.npy file ${path} has ${st.size.toLocaleString('en-US')} bytes, more than the limit of ${limitText(MAX_NPY_FILE_BYTES)}`);
    buf = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.code ?? err.message;
    return fail(`cannot read .npy file ${path}: ${why}`);
  }
  return decodeNpy(buf, path);
}

/**
 * Reads a .npy file that must hold the given dtype and shape. A null entry in `shape` matches
 * any length on that axis.
 */
export function readNpyAs<D extends NpyDtype>(path: string, dtype: D, shape: ReadonlyArray<number | null>): NpyArrayOf<D> {
  const a = readNpy(path);
  const shapeOk = a.shape.length === shape.length && shape.every((d, i) => d === null || d === a.shape[i]);
  const want = `(${shape.map((d) => (d === null ? 'any' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
  if (a.dtype !== dtype || !shapeOk) {
    const problems: string[] = [];
    if (a.dtype !== dtype) problems.push(`dtype ${a.dtype} (${DTYPES[a.dtype].descr}) where ${dtype} (${DTYPES[dtype].descr}) is expected`);
    if (!shapeOk) problems.push(`shape ${shapeText(a.shape)} where ${want} is expected`);
    fail(`.npy file ${path} has ${problems.join(' and ')}`);
  }
  return a as NpyArrayOf<D>;
}

/** The Python-style text of a shape, e.g. "(5,)" or "(2, 3)", for messages. */
export function formatShape(shape: readonly number[]): string {
  return shapeText(shape);
}
