import { renderTemplate, trusted } from '../util/templates.ts';
import { type Report, reportTotals } from './schema.ts';
import { barChart, resourceBars, roofline } from './svg.ts';

const RESOURCE_KEYS = [['lut', 'LUT'], ['ff', 'FF'], ['dsp', 'DSP'], ['bram36', 'BRAM36']] as const;

/** The context both report templates read: the report plus derived totals, rows and charts. */
function context(r: Report) {
  const totals = reportTotals(r);
  const hz = r.hardware.clockMHz * 1e6;
  const resources = r.resources && RESOURCE_KEYS.map(([k, label]) => {
    const used = r.resources!.total[k], budget = r.resources!.budget[k], cap = r.resources!.caps[k];
    return { label, used, budget, cap, frac: budget ? used / budget : 0, over: budget ? used / budget > cap : false };
  });
  const layers = r.layers.map((l) => {
    const cycles = l.simulatedCycles ?? l.predictedCycles;
    return { ...l, simulatedCycles: l.simulatedCycles, intensity: l.ddrBytes ? l.macs / l.ddrBytes : 0, macsPerCycle: cycles ? l.macs / cycles : 0, deviation: l.simulatedCycles ? l.predictedCycles / l.simulatedCycles - 1 : undefined };
  });
  const heavy = r.layers.filter((l) => l.predictedCycles > 0);
  return {
    r: { ...r, simulation: r.simulation ?? null, resources: r.resources ?? null }, totals, resources: resources ?? null, layers,
    params: Object.entries(r.hardware.params).map(([k, v]) => ({ k, v })),
    modules: r.resources ? Object.entries(r.resources.modules).map(([name, m]) => ({ name, ...m })) : [],
    // SVG built by svg.ts, every label escaped there.
    charts: {
      cycles: trusted(barChart('Cycles per layer', r.simulation ? ['predicted', 'simulated'] : ['predicted'],
        heavy.map((l) => ({ label: l.name, values: r.simulation ? [l.predictedCycles, l.simulatedCycles ?? 0] : [l.predictedCycles] })))),
      roofline: trusted(roofline(`Roofline, ${r.hardware.board} at ${r.hardware.clockMHz} MHz`, r.hardware.peakMacsPerCycle * hz, r.hardware.ddrBytesPerSecond,
        layers.filter((l) => l.macs > 0).map((l) => ({ label: l.name, intensity: l.intensity, perf: (l.macs * hz) / Math.max(1, l.simulatedCycles ?? l.predictedCycles) })))),
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
