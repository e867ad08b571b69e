import { describe, expect, it } from 'vitest';
import { renderVivadoProject, controlBase } from '../src/gen/vivado.ts';

// create_project.tcl cannot run here (no Vivado): test its structure, i.e. that every IP,
// property and connection the design needs is named, and that the address map matches the driver.
describe('vivado/create_project.tcl', () => {
  const zu = renderVivadoProject({ board: 'ultra96v2', part: 'xczu3eg-sbva484-1-i', boardPart: 'avnet.com:ultra96v2:part0:1.2', family: 'xcup', clockMHz: 250, axiDataBits: 128 }, ['cn_requant.v', 'codenet_accel.v'], '0.1.0');
  const z7 = renderVivadoProject({ board: 'pynq-z2', part: 'xc7z020clg400-1', boardPart: 'tul.com.tw:pynq-z2:part0:1.0', family: 'xc7', clockMHz: 150, axiDataBits: 64 }, ['codenet_accel.v'], '0.1.0');

  it('UltraScale+: zynq_ultra_ps_e, HPM0 control, 128-bit HP0, 250 MHz pl_clk0, interrupt, bitstream and xsa', () => {
    for (const s of ['-part xczu3eg-sbva484-1-i', 'xilinx.com:ip:zynq_ultra_ps_e:*', 'CONFIG.PSU__SAXIGP2__DATA_WIDTH {128}',
      'CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {250}', 'CONFIG.PSU__USE__IRQ0 {1}', 'create_bd_cell -type module -reference codenet_accel accel',
      'M_AXI_HPM0_FPD', 'S_AXI_HP0_FPD', 'accel/s_axil', 'accel/m_axi', 'accel/irq', 'pl_ps_irq0', 'proc_sys_reset', 'smartconnect',
      'set_property offset 0xA0000000', 'launch_runs impl_1 -to_step write_bitstream', 'write_hw_platform -fixed -include_bit', '.hwh']) expect(zu).toContain(s);
    expect(zu).toMatch(/\[file join \$root rtl cn_requant\.v\] \[file join \$root rtl codenet_accel\.v\]/);
  });

  it('Zynq-7000: processing_system7, GP0 control, 64-bit HP0, FCLK_CLK0 at 150 MHz', () => {
    for (const s of ['xilinx.com:ip:processing_system7:*', 'CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {64}', 'CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {150}',
      'M_AXI_GP0', 'S_AXI_HP0', 'FCLK_CLK0', 'IRQ_F2P', 'set_property offset 0x40000000', 'make_external "FIXED_IO, DDR"']) expect(z7).toContain(s);
    expect(zu).not.toContain('FIXED_IO');
    expect(controlBase('xc7').base).toBe(0x4000_0000);
  });

  it('writes the timing summary and stops when timing is not met (WNS or WHS < 0) before the .xsa', () => {
    for (const s of ['report_timing_summary -max_paths 10 -file [file join $out timing.rpt]', 'STATS.WNS [get_runs impl_1]', 'timing-summary.txt', 'if {$wns < 0 || $whs < 0}', 'timing not met at 250 MHz']) expect(zu).toContain(s);
    expect(zu.indexOf('if {$wns < 0')).toBeLessThan(zu.indexOf('write_hw_platform'));
  });

  it('is balanced TCL (braces and brackets) and deterministic', () => {
    for (const tcl of [zu, z7]) {
      const code = tcl.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
      let brace = 0, bracket = 0;
      for (const ch of code.replace(/"[^"\n]*"/g, '')) {
        if (ch === '{') brace++; else if (ch === '}') brace--; else if (ch === '[') bracket++; else if (ch === ']') bracket--;
        expect(brace).toBeGreaterThanOrEqual(0);
        expect(bracket).toBeGreaterThanOrEqual(0);
      }
      expect([brace, bracket]).toEqual([0, 0]);
      expect(tcl).not.toMatch(/\{\{|\}\}/); // no unrendered mustache
    }
    expect(renderVivadoProject({ board: 'pynq-z2', part: 'xc7z020clg400-1', boardPart: 'tul.com.tw:pynq-z2:part0:1.0', family: 'xc7', clockMHz: 150, axiDataBits: 64 }, ['codenet_accel.v'], '0.1.0')).toBe(z7);
  });
});
