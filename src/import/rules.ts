/** Checks of the importer that look at more than one node: nearest x2 resizing and channel splits. */
import { fail } from '../util/errors.ts';
import type { FLayer, Ref, Shape } from './graph.ts';

/** Why nearest resizing with these modes is not out[i] = in[floor(i / 2)] along an axis of `len`, or undefined. */
export function nearestX2(coord: string, nearest: string, len: number, scale: number): string | undefined {
  const out = 2 * len;
  const src = (i: number): number => {
    switch (coord) {
      case 'half_pixel': return (i + 0.5) / scale - 0.5;
      case 'half_pixel_symmetric': { const adj = out / (scale * len), off = (len / 2) * (1 - adj); return off + (i + 0.5) / scale - 0.5; }
      case 'pytorch_half_pixel': return out > 1 ? (i + 0.5) / scale - 0.5 : 0;
      case 'align_corners': return out === 1 ? 0 : (i * (len - 1)) / (out - 1);
      case 'asymmetric': return i / scale;
      case 'tf_half_pixel_for_nn': return (i + 0.5) / scale;
      default: return NaN;
    }
  };
  const pick = (v: number): number => {
    const f = Math.floor(v), frac = v - f;
    switch (nearest) {
      case 'floor': return f;
      case 'ceil': return Math.ceil(v);
      case 'round_prefer_floor': return frac === 0.5 ? f : Math.round(v);
      case 'round_prefer_ceil': return frac === 0.5 ? f + 1 : Math.round(v);
      default: return NaN;
    }
  };
  for (let i = 0; i < out; i++) {
    const j = Math.min(Math.max(pick(src(i)), 0), len - 1);
    if (j !== Math.floor(i / 2)) return `nearest resize with coordinate_transformation_mode "${coord}" and nearest_mode "${nearest}" maps output ${i} to input ${Number.isNaN(j) ? '(unsupported mode)' : j}; codenet's x2 upsample repeats each pixel (output i reads input floor(i / 2))`;
  }
  return undefined;
}

/** The channel slices of each tensor that reach an output must tile its channels (the integer split cuts all of them). */
export function checkSlices(file: string, supported: string, input: Shape, layers: FLayer[], outputs: Ref[]): void {
  const live = new Set<FLayer>();
  const walk = (r: Ref): void => {
    if (r === 'input' || live.has(r)) return;
    live.add(r);
    const ins = 'inputs' in r ? r.inputs : r.kind === 'deform' ? [r.input, r.offset] : [r.input];
    ins.forEach(walk);
  };
  outputs.forEach(walk);
  const groups = new Map<Ref, Extract<FLayer, { kind: 'slice' }>[]>();
  for (const l of layers) if (l.kind === 'slice' && live.has(l)) groups.set(l.input, [...(groups.get(l.input) ?? []), l]);
  for (const [src, parts] of groups) {
    const c = (src === 'input' ? input : src.shape).c;
    parts.sort((a, b) => a.begin - b.begin);
    let next = 0;
    for (const p of parts) {
      if (p.begin !== next) break;
      next += p.shape.c;
    }
    if (next !== c || parts.length < 2)
      fail(`${file}: node "${parts[0].node}" (Slice/Split): the channel slices of one tensor that the outputs use take ${parts.map((p) => `[${p.begin}, ${p.begin + p.shape.c})`).join(', ')} of its ${c} channels; codenet's split cuts all channels into consecutive parts, each used. codenet imports: ${supported} (docs/import.md)`);
  }
}
