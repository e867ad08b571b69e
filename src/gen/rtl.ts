import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HwConfig } from '../hw/config.ts';
import { CODENET_VERSION, COUNTERS, HW_VERSION, MAX_BURST, TOP_MODULE, hwParams } from '../hw/params.ts';
import { currentIsa } from '../isa/index.ts';
import { VERILOG_HEADER, renderVerilogHeader } from '../isa/render.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { renderTemplate } from '../util/templates.ts';

/**
 * rtl/: the generated top level (templates/verilog/codenet_accel.v.hbs, parameters from the one
 * hardware config), the contract header cn_isa.vh (rendered from src/isa, which the sequencer and
 * the register block include) and the hand-written library the top instantiates, copied so the
 * folder is self-contained for Vivado, Yosys, Verilator and Icarus. The constants live in
 * src/hw/params.ts.
 */
export const LIBRARY = ['cn_accel_seq.v', 'cn_accel_pw.v', 'cn_accel_dw.v', 'cn_axi_rd.v', 'cn_axi_wr.v', 'cn_axil_regs.v', 'cn_dot2.v', 'cn_mul2.v', 'cn_requant.v', 'cn_dw3x3_pe.v'] as const;

export function renderRtl(hw: HwConfig, codenetVersion = CODENET_VERSION): Record<string, string> {
  const p = hwParams(hw);
  const files: Record<string, string> = {
    [`rtl/${TOP_MODULE}.v`]: renderTemplate('verilog/codenet_accel.v.hbs', {
      ...hw, codenetVersion, addrBits: p.addrBits, strbBits: p.beatBytes, gmax: p.gmax,
      maxBurst: MAX_BURST, version: HW_VERSION, counters: COUNTERS, counterBits: 64 * COUNTERS.length,
      counterBase: currentIsa().registers.counters.offset, counterStride: currentIsa().registers.counters.stride,
    }),
    [`rtl/${VERILOG_HEADER}`]: renderVerilogHeader(),
  };
  for (const f of LIBRARY) files[`rtl/${f}`] = readFileSync(join(PROJECT_ROOT, 'hw', f), 'utf8');
  return files;
}
