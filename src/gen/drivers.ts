import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import { bufferBytes, inputBuffer, tensorAddressing } from '../compiler/tensors.ts';
import { ADDR_WORD, MAX_SOURCES, srcAddrWord } from '../compiler/descriptor.ts';
import { renderTemplate } from '../util/templates.ts';
import { COUNTERS, CODENET_VERSION, HW_VERSION } from './rtl.ts';
import { controlBase } from './vivado.ts';

/**
 * sw/: the register map header, the Linux user-space C driver with an example and a Makefile, and
 * the PYNQ driver, all from one context (the hardware config and the compiled memory map) so they
 * agree with each other, with the RTL and with the Vivado address map.
 */

/** hw/cn_axil_regs.v register map. */
export const REGISTERS: ReadonlyArray<{ name: string; offset: number }> = [
  { name: 'CTRL', offset: 0x00 }, { name: 'STATUS', offset: 0x04 }, { name: 'IRQ_STATUS', offset: 0x08 },
  { name: 'PROGRAM_ADDR_LO', offset: 0x10 }, { name: 'PROGRAM_ADDR_HI', offset: 0x14 }, { name: 'PROGRAM_LEN', offset: 0x18 },
  { name: 'VERSION', offset: 0x1c }, { name: 'COUNTER0_LO', offset: 0x40 },
];

/** Register window the address map gives the accelerator (the header's CODENET_CTRL_SPAN). */
export const CTRL_SPAN = 0x10000;

const ident = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');

export function renderDrivers(model: string, hw: HwConfig, map: MemoryMap): Record<string, string> {
  const family = boardOf(hw).family;
  const tensorCtx = (name: string) => ({ ...tensorAddressing(map, name), ident: `t_${ident(name)}`, upper: ident(name).toUpperCase() });
  const input = tensorCtx(map.input.tensor);
  const outputs = map.outputs.map(tensorCtx);
  const inBuf = inputBuffer(map);
  const ctx = {
    codenetVersion: CODENET_VERSION, board: hw.board, boardIdent: ident(hw.board), model, clockMHz: hw.clockMHz,
    clockHz: Math.round(hw.clockMHz * 1e6), beatBytes: hw.axiDataBits / 8, version: HW_VERSION,
    ctrlBase: controlBase(family).base, ctrlSpan: CTRL_SPAN, regs: REGISTERS,
    counters: COUNTERS.map((text, index) => ({ name: ident(text).toUpperCase(), text, index })),
    descriptorFields: [
      ...Object.entries(ADDR_WORD).map(([name, word]) => ({ name: name.toUpperCase(), word, doc: '64-bit address, low word (relocated)' })),
      ...Array.from({ length: MAX_SOURCES }, (_, s) => ({ name: `SRC${s}_ADDR`, word: srcAddrWord(s), doc: `source ${s}: 64-bit address, low word (relocated)` })),
    ],
    image: {
      linkBase: 0, bytes: map.imageBytes, fileBytes: map.fileBytes, programOffset: map.program.offset, programLen: map.program.descriptors,
      statsOffset: map.stats.offset, inputBuffer: { offset: inBuf.offset, bytes: bufferBytes(map, inBuf) }, input, outputs,
    },
    input, outputs, tensors: [input, ...outputs],
  };
  return {
    'sw/codenet_accel.h': renderTemplate('drivers/codenet_accel.h.hbs', ctx),
    'sw/codenet_accel.c': renderTemplate('drivers/codenet_accel.c.hbs', ctx),
    'sw/example.c': renderTemplate('drivers/example.c.hbs', ctx),
    'sw/Makefile': renderTemplate('drivers/Makefile.hbs', ctx),
    'sw/codenet_accel.py': renderTemplate('drivers/codenet_accel.py.hbs', ctx),
  };
}
