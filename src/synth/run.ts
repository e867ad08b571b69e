/**
 * `codenet synth`: Yosys synth_xilinx of a generated rtl/ folder against the board's budget with
 * FINN-style utilisation caps. Also run by `codenet gen` (unless --no-synth).
 */
import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { TOP_MODULE } from '../hw/params.ts';
import type { Report } from '../report/schema.ts';
import { DEFAULT_CAPS, capViolationMessage, checkCaps, type Budget, type CapRow } from './caps.ts';
import { instanceCounts, synthesize, type Resources, type SynthResult } from './yosys.ts';

export { instanceCounts };

export interface SynthOutcome {
  result: SynthResult;
  rows: CapRow[];
  /** One paragraph naming every resource over its cap, or undefined when the design fits. */
  violation?: string;
  /** The report's resources section (no wall time: reports are deterministic). */
  resources: NonNullable<Report['resources']>;
}

/**
 * Yosys names parameterised modules `$paramod$<hash>\name` or `$paramod\name\P=...`; the report
 * shows the module name, with its parameters when one module appears with several. Each row holds
 * one instance's own cells (not its submodules'); with the hierarchy (`hierarchy` of the Yosys
 * result) it also holds the instance count from `top`, so instances x own cells, summed over the
 * rows, is the design's total.
 */
export function moduleRows(modules: Record<string, Resources>, hierarchy?: Record<string, Record<string, number>>, top?: string): Record<string, Resources & { instances?: number }> {
  const instances = hierarchy && top && top in modules ? instanceCounts(hierarchy, top) : undefined;
  const parsed = Object.entries(modules).map(([raw, r]) => {
    const m = /^\$paramod(?:\$[0-9a-f]+)?\\([^\\]+)(?:\\(.*))?$/.exec(raw);
    const params = m?.[2]?.replace(/=s32'([01]+)/g, (_, b: string) => `=${parseInt(b, 2)}`);
    return { name: m ? m[1] : raw, params, r, n: instances?.get(raw) ?? 0 };
  });
  const count = new Map<string, number>();
  for (const p of parsed) count.set(p.name, (count.get(p.name) ?? 0) + 1);
  const out: Record<string, Resources & { instances?: number }> = {};
  for (const p of parsed.sort((a, b) => a.name.localeCompare(b.name) || (a.params ?? '').localeCompare(b.params ?? ''))) {
    const key = count.get(p.name)! > 1 && p.params ? `${p.name} (${p.params})` : p.name;
    out[key] = instances ? { ...p.r, instances: p.n } : p.r;
  }
  return out;
}

export async function synthesizeDesign(hw: HwConfig, rtl: Record<string, string>, caps: Budget = DEFAULT_CAPS): Promise<SynthOutcome> {
  const board = boardOf(hw);
  const result = await synthesize(rtl, TOP_MODULE, board.family);
  const budget = { lut: board.budget.lut, ff: board.budget.ff, dsp: board.budget.dsp, bram36: board.budget.bram36 };
  const rows = checkCaps(result.total, budget, caps);
  return {
    result, rows,
    violation: capViolationMessage(`the accelerator (${TOP_MODULE})`, `${board.name} (${board.part})`, rows),
    // The tool names the mode: per-module figures differ a little from one run over the whole design (docs/architecture.md).
    resources: { tool: `Yosys ${result.yosysVersion}, per module`, family: board.family, total: result.total, budget, caps, modules: moduleRows(result.modules, result.hierarchy, result.top) },
  };
}
