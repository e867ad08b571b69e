/**
 * Choosing how many channels each prunable group keeps.
 *
 * Latency is the accelerator's own cycle model (src/perf/model.ts) of the compiled program of the
 * pruned network: the integer graph of the float model is read once (src/quant/graph.ts), and a
 * candidate's tensors get the channel counts that the candidate widths give them; the compiler
 * then tiles them for the hardware config as it would the real pruned model (a test holds the two
 * equal). No channel multiple is assumed anywhere: a width is worth keeping when the cycle model
 * says removing one more channel would save cycles (the lanes of a channel group, the 1x1 array's
 * output tiles and the buffers decide where those steps are, per config).
 *
 * The search (target-FPS mode) is a greedy one in the spirit of AMC: from the full widths, every
 * group's next move is down to the top of its next lower latency step (the largest width that is
 * faster than the current one: found by bisection, as latency does not fall when channels are
 * added); the move taken is the one with the most cycles saved per unit of accuracy proxy lost,
 * until the target FPS is met. The accuracy proxy is the importance mass kept: the mean over groups
 * of the share of a group's importance (src/codesign/prune-importance.ts) its kept channels hold.
 * It needs no training per candidate, which a cycle-model evaluation per move makes affordable; the
 * distillation fine-tune afterwards recovers what the proxy cannot see. Moves are re-checked
 * before they are taken (lazy greedy): a cached move whose saving changed is re-queued. When no
 * single group's cut saves a cycle (a fused pass stays bound by its other engine or by the DDR), one
 * lane group comes off every group at once if the cycle model says that is faster. At the end
 * every group is raised to the top of its latency step (channels the cycle model gives for free).
 */
import type { HwConfig } from '../hw/config.ts';
import type { Model } from '../ir/model.ts';
import { modelPerf } from '../perf/model.ts';
import { headGroups, keptCounts, type GraphInfo } from './prune-graph.ts';
import { keptMass } from './prune-importance.ts';

/** Cycles of the compiled program for per-group widths (cached: the search asks for the same ones often). */
export class LatencyModel {
  private readonly cache = new Map<string, number>();
  evaluations = 0;
  constructor(private readonly info: GraphInfo, private readonly ir: Model, private readonly source: Map<string, string>, readonly hw: HwConfig) {}

  /** The integer topology with the channel counts of `widths` (groups not named keep theirs). */
  topology(widths: Map<string, number>): Model {
    const counts = keptCounts(this.info, widths);
    const tensors = new Map(this.ir.tensors);
    for (const [name, t] of tensors) {
      const layer = this.source.get(name);
      const c = layer === undefined || t.kind !== 'act' ? undefined : counts.get(layer);
      if (c !== undefined && c !== t.shape[2]) tensors.set(name, { ...t, shape: [t.shape[0], t.shape[1], c], pad: new Int8Array(c) });
    }
    return { ...this.ir, tensors };
  }

  cycles(widths: Map<string, number>): number {
    const key = this.info.groups.map((g) => widths.get(g.conv) ?? g.width).join(',');
    let c = this.cache.get(key);
    if (c === undefined) {
      this.evaluations++;
      c = modelPerf(this.topology(widths), this.hw).cycles;
      this.cache.set(key, c);
    }
    return c;
  }

  fps(widths: Map<string, number>): number {
    return (this.hw.clockMHz * 1e6) / this.cycles(widths);
  }

  /** Cycles with group `conv` at width `w` and the others at `widths`. */
  with(widths: Map<string, number>, conv: string, w: number): number {
    return this.cycles(new Map(widths).set(conv, w));
  }

