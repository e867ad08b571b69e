import type { Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { boardOf, peakMacsPerCycle } from '../hw/config.ts';
import { summarize } from '../info/summary.ts';
import { modelPerf } from '../perf/model.ts';
import { ReportSchema, type Report } from './schema.ts';

/** report.json from a model, a hardware config and the analytic performance model. */
export function buildReport(m: Model, hw: HwConfig): Report {
  const s = summarize(m).totals;
  const board = boardOf(hw);
  const perf = modelPerf(m, hw, peakMacsPerCycle(hw));
  return ReportSchema.parse({
    format: 'codenet-report', version: 1,
    model: { name: m.name, layers: s.layers, macs: s.macs, params: s.params, sizeMiB4bit: s.sizeMiB4bit },
    hardware: {
      board: board.name, part: board.part, clockMHz: hw.clockMHz, peakMacsPerCycle: peakMacsPerCycle(hw), ddrBytesPerSecond: board.ddrBytesPerSecond,
      params: { axiDataBits: hw.axiDataBits, lanes: hw.lanes, pwOutputs: hw.pwOutputs, dmax: hw.dmax, maxWidth: hw.maxWidth, maxChannels: hw.maxChannels, weightBufferBytes: hw.weightBufferBytes },
    },
    layers: perf.layers.map((l) => ({ name: l.name, op: l.op, macs: l.macs, ddrBytes: l.ddrBytes, predictedCycles: l.cycles })),
  });
}
