/**
 * The hardware/software contract: the descriptor layout (src/isa/layout.ts) and the register map
 * (src/isa/registers.ts) as data, the one source that the compiler's encoder and decoder, the RTL
 * (through the generated cn_isa.vh), the HLS kernel, the testbenches (cn_isa.h), the drivers and
 * docs/isa.md follow (src/isa/headers.ts renders the headers).
 *
 * `setIsa` replaces the contract for this process (tests: a layout with fields moved must run
 * bit-exact on every backend, test/isa-override.test.ts); every consumer reads `currentIsa()` at
 * the time it encodes, decodes or renders, so nothing else changes.
 */
import { DESCRIPTOR_LAYOUT, type DescriptorLayout, type FieldSpec } from './layout.ts';
import { REGISTER_MAP, type RegisterMap } from './registers.ts';
import { COUNTERS } from '../hw/params.ts';

export type { DescriptorLayout, FieldSpec } from './layout.ts';
export type { RegisterBit, RegisterMap, RegisterSpec } from './registers.ts';

export interface Isa {
  descriptor: DescriptorLayout;
  registers: RegisterMap;
}

export const DEFAULT_ISA: Isa = { descriptor: DESCRIPTOR_LAYOUT, registers: REGISTER_MAP };

let active: Isa = DEFAULT_ISA;

/** The contract in force: the default unless `setIsa` replaced it. */
export function currentIsa(): Isa {
  return active;
}

/** Replaces the contract for this process (validated first); `undefined` restores the default. */
export function setIsa(isa: Isa | undefined): void {
  if (isa) validateIsa(isa, DEFAULT_ISA);
  active = isa ?? DEFAULT_ISA;
}

/** A copy of `isa` with the descriptor fields in `moves` placed at a new word and bit (tests, design exploration). */
export function withFieldsMoved(isa: Isa, moves: Record<string, { word: number; bit?: number }>, sourceMoves: Record<string, { word: number; bit?: number }> = {}): Isa {
  const move = (f: FieldSpec, m?: { word: number; bit?: number }): FieldSpec => (m ? { ...f, word: m.word, bit: m.bit ?? f.bit } : f);
  const d = isa.descriptor;
  return {
    ...isa,
    descriptor: { ...d, fields: d.fields.map((f) => move(f, moves[f.name])), sources: { ...d.sources, fields: d.sources.fields.map((f) => move(f, sourceMoves[f.name])) } },
  };
}

const IDENT = /^[a-z][a-z0-9_]*$/;
const UPPER = /^[A-Z][A-Z0-9_]*$/;

/**
 * Checks that a contract is self-consistent: fields inside their words, no two fields on one bit,
 * registers on distinct words. With `like` (setIsa passes the default), it must also be the same
 * ISA with things placed elsewhere: the same fields and registers, each field with the same width,
 * signedness, kind and values, the same descriptor size (the compiler, the reference and the
 * engines depend on those; a different ISA changes layout.ts and them together).
 */
