import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { renderTemplate } from '../util/templates.ts';

/**
 * rtl/: the generated top level (templates/verilog/codenet_accel.v.hbs, parameters from the one
 * hardware config) plus the hand-written library it instantiates, copied so the folder is
 * self-contained for Vivado, Yosys, Verilator and Icarus.
 */
export const TOP_MODULE = 'codenet_accel';
export const HW_VERSION = 0xc0de0100;
/** The sequencer's performance counters, in register order (docs/isa.md). */
export const COUNTERS = ['busy cycles', 'bytes read', 'bytes written', 'read stall cycles', 'write stall cycles', 'descriptors done', 'engine active cycles', 'loader wait cycles'] as const;
export const LIBRARY = ['cn_accel_seq.v', 'cn_accel_pw.v', 'cn_accel_dw.v', 'cn_axi_rd.v', 'cn_axi_wr.v', 'cn_axil_regs.v', 'cn_dot2.v', 'cn_mul2.v', 'cn_requant.v', 'cn_dw3x3_pe.v'] as const;
/** AXI4 burst length: 16 beats is legal on AXI3 ports (Zynq-7000 HP) too. */
export const MAX_BURST = 16;

export function addressBits(hw: HwConfig): number {
  return boardOf(hw).family === 'xcup' ? 40 : 32;
}

/** The codenet version stamped into generated files. */
export const CODENET_VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export function renderRtl(hw: HwConfig, codenetVersion = CODENET_VERSION): Record<string, string> {
  const files: Record<string, string> = {
    [`rtl/${TOP_MODULE}.v`]: renderTemplate('verilog/codenet_accel.v.hbs', {
      ...hw, codenetVersion, addrBits: addressBits(hw), strbBits: hw.axiDataBits / 8, gmax: hw.maxChannels / hw.lanes,
      maxBurst: MAX_BURST, version: HW_VERSION, counters: COUNTERS, counterBits: 64 * COUNTERS.length,
    }),
  };
  for (const f of LIBRARY) files[`rtl/${f}`] = readFileSync(join(PROJECT_ROOT, 'hw', f), 'utf8');
  return files;
}
