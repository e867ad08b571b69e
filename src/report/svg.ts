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
    return `<text x="${left - 6}" y="${y + rowH / 2 + 3}" text-anchor="end" font-size="9"><title>${esc(b.label)}</title>${esc(clip(b.label, Math.floor((left - 12) / (9 * 0.6))))}</text>${rects}`;
  }).join('\n');
  const legend = series.map((s, k) => `<rect x="${left + k * 140}" y="14" width="10" height="10" fill="${colors[k % colors.length]}"/><text x="${left + 14 + k * 140}" y="23" font-size="11">${esc(s)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img" aria-label="${esc(title)}">
<text x="8" y="23" font-size="13" font-weight="bold">${esc(clip(title, 24))}</text>${legend}
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
  /** Index into the ceilings: the engine that runs the layer (its colour); -1 for none. */
  engine: number;
}

export interface Ceiling {
  label: string;
  macsPerSecond: number;
}

const ENGINE_COLORS = ['#4c78a8', '#e45756', '#54a24b', '#b279a2', '#9d755d'];
/** Rough width of sans-serif text (for placing labels; no font metrics in Node). */
export const textWidth = (s: string, size: number) => s.length * size * 0.6;
/** A label cut to `max` characters with an ellipsis (the full text stays in a <title>). */
export const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}\u2026` : s);

/**
 * Log-log roofline: one ceiling per engine (what it attains at best), the DDR roof (bandwidth x
 * intensity), each layer a point in its engine's colour, numbered, with the numbers explained in
 * a key under the plot. Labels are placed to stay inside the chart and off each other.
 */
