import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { renderTemplate } from '../util/templates.ts';
import { CODENET_VERSION, HW_VERSION, MAX_BURST, hwParams } from '../hw/params.ts';
import { C_HEADER, renderCHeader } from '../isa/render.ts';
import { EXPECT_HEADER, simHeader } from '../sim/testbench.ts';
import { CSIM_FLAGS } from '../sim/hls.ts';

/**
 * hls/: the accelerator in HLS C++ (templates/hls/), from the same hardware config as rtl/: it runs
 * the same program and memory image. codenet_kernel.cpp compiles against Xilinx's ap_int.h under
 * Vitis HLS and against cn_ap_int.h (a bit-exact subset) under g++, so C-simulation needs no
 * vendor tool; run_hls.tcl / hls_config.cfg drive vitis_hls or v++ (C-simulation, synthesis at the
 * config's clock, export as an IP).
 */
export const HLS_TOP = 'codenet_kernel';
// The C-simulation build's flags are src/sim/hls.ts's (the generated Makefile and run_hls.tcl use the same).
export { CSIM_FLAGS };

export function hlsContext(hw: HwConfig): Record<string, unknown> {
  const p = hwParams(hw);
  const b = boardOf(hw);
  return {
    ...hw, codenetVersion: CODENET_VERSION, beatBytes: p.beatBytes, gmax: p.gmax, stemGroups: p.stemGroups, wcap: p.weightGroups, maxBurst: MAX_BURST,
    lineRows: p.lineRows, versionHex: (HW_VERSION >>> 0).toString(16).padStart(8, '0'),
    top: HLS_TOP, part: b.part, clockNs: (1000 / hw.clockMHz).toFixed(3), csimFlags: CSIM_FLAGS.join(' '),
  };
}

/** The image layout the Makefile and run_hls.tcl run C-simulation on. */
export interface HlsLayout { imageBytes: number; inputOffset: number; programLen: number }

export function renderHls(hw: HwConfig, layout: HlsLayout): Record<string, string> {
  const ctx = { ...hlsContext(hw), layout };
  const r = (t: string) => renderTemplate(`hls/${t}.hbs`, ctx);
  return {
    'hls/codenet_kernel.h': r('codenet_kernel.h'),
    'hls/codenet_kernel.cpp': r('codenet_kernel.cpp'),
    'hls/cn_ap_int.h': r('cn_ap_int.h'),
    [`hls/${C_HEADER}`]: renderCHeader(),
    'hls/tb_codenet_hls.cpp': r('tb_codenet_hls.cpp'),
    [`hls/${EXPECT_HEADER}`]: simHeader(EXPECT_HEADER),
    'hls/run_hls.tcl': r('run_hls.tcl'),
    'hls/hls_config.cfg': r('hls_config.cfg'),
    'hls/Makefile': r('Makefile'),
  };
}

/** The sources of a C-simulation build (independent of the model: one build per config). */
export function renderCsimSources(hw: HwConfig): Record<string, string> {
  const ctx = hlsContext(hw);
  const r = (t: string) => renderTemplate(`hls/${t}.hbs`, ctx);
  return {
    'codenet_kernel.h': r('codenet_kernel.h'), 'codenet_kernel.cpp': r('codenet_kernel.cpp'), 'cn_ap_int.h': r('cn_ap_int.h'), [C_HEADER]: renderCHeader(),
    'tb_codenet_hls.cpp': r('tb_codenet_hls.cpp'), [EXPECT_HEADER]: simHeader(EXPECT_HEADER),
  };
}
