import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFilesAtomically } from '../io/atomic.ts';
import type { SimReport } from '../sim/report.ts';
import { describeZodIssues, fail } from '../util/errors.ts';
import { renderReportHtml, renderReportMarkdown } from './render.ts';
import { ReportSchema, type Report } from './schema.ts';

export function reportFiles(r: Report): Array<{ name: string; data: string }> {
  return [
    { name: 'report/report.json', data: JSON.stringify(r, null, 2) + '\n' },
    { name: 'report/report.md', data: renderReportMarkdown(r) },
    { name: 'report/report.html', data: renderReportHtml(r) },
  ];
}

/**
 * Rewrites report/ of a generated folder after `codenet synth` or `codenet sim` learnt something
 * new; does nothing when the folder has no report (a plain `codenet bundle`).
 */
export function updateReport(dir: string, patch: (r: Report) => Report): boolean {
  const p = join(dir, 'report/report.json');
  if (!existsSync(p)) return false;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    fail(`${p} is not valid JSON (${(e as Error).message}); regenerate the folder with codenet gen`);
  }
  const r = ReportSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(p, r.error.issues));
  writeFilesAtomically(dir, reportFiles(ReportSchema.parse(patch(r.data))));
  return true;
}

/** The report with the simulated cycles of a `codenet sim` run beside the predicted ones. */
export function withSimulation(r: Report, s: SimReport): Report {
  const cycles = new Map(s.layers.map((l) => [l.name, l.cycles]));
  return {
    ...r,
    layers: r.layers.map((l) => ({ ...l, ...(cycles.has(l.name) ? { simulatedCycles: cycles.get(l.name) } : {}) })),
    simulation: { simulator: s.simulator, totalCycles: s.totalCycles, ddrBytesRead: s.ddr.bytesRead, ddrBytesWritten: s.ddr.bytesWritten, bitExact: s.match },
  };
}
