import { renderTemplate, trusted } from '../util/templates.ts';
import { type Report, reportTotals } from './schema.ts';
import { barChart, resourceBars, roofline } from './svg.ts';
import { OPS, type Engine } from '../ops/index.ts';
import { OP_NAMES, type OpName } from '../ir/schema.ts';

const RESOURCE_KEYS = [['lut', 'LUT'], ['ff', 'FF'], ['dsp', 'DSP'], ['bram36', 'BRAM36']] as const;

/** Bytes and rates in decimal units, as DDR figures are quoted (GB/s, MB). */
export function formatBytes(v: number): string {
  const units: Array<[number, string]> = [[1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];
  for (const [k, u] of units) if (v >= k) return `${(v / k).toFixed(2)} ${u}`;
  return `${Math.round(v)} B`;
}
export const formatRate = (bytesPerSecond: number) => `${formatBytes(bytesPerSecond)}/s`;

/** The DDR line: the board's peak and, when known, the efficiency the cycles assume and the bandwidth it gives. */
function ddrText(r: Report): string {
  const h = r.hardware;
  if (h.ddrEfficiency === undefined || h.ddrBytesPerCycle === undefined) return formatRate(h.ddrBytesPerSecond);
  return `${formatRate(h.ddrBytesPerSecond)} peak at ${Math.round(100 * h.ddrEfficiency)}% efficiency: ${formatRate(h.ddrBytesPerCycle * h.clockMHz * 1e6)} (${h.ddrBytesPerCycle.toFixed(2)} B/cycle)`;
}

/** The engine rows of hardware.engines in order (src/perf engineCeilings): 1x1 array, depthwise engine, stem. */
const ENGINE_ROWS: readonly Engine[] = ['pw', 'dw', 'stem'];

/** The row of hardware.engines whose engine runs a layer's op (src/ops); -1 for none. */
function engineOf(op: string): number {
  return (OP_NAMES as readonly string[]).includes(op) ? ENGINE_ROWS.indexOf(OPS[op as OpName].engine) : -1;
}

/** The context both report templates read: the report plus derived totals, rows and charts. */
function context(r: Report) {
  const totals = reportTotals(r);
  const hz = r.hardware.clockMHz * 1e6;
  const resources = r.resources && RESOURCE_KEYS.map(([k, label]) => {
    const used = r.resources!.total[k], budget = r.resources!.budget[k], cap = r.resources!.caps[k];
    return { label, used, budget, cap, frac: budget ? used / budget : 0, over: budget ? used / budget > cap : false };
  });
  // A fused conv1x1 keeps its MACs on its own row; its cycles (and DDR traffic) are its dw3x3 reader's.
  const fusedMacs = new Map<string, number>();
  for (const l of r.layers) if (l.fusedInto) fusedMacs.set(l.fusedInto, (fusedMacs.get(l.fusedInto) ?? 0) + l.macs);
  const layers = r.layers.map((l) => {
    const cycles = l.simulatedCycles ?? l.predictedCycles;
    return {
      ...l, simulatedCycles: l.simulatedCycles, fusedInto: l.fusedInto ?? null, intensity: l.ddrBytes ? l.macs / l.ddrBytes : 0, macsPerCycle: cycles ? l.macs / cycles : 0,
      deviation: l.simulatedCycles ? l.predictedCycles / l.simulatedCycles - 1 : undefined,
    };
  });
  const heavy = r.layers.filter((l) => l.predictedCycles > 0);
  const engines = r.hardware.engines ?? [{ name: 'peak', macsPerCycle: r.hardware.peakMacsPerCycle, note: 'all engines' }];
  const points = r.layers.filter((l) => !l.fusedInto && l.macs > 0).map((l) => {
    const macs = l.macs + (fusedMacs.get(l.name) ?? 0);
    return {
      label: fusedMacs.has(l.name) ? `${l.name} (+ fused 1x1)` : l.name, engine: !r.hardware.engines ? 0 : fusedMacs.has(l.name) ? engines.length : engineOf(l.op),
      intensity: l.ddrBytes ? macs / l.ddrBytes : 0, perf: (macs * hz) / Math.max(1, l.simulatedCycles ?? l.predictedCycles),
    };
  });
  const modules = r.resources ? Object.entries(r.resources.modules).map(([name, m]) => {
    const k = m.instances ?? 1;
    return { name, instances: m.instances ?? null, lut: k * m.lut, ff: k * m.ff, dsp: k * m.dsp, bram36: k * m.bram36 };
  }) : [];
  const counted = modules.length > 0 && modules.every((m) => m.instances !== null);
  const moduleTotal = counted ? RESOURCE_KEYS.reduce((a, [k]) => ({ ...a, [k]: modules.reduce((x, m) => x + m[k], 0) }), {} as Record<(typeof RESOURCE_KEYS)[number][0], number>) : null;
  return {
    r: { ...r, simulation: r.simulation ?? null, resources: r.resources ?? null }, totals, resources: resources ?? null, layers,
    params: Object.entries(r.hardware.params).map(([k, v]) => ({ k, v })),
    engines: engines.map((e) => ({ ...e, gmacPerSecond: (e.macsPerCycle * hz) / 1e9 })),
    // Formatted in code (decimal units): the templates insert them as text.
    text: {
      ddrBandwidth: ddrText(r),
      ddrPerFrame: formatBytes(totals.ddrBytes),
      simRead: r.simulation ? formatBytes(r.simulation.ddrBytesRead) : '',
      simWritten: r.simulation ? formatBytes(r.simulation.ddrBytesWritten) : '',
      peak: `${r.hardware.peakMacsPerCycle} MACs per cycle`,
      fusedCount: r.layers.filter((l) => l.fusedInto).length,
    },
    modules, modulesCounted: counted, moduleTotal,
    // SVG built by svg.ts, every label escaped there.
    charts: {
      cycles: trusted(barChart('Cycles per layer', r.simulation ? ['predicted', 'simulated'] : ['predicted'],
        heavy.map((l) => ({ label: l.name, values: r.simulation ? [l.predictedCycles, l.simulatedCycles ?? 0] : [l.predictedCycles] })))),
      roofline: trusted(roofline(`Roofline, ${r.hardware.board} at ${r.hardware.clockMHz} MHz`, engines.map((e) => ({ label: e.name, macsPerSecond: e.macsPerCycle * hz })), (r.hardware.ddrBytesPerCycle ?? r.hardware.ddrBytesPerSecond / hz) * hz, points,
        [...engines.map((e) => e.name), ...(r.hardware.engines && fusedMacs.size ? ['1x1 + depthwise (fused)'] : [])])),
      resources: trusted(resources ? resourceBars(`Resources (${r.resources!.tool}, ${r.resources!.family})`, resources) : ''),
    },
  };
}

export function renderReportMarkdown(r: Report): string {
  return renderTemplate('report/report.md.hbs', context(r));
}

export function renderReportHtml(r: Report): string {
  return renderTemplate('report/report.html.hbs', context(r));
}
