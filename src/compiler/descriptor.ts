/**
 * The descriptor of ISA v1 (docs/isa.md, "Descriptor layout"): one pass of one engine, 64 words of
 * 32 bits, little-endian. Field names are the ISA's; where each field lives is data
 * (src/isa/layout.ts, the contract in force: src/isa/index.ts), and `encodeDescriptor` /
 * `decodeDescriptor` are one loop over it. `encodeDescriptor` checks that every field fits its bits
 * (a compiler bug otherwise); `decodeDescriptor` is its inverse.
 */
import { DEFAULT_ISA, currentIsa, type FieldSpec, type Isa } from '../isa/index.ts';
import { DESCRIPTOR_LAYOUT } from '../isa/layout.ts';

// The size, source count and engine codes are the same in every contract setIsa accepts.
export const DESCRIPTOR_WORDS = DESCRIPTOR_LAYOUT.words;
export const DESCRIPTOR_BYTES = DESCRIPTOR_WORDS * 4;
export const MAX_SOURCES = DESCRIPTOR_LAYOUT.sources.count;

const ENGINES = DESCRIPTOR_LAYOUT.fields.find((f) => f.name === 'engine')!.values!;
export const ENGINE_PW = ENGINES.PW;
export const ENGINE_DW = ENGINES.DW;
export const ENGINE_STEM = ENGINES.STEM;
/** Fused 1x1 -> depthwise 3x3: the 1x1 engine's output tile feeds the depthwise engine, not DDR. */
export const ENGINE_PWDW = ENGINES.PWDW;

/** Source s of the gather (docs/isa.md, "Sources"). */
export interface Source {
  /** Buffer address of pixel (0, 0), group 0. */
  addr: number;
  /** Groups per pixel of the buffer. */
  gstride: number;
  /** Pixels per row of the buffer. */
  width: number;
  /** First group taken. */
  g0: number;
  /** Groups taken. */
  ng: number;
  /** 1: nearest x2 upsample. */
  up: number;
  /** 1: read from the on-chip tensor buffer (addr is a byte offset into it, not relocated). */
  chip: number;
}

/** All fields of a descriptor; `nsrc` is `src.length`. */
export interface Descriptor {
  engine: number;
  pw_mode: number;
  pool: number;
  use_map: number;
  /** PW with pw_mode = 1: the dilation of output pixel p goes to entry p of the depthwise engine's on-chip map, not to DDR. */
  map_out: number;
  /** 1: the output goes into the on-chip tensor buffer (out_addr is a byte offset into it, not relocated). */
  out_chip: number;
  stride: number;
  dconst: number;
  dmax: number;
  n: number;
  /** Lower clamp code, int8 (-128..127). */
  lo: number;
  layer: number;
  in_h: number;
  in_w: number;
  out_h: number;
  out_w: number;
  gin: number;
  out_ng: number;
  out_gstride: number;
  out_addr: number;
  wgt_addr: number;
  wgt_beats: number;
  sb_addr: number;
  sb_beats: number;
  pad_addr: number;
  pad_beats: number;
  map_addr: number;
  map_beats: number;
  stat_addr: number;
  /** PWDW: the depthwise requantizer's shift and lower clamp (n and lo are the 1x1's); 0 otherwise. */
  n2: number;
  lo2: number;
  /** PW, PWDW and STEM: output tiles computed from each input pixel (im2col column) in turn (0 or 1: one). */
  tiles: number;
  /** PWDW: the depthwise weights and S/B streams (wgt and sb are the 1x1's); 0 otherwise. */
  dwgt_addr: number;
  dwgt_beats: number;
  dsb_addr: number;
  dsb_beats: number;
  /** STEM: 1 when the input holds lanes/4 pixels a beat (RGBX), its source `width` in beats. */
  in_packed: number;
  /** 1..8 sources. */
  src: Source[];
}

type Fields = Record<string, number>;

/** Word of the 64-bit address of source slot `s` (low word; the high word follows). */
export const srcAddrWord = (s: number, isa: Isa = currentIsa()): number => {
  const src = isa.descriptor.sources;
  return src.word + src.stride * s + src.fields.find((f) => f.address)!.word;
};

/** Every 64-bit address word of a layout (fixed fields in layout order, then the source slots). */
export function addressWords(isa: Isa = currentIsa()): number[] {
  const d = isa.descriptor;
  return [...d.fields.filter((f) => f.address).map((f) => f.word), ...Array.from({ length: d.sources.count }, (_, s) => srcAddrWord(s, isa))];
}

/** Every 64-bit address word of the default layout. */
export const ADDRESS_WORDS: readonly number[] = addressWords(DEFAULT_ISA);

const relocated = (f: FieldSpec, v: Fields): boolean =>
  !!f.address && (f.reloc?.ifNonZero === undefined || v[f.reloc.ifNonZero] !== 0) && !(f.reloc?.unless ?? []).some((n) => v[n]);

