/**
 * The Pareto front of the trial results: accuracy and FPS up, LUT, DSP and BRAM36 down. A result is
 * on the front when no other is at least as good in all five and better in one. The page
 * (templates/codesign/pareto.html.hbs) plots accuracy against FPS and against each resource, as
 * self-contained SVG (no scripts, nothing from the network), front points filled.
 */
import { z } from 'zod';
import { htmlText as esc } from '../util/escape.ts';
import { renderTemplate, trusted } from '../util/templates.ts';
import { TrialResultSchema, type TrialResult } from './search-trial.ts';

/** a dominates b. */
export function dominates(a: TrialResult, b: TrialResult): boolean {
  const ge = [a.accuracy.value - b.accuracy.value, a.fps - b.fps, b.resources.lut - a.resources.lut, b.resources.dsp - a.resources.dsp, b.resources.bram36 - a.resources.bram36];
  return ge.every((d) => d >= 0) && ge.some((d) => d > 0);
}

/** The non-dominated results that compiled, by index. */
export function paretoFront(results: readonly TrialResult[]): TrialResult[] {
  const ok = results.filter((r) => r.infeasible === undefined);
  return ok.filter((r) => !ok.some((o) => o !== r && dominates(o, r))).sort((a, b) => a.index - b.index);
}

export const ParetoFileSchema = z.strictObject({
  board: z.string(),
  metric: z.enum(['ap50', 'capacity']),
  trials: z.number().int(),
  front: z.array(TrialResultSchema),
  /** Chosen for --materialize: the front by accuracy, then FPS (best first). */
  chosen: z.array(z.number().int()),
  results: z.array(TrialResultSchema),
});
export type ParetoFile = z.infer<typeof ParetoFileSchema>;

/** The front's points ranked for materializing: accuracy, then FPS, then fewer LUTs. */
export function rankFront(front: readonly TrialResult[]): TrialResult[] {
  return [...front].sort((a, b) => b.accuracy.value - a.accuracy.value || b.fps - a.fps || a.resources.lut - b.resources.lut || a.index - b.index);
}

export function paretoFile(board: string, results: readonly TrialResult[], materialize: number): ParetoFile {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  const front = paretoFront(sorted);
  return ParetoFileSchema.parse({
    board, metric: sorted[0]?.accuracy.metric ?? 'ap50', trials: sorted.length, front,
    chosen: rankFront(front).slice(0, materialize).map((r) => r.index), results: sorted,
  });
}

const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(2));

/** A scatter plot of y against x, front points filled and numbered by trial. */
export function scatter(title: string, xLabel: string, yLabel: string, pts: Array<{ x: number; y: number; front: boolean; label: string; index: number }>): string {
  const w = 560, h = 360, l = 64, r = 16, t = 36, b = 46;
  const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
  const range = (v: number[]) => {
    const lo = Math.min(...v), hi = Math.max(...v);
    return lo === hi ? [lo - 1, hi + 1] : [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)];
  };
  const [x0, x1] = range(xs), [y0, y1] = range(ys);
  const X = (v: number) => l + ((v - x0) / (x1 - x0)) * (w - l - r), Y = (v: number) => h - b - ((v - y0) / (y1 - y0)) * (h - t - b);
  const dots = pts.map((p) => `<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="${p.front ? 5 : 3.5}" fill="${p.front ? '#e45756' : 'none'}" stroke="${p.front ? '#e45756' : '#4c78a8'}"><title>${esc(`#${p.index} ${p.label}: ${xLabel} ${fmt(p.x)}, ${yLabel} ${fmt(p.y)}`)}</title></circle>`
    + (p.front ? `<text x="${(X(p.x) + 7).toFixed(1)}" y="${(Y(p.y) - 5).toFixed(1)}" font-size="9">${p.index}</text>` : '')).join('\n');
  const ticks = [0, 0.5, 1].map((f) => {
    const xv = x0 + f * (x1 - x0), yv = y0 + f * (y1 - y0);
    return `<text x="${X(xv).toFixed(1)}" y="${h - b + 14}" font-size="9" text-anchor="middle">${esc(fmt(xv))}</text><text x="${l - 4}" y="${(Y(yv) + 3).toFixed(1)}" font-size="9" text-anchor="end">${esc(fmt(yv))}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" role="img" aria-label="${esc(title)}">
<text x="8" y="20" font-size="13" font-weight="bold">${esc(title)}</text>
<rect x="${l}" y="${t}" width="${w - l - r}" height="${h - t - b}" fill="none" stroke="#999"/>
${ticks}
<text x="${(l + w - r) / 2}" y="${h - 10}" font-size="10" text-anchor="middle">${esc(xLabel)}</text>
<text x="12" y="${(t + h - b) / 2}" font-size="10" text-anchor="middle" transform="rotate(-90 12 ${(t + h - b) / 2})">${esc(yLabel)}</text>
${dots}
</svg>`;
}

/** The HTML page of a Pareto file. */
export function renderParetoHtml(p: ParetoFile): string {
  const onFront = new Set(p.front.map((r) => r.index));
  const acc = p.metric === 'ap50' ? 'AP50 (%)' : 'capacity (log2 MACs)';
  const accOf = (r: TrialResult) => (p.metric === 'ap50' ? 100 * r.accuracy.value : r.accuracy.value);
  const ok = p.results.filter((r) => r.infeasible === undefined);
  const pts = (x: (r: TrialResult) => number) => ok.map((r) => ({ x: x(r), y: accOf(r), front: onFront.has(r.index), label: r.name, index: r.index }));
  // SVG built here from escaped parts (trusted: inserted as is).
  const charts = {
    fps: trusted(scatter(`${acc} vs FPS`, 'FPS (cycle model)', acc, pts((r) => r.fps))),
    lut: trusted(scatter(`${acc} vs LUT`, 'LUT (estimate)', acc, pts((r) => r.resources.lut))),
    dsp: trusted(scatter(`${acc} vs DSP`, 'DSP (estimate)', acc, pts((r) => r.resources.dsp))),
    bram36: trusted(scatter(`${acc} vs BRAM36`, 'BRAM36 (estimate)', acc, pts((r) => r.resources.bram36))),
  };
  const row = (r: TrialResult) => ({
    index: r.index, name: r.name, front: onFront.has(r.index), chosen: p.chosen.includes(r.index),
    accuracy: accOf(r).toFixed(2), fps: r.fps.toFixed(1), cycles: Math.round(r.cycles), lanes: r.hw.lanes, pwOutputs: r.hw.pwOutputs, clockMHz: r.hw.clockMHz,
    lut: r.resources.lut, ff: r.resources.ff, dsp: r.resources.dsp, bram36: r.resources.bram36, infeasible: r.infeasible ?? '',
  });
  return renderTemplate('codesign/pareto.html.hbs', {
    board: p.board, trials: p.trials, metric: acc, charts, front: rankFront(p.front).map(row), results: p.results.map(row),
  });
}
