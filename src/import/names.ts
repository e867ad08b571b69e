/**
 * Float layer names of an import: from the PyTorch scope of each ONNX node, so that a network built
 * from python/codenet_torch.py gets the zoo's names, then made unique.
 */
import type { Node } from './onnx.ts';
import type { FLayer } from './graph.ts';

/** Ops that PyTorch modules of their own export (nn.Conv2d, nn.MaxPool2d, nn.Upsample, a Cat module): the layer takes the module's name. */
const MODULE_OPS = new Set(['Conv', 'DeformConv', 'DeformDepthwise', 'MaxPool', 'Resize', 'Upsample', 'Concat']);

/** A layer name from the node's PyTorch scope: "/stage2/stage2.0/b1/dw/Conv" -> "stage2.0.b1.dw". */
export function scopeHint(n: Node, index: number, suffix?: string): string {
  const parts = n.name.split('/').filter(Boolean);
  const last = parts.pop() ?? `${n.op.toLowerCase()}_${index}`;
  const segs: string[] = [];
  let prev = '';
  for (const p of parts) {
    if (prev && p.startsWith(`${prev}.`)) segs[segs.length - 1] = p.slice(prev.length + 1).length ? `${segs[segs.length - 1]}.${p.slice(prev.length + 1)}` : p;
    else segs.push(p);
    prev = p;
  }
  let own = suffix ?? (MODULE_OPS.has(n.op) && last === n.op && segs.length ? '' : last.toLowerCase());
  if (own === segs[segs.length - 1]) own = ''; // a Shuffle module named "shuffle": "unit.shuffle", not "unit.shuffle.shuffle"
  return [...segs, own].filter(Boolean).join('.') || `${n.op.toLowerCase()}_${index}`;
}

export const sanitize = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'layer';

/** Unique float layer names: fixed ones (heads, outputs) first, then each layer's hint; sublayers (.pad, .bn, .relu) kept free. */
export function nameLayers(layers: FLayer[], fixed: Map<FLayer, string>): void {
  const taken = new Set<string>();
  const subs = (l: FLayer, name: string) => [name, ...(l.kind === 'conv' || l.kind === 'maxpool' ? [`${name}.pad`] : []), ...(l.kind === 'conv' || l.kind === 'deform' ? [`${name}.bn`, `${name}.relu`] : [])];
  const claim = (l: FLayer, want: string) => {
    let name = want, k = 2;
    while (subs(l, name).some((s) => taken.has(s))) name = `${want}_${k++}`;
    subs(l, name).forEach((s) => taken.add(s));
    l.name = name;
  };
  taken.add('image');
  for (const l of layers) if (fixed.has(l)) claim(l, fixed.get(l)!);
  for (const l of layers) if (!fixed.has(l)) claim(l, sanitize(l.hint));
}
