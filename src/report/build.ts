import type { Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { HwConfigSchema, boardOf, peakMacsPerCycle } from '../hw/config.ts';
import { summarize } from '../info/summary.ts';
import { hwParams } from '../hw/params.ts';
import { engineCeilings, modelPerf, type ModelPerf } from '../perf/model.ts';
import type { SimReport } from '../sim/report.ts';
import { ReportSchema, type Report } from './schema.ts';
import { withSimulation } from './update.ts';

/** Shown in the hardware row of the report, so not again in its parameter table. */
const IN_HEADER: ReadonlySet<string> = new Set(['board', 'clockMHz']);

/** The report's parameter table: every field of the hardware config, in the schema's order (src/hw/config.ts). */
export function hardwareParams(hw: HwConfig): Record<string, number | string> {
  return Object.fromEntries(Object.keys(HwConfigSchema.shape).filter((k) => !IN_HEADER.has(k)).map((k) => [k, hw[k as keyof HwConfig]]));
}

/**
 * report.json from a model, a hardware config and the analytic performance model (of the program
 * the caller compiled: programPerf; without it the model is compiled here); with the resources of
 * `codenet synth` and the cycles of `codenet sim` when those have run.
 */
export function buildReport(m: Model, hw: HwConfig, extra: { resources?: Report['resources']; simulation?: SimReport; perf?: ModelPerf } = {}): Report {
  const s = summarize(m).totals;
  const board = boardOf(hw);
  const perf = extra.perf ?? modelPerf(m, hw, peakMacsPerCycle(hw));
  const r = ReportSchema.parse({
    format: 'codenet-report', version: 1,
    model: { name: m.name, layers: s.layers, macs: s.macs, params: s.params, sizeMiB4bit: s.sizeMiB4bit },
    hardware: {
      board: board.name, part: board.part, clockMHz: hw.clockMHz, peakMacsPerCycle: peakMacsPerCycle(hw), ddrBytesPerSecond: board.ddrBytesPerSecond,
      ddrEfficiency: hw.ddrEfficiency, ddrBytesPerCycle: hwParams(hw).ddrBytesPerCycle, engines: engineCeilings(hw), params: hardwareParams(hw),
    },
    ...(extra.resources ? { resources: extra.resources } : {}),
    layers: perf.layers.map((l) => ({ name: l.name, op: l.op, macs: l.macs, ddrBytes: l.ddrBytes, predictedCycles: l.cycles, ...(l.fusedInto ? { fusedInto: l.fusedInto } : {}) })),
  });
  return extra.simulation ? withSimulation(r, extra.simulation) : r;
}
