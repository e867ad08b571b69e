/**
 * Self-contained SVG charts for the report (no scripts, no fonts or files from the network).
 */
import { htmlText as esc } from '../util/escape.ts';

const fmt = (v: number) => (v >= 1e9 ? `${(v / 1e9).toFixed(1)}G` : v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(v < 10 ? 1 : 0));

export interface Bar {
  label: string;
  values: number[];
}

/** Horizontal grouped bar chart (one row per label, one bar per series). */
export function barChart(title: string, series: string[], bars: Bar[], colors = ['#4c78a8', '#f58518']): string {
  const rowH = 6 + 7 * series.length, left = 170, width = 760, top = 40;
  const height = top + bars.length * rowH + 30;
  const max = Math.max(1, ...bars.flatMap((b) => b.values));
  const scale = (v: number) => ((width - left - 60) * v) / max;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const rects = b.values.map((v, k) => `<rect x="${left}" y="${y + 3 + k * 7}" width="${scale(v).toFixed(1)}" height="6" fill="${colors[k % colors.length]}"><title>${esc(b.label)} ${esc(series[k])}: ${v}</title></rect>`).join('');
    return `<text x="${left - 6}" y="${y + rowH / 2 + 3}" text-anchor="end" font-size="9">${esc(b.label)}</text>${rects}`;
  }).join('\n');
  const legend = series.map((s, k) => `<rect x="${left + k * 140}" y="14" width="10" height="10" fill="${colors[k % colors.length]}"/><text x="${left + 14 + k * 140}" y="23" font-size="11">${esc(s)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img" aria-label="${esc(title)}">
<text x="8" y="23" font-size="13" font-weight="bold">${esc(title)}</text>${legend}
${rows}
<text x="${left}" y="${height - 8}" font-size="10">0</text><text x="${width - 60}" y="${height - 8}" font-size="10" text-anchor="end">${fmt(max)}</text>
</svg>`;
}

export interface RooflinePoint {
  label: string;
  /** MACs per DDR byte. */
  intensity: number;
  /** Attained MACs per second. */
  perf: number;
}

/** Log-log roofline: min(peak, bandwidth * intensity), each layer a point. */
export function roofline(title: string, peakMacsPerSecond: number, bytesPerSecond: number, points: RooflinePoint[]): string {
  const w = 760, h = 420, l = 70, r = 20, t = 40, b = 50;
  const valid = points.filter((p) => p.intensity > 0 && p.perf > 0);
  const xs = [0.1, ...valid.map((p) => p.intensity), (peakMacsPerSecond / bytesPerSecond) * 10];
  const ys = [peakMacsPerSecond * 2, ...valid.map((p) => p.perf), bytesPerSecond * 0.1];
  const x0 = Math.floor(Math.log10(Math.min(...xs))), x1 = Math.ceil(Math.log10(Math.max(...xs)));
  const y0 = Math.floor(Math.log10(Math.min(...ys))), y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const X = (v: number) => l + ((Math.log10(v) - x0) / (x1 - x0)) * (w - l - r);
  const Y = (v: number) => h - b - ((Math.log10(v) - y0) / (y1 - y0)) * (h - t - b);
  const ridge = peakMacsPerSecond / bytesPerSecond;
  const xMin = 10 ** x0, xMax = 10 ** x1;
  const roof = `M${X(xMin).toFixed(1)},${Y(Math.min(peakMacsPerSecond, bytesPerSecond * xMin)).toFixed(1)} L${X(Math.max(xMin, ridge)).toFixed(1)},${Y(peakMacsPerSecond).toFixed(1)} L${X(xMax).toFixed(1)},${Y(peakMacsPerSecond).toFixed(1)}`;
  const grid: string[] = [];
  for (let e = x0; e <= x1; e++) grid.push(`<line x1="${X(10 ** e)}" y1="${t}" x2="${X(10 ** e)}" y2="${h - b}" stroke="#ddd"/><text x="${X(10 ** e)}" y="${h - b + 14}" font-size="10" text-anchor="middle">${fmt(10 ** e)}</text>`);
  for (let e = y0; e <= y1; e++) grid.push(`<line x1="${l}" y1="${Y(10 ** e)}" x2="${w - r}" y2="${Y(10 ** e)}" stroke="#ddd"/><text x="${l - 6}" y="${Y(10 ** e) + 3}" font-size="10" text-anchor="end">${fmt(10 ** e)}</text>`);
  const dots = valid.map((p) => `<circle cx="${X(p.intensity).toFixed(1)}" cy="${Y(p.perf).toFixed(1)}" r="3" fill="#e45756" fill-opacity="0.7"><title>${esc(p.label)}: ${p.intensity.toFixed(2)} MAC/B, ${fmt(p.perf)} MAC/s</title></circle>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" role="img" aria-label="${esc(title)}">
<text x="8" y="23" font-size="13" font-weight="bold">${esc(title)}</text>
${grid.join('')}
<path d="${roof}" fill="none" stroke="#333" stroke-width="2"/>
<text x="${w - r}" y="${Y(peakMacsPerSecond) - 6}" font-size="10" text-anchor="end">peak ${fmt(peakMacsPerSecond)} MAC/s</text>
${dots}
<text x="${(l + w - r) / 2}" y="${h - 12}" font-size="11" text-anchor="middle">operational intensity (MAC per DDR byte)</text>
<text x="14" y="${(t + h - b) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${(t + h - b) / 2})">MAC/s</text>
</svg>`;
}

export interface ResourceBar {
  label: string;
  used: number;
  budget: number;
  cap: number;
}

/** Used / budget per resource with the utilisation cap marked. */
export function resourceBars(title: string, rows: ResourceBar[]): string {
  const w = 760, left = 80, barW = 520, rowH = 30, top = 40;
  const h = top + rows.length * rowH + 10;
  const body = rows.map((r, i) => {
    const y = top + i * rowH;
    const frac = r.budget > 0 ? r.used / r.budget : 0;
    const color = frac > r.cap ? '#e45756' : '#54a24b';
    return `<text x="${left - 8}" y="${y + 15}" font-size="11" text-anchor="end">${esc(r.label)}</text>
<rect x="${left}" y="${y + 4}" width="${barW}" height="14" fill="#eee"/>
<rect x="${left}" y="${y + 4}" width="${(barW * Math.min(1, frac)).toFixed(1)}" height="14" fill="${color}"/>
<line x1="${left + barW * r.cap}" y1="${y}" x2="${left + barW * r.cap}" y2="${y + 22}" stroke="#333" stroke-dasharray="3,2"/>
<text x="${left + barW + 8}" y="${y + 15}" font-size="11">${fmt(r.used)} / ${fmt(r.budget)} (${(100 * frac).toFixed(1)}%, cap ${(100 * r.cap).toFixed(0)}%)</text>`;
  }).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" role="img" aria-label="${esc(title)}">
<text x="8" y="23" font-size="13" font-weight="bold">${esc(title)}</text>
${body}
</svg>`;
}