export function validateIsa(isa: Isa, like?: Isa): void {
  const errs: string[] = [];
  const d = isa.descriptor, r = isa.registers;
  if (like) {
    const sig = (l: DescriptorLayout) => JSON.stringify([l.words, l.sources.count, ...[...l.fields, ...l.sources.fields.map((f) => ({ ...f, name: `src.${f.name}` }))]
      .map((f) => [f.name, f.width, !!f.signed, !!f.address, f.reloc ?? null, !!f.countOfSources, f.values ?? null]).sort()]);
    if (sig(d) !== sig(like.descriptor)) errs.push('the descriptor must have the fields (names, widths, signedness, kinds, values), size and source count of the reference ISA; only their places may differ');
    const regs = (m: RegisterMap) => JSON.stringify([m.addrBits, m.counters.stride, m.registers.map((x) => [x.name, x.access, x.bitPrefix ?? null, (x.bits ?? []).map((b) => b.name).sort()]).sort()]);
    if (regs(r) !== regs(like.registers)) errs.push('the register map must have the registers, bits and address width of the reference ISA; only offsets and bit positions may differ');
  }
  if (!Number.isInteger(d.words) || d.words < 4 || d.words % 4 !== 0 || d.words > 256) errs.push(`descriptor words ${d.words}: a multiple of 4 (whole 128-bit beats), at most 256`);
  const owner = new Map<number, string>(); // absolute bit -> field
  const claim = (what: string, word: number, f: FieldSpec) => {
    if (!IDENT.test(f.name)) errs.push(`${what}: the name must be a lower-case identifier`);
    if (f.address ? f.width !== 64 || f.bit !== 0 : !(Number.isInteger(f.width) && f.width >= 1 && f.width <= 32 && Number.isInteger(f.bit) && f.bit >= 0 && f.bit + f.width <= 32))
      errs.push(`${what}: ${f.address ? 'an address is 64 bits at bit 0 of a word' : `bits ${f.bit}..${f.bit + f.width - 1} do not fit one 32-bit word`}`);
    if (!Number.isInteger(word) || word < 0 || word + (f.address ? 2 : 1) > d.words) errs.push(`${what}: word ${word} lies outside the ${d.words} words`);
    for (let b = 0; b < f.width; b++) {
      const at = 32 * word + f.bit + b;
      const prev = owner.get(at);
      if (prev !== undefined) { errs.push(`${what} overlaps ${prev} at word ${Math.floor(at / 32)} bit ${at % 32}`); break; }
      owner.set(at, what);
    }
  };
  for (const f of d.fields) claim(f.name, f.word, f);
  const s = d.sources;
  if (!(Number.isInteger(s.count) && s.count >= 1 && Number.isInteger(s.stride) && s.stride >= 1)) errs.push('sources: count and stride must be positive integers');
  else {
    for (const f of s.fields) if (f.word + (f.address ? 2 : 1) > s.stride) errs.push(`src.${f.name}: word ${f.word} lies outside the slot of ${s.stride} words`);
    for (let k = 0; k < s.count; k++) for (const f of s.fields) claim(`src[${k}].${f.name}`, s.word + s.stride * k + f.word, f);
  }
  const count = d.fields.filter((f) => f.countOfSources);
  if (count.length !== 1 || count[0].width < Math.ceil(Math.log2(s.count + 1))) errs.push(`exactly one field counts the sources, wide enough for ${s.count}`);
  const scopes: Array<[readonly FieldSpec[], string]> = [[d.fields, ''], [s.fields, 'src.']];
  for (const [fields, prefix] of scopes)
    for (const f of fields) {
      if (f.reloc && !f.address) errs.push(`${prefix}${f.name}: only an address is relocated`);
      for (const n of [f.reloc?.ifNonZero, ...(f.reloc?.unless ?? [])])
        if (n !== undefined && !fields.some((g) => g.name === n && !g.address)) errs.push(`${prefix}${f.name}: relocation condition names "${n}", not a field of its scope`);
      for (const [k, v] of Object.entries(f.values ?? {})) if (!UPPER.test(k) || !Number.isInteger(v) || v < 0 || v >= 2 ** f.width) errs.push(`${prefix}${f.name}: value ${k} = ${v} does not fit`);
    }

  const span = 2 ** r.addrBits;
  const used = new Map<number, string>();
  for (const x of r.registers) {
    if (!Number.isInteger(x.offset) || x.offset < 0 || x.offset % 4 || x.offset >= span) errs.push(`register ${x.name}: offset ${x.offset} is not a word inside the ${span}-byte window`);
    if (used.has(x.offset)) errs.push(`register ${x.name}: offset ${x.offset} is also ${used.get(x.offset)}`);
    used.set(x.offset, x.name);
    const bits = new Set<number>();
    for (const b of x.bits ?? []) {
      if (!Number.isInteger(b.bit) || b.bit < 0 || b.bit > 31 || bits.has(b.bit)) errs.push(`register ${x.name}: bit ${b.name} at ${b.bit} is outside 0..31 or taken`);
      bits.add(b.bit);
    }
  }
  const c = r.counters;
  // hw/cn_axil_regs.v decodes counter k from address bits [ADDR_W-1:3]: 8-byte slots.
  if (c.stride !== 8 || c.offset % 8 !== 0 || c.offset < 0) errs.push(`counters: 8-byte slots at an 8-byte aligned offset, got offset ${c.offset}, stride ${c.stride}`);
  for (const x of r.registers) if (x.offset >= c.offset) errs.push(`register ${x.name} at ${x.offset} lies in or after the counters at ${c.offset}`);
  if (c.offset + c.stride * COUNTERS.length > span) errs.push(`counters: ${COUNTERS.length} slots from ${c.offset} do not fit the ${span}-byte window`);
  if (errs.length) throw new Error(`invalid ISA: ${errs.join('; ')}`);
}

/** Bits `[bit, bit + width)` counted from bit 0 of the descriptor (word * 32 + bit). */
export const fieldLsb = (f: FieldSpec, wordBase = 0): number => 32 * (wordBase + f.word) + f.bit;

/** The field of the (current) descriptor layout named `name`. */
export function descriptorField(name: string, isa: Isa = currentIsa()): FieldSpec {
  const f = isa.descriptor.fields.find((x) => x.name === name);
  if (!f) throw new Error(`the descriptor has no field ${name}`);
  return f;
}

/** Byte offset of a register of the (current) map. */
export function registerOffset(name: string, isa: Isa = currentIsa()): number {
  const x = isa.registers.registers.find((r) => r.name === name);
  if (!x) throw new Error(`the register map has no register ${name}`);
  return x.offset;
}
