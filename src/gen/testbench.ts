/**
 * The accelerator's Verilator testbench (templates/sim/tb_codenet.cpp.hbs), rendered from the
 * hardware config alone (one build serves every model on that config), and the sources that
 * src/sim/testbench.ts builds (buildAccelSim) and the generated sim/Makefile builds.
 */
import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { COUNTERS, CODENET_VERSION, HW_VERSION, LINK_BASE, hwParams } from '../hw/params.ts';
import { C_HEADER, renderCHeader } from '../isa/render.ts';
import { renderTemplate, trusted } from '../util/templates.ts';
import { gtkwGroups } from '../sim/waveform.ts';
import { COUNTER_KEYS, DDR_MODEL_HEADER, DEFAULT_MAX_CYCLES, EXPECT_HEADER, ddrDefaults, simHeader } from '../sim/testbench.ts';
import { renderRtl } from './rtl.ts';

/** Half a clock period in whole picoseconds (the trace's time step: 2000 at 250 MHz). */
export const halfPeriodPs = (hw: HwConfig): number => Math.max(1, Math.round(5e5 / hw.clockMHz));

/** Template context shared by the testbench and the generated Makefile. */
export function testbenchContext(hw: HwConfig): Record<string, unknown> {
  const d = ddrDefaults(hw);
  return {
    codenetVersion: CODENET_VERSION, board: hw.board, clockMHz: hw.clockMHz,
    dataBits: hw.axiDataBits, beatBytes: hwParams(hw).beatBytes, addrBits: hwParams(hw).addrBits,
    versionHex: (HW_VERSION >>> 0).toString(16).padStart(8, '0'), numCounters: COUNTERS.length, counters: COUNTER_KEYS,
    baseHex: LINK_BASE.toString(16).padStart(8, '0'), latency: d.latency, bytesPerCycle: d.bytesPerCycle, dramBurstBytes: hwParams(hw).dramBurstBytes, ddrEfficiency: hw.ddrEfficiency,
    ddrGBps: (boardOf(hw).ddrBytesPerSecond / 1e9).toFixed(2), maxCycles: DEFAULT_MAX_CYCLES,
    halfPeriodPs: halfPeriodPs(hw), periodPs: 2 * halfPeriodPs(hw),
  };
}

export const renderTestbench = (hw: HwConfig): string => renderTemplate('sim/tb_codenet.cpp.hbs', testbenchContext(hw));

/** sim/codenet.gtkw: the GTKWave save file of a `codenet sim --trace` waveform (src/sim/waveform.ts, docs/waveforms.md). */
export function renderGtkw(hw: HwConfig): string {
  const p = hwParams(hw);
  const groups = gtkwGroups(p.addrBits, hw.axiDataBits).map((g) => ({ title: g.name, signals: g.signals.map((s) => ({ flags: s.flags, path: trusted(s.path) })) }));
  return renderTemplate('sim/codenet.gtkw.hbs', { ...testbenchContext(hw), groups });
}

/** Everything buildAccelSim (src/sim/testbench.ts) compiles: rtl/, tb_codenet.cpp and the headers it includes. */
export function renderAccelSimSources(hw: HwConfig): Record<string, string> {
  return {
    ...renderRtl(hw),
    'tb_codenet.cpp': renderTestbench(hw),
    [DDR_MODEL_HEADER]: simHeader(DDR_MODEL_HEADER),
    [EXPECT_HEADER]: simHeader(EXPECT_HEADER),
    [C_HEADER]: renderCHeader(),
  };
}
