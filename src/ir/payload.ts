import type { Payload } from './schema.ts';

/** Packs integer values into a payload (int4: two per byte, element 2k in the low nibble). */
export function encodePayload(dtype: Payload['dtype'], shape: number[], values: ArrayLike<number>): Payload {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`payload has ${values.length} values for shape [${shape}]`);
  let bytes: Uint8Array;
  if (dtype === 'int4') {
    bytes = new Uint8Array((count + 1) >> 1);
    for (let i = 0; i < count; i++) bytes[i >> 1] |= (values[i] & 0xf) << ((i & 1) * 4);
  } else if (dtype === 'int8') {
    bytes = new Uint8Array(Int8Array.from(values).buffer);
  } else {
    const v = new Int16Array(count);
    for (let i = 0; i < count; i++) v[i] = values[i];
    const dv = new DataView(new ArrayBuffer(count * 2));
    for (let i = 0; i < count; i++) dv.setInt16(i * 2, v[i], true);
    bytes = new Uint8Array(dv.buffer);
  }
  return { dtype, shape: [...shape], data: Buffer.from(bytes).toString('base64') };
}

/** Byte length a payload of this dtype and element count must have. */
export function payloadBytes(dtype: Payload['dtype'], count: number): number {
  return dtype === 'int4' ? (count + 1) >> 1 : dtype === 'int8' ? count : count * 2;
}

/** Unpacks a payload to Int8Array (int4, int8) or Int16Array (int16). Returns an error text on a bad length. */
export function decodePayload(p: Payload): Int8Array | Int16Array | string {
  const count = p.shape.reduce((a, b) => a * b, 1);
  const bytes = Buffer.from(p.data, 'base64');
  const want = payloadBytes(p.dtype, count);
  if (bytes.length !== want) return `payload holds ${bytes.length} bytes, shape [${p.shape}] of ${p.dtype} needs ${want}`;
  if (p.dtype === 'int4') {
    const out = new Int8Array(count);
    for (let i = 0; i < count; i++) {
      const nib = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
      out[i] = nib >= 8 ? nib - 16 : nib;
    }
    return out;
  }
  if (p.dtype === 'int8') return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}
