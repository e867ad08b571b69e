/**
 * The descriptor of ISA v1 (docs/isa.md, "Descriptor layout"): one pass of one engine, 64 words of
 * 32 bits, little-endian. Field names are the ISA's. `encodeDescriptor` checks that every field fits
 * its bits (a compiler bug otherwise); `decodeDescriptor` is its inverse.
 */

export const DESCRIPTOR_WORDS = 64;
export const DESCRIPTOR_BYTES = DESCRIPTOR_WORDS * 4;
export const MAX_SOURCES = 8;

export const ENGINE_PW = 1;
export const ENGINE_DW = 2;
export const ENGINE_STEM = 3;
/** Fused 1x1 -> depthwise 3x3: the 1x1 engine's output tile feeds the depthwise engine, not DDR. */
export const ENGINE_PWDW = 4;

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
  /** PWDW: the depthwise weights and S/B streams (wgt and sb are the 1x1's); 0 otherwise. */
  dwgt_addr: number;
  dwgt_beats: number;
  dsb_addr: number;
  dsb_beats: number;
  /** 1..8 sources. */
  src: Source[];
}

/** Word index of each 64-bit address field (low word; the high word follows). */
export const ADDR_WORD = {
  out_addr: 6,
  wgt_addr: 8,
  sb_addr: 11,
  pad_addr: 14,
  map_addr: 17,
  stat_addr: 20,
  dwgt_addr: 56,
  dsb_addr: 59,
} as const;
export const srcAddrWord = (s: number): number => 24 + 4 * s;

/** Every 64-bit address word of the layout (fixed fields, then the eight source slots). */
export const ADDRESS_WORDS: readonly number[] = [
  ...Object.values(ADDR_WORD),
  ...Array.from({ length: MAX_SOURCES }, (_, s) => srcAddrWord(s)),
];

/**
 * The DDR address words a descriptor actually uses: out (unless it goes to the dilation map or
 * the tensor buffer) and stat, a config stream's address when its beat count is non-zero, the
 * addresses of the first nsrc sources that read DDR. These are the relocations; unused address
 * fields stay 0, and tensor-buffer offsets are not addresses.
 */
export function usedAddressWords(d: Descriptor): number[] {
  const w: number[] = d.map_out || d.out_chip ? [] : [ADDR_WORD.out_addr];
  if (d.wgt_beats) w.push(ADDR_WORD.wgt_addr);
  if (d.sb_beats) w.push(ADDR_WORD.sb_addr);
  if (d.pad_beats) w.push(ADDR_WORD.pad_addr);
  if (d.map_beats) w.push(ADDR_WORD.map_addr);
  w.push(ADDR_WORD.stat_addr);
  if (d.dwgt_beats) w.push(ADDR_WORD.dwgt_addr);
  if (d.dsb_beats) w.push(ADDR_WORD.dsb_addr);
  for (let s = 0; s < d.src.length; s++) if (!d.src[s].chip) w.push(srcAddrWord(s));
  return w;
}

function put(words: Uint32Array, idx: number, shift: number, bits: number, v: number, name: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new Error(`descriptor field ${name} = ${v} does not fit ${bits} bits`);
  words[idx] = (words[idx] | (v << shift)) >>> 0;
}

function put64(words: Uint32Array, idx: number, v: number, name: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`descriptor address ${name} = ${v} is not a non-negative integer`);
  words[idx] = v % 2 ** 32;
  words[idx + 1] = Math.floor(v / 2 ** 32);
}

const get = (words: Uint32Array, idx: number, shift: number, bits: number): number => (words[idx] >>> shift) & (bits === 32 ? 0xffffffff : (1 << bits) - 1);
const get64 = (words: Uint32Array, idx: number): number => words[idx] + words[idx + 1] * 2 ** 32;

