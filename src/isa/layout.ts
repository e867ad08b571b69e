/**
 * The descriptor layout of ISA v1 as data (docs/isa.md, "Descriptor layout"): every field's word,
 * bit, width, signedness and whether it is a 64-bit address that the image's relocation table lists.
 * This is the one source of the layout: `encodeDescriptor` / `decodeDescriptor`
 * (src/compiler/descriptor.ts) loop over it, the Verilog header hw/cn_isa.vh (which
 * hw/cn_accel_seq.v includes) and the C header cn_isa.h (HLS kernel, testbenches) are generated
 * from it (src/isa/headers.ts), and so is the table in docs/isa.md (`npm run gen:contract`).
 * Moving a field is a change here and nowhere else (docs/architecture.md, "One contract").
 */

/** A field of the descriptor (or of one source slot: then `word` counts from the slot's first word). */
export interface FieldSpec {
  /** The ISA's name, as in `Descriptor` (src/compiler/descriptor.ts). */
  name: string;
  word: number;
  /** Lowest bit in the word (0 for an address). */
  bit: number;
  /** Bits; 64 for an address (two words, low word first). */
  width: number;
  /** Two's complement (lo, lo2). */
  signed?: boolean;
  /** A 64-bit DDR byte address: relocated when it is used (see `reloc`). */
  address?: boolean;
  /**
   * When an address field is a DDR address the image's relocation table lists: only if the field
   * `ifNonZero` names is non-zero (a config stream with beats), and never while a flag in `unless`
   * is set (then it is unused, or a byte offset into an on-chip buffer). Every other address field
   * is always relocated.
   */
  reloc?: { ifNonZero?: string; unless?: readonly string[] };
  /** The field holds the number of source slots in use (nsrc), not a Descriptor property. */
  countOfSources?: boolean;
  /** Named values (engine codes), emitted as constants in the headers. */
  values?: Readonly<Record<string, number>>;
  /** One line for docs/isa.md and the headers. */
  doc: string;
}

export interface DescriptorLayout {
  /** 32-bit words of a descriptor. */
  words: number;
  fields: readonly FieldSpec[];
  /** The gather's source slots: `count` slots of `stride` words from word `word`. */
  sources: { word: number; stride: number; count: number; fields: readonly FieldSpec[] };
}

/**
 * Output tiles a PW, PWDW or STEM descriptor's `tiles` may name: the 1x1 engine's S/B memory holds this many
 * tiles; rendered as CN_PW_TILE_MAX into cn_isa.vh (hw/cn_accel_seq.v's TMAX) and cn_isa.h (the HLS kernel).
 */
export const PW_TILE_MAX = 16;