  /** The largest width below `w` that the cycle model makes faster than `w` (undefined: none down to `min`). */
  nextStepDown(widths: Map<string, number>, conv: string, w: number, min: number): number | undefined {
    const at = this.with(widths, conv, w);
    if (min >= w || this.with(widths, conv, min) >= at) return undefined;
    let lo = min, hi = w; // cycles(lo) < at <= cycles(hi)
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.with(widths, conv, mid) < at) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** The largest width from `w` up to `max` that costs no more cycles than `w` (the top of its step). */
  topOfStep(widths: Map<string, number>, conv: string, w: number, max: number): number {
    const at = this.with(widths, conv, w);
    if (this.with(widths, conv, max) <= at) return max;
    let lo = w, hi = max; // cycles(lo) <= at < cycles(hi)
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.with(widths, conv, mid) <= at) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

export interface TraceStep {
  step: number;
  group: string;
  from: number;
  to: number;
  fps: number;
  /** The accuracy proxy after the move: mean kept importance share over groups. */
  proxy: number;
}

/** Mean over groups of the importance share kept. */
export function proxyOf(info: GraphInfo, importance: Map<string, { values: number[] }>, widths: Map<string, number>): number {
  return info.groups.reduce((a, g) => a + keptMass(importance.get(g.conv)!.values, widths.get(g.conv) ?? g.width), 0) / info.groups.length;
}

/**
 * The smallest width each group may keep: `minKeep` of its channels, and for the head groups
 * (prune-graph.ts headGroups: the heads' hidden widths and what feeds them) at least
 * `headMinKeep` (default: minKeep, no extra floor), at least one channel. The search still moves
 * on the cycle model's staircase above the floor.
 */
export function minWidths(info: GraphInfo, minKeep: number, headMinKeep = minKeep): Map<string, number> {
  const heads = headGroups(info);
  return new Map(info.groups.map((g) => [g.conv, Math.max(1, Math.ceil((heads.has(g.conv) ? Math.max(minKeep, headMinKeep) : minKeep) * g.width))]));
}

/**
 * Greedy search for the widths that reach `targetFps` losing the least importance mass (see the
 * file comment). Returns the widths and the trace; the caller checks reachability first.
 */
export function searchWidths(info: GraphInfo, lat: LatencyModel, importance: Map<string, { values: number[] }>, targetFps: number, mins: Map<string, number>): { widths: Map<string, number>; trace: TraceStep[] } {
  const widths = new Map(info.groups.map((g) => [g.conv, g.width]));
  const trace: TraceStep[] = [];
  const mass = (conv: string, w: number) => keptMass(importance.get(conv)!.values, w) / info.groups.length;
  type Move = { to: number; score: number };
  const moveOf = (conv: string): Move | undefined => {
    const w = widths.get(conv)!;
    const to = lat.nextStepDown(widths, conv, w, mins.get(conv)!);
    if (to === undefined) return undefined;
    const saved = lat.cycles(widths) - lat.with(widths, conv, to);
    const lost = mass(conv, w) - mass(conv, to);
    return { to, score: saved / (lost + 1e-9) };
  };
  const cached = new Map<string, Move | undefined>(info.groups.map((g) => [g.conv, moveOf(g.conv)]));
  const order = info.groups.map((g) => g.conv);
  const best = (): string | undefined => {
    let pick: string | undefined;
    for (const c of order) {
      const m = cached.get(c);
      if (m && (pick === undefined || m.score > cached.get(pick)!.score)) pick = c;
    }
    return pick;
  };
  while (lat.fps(widths) < targetFps) {
    const pick = best();
    if (pick === undefined) {
      // No single group's cut saves a cycle (an engine or the DDR bounds its passes either way), but
      // cuts together can: every group above its minimum one lane group down, kept if the cycle model agrees.
      if (!jointStep(info, lat, importance, widths, mins, trace)) break;
      for (const g of info.groups) cached.set(g.conv, moveOf(g.conv));
      continue;
    }
    const fresh = moveOf(pick);
    const stale = cached.get(pick)!;
    cached.set(pick, fresh);
    // Re-queue a move whose saving shrank below the next best's (lazy greedy).
    if (!fresh || (fresh.score < stale.score && best() !== pick)) continue;
    const from = widths.get(pick)!;
    widths.set(pick, fresh.to);
    trace.push({ step: trace.length + 1, group: pick, from, to: fresh.to, fps: lat.fps(widths), proxy: proxyOf(info, importance, widths) });
    cached.set(pick, moveOf(pick));
  }
  raiseToStepTops(info, lat, widths);
  return { widths, trace };
}

/** One lane group off every group above its minimum, when that saves cycles (traced per group); false when it does not. */
function jointStep(info: GraphInfo, lat: LatencyModel, importance: Map<string, { values: number[] }>, widths: Map<string, number>, mins: Map<string, number>, trace: TraceStep[]): boolean {
  const next = new Map(widths);
  for (const g of info.groups) next.set(g.conv, Math.max(mins.get(g.conv)!, widths.get(g.conv)! - lat.hw.lanes));
  if (lat.cycles(next) >= lat.cycles(widths)) return false;
  for (const g of info.groups) {
    const from = widths.get(g.conv)!, to = next.get(g.conv)!;
    if (to === from) continue;
    widths.set(g.conv, to);
    trace.push({ step: trace.length + 1, group: g.conv, from, to, fps: lat.fps(widths), proxy: proxyOf(info, importance, widths) });
  }
  return true;
}

/** Every group up to the top of its latency step, until none moves (channels the cycle model gives for free). */
export function raiseToStepTops(info: GraphInfo, lat: LatencyModel, widths: Map<string, number>): void {
  for (let pass = 0, moved = true; moved && pass < 8; pass++) {
    moved = false;
    for (const g of info.groups) {
      const w = widths.get(g.conv)!;
      const top = lat.topOfStep(widths, g.conv, w, g.width);
      if (top > w) {
        widths.set(g.conv, top);
        moved = true;
      }
    }
  }
}

/**
 * --ratio: remove round(ratio x all prunable channels), the least important first across groups
 * (importance divided by its group's mean, so layers of different scale compare), no group below
 * its minimum. Returns the widths (the caller checks the ratio is reachable).
 */
export function ratioWidths(info: GraphInfo, importance: Map<string, { values: number[] }>, ratio: number, mins: Map<string, number>): Map<string, number> {
  const total = info.groups.reduce((a, g) => a + g.width, 0);
  let remove = Math.round(ratio * total);
  const cands: { conv: string; v: number; rank: number }[] = [];
  for (const g of info.groups) {
    const vals = importance.get(g.conv)!.values;
    const mean = vals.reduce((a, v) => a + v, 0) / vals.length || 1;
    // The group's channels from least to most important; only the first width - min may go.
    const sorted = [...vals].sort((a, b) => a - b).slice(0, g.width - mins.get(g.conv)!);
    sorted.forEach((v, rank) => cands.push({ conv: g.conv, v: v / mean, rank }));
  }
  cands.sort((a, b) => a.v - b.v || a.rank - b.rank || (a.conv < b.conv ? -1 : a.conv > b.conv ? 1 : 0));
  const widths = new Map(info.groups.map((g) => [g.conv, g.width]));
  for (const c of cands) {
    if (remove === 0) break;
    widths.set(c.conv, widths.get(c.conv)! - 1);
    remove--;
  }
  return widths;
}

/** Channels --ratio may remove at most (all groups at their minimum) over all prunable channels. */
export function maxRatio(info: GraphInfo, mins: Map<string, number>): number {
  const total = info.groups.reduce((a, g) => a + g.width, 0);
  return info.groups.reduce((a, g) => a + g.width - mins.get(g.conv)!, 0) / total;
}
