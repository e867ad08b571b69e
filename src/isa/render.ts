/**
 * Renders the contract (src/isa) into the files that follow it: the Verilog header cn_isa.vh (the
 * RTL: hw/cn_accel_seq.v, hw/cn_axil_regs.v, the Icarus testbench), the C header cn_isa.h (the HLS
 * kernel, the Verilator testbenches) and the descriptor and register tables of docs/isa.md.
 * hw/cn_isa.vh, hw/cn_isa.h and the tables are committed and kept current by
 * `npm run gen:contract` (scripts/gen-contract.ts; test/isa.test.ts checks them); every generated
 * folder gets its own copies rendered from the contract in force (src/gen/rtl.ts, src/gen/hls.ts,
 * src/gen/bundle.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COUNTERS } from '../hw/params.ts';
import { cComment } from '../util/escape.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { DEFAULT_ISA, currentIsa, fieldLsb, type FieldSpec, type Isa } from './index.ts';
import { PW_TILE_MAX } from './layout.ts';

export const VERILOG_HEADER = 'cn_isa.vh';
export const C_HEADER = 'cn_isa.h';

const up = (s: string) => s.toUpperCase();
/** Counter names as identifiers: 'busy cycles' -> BUSY_CYCLES. */
export const counterIdent = (text: string): string => up(text.replace(/[^A-Za-z0-9]+/g, '_'));
const bitPrefix = (r: { name: string; bitPrefix?: string }) => r.bitPrefix ?? r.name;

interface Def { name: string; value: string; comment?: string }

/** Every constant of the contract, in header order, with values as `hex(v)` formats them. */
function definitions(isa: Isa, hex: (v: number, digits: number) => string): Array<Def | string> {
  const d = isa.descriptor, s = d.sources, r = isa.registers;
  const out: Array<Def | string> = [];
  const num = (name: string, v: number, comment?: string) => out.push({ name, value: String(v), comment });
  out.push(`Descriptor: ${d.words} little-endian 32-bit words. Field F is bits [CN_D_F_LSB +: CN_D_F_W] of the descriptor`);
  out.push('(word CN_D_F_WORD, bit CN_D_F_BIT); an address is 64 bits, low word first.');
  num('CN_DESC_WORDS', d.words);
  num('CN_DESC_BYTES', 4 * d.words);
  num('CN_DESC_BITS', 32 * d.words);
  const field = (prefix: string, f: FieldSpec, base: number) => {
    const n = `${prefix}_${up(f.name)}`;
    num(`${n}_WORD`, f.word, f.doc);
    num(`${n}_BIT`, f.bit);
    num(`${n}_W`, f.width);
    num(`${n}_LSB`, fieldLsb(f, base));
    if (f.signed) num(`${n}_SIGNED`, 1);
  };
  for (const f of d.fields) field('CN_D', f, 0);
  for (const f of d.fields) for (const [k, v] of Object.entries(f.values ?? {})) num(`CN_${up(f.name)}_${k}`, v);
  num('CN_PW_TILE_MAX', PW_TILE_MAX, 'largest tiles of a PW descriptor: the 1x1 engine holds this many tiles of S/B');
  out.push(`Source slot s (0 .. CN_D_SRC_COUNT-1) starts at word CN_D_SRC_WORD + s * CN_D_SRC_STRIDE; its field F is bits`);
  out.push('[CN_D_SRC_LSB + s * CN_D_SRC_BITS + CN_S_F_LSB +: CN_S_F_W] (CN_S_F_WORD counts from the slot).');
  num('CN_D_SRC_WORD', s.word);
  num('CN_D_SRC_STRIDE', s.stride);
  num('CN_D_SRC_COUNT', s.count);
  num('CN_D_SRC_LSB', 32 * s.word);
  num('CN_D_SRC_BITS', 32 * s.stride);
  for (const f of s.fields) field('CN_S', f, 0);
  out.push(`Registers (AXI4-Lite, byte offsets, ${r.addrBits}-bit addresses) and their bits.`);
  num('CN_REG_ADDR_BITS', r.addrBits);
  for (const x of r.registers) {
    out.push({ name: `CN_REG_${x.name}`, value: hex(x.offset, 3), comment: `${x.access} ${x.doc}` });
    for (const b of x.bits ?? []) num(`CN_${bitPrefix(x)}_${b.name}_BIT`, b.bit, b.doc);
  }
  out.push({ name: 'CN_REG_COUNTERS', value: hex(r.counters.offset, 3), comment: `R ${r.counters.doc}` });
  num('CN_COUNTER_STRIDE', r.counters.stride);
  num('CN_NUM_COUNTERS', COUNTERS.length);
  COUNTERS.forEach((c, k) => num(`CN_COUNTER_${counterIdent(c)}`, k, c));
  return out;
}

