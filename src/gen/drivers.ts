import { renderTemplate } from '../util/templates.ts';
import { controlBase } from './vivado.ts';

/**
 * sw/: the register map header, the Linux user-space C driver with an example, and the PYNQ
 * driver, all from one context so they agree with each other and with the RTL.
 */
export interface ImageRegion {
  name: string;
  offset: number;
  bytes: number;
  shape: number[];
}

export interface DriverContext {
  codenetVersion: string;
  board: string;
  model: string;
  family: 'xcup' | 'xc7';
  clockMHz: number;
  version: number;
  counters: string[];
  image: { linkBase: number; bytes: number; programOffset: number; programLen: number; input: ImageRegion; outputs: ImageRegion[] };
}

/** hw/cn_axil_regs.v register map. */
export const REGISTERS: ReadonlyArray<{ name: string; offset: number }> = [
  { name: 'CTRL', offset: 0x00 }, { name: 'STATUS', offset: 0x04 }, { name: 'IRQ_STATUS', offset: 0x08 },
  { name: 'PROGRAM_ADDR_LO', offset: 0x10 }, { name: 'PROGRAM_ADDR_HI', offset: 0x14 }, { name: 'PROGRAM_LEN', offset: 0x18 },
  { name: 'VERSION', offset: 0x1c }, { name: 'COUNTER0_LO', offset: 0x40 },
];

const ident = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');

export function renderDrivers(c: DriverContext): Record<string, string> {
  const ctrl = controlBase(c.family);
  const ctx = {
    ...c, clockHz: Math.round(c.clockMHz * 1e6), ctrlBase: ctrl.base, ctrlSpan: 0x10000, regs: REGISTERS,
    counters: c.counters.map((name, index) => ({ name: ident(name).toUpperCase(), index })),
    image: { ...c.image, outputs: c.image.outputs.map((o) => ({ ...o, upper: ident(o.name).toUpperCase(), fileName: ident(o.name) })) },
  };
  return {
    'sw/codenet_accel.h': renderTemplate('drivers/codenet_accel.h.hbs', ctx),
    'sw/codenet_accel.c': renderTemplate('drivers/codenet_accel.c.hbs', ctx),
    'sw/example.c': renderTemplate('drivers/example.c.hbs', ctx),
    'sw/codenet_accel.py': renderTemplate('drivers/codenet_accel.py.hbs', ctx),
  };
}