/**
 * The DDR address words a descriptor actually uses (layout.ts `reloc`): out (unless it goes to
 * the dilation map or the tensor buffer) and stat, a config stream's address when its beat count
 * is non-zero, the addresses of the first nsrc sources that read DDR. These are the relocations;
 * unused address fields stay 0, and tensor-buffer offsets are not addresses.
 */
export function usedAddressWords(d: Descriptor, isa: Isa = currentIsa()): number[] {
  const l = isa.descriptor, s = l.sources;
  const w = l.fields.filter((f) => relocated(f, d as unknown as Fields)).map((f) => f.word);
  d.src.forEach((src, k) => {
    for (const f of s.fields) if (relocated(f, src as unknown as Fields)) w.push(s.word + s.stride * k + f.word);
  });
  return w;
}

function put(words: Uint32Array, base: number, f: FieldSpec, v: number, name: string): void {
  const idx = base + f.word;
  if (f.address) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`descriptor address ${name} = ${v} is not a non-negative integer`);
    words[idx] = v % 2 ** 32;
    words[idx + 1] = Math.floor(v / 2 ** 32);
    return;
  }
  let u = v;
  if (f.signed) {
    const half = 2 ** (f.width - 1);
    if (!Number.isInteger(v) || v < -half || v >= half) throw new Error(`descriptor field ${name} = ${v} is not an int${f.width}`);
    u = v < 0 ? v + 2 * half : v;
  }
  if (!Number.isInteger(u) || u < 0 || u >= 2 ** f.width) throw new Error(`descriptor field ${name} = ${v} does not fit ${f.width} bits`);
  words[idx] = (words[idx] | (u * 2 ** f.bit)) >>> 0;
}

function get(words: Uint32Array, base: number, f: FieldSpec): number {
  const idx = base + f.word;
  if (f.address) return words[idx] + words[idx + 1] * 2 ** 32;
  const u = f.width === 32 ? words[idx] : (words[idx] >>> f.bit) & (2 ** f.width - 1);
  return f.signed && u >= 2 ** (f.width - 1) ? u - 2 ** f.width : u;
}

export function encodeDescriptor(d: Descriptor, isa: Isa = currentIsa()): Uint32Array {
  const l = isa.descriptor, s = l.sources;
  const w = new Uint32Array(l.words);
  if (d.src.length < 1 || d.src.length > s.count) throw new Error(`descriptor has ${d.src.length} sources (1..${s.count})`);
  const v = d as unknown as Fields;
  for (const f of l.fields) put(w, 0, f, f.countOfSources ? d.src.length : v[f.name], f.name);
  d.src.forEach((src, k) => {
    for (const f of s.fields) put(w, s.word + s.stride * k, f, (src as unknown as Fields)[f.name], `src[${k}].${f.name}`);
  });
  return w;
}

/** Decodes a descriptor's words (reserved words and the unused source slots are ignored). */
export function decodeDescriptor(words: ArrayLike<number>, isa: Isa = currentIsa()): Descriptor {
  const l = isa.descriptor, s = l.sources;
  if (words.length < l.words) throw new Error(`a descriptor is ${l.words} words, got ${words.length}`);
  const w = Uint32Array.from(Array.prototype.slice.call(words, 0, l.words) as number[]);
  const d: Fields = {};
  let nsrc = 0;
  for (const f of l.fields) {
    if (f.countOfSources) nsrc = get(w, 0, f);
    else d[f.name] = get(w, 0, f);
  }
  const src = Array.from({ length: Math.min(nsrc, s.count) }, (_, k) => {
    const x: Fields = {};
    for (const f of s.fields) x[f.name] = get(w, s.word + s.stride * k, f);
    return x;
  });
  return { ...d, src } as unknown as Descriptor;
}

/** Writes a descriptor's 256 bytes at `offset` of `mem`, little-endian. */
export function writeDescriptor(mem: Uint8Array, offset: number, d: Descriptor): void {
  const w = encodeDescriptor(d);
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  for (let i = 0; i < DESCRIPTOR_WORDS; i++) dv.setUint32(offset + 4 * i, w[i], true);
}

/** Reads the descriptor at `offset` of `mem`. */
export function readDescriptor(mem: Uint8Array, offset: number): Descriptor {
  if (offset < 0 || offset + DESCRIPTOR_BYTES > mem.length) throw new Error(`descriptor at ${offset} lies outside memory of ${mem.length} bytes`);
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const w = new Uint32Array(DESCRIPTOR_WORDS);
  for (let i = 0; i < DESCRIPTOR_WORDS; i++) w[i] = dv.getUint32(offset + 4 * i, true);
  return decodeDescriptor(w);
}