export function encodeDescriptor(d: Descriptor): Uint32Array {
  const w = new Uint32Array(DESCRIPTOR_WORDS);
  if (d.src.length < 1 || d.src.length > MAX_SOURCES) throw new Error(`descriptor has ${d.src.length} sources (1..${MAX_SOURCES})`);
  put(w, 0, 0, 4, d.engine, 'engine');
  put(w, 0, 4, 1, d.pw_mode, 'pw_mode');
  put(w, 0, 5, 1, d.pool, 'pool');
  put(w, 0, 6, 1, d.use_map, 'use_map');
  put(w, 0, 7, 1, d.map_out, 'map_out');
  put(w, 0, 8, 3, d.stride, 'stride');
  put(w, 0, 11, 1, d.out_chip, 'out_chip');
  put(w, 0, 12, 4, d.dconst, 'dconst');
  put(w, 0, 16, 4, d.dmax, 'dmax');
  put(w, 0, 20, 5, d.n, 'n');
  if (!Number.isInteger(d.lo) || d.lo < -128 || d.lo > 127) throw new Error(`descriptor field lo = ${d.lo} is not an int8`);
  put(w, 1, 0, 8, d.lo & 0xff, 'lo');
  put(w, 1, 16, 16, d.layer, 'layer');
  put(w, 2, 0, 16, d.in_h, 'in_h');
  put(w, 2, 16, 16, d.in_w, 'in_w');
  put(w, 3, 0, 16, d.out_h, 'out_h');
  put(w, 3, 16, 16, d.out_w, 'out_w');
  put(w, 4, 0, 16, d.gin, 'gin');
  put(w, 4, 16, 16, d.src.length, 'nsrc');
  put(w, 5, 0, 16, d.out_ng, 'out_ng');
  put(w, 5, 16, 16, d.out_gstride, 'out_gstride');
  put64(w, 6, d.out_addr, 'out_addr');
  put64(w, 8, d.wgt_addr, 'wgt_addr');
  put(w, 10, 0, 32, d.wgt_beats, 'wgt_beats');
  put64(w, 11, d.sb_addr, 'sb_addr');
  put(w, 13, 0, 32, d.sb_beats, 'sb_beats');
  put64(w, 14, d.pad_addr, 'pad_addr');
  put(w, 16, 0, 32, d.pad_beats, 'pad_beats');
  put64(w, 17, d.map_addr, 'map_addr');
  put(w, 19, 0, 32, d.map_beats, 'map_beats');
  put64(w, 20, d.stat_addr, 'stat_addr');
  put(w, 22, 0, 5, d.n2, 'n2');
  if (!Number.isInteger(d.lo2) || d.lo2 < -128 || d.lo2 > 127) throw new Error(`descriptor field lo2 = ${d.lo2} is not an int8`);
  put(w, 22, 8, 8, d.lo2 & 0xff, 'lo2');
  put64(w, 56, d.dwgt_addr, 'dwgt_addr');
  put(w, 58, 0, 32, d.dwgt_beats, 'dwgt_beats');
  put64(w, 59, d.dsb_addr, 'dsb_addr');
  put(w, 61, 0, 32, d.dsb_beats, 'dsb_beats');
  d.src.forEach((s, i) => {
    const b = 24 + 4 * i;
    put64(w, b, s.addr, `src[${i}].addr`);
    put(w, b + 2, 0, 16, s.gstride, `src[${i}].gstride`);
    put(w, b + 2, 16, 16, s.width, `src[${i}].width`);
    put(w, b + 3, 0, 12, s.g0, `src[${i}].g0`);
    put(w, b + 3, 12, 12, s.ng, `src[${i}].ng`);
    put(w, b + 3, 24, 1, s.up, `src[${i}].up`);
    put(w, b + 3, 25, 1, s.chip, `src[${i}].chip`);
  });
  return w;
}

/** Decodes 64 words (reserved words and the unused source slots are ignored). */
export function decodeDescriptor(words: ArrayLike<number>): Descriptor {
  if (words.length < DESCRIPTOR_WORDS) throw new Error(`a descriptor is ${DESCRIPTOR_WORDS} words, got ${words.length}`);
  const w = Uint32Array.from(Array.prototype.slice.call(words, 0, DESCRIPTOR_WORDS) as number[]);
  const nsrc = get(w, 4, 16, 16);
  const int8 = (v: number) => (v >= 128 ? v - 256 : v);
  return {
    engine: get(w, 0, 0, 4),
    pw_mode: get(w, 0, 4, 1),
    pool: get(w, 0, 5, 1),
    use_map: get(w, 0, 6, 1),
    map_out: get(w, 0, 7, 1),
    out_chip: get(w, 0, 11, 1),
    stride: get(w, 0, 8, 3),
    dconst: get(w, 0, 12, 4),
    dmax: get(w, 0, 16, 4),
    n: get(w, 0, 20, 5),
    lo: int8(get(w, 1, 0, 8)),
    layer: get(w, 1, 16, 16),
    in_h: get(w, 2, 0, 16),
    in_w: get(w, 2, 16, 16),
    out_h: get(w, 3, 0, 16),
    out_w: get(w, 3, 16, 16),
    gin: get(w, 4, 0, 16),
    out_ng: get(w, 5, 0, 16),
    out_gstride: get(w, 5, 16, 16),
    out_addr: get64(w, 6),
    wgt_addr: get64(w, 8),
    wgt_beats: w[10],
    sb_addr: get64(w, 11),
    sb_beats: w[13],
    pad_addr: get64(w, 14),
    pad_beats: w[16],
    map_addr: get64(w, 17),
    map_beats: w[19],
    stat_addr: get64(w, 20),
    n2: get(w, 22, 0, 5),
    lo2: int8(get(w, 22, 8, 8)),
    dwgt_addr: get64(w, 56),
    dwgt_beats: w[58],
    dsb_addr: get64(w, 59),
    dsb_beats: w[61],
    src: Array.from({ length: Math.min(nsrc, MAX_SOURCES) }, (_, i) => {
      const b = 24 + 4 * i;
      return {
        addr: get64(w, b),
        gstride: get(w, b + 2, 0, 16),
        width: get(w, b + 2, 16, 16),
        g0: get(w, b + 3, 0, 12),
        ng: get(w, b + 3, 12, 12),
        up: get(w, b + 3, 24, 1),
        chip: get(w, b + 3, 25, 1),
      };
    }),
  };
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
