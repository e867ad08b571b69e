/**
 * The network of a search candidate. The zoo's description (src/zoo/graph.ts) has every decoder
 * block deformable; a candidate may make some plain depthwise 3x3 instead (no offset conv, no
 * dilation map), which ZooSpec cannot say, so the candidate's graph is the zoo graph with those
 * blocks rewritten here (the zoo file stays the one description of the zoo networks).
 */
import type { FloatGraph, FloatNode } from '../float/graph-builder.ts';
import { zooGraph } from '../zoo/graph.ts';
import { findZooSpec, type ZooSpec } from '../zoo/specs.ts';
import { fail } from '../util/errors.ts';
import type { ModelPoint } from './search-space.ts';

/** A short name of the point (the float and integer model's name): every knob, in order. */
export function pointName(p: ModelPoint): string {
  const dec = p.deformable.map((d) => (d ? 'D' : 'd')).join('');
  return `${p.base}-c${p.channels.join('.')}-r${p.repeats.join('')}-i${p.input}-${p.stem === 's4' ? 's4' : 's2p'}-m${p.dmax}-${dec}`;
}

export function pointSpec(p: ModelPoint): ZooSpec {
  const b = findZooSpec(p.base) ?? fail(`unknown zoo network "${p.base}"`);
  return { ...b, name: pointName(p), description: `search candidate from ${b.name}`, input: p.input, stem: p.stem, channels: p.channels, repeats: p.repeats, dmax: p.dmax };
}

/** Why the point cannot be built (undefined: it can). */
export function pointProblem(p: ModelPoint): string | undefined {
  const s = pointSpec(p);
  if (s.skips && p.input % 32) return `input ${p.input}: ${p.base} has decoder skips, which need an input side divisible by 32`;
  if (p.input % 32) return `input ${p.input} must be divisible by 32 (the backbone halves it five times)`;
  return undefined;
}

/** The float graph of `p`: the zoo graph with the non-deformable decoder blocks as plain depthwise 3x3. */
export function pointGraph(p: ModelPoint, classes: number, seed: number): FloatGraph {
  const g = zooGraph(pointSpec(p), classes, p.input, seed);
  const plain = new Set(p.deformable.flatMap((d, i) => (d ? [] : [`dec${i + 1}`])));
  const nodes: FloatNode[] = [];
  for (const n of g.nodes) {
    const block = n.name.split('.')[0];
    if (!plain.has(block)) nodes.push(n);
    else if (n.op === 'offset') continue; // no dilation map for a plain depthwise
    else if (n.op === 'deform') nodes.push({ op: 'dw', name: `${block}.dw`, input: n.input, stride: 1, relu: false });
    else nodes.push(n.op === 'conv' && n.input === `${block}.deform` ? { ...n, input: `${block}.dw` } : n);
  }
  return { ...g, nodes };
}
