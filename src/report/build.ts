import type { Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { boardOf, peakMacsPerCycle } from '../hw/config.ts';
import { summarize } from '../info/summary.ts';
import { modelPerf } from '../perf/model.ts';
import type { SimReport } from '../sim/report.ts';
import { ReportSchema, type Report } from './schema.ts';
import { withSimulation } from './update.ts';

/**
 * report.json from a model, a hardware config and the analytic performance model; with the
 * resources of `codenet synth` and the cycles of `codenet sim` when those have run.
 */
export function buildReport(m: Model, hw: HwConfig, extra: { resources?: Report['resources']; simulation?: SimReport } = {}): Report {
  const s = summarize(m).totals;
  const board = boardOf(hw);
  const perf = modelPerf(m, hw, peakMacsPerCycle(hw));
  const r = ReportSchema.parse({
    format: 'codenet-report', version: 1,
    model: { name: m.name, layers: s.layers, macs: s.macs, params: s.params, sizeMiB4bit: s.sizeMiB4bit },
    hardware: {
      board: board.name, part: board.part, clockMHz: hw.clockMHz, peakMacsPerCycle: peakMacsPerCycle(hw), ddrBytesPerSecond: board.ddrBytesPerSecond,
      params: {
        axiDataBits: hw.axiDataBits, lanes: hw.lanes, pwOutputs: hw.pwOutputs, dmax: hw.dmax, maxWidth: hw.maxWidth, maxChannels: hw.maxChannels,
        weightBufferBytes: hw.weightBufferBytes, rowBufferBeats: hw.rowBufferBeats, lineBufferBeats: hw.lineBufferBeats, mapEntries: hw.mapEntries,
      },
    },
    ...(extra.resources ? { resources: extra.resources } : {}),
    layers: perf.layers.map((l) => ({ name: l.name, op: l.op, macs: l.macs, ddrBytes: l.ddrBytes, predictedCycles: l.cycles })),
  });
  return extra.simulation ? withSimulation(r, extra.simulation) : r;
}
