import { boardOf, type HwConfig } from '../hw/config.ts';
import { renderTemplate, trusted } from '../util/templates.ts';
import { CODENET_VERSION, TOP_MODULE } from '../hw/params.ts';
import { HLS_TOP } from './hls.ts';

/**
 * vivado/create_project.tcl: the processing system and its wiring differ between Zynq UltraScale+
 * (zynq_ultra_ps_e: HPM0_FPD control master, HP0 data slave, pl_clk0) and Zynq-7000
 * (processing_system7: M_AXI_GP0, S_AXI_HP0, FCLK_CLK0, external DDR and MIO); everything else
 * is shared. The accelerator enters the block design as an RTL module reference; its AXI
 * interfaces are inferred from the port prefixes, clock, reset and interrupt from the
 * X_INTERFACE attributes of the generated top.
 */
export interface VivadoTarget {
  board: string;
  part: string;
  /** Vivado board part, used for the PS preset when its board files are installed. */
  boardPart: string;
  family: 'xcup' | 'xc7';
  clockMHz: number;
  axiDataBits: number;
}

/** Port and interface names of the generated top (templates/verilog/codenet_accel.v.hbs). */
export const ACCEL_PORTS = { top: TOP_MODULE, clk: 'clk', resetn: 'rst_n', ctrl: 's_axil', mem: 'm_axi', irq: 'irq' } as const;
/** The same for the HLS IP (Vitis names: ap_ctrl on s_axi_control, the m_axi bundle gmem). */
export const HLS_PORTS = { top: HLS_TOP, clk: 'ap_clk', resetn: 'ap_rst_n', ctrl: 's_axi_control', mem: 'm_axi_gmem', irq: 'interrupt' } as const;

export type Backend = 'rtl' | 'hls';

export function vivadoTarget(hw: HwConfig): VivadoTarget {
  const b = boardOf(hw);
  return { board: b.name, part: b.part, boardPart: b.boardPart, family: b.family, clockMHz: hw.clockMHz, axiDataBits: hw.axiDataBits };
}

/** Where the control registers sit in the PS address map; the driver header uses the same value. */
export function controlBase(family: VivadoTarget['family']): { base: number; range: string } {
  return family === 'xcup' ? { base: 0xa000_0000, range: '64K' } : { base: 0x4000_0000, range: '64K' };
}

function psConfig(t: VivadoTarget) {
  if (t.family === 'xcup') {
    return {
      ip: 'zynq_ultra_ps_e', name: 'zynq_ps', clkPin: 'pl_clk0', resetPin: 'pl_resetn0', irqPin: 'pl_ps_irq0',
      gpMaster: 'M_AXI_HPM0_FPD', hpSlave: 'S_AXI_HP0_FPD', dataSpace: 'Data',
      clockedPorts: ['maxihpm0_fpd_aclk', 'saxihp0_fpd_aclk'],
      properties: [
        'CONFIG.PSU__USE__M_AXI_GP0 {1}', 'CONFIG.PSU__MAXIGP0__DATA_WIDTH {32}', 'CONFIG.PSU__USE__M_AXI_GP1 {0}',
        'CONFIG.PSU__USE__S_AXI_GP2 {1}', `CONFIG.PSU__SAXIGP2__DATA_WIDTH {${t.axiDataBits}}`,
        'CONFIG.PSU__FPGA_PL0_ENABLE {1}', `CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {${t.clockMHz}}`,
        'CONFIG.PSU__USE__IRQ0 {1}',
      ],
    };
  }
  return {
    ip: 'processing_system7', name: 'zynq_ps', clkPin: 'FCLK_CLK0', resetPin: 'FCLK_RESET0_N', irqPin: 'IRQ_F2P',
    gpMaster: 'M_AXI_GP0', hpSlave: 'S_AXI_HP0', dataSpace: 'Data',
    clockedPorts: ['M_AXI_GP0_ACLK', 'S_AXI_HP0_ACLK'],
    properties: [
      'CONFIG.PCW_USE_M_AXI_GP0 {1}', 'CONFIG.PCW_USE_S_AXI_HP0 {1}', `CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {${t.axiDataBits}}`,
      'CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {' + t.clockMHz + '}', 'CONFIG.PCW_USE_FABRIC_INTERRUPT {1}', 'CONFIG.PCW_IRQ_F2P_INTR {1}',
    ],
  };
}

export function renderVivadoProject(t: VivadoTarget, rtlFiles: string[], codenetVersion = CODENET_VERSION, backend: Backend = 'rtl'): string {
  const ports = backend === 'hls' ? HLS_PORTS : ACCEL_PORTS;
  const ctrl = controlBase(t.family);
  const project = `codenet_${t.board.replace(/[^A-Za-z0-9]/g, '_')}`;
  const ps = psConfig(t);
  return renderTemplate('vivado/create_project.tcl.hbs', {
    codenetVersion, board: t.board, part: t.part, boardPart: t.boardPart, clockMHz: t.clockMHz, axiDataBits: t.axiDataBits,
    project, design: 'codenet_bd', xsaName: `${project}.xsa`, top: ports.top, ports, xc7: t.family === 'xc7', hls: backend === 'hls', rtlFiles: [...rtlFiles].sort(),
    // The PS properties are TCL words built here from the validated config (numbers only).
    ps: { ...ps, properties: ps.properties.map(trusted) }, ctrlBaseHex: `0x${ctrl.base.toString(16).toUpperCase().padStart(8, '0')}`, ctrlRange: ctrl.range,
  });
}
