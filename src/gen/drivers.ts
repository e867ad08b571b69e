import type { HwConfig } from '../hw/config.ts';
import type { Model } from '../ir/model.ts';
import { findCenterNetHeads } from '../detect/heads.ts';
import { boardOf } from '../hw/config.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import { bufferBytes, inputBuffer, tensorAddressing } from '../compiler/tensors.ts';
import { currentIsa } from '../isa/index.ts';
import { renderTemplate } from '../util/templates.ts';
import { cIdent, fileStem, uniqueNames } from '../util/escape.ts';
import { COUNTERS, CODENET_VERSION, HW_VERSION, IMAGE_LINK_BASE, hwParams } from '../hw/params.ts';
import { controlBase } from './vivado.ts';

/**
 * sw/: the register map header, the Linux user-space C driver with an example and a Makefile, and
 * the PYNQ driver, all from one context (the hardware config and the compiled memory map) so they
 * agree with each other, with the RTL and with the Vivado address map.
 */

/**
 * The register map, the descriptor size and its address words, from the contract in force
 * (src/isa: the same data hw/cn_axil_regs.v and the sequencer are built from).
 */
function contractContext() {
  const { descriptor: d, registers: r } = currentIsa();
  const s = d.sources, srcAddr = s.fields.find((f) => f.address)!;
  return {
    regs: [...r.registers.map((x) => ({ name: x.name, offset: x.offset })), { name: 'COUNTER0_LO', offset: r.counters.offset }],
    regBits: r.registers.flatMap((x) => (x.bits ?? []).map((b) => ({ name: `${x.bitPrefix ?? x.name}_${b.name}`, bit: b.bit, doc: b.doc }))),
    counterBase: r.counters.offset, counterStride: r.counters.stride,
    descriptorWords: d.words, descriptorBytes: 4 * d.words,
    descriptorFields: [
      ...d.fields.filter((f) => f.address).map((f) => ({ name: f.name.toUpperCase(), word: f.word, doc: '64-bit address, low word (relocated)' })),
      ...Array.from({ length: s.count }, (_, k) => ({ name: `SRC${k}_ADDR`, word: s.word + s.stride * k + srcAddr.word, doc: `source ${k}: 64-bit address, low word (relocated)` })),
    ],
  };
}

/** Register window the address map gives the accelerator (the header's CODENET_CTRL_SPAN). */
export const CTRL_SPAN = 0x10000;

/**
 * Names in the drivers (docs/outputs.md): exact in C and Python strings (codenet_input.name,
 * codenet_outputs[i].name, TENSORS, INPUT, OUTPUTS), comment-safe in comments; the C identifiers
 * (t_<name>_*, CODENET_OUTPUT_<NAME>: the first 40 characters) and example.c's output files are
 * derived from them with every other character as `_`, made unique in order with `_2`, `_3`, ...
 */
/** The CenterNet heads of a model as the drivers' CPU decode needs them (templates/drivers), or undefined for a model without them. */
export interface DriverHeads {
  hm: { name: string; scale: number; zero: number };
  wh: { name: string; scale: number; zero: number };
  reg: { name: string; scale: number; zero: number };
  height: number;
  width: number;
  classes: number;
  stride: number;
}

export function driverHeads(model: Model): DriverHeads | undefined {
  const h = findCenterNetHeads(model.outputs, model.outputs.map((t) => model.tensors.get(t)!.shape[2]));
  if (!h) return undefined;
  const t = (i: number) => model.tensors.get(model.outputs[i])!;
  const [hm, wh, reg] = [t(h.hm), t(h.wh), t(h.reg)];
  if (hm.kind !== 'act' || !(hm.scale > 0) || [wh, reg].some((x) => x.shape[0] !== hm.shape[0] || x.shape[1] !== hm.shape[1])) return undefined;
  const q = (x: typeof hm) => ({ name: x.name, scale: x.scale, zero: x.zero });
  return { hm: q(hm), wh: q(wh), reg: q(reg), height: hm.shape[0], width: hm.shape[1], classes: hm.shape[2], stride: Math.round(model.tensors.get(model.inputs[0])!.shape[0] / hm.shape[0]) };
}

export function renderDrivers(model: string, hw: HwConfig, map: MemoryMap, heads?: DriverHeads): Record<string, string> {
  const family = boardOf(hw).family;
  // One address table per tensor (the input may also be an output).
  const names = [...new Set([map.input.tensor, ...map.outputs])];
  // At most 40 characters from the name: identifiers stay within C's 63 significant characters.
  const idents = new Map(uniqueNames(names.map((n) => `t_${cIdent(n).slice(0, 40)}`)).map((id, i) => [names[i], id]));
  const uppers = uniqueNames(map.outputs.map((n) => cIdent(n).slice(0, 40).toUpperCase()));
  // Case-insensitive: the files may land on a case-insensitive file system.
  const files = uniqueNames(map.outputs.map(fileStem), (s) => s.toLowerCase());
  const tensorCtx = (name: string) => ({ ...tensorAddressing(map, name), ident: idents.get(name)! });
  const input = tensorCtx(map.input.tensor);
  const outputs = map.outputs.map((name, i) => ({ ...tensorCtx(name), upper: uppers[i], file: `${files[i]}.bin` }));
  const inBuf = inputBuffer(map);
  const ctx = {
    codenetVersion: CODENET_VERSION, board: hw.board, boardIdent: cIdent(hw.board), model, clockMHz: hw.clockMHz,
    clockHz: Math.round(hw.clockMHz * 1e6), beatBytes: hwParams(hw).beatBytes, version: HW_VERSION,
    ctrlBase: controlBase(family).base, ctrlSpan: CTRL_SPAN, ...contractContext(),
    counters: COUNTERS.map((text, index) => ({ name: cIdent(text).toUpperCase(), text, index })),
    image: {
      linkBase: IMAGE_LINK_BASE, bytes: map.imageBytes, fileBytes: map.fileBytes, programOffset: map.program.offset, programLen: map.program.descriptors,
      statsOffset: map.stats.offset, inputBuffer: { offset: inBuf.offset, bytes: bufferBytes(map, inBuf) }, input, outputs,
    },
    input, outputs, tensors: names.map(tensorCtx),
    // The CPU decode (templates/drivers): the heads' indices among the outputs, only when all three are outputs.
    heads: heads && [heads.hm, heads.wh, heads.reg].every((t) => map.outputs.includes(t.name))
      ? { ...heads, hm: { ...heads.hm, index: map.outputs.indexOf(heads.hm.name) }, wh: { ...heads.wh, index: map.outputs.indexOf(heads.wh.name) }, reg: { ...heads.reg, index: map.outputs.indexOf(heads.reg.name) } }
      : undefined,
  };
  return {
    'sw/codenet_accel.h': renderTemplate('drivers/codenet_accel.h.hbs', ctx),
    'sw/codenet_accel.c': renderTemplate('drivers/codenet_accel.c.hbs', ctx),
    'sw/example.c': renderTemplate('drivers/example.c.hbs', ctx),
    'sw/Makefile': renderTemplate('drivers/Makefile.hbs', ctx),
    'sw/codenet_accel.py': renderTemplate('drivers/codenet_accel.py.hbs', ctx),
    ...(ctx.heads ? { 'sw/codenet_decode.c': renderTemplate('drivers/codenet_decode.c.hbs', ctx) } : {}),
  };
}