export const DESCRIPTOR_LAYOUT: DescriptorLayout = {
  words: 64,
  fields: [
    { name: 'engine', word: 0, bit: 0, width: 4, values: { PW: 1, DW: 2, STEM: 3, PWDW: 4 }, doc: '1 PW, 2 DW, 3 STEM, 4 PWDW' },
    { name: 'pw_mode', word: 0, bit: 4, width: 1, doc: '1: dilation output (offset conv)' },
    { name: 'pool', word: 0, bit: 5, width: 1, doc: 'DW: maxpool' },
    { name: 'use_map', word: 0, bit: 6, width: 1, doc: 'DW: per-pixel dilation from `map`' },
    { name: 'map_out', word: 0, bit: 7, width: 1, doc: "PW with `pw_mode = 1`: the dilation of output pixel `p` goes to entry `p` of the depthwise engine's on-chip map, not to DDR (`out_addr` unused, 0)" },
    { name: 'stride', word: 0, bit: 8, width: 3, doc: 'DW / STEM / PWDW: 1, 2 or 4 (4 only for STEM)' },
    { name: 'out_chip', word: 0, bit: 11, width: 1, doc: 'the output goes into the on-chip tensor buffer; `out_addr` is a byte offset into it (not relocated)' },
    { name: 'dconst', word: 0, bit: 12, width: 4, doc: 'DW / STEM / PWDW: dilation when `use_map = 0` (STEM: 1)' },
    { name: 'dmax', word: 0, bit: 16, width: 4, doc: 'PW offset: clamp of the dilation; DW with map: largest map value' },
    { name: 'n', word: 0, bit: 20, width: 5, doc: "requantizer shift (PWDW: the 1x1's)" },
    { name: 'in_packed', word: 0, bit: 25, width: 1, doc: 'STEM: the input is packed, `lanes/4` pixels a beat of 4 bytes each (lanes `4k..4k+2` hold channels 0..2 of pixel `k`, lane `4k+3` is 0); its single source has `gstride` 1, `g0` 0, `ng` 1, no `up`, and `width` = `in_w / (lanes/4)` beats a row' },
    { name: 'lo', word: 1, bit: 0, width: 8, signed: true, doc: "lower clamp code (int8, two's complement): -128 or the ReLU floor (PWDW: the 1x1's)" },
    { name: 'layer', word: 1, bit: 16, width: 16, doc: 'layer index (informational)' },
    { name: 'in_h', word: 2, bit: 0, width: 16, doc: 'engine input rows' },
    { name: 'in_w', word: 2, bit: 16, width: 16, doc: 'engine input pixels per row' },
    { name: 'out_h', word: 3, bit: 0, width: 16, doc: 'engine output rows' },
    { name: 'out_w', word: 3, bit: 16, width: 16, doc: 'engine output pixels per row' },
    { name: 'gin', word: 4, bit: 0, width: 16, doc: 'groups per input pixel' },
    { name: 'nsrc', word: 4, bit: 16, width: 16, countOfSources: true, doc: 'number of sources (1..8)' },
    { name: 'out_ng', word: 5, bit: 0, width: 16, doc: 'groups written per output pixel' },
    { name: 'out_gstride', word: 5, bit: 16, width: 16, doc: 'groups per pixel of the output buffer' },
    { name: 'out_addr', word: 6, bit: 0, width: 64, address: true, reloc: { unless: ['map_out', 'out_chip'] }, doc: 'address of output pixel 0, first written group' },
    { name: 'wgt_addr', word: 8, bit: 0, width: 64, address: true, reloc: { ifNonZero: 'wgt_beats' }, doc: 'weights stream' },
    { name: 'wgt_beats', word: 10, bit: 0, width: 32, doc: 'beats of the weights stream' },
    { name: 'sb_addr', word: 11, bit: 0, width: 64, address: true, reloc: { ifNonZero: 'sb_beats' }, doc: 'S and B stream' },
    { name: 'sb_beats', word: 13, bit: 0, width: 32, doc: 'beats of the S and B stream' },
    { name: 'pad_addr', word: 14, bit: 0, width: 64, address: true, reloc: { ifNonZero: 'pad_beats' }, doc: 'pad-code stream (DW, STEM, PWDW)' },
    { name: 'pad_beats', word: 16, bit: 0, width: 32, doc: 'beats of the pad-code stream' },
    { name: 'map_addr', word: 17, bit: 0, width: 64, address: true, reloc: { ifNonZero: 'map_beats' }, doc: 'dilation-map stream (DW with `use_map`)' },
    { name: 'map_beats', word: 19, bit: 0, width: 32, doc: 'beats of the dilation-map stream' },
    { name: 'stat_addr', word: 20, bit: 0, width: 64, address: true, doc: 'statistics beat' },
    { name: 'n2', word: 22, bit: 0, width: 5, doc: "PWDW: the depthwise requantizer's shift; 0 otherwise" },
    { name: 'lo2', word: 22, bit: 8, width: 8, signed: true, doc: "PWDW: the depthwise requantizer's lower clamp; 0 otherwise" },
    { name: 'tiles', word: 23, bit: 16, width: 8, doc: 'PW, PWDW and STEM: output tiles of OUTS channels (STEM: OUTS/2 - 1) computed from each input pixel (STEM: im2col column) in turn, so the input is read once (all their weights and S/B on chip; PW and PWDW: every tile full, PWDW: the depthwise engine runs over all their groups); 0 or 1: one tile' },
    { name: 'dwgt_addr', word: 56, bit: 0, width: 64, address: true, reloc: { ifNonZero: 'dwgt_beats' }, doc: 'PWDW: depthwise weights stream' },
    { name: 'dwgt_beats', word: 58, bit: 0, width: 32, doc: 'PWDW: beats of the depthwise weights stream' },
    { name: 'dsb_addr', word: 59, bit: 0, width: 64, address: true, reloc: { ifNonZero: 'dsb_beats' }, doc: 'PWDW: depthwise S and B stream' },
    { name: 'dsb_beats', word: 61, bit: 0, width: 32, doc: 'PWDW: beats of the depthwise S and B stream' },
  ],
  sources: {
    word: 24, stride: 4, count: 8,
    fields: [
      { name: 'addr', word: 0, bit: 0, width: 64, address: true, reloc: { unless: ['chip'] }, doc: 'buffer address of pixel (0, 0), group 0' },
      { name: 'gstride', word: 2, bit: 0, width: 16, doc: 'groups per pixel of the buffer' },
      { name: 'width', word: 2, bit: 16, width: 16, doc: 'pixels per row of the buffer' },
      { name: 'g0', word: 3, bit: 0, width: 12, doc: 'first group taken' },
      { name: 'ng', word: 3, bit: 12, width: 12, doc: 'groups taken' },
      { name: 'up', word: 3, bit: 24, width: 1, doc: '1: nearest x2 upsample' },
      { name: 'chip', word: 3, bit: 25, width: 1, doc: '1: read the on-chip tensor buffer, `addr` a byte offset into it (not relocated)' },
    ],
  },
};