const banner = (file: string) => [
  `${file} -- the hardware/software contract of the codenet accelerator (ISA v1): descriptor layout`,
  'and register map. Generated from src/isa/ (docs/isa.md) by `npm run gen:contract` (hw/) and by',
  'codenet gen (generated folders). Do not edit: change src/isa/layout.ts or src/isa/registers.ts.',
];

/** cn_isa.vh: `define constants, include-guarded (hw/cn_accel_seq.v, hw/cn_axil_regs.v, the Icarus testbench). */
export function renderVerilogHeader(isa: Isa = currentIsa()): string {
  const lines = banner(VERILOG_HEADER).map((l) => `// ${l}`);
  lines.push('`ifndef CN_ISA_VH', '`define CN_ISA_VH');
  let prev: Def | string | undefined;
  for (const d of definitions(isa, (v, n) => `'h${v.toString(16).padStart(n, '0')}`)) {
    if (typeof d === 'string') lines.push(...(typeof prev === 'string' ? [] : ['']), `// ${cComment(d)}`);
    else lines.push(`\`define ${d.name.padEnd(28)} ${d.value}${d.comment ? `  // ${cComment(d.comment)}` : ''}`);
    prev = d;
  }
  lines.push('', '`endif', '');
  return lines.join('\n');
}

/** cn_isa.h: #define constants and field accessors, C and C++ (the HLS kernel, the testbenches). */
export function renderCHeader(isa: Isa = currentIsa()): string {
  const lines = banner(C_HEADER).map((l, i, a) => `${i === 0 ? '/*' : ' *'} ${l}${i === a.length - 1 ? ' */' : ''}`);
  lines.push('#ifndef CN_ISA_H', '#define CN_ISA_H', '', '#include <stdint.h>');
  let prev: Def | string | undefined;
  for (const d of definitions(isa, (v, n) => `0x${v.toString(16).padStart(n, '0')}u`)) {
    if (typeof d === 'string') lines.push(...(typeof prev === 'string' ? [] : ['']), `/* ${cComment(d)} */`);
    else lines.push(`#define ${d.name.padEnd(28)} ${d.value}${d.comment ? ` /* ${cComment(d.comment)} */` : ''}`);
    prev = d;
  }
  for (const x of isa.registers.registers)
    for (const b of x.bits ?? []) lines.push(`#define CN_${bitPrefix(x)}_${b.name} (1u << CN_${bitPrefix(x)}_${b.name}_BIT)`);
  lines.push(
    '',
    '/* Field F of a descriptor held as CN_DESC_WORDS uint32_t words (F: the upper-case name, e.g. ENGINE). */',
    '#define CN_MASK(w) (0xffffffffu >> (32 - (w)))',
    '#define CN_SEXT(v, w) ((int32_t)((((uint32_t)(v)) ^ (1u << ((w) - 1))) - (1u << ((w) - 1))))',
    '#define CN_DESC_GET(words, F) (((uint32_t)(words)[CN_D_##F##_WORD] >> CN_D_##F##_BIT) & CN_MASK(CN_D_##F##_W))',
    '#define CN_DESC_GET_SIGNED(words, F) CN_SEXT(CN_DESC_GET(words, F), CN_D_##F##_W)',
    '#define CN_DESC_ADDR(words, F) ((uint64_t)(words)[CN_D_##F##_WORD] | (uint64_t)(words)[CN_D_##F##_WORD + 1] << 32)',
    '/* Field F of source slot s. */',
    '#define CN_SRC_WORD(s, F) (CN_D_SRC_WORD + CN_D_SRC_STRIDE * (s) + CN_S_##F##_WORD)',
    '#define CN_SRC_GET(words, s, F) (((uint32_t)(words)[CN_SRC_WORD(s, F)] >> CN_S_##F##_BIT) & CN_MASK(CN_S_##F##_W))',
    '#define CN_SRC_ADDR(words, s, F) ((uint64_t)(words)[CN_SRC_WORD(s, F)] | (uint64_t)(words)[CN_SRC_WORD(s, F) + 1] << 32)',
    '/* Counter k: low word at CN_REG_COUNTER_LO(k) (reading it latches the high word), high word 4 bytes later. */',
    '#define CN_REG_COUNTER_LO(k) (CN_REG_COUNTERS + CN_COUNTER_STRIDE * (k))',
    '#define CN_REG_COUNTER_HI(k) (CN_REG_COUNTER_LO(k) + 4u)',
    '',
    '#endif',
    '',
  );
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------ docs/isa.md

const bits = (f: FieldSpec) => (f.address ? '' : f.width === 1 ? `${f.bit}` : `${f.bit + f.width - 1}:${f.bit}`);
const md = (s: string) => s.replace(/\|/g, '\\|');

/** The "Descriptor layout" table of docs/isa.md: one row per field in word order, reserved words too. */
export function renderDescriptorTable(isa: Isa = currentIsa()): string {
  const d = isa.descriptor, s = d.sources;
  const rows: Array<{ at: number; cells: string[] }> = [];
  const used = new Set<number>();
  for (const f of d.fields) {
    const words = f.address ? [f.word, f.word + 1] : [f.word];
    words.forEach((w) => used.add(w));
    rows.push({ at: fieldLsb(f), cells: [words.join('-'), bits(f), `\`${f.name}\``, f.doc + (f.address ? (f.reloc ? ' (relocated when used)' : ' (relocated)') : '')] });
  }
  for (let k = 0; k < s.count; k++) for (let w = 0; w < s.stride; w++) used.add(s.word + s.stride * k + w);
  const slot = (w: number) => `${s.word + w} + ${s.stride}s`;
  for (const f of s.fields)
    rows.push({
      at: fieldLsb(f, s.word) + 0.5,
      cells: [f.address ? `${slot(f.word)}, ${slot(f.word + 1)}` : slot(f.word), bits(f), `\`src[s].${f.name}\``, f.doc + (f.address ? ' (relocated when used)' : '')],
    });
  for (let w = 0; w < d.words; w++) {
    if (used.has(w)) continue;
    let e = w;
    while (e + 1 < d.words && !used.has(e + 1)) e++;
    rows.push({ at: 32 * w, cells: [w === e ? `${w}` : `${w}-${e}`, '', '', 'reserved, 0'] });
    w = e;
  }
  rows.sort((a, b) => a.at - b.at);
  return [
    '| word | bits | field | meaning |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.cells.map(md).join(' | ')} |`),
    '',
    `Source slots \`s = 0 .. ${s.count - 1}\`; \`nsrc\` of them are used. Engine codes: ${Object.entries(d.fields.find((f) => f.values)?.values ?? {}).map(([k, v]) => `\`${k}\` = ${v}`).join(', ')}.`,
  ].join('\n');
}

/** The "Registers" table of docs/isa.md. */
export function renderRegisterTable(isa: Isa = currentIsa()): string {
  const r = isa.registers;
  const hex = (v: number) => `0x${v.toString(16).toUpperCase().padStart(2, '0')}`;
  const rows = r.registers.map((x) => `| ${hex(x.offset)} | \`${x.name}\` | ${x.access} | ${md(x.doc)}${(x.bits ?? []).map((b) => `; bit ${b.bit} \`${b.name}\`: ${md(b.doc)}`).join('')} |`);
  const c = r.counters;
  rows.push(`| ${hex(c.offset)} + ${c.stride}k | \`COUNTER\` k | R | ${md(c.doc)}; k = ${COUNTERS.map((n, k) => `${k} ${n}`).join(', ')} |`);
  return ['| offset | register | access | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Markers around the generated tables in docs/isa.md. */
export const DOC_MARKERS = {
  descriptor: ['<!-- generated: descriptor layout (src/isa/layout.ts, npm run gen:contract) -->', '<!-- end of generated descriptor layout -->'],
  registers: ['<!-- generated: register map (src/isa/registers.ts, npm run gen:contract) -->', '<!-- end of generated register map -->'],
} as const;

/** docs/isa.md with its generated tables replaced by the contract's (throws when a marker is missing). */
export function updateIsaDoc(text: string, isa: Isa = currentIsa()): string {
  let out = text;
  for (const [key, body] of [['descriptor', renderDescriptorTable(isa)], ['registers', renderRegisterTable(isa)]] as const) {
    const [begin, end] = DOC_MARKERS[key];
    const i = out.indexOf(begin), j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`docs/isa.md: the markers ${begin} ... ${end} are missing`);
    out = `${out.slice(0, i + begin.length)}\n${body}\n${out.slice(j)}`;
  }
  return out;
}

/**
 * The committed files of the default contract, path from the project root -> the text they must
 * hold: what `npm run gen:contract` writes (scripts/gen-contract.ts) and test/isa.test.ts checks.
 */
export function contractFiles(): Record<string, string> {
  return {
    [`hw/${VERILOG_HEADER}`]: renderVerilogHeader(DEFAULT_ISA),
    [`hw/${C_HEADER}`]: renderCHeader(DEFAULT_ISA),
    'docs/isa.md': updateIsaDoc(readFileSync(join(PROJECT_ROOT, 'docs/isa.md'), 'utf8'), DEFAULT_ISA),
  };
}