export function roofline(title: string, ceilings: Ceiling[], bytesPerSecond: number, points: RooflinePoint[], series: string[] = ceilings.map((c) => c.label)): string {
  const w = 760, l = 70, r = 20, t = 40, plotH = 330, b = 50;
  const valid = points.filter((p) => p.intensity > 0 && p.perf > 0);
  const peak = Math.max(...ceilings.map((c) => c.macsPerSecond));
  const low = Math.min(...ceilings.map((c) => c.macsPerSecond));
  const xs = [0.1, ...valid.map((p) => p.intensity), (peak / bytesPerSecond) * 10];
  const ys = [peak * 2, low / 2, ...valid.map((p) => p.perf), bytesPerSecond * 0.1];
  const x0 = Math.floor(Math.log10(Math.min(...xs))), x1 = Math.ceil(Math.log10(Math.max(...xs)));
  const y0 = Math.floor(Math.log10(Math.min(...ys))), y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const plotBottom = t + plotH;
  const X = (v: number) => l + ((Math.log10(v) - x0) / (x1 - x0)) * (w - l - r);
  const Y = (v: number) => plotBottom - ((Math.log10(v) - y0) / (y1 - y0)) * plotH;
  const xMin = 10 ** x0, xMax = 10 ** x1;
  const f1 = (v: number) => v.toFixed(1);
  // Placed labels (x, y of the box's top-left, width, height), so later ones avoid them.
  const boxes: Array<[number, number, number, number]> = [];
  const free = (x: number, y: number, bw: number, bh: number) =>
    x >= l + 2 && x + bw <= w - r - 2 && y >= t && y + bh <= plotBottom - 2 && boxes.every(([a, c, d, e]) => x + bw <= a || a + d <= x || y + bh <= c || c + e <= y);
  const grid: string[] = [];
  for (let e = x0; e <= x1; e++) grid.push(`<line x1="${f1(X(10 ** e))}" y1="${t}" x2="${f1(X(10 ** e))}" y2="${plotBottom}" stroke="#ddd"/><text x="${f1(X(10 ** e))}" y="${plotBottom + 14}" font-size="10" text-anchor="middle">${fmt(10 ** e)}</text>`);
  for (let e = y0; e <= y1; e++) grid.push(`<line x1="${l}" y1="${f1(Y(10 ** e))}" x2="${w - r}" y2="${f1(Y(10 ** e))}" stroke="#ddd"/><text x="${l - 6}" y="${f1(Y(10 ** e) + 3)}" font-size="10" text-anchor="end">${fmt(10 ** e)}</text>`);
  // The DDR roof: bandwidth x intensity, up to the highest ceiling.
  const ridge = peak / bytesPerSecond;
  const ddr = `<path d="M${f1(X(xMin))},${f1(Y(Math.min(peak, bytesPerSecond * xMin)))} L${f1(X(Math.min(xMax, Math.max(xMin, ridge))))},${f1(Y(Math.min(peak, bytesPerSecond * Math.min(xMax, ridge))))}" fill="none" stroke="#333" stroke-width="2"/>`;
  const ddrText = `DDR ${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
  const lines: string[] = [ddr];
  {
    // Along the slope, near its lower end, inside the plot.
    const ix = 10 ** (x0 + 0.04 * (x1 - x0));
    let y = Y(Math.min(peak, bytesPerSecond * ix)) - 16, x = X(ix) + 4;
    const bw = textWidth(ddrText, 10);
    y = Math.min(Math.max(y, t), plotBottom - 16);
    boxes.push([x, y, bw, 12]);
    lines.push(`<text x="${f1(x)}" y="${f1(y + 10)}" font-size="10">${esc(ddrText)}</text>`);
  }
  ceilings.forEach((c, k) => {
    const color = ENGINE_COLORS[k % ENGINE_COLORS.length];
    const y = Y(c.macsPerSecond);
    const start = Math.max(xMin, c.macsPerSecond / bytesPerSecond);
    lines.push(`<path d="M${f1(X(start))},${f1(y)} L${f1(X(xMax))},${f1(y)}" fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="6,3"><title>${esc(c.label)}: ${fmt(c.macsPerSecond)} MAC/s</title></path>`);
    const text = `${c.label} ${fmt(c.macsPerSecond)} MAC/s`;
    const bw = textWidth(text, 10);
    const x = w - r - 4 - bw;
    // Above the line, else below it, else further up.
    const y2 = [y - 14, y + 3, y - 26, y + 15].find((yy) => free(x, yy, bw, 12)) ?? Math.min(Math.max(y - 14, t), plotBottom - 14);
    boxes.push([x, y2, bw, 12]);
    lines.push(`<text x="${f1(x)}" y="${f1(y2 + 10)}" font-size="10" fill="${color}">${esc(text)}</text>`);
  });
  // Points: the same position (to a pixel or two) shares one label.
  const groups: Array<{ x: number; y: number; idx: number[]; engine: number }> = [];
  valid.forEach((p, i) => {
    const x = X(p.intensity), y = Y(p.perf);
    const g = groups.find((q) => Math.abs(q.x - x) < 2.5 && Math.abs(q.y - y) < 2.5);
    if (g) g.idx.push(i + 1); else groups.push({ x, y, idx: [i + 1], engine: p.engine });
  });
  for (const g of groups) boxes.push([g.x - 3, g.y - 3, 6, 6]);
  const dots = valid.map((p, i) => `<circle cx="${f1(X(p.intensity))}" cy="${f1(Y(p.perf))}" r="3" fill="${p.engine >= 0 ? ENGINE_COLORS[p.engine % ENGINE_COLORS.length] : '#888'}" fill-opacity="0.8"><title>${i + 1} ${esc(p.label)}: ${p.intensity.toFixed(2)} MAC/B, ${fmt(p.perf)} MAC/s</title></circle>`).join('');
  const labels = groups.map((g) => {
    const text = g.idx.length > 2 ? `${g.idx[0]}-${g.idx.at(-1)}`.length <= 7 && g.idx.every((v, j) => j === 0 || v === g.idx[j - 1] + 1) ? `${g.idx[0]}-${g.idx.at(-1)}` : `${g.idx[0]}+${g.idx.length - 1}` : g.idx.join(',');
    const bw = textWidth(text, 8), bh = 9;
    const cands: Array<[number, number]> = [[g.x + 4, g.y - bh - 1], [g.x + 4, g.y + 1], [g.x - 4 - bw, g.y - bh - 1], [g.x - 4 - bw, g.y + 1], [g.x - bw / 2, g.y - bh - 4], [g.x - bw / 2, g.y + 4], [g.x + 8, g.y - bh / 2], [g.x - 8 - bw, g.y - bh / 2]];
    const at = cands.find(([x, y]) => free(x, y, bw, bh)) ?? cands.map(([x, y]) => [Math.min(Math.max(x, l + 2), w - r - 2 - bw), Math.min(Math.max(y, t), plotBottom - 2 - bh)] as [number, number])[0];
    boxes.push([at[0], at[1], bw, bh]);
    return `<text x="${f1(at[0])}" y="${f1(at[1] + bh - 1)}" font-size="8" fill="#333">${esc(text)}</text>`;
  }).join('');
  // The key: number, layer name, in columns under the plot.
  const cols = 4, colW = (w - 16) / cols, rowH = 11, keyTop = plotBottom + b;
  const perCol = Math.ceil(valid.length / cols);
  const maxChars = Math.floor((colW - 8) / (9 * 0.6));
  const key = valid.map((p, i) => {
    const c = Math.floor(i / Math.max(1, perCol)), rr = i % Math.max(1, perCol);
    return `<text x="${f1(8 + c * colW)}" y="${keyTop + 10 + rr * rowH}" font-size="9" fill="${p.engine >= 0 ? ENGINE_COLORS[p.engine % ENGINE_COLORS.length] : '#555'}"><title>${i + 1} ${esc(p.label)}</title>${esc(clip(`${i + 1} ${p.label}`, maxChars))}</text>`;
  }).join('');
  const h = keyTop + perCol * rowH + 10;
  // Point colours: one per engine (and one for fused 1x1 + dw3x3 passes), right of the title.
  let lx = w - r;
  const legend = series.map((name, k) => ({ name: clip(name, 28), k })).reverse().map(({ name, k }) => {
    lx -= textWidth(name, 10) + 18;
    return `<circle cx="${f1(lx + 4)}" cy="19" r="4" fill="${ENGINE_COLORS[k % ENGINE_COLORS.length]}"/><text x="${f1(lx + 11)}" y="23" font-size="10">${esc(name)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" role="img" aria-label="${esc(title)}">
<text x="8" y="23" font-size="13" font-weight="bold">${esc(clip(title, 48))}</text>${legend}
${grid.join('')}
${lines.join('\n')}
${dots}
${labels}
<text x="${(l + w - r) / 2}" y="${plotBottom + 32}" font-size="11" text-anchor="middle">operational intensity (MAC per DDR byte); points numbered as in the key below</text>
<text x="14" y="${(t + plotBottom) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${(t + plotBottom) / 2})">MAC/s</text>
${key}
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
  const w = 760, left = 80, barW = 400, rowH = 30, top = 40;
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
