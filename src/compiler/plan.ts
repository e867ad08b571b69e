/**
 * The compiler's plan phase (docs/architecture.md, "The compiler"): every decision about how a
 * model runs on a hardware config, made before a byte is emitted. Layers are planned in the
 * model's topological order:
 *
 * - every compute layer's output gets a fresh buffer (never reused);
 * - split, concat, shuffle and upsample only change channel maps (views): consumers fold the
 *   permutation into their weight order or per-lane parameters; a view that cannot be read as it
 *   stands (an upsampled tensor that is split, concatenated or upsampled again, a concat input
 *   that repeats lanes of an earlier one, or a view over more than eight buffers) is first stored
 *   by a PW copy pass;
 * - a consumer reads its input through up to eight sources, one contiguous group range per buffer;
 * - a conv1x1 whose only reader is a dw3x3 runs fused with it (PWDW passes, never stored);
 * - a dilation map read by the next dwdeform stays in the depthwise engine's map, and a depthwise
 *   output read only by the next 1x1 in the on-chip tensor buffer, when they fit;
 * - an offset conv of stride 2 reads a stride-2 subsample of its input (a centre-tap DW pass);
 * - a program of views only stores its outputs with copy passes (never an empty program).
 *
 * The result, a `Plan`, lists per layer its passes (engine, gathered input, output buffer, the
 * parameters to pack, the descriptors each becomes), the buffers with their sizes and offsets and
 * where every tensor lives; src/compiler/emit.ts turns it into descriptors and the memory image,
 * and `codenet explain` prints it (src/compiler/explain.ts). Every model-does-not-fit condition is
 * a UserError naming the layer and the limit, thrown here, before anything is emitted.
 */
import type { Layer, Model, QuantParams, Tensor } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { hwParams } from '../hw/params.ts';
import { layerMacs } from '../info/summary.ts';
import { fail } from '../util/errors.ts';
import { MAX_SOURCES } from './descriptor.ts';
import { PW_TILE_MAX } from '../isa/layout.ts';
import { stemChannelsPerTile } from './pack.ts';
import { windowOut } from '../ops/index.ts';

export interface CompileOptions {
  /** Fuse each conv1x1 whose only reader is a dw3x3 into PWDW passes (default true). */
  fuse?: boolean;
  /**
   * Keep a depthwise output read only by the next 1x1 in the on-chip tensor buffer, and a dilation
   * map in the depthwise engine's map, when they fit (default true).
   */
  chip?: boolean;
  /**
   * Store a 3-channel graph input whose only reader is the stem packed, lanes/4 pixels a beat
   * (RGBX), so the stem reads a quarter of the bytes (default true).
   */
  pack?: boolean;
}

/** Every region and buffer starts on a 4 KiB boundary. */
export const REGION_ALIGN = 4096;
export const align = (v: number, a: number) => Math.ceil(v / a) * a;

export interface PlanBuffer {
  name: string;
  h: number;
  w: number;
  /** Beats (channel groups) per pixel. */
  gstride: number;
  /** Offset from the start of the buffer region (the input buffer is the first buffer), or into the on-chip tensor buffer. */
  off: number;
  /** h x w x gstride beats (a packed buffer: h x w / pixelsPerBeat beats). */
  bytes: number;
  /** The packed graph input: this many pixels a beat, 4 bytes each (RGBX); absent otherwise. */
  pixelsPerBeat?: number;
  /** DDR, or the on-chip tensor buffer. */
  where: 'ddr' | 'tensor-buffer';
  /** The layer whose passes write it; -1 for the graph input. */
  layer: number;
  /** What it holds: the graph input, a layer's output, a stored copy of a view, a stride-2 subsample. */
  role: 'input' | 'output' | 'copy' | 'subsample';
}

/** Logical channel -> [buffer, physical channel]. */
export type Ref = [string, number];

export interface View {
  chans: Ref[];
  up: 0 | 1;
}

export interface GatherSrc {
  buf: PlanBuffer;
  g0: number;
  ng: number;
}

/** How a pass reads its input: up to eight sources, one contiguous group range per buffer. */
export interface Gather {
  srcs: GatherSrc[];
  gin: number;
  up: 0 | 1;
  inH: number;
  inW: number;
  /** Gathered physical channel (group*lanes + lane of the engine input) of each logical channel. */
  phys: number[];
}

/** Why a pass that is not the layer's own computation exists. */
export type PassPurpose = 'compute' | 'copy' | 'subsample';

interface PassBase {
  /** Index of the layer whose descriptors these are (the `layer` field of each). */
  layer: number;
  purpose: PassPurpose;
  /** For copy and subsample passes: why. */
  why?: string;
  /** The tensor (or view) the pass reads, for messages. */
  reads: string;
  gather: Gather;
  /** Descriptors the pass becomes. */
  descriptors: number;
}

/** 1x1 engine: out[co] = rq(sum_ci x[ci] * W[co][ci]), one OUTS-channel tile a descriptor. */
export interface PwPass extends PassBase {
  engine: 'pw';
  W: Int8Array;
  cout: number;
  S: ArrayLike<number>;
  B: ArrayLike<number>;
  n: number;
  lo: number;
  /** 1: an offset conv (dilation output). */
  mode: 0 | 1;
  dmax: number;
  /** A buffer, or the depthwise engine's on-chip dilation map. */
  out: PlanBuffer | 'map';
  /** Groups per output pixel (1 into the map). */
  gstride: number;
  /**
   * Output tiles each descriptor computes from one read of the input (pixel by pixel, every tile
   * of a pixel in turn): as many full tiles as the weight RAM and the engine's S/B memory hold.
   */
  tilesPer: number;
}

/**
 * Fused 1x1 -> dw3x3: the 1x1's output groups of each pixel run through the depthwise engine
 * straight away; a descriptor computes `tilesPer` full 1x1 tiles from one read of the input.
 */
export interface PwDwPass extends PassBase {
  engine: 'pwdw';
  /** The fused conv1x1 layer (its own descriptors are these). */
  pwLayer: number;
  pw: QuantParams;
  /** The 1x1's lower clamp. */
  pwLo: number;
  dw: QuantParams;
  /** Pad codes of the 1x1's output (the depthwise input). */
  pad: Int8Array;
  lo2: number;
  stride: number;
  dilation: number;
  cout: number;
  gstride: number;
  outH: number;
  outW: number;
  out: PlanBuffer;
  /**
   * Full 1x1 tiles a descriptor computes from one read of its input (every tile of a pixel in
   * turn), their groups all in the depthwise engine: as many as the weight RAM, the S/B entries,
   * the line buffer and the depthwise engine's groups hold; a partial last tile runs alone.
   */
  tilesPer: number;
}

/** Depthwise engine (dw3x3, dwdeform, maxpool, a stride-2 subsample), in channel chunks that fit the line and row buffers. */
export interface DwPass extends PassBase {
  engine: 'dw';
  pool: boolean;
  w?: Int8Array;
  S?: ArrayLike<number>;
  B?: ArrayLike<number>;
  pad?: Int8Array;
  n: number;
  lo: number;
  stride: number;
  dconst: number;
  /** dwdeform: the dilation map, in a buffer or already in the engine's on-chip map. */
  map?: { buf: PlanBuffer | 'map'; dmax: number };
  outH: number;
  outW: number;
  /** Groups per descriptor (the last chunk may be smaller). */
  chunk: number;
  out: PlanBuffer;
}

/**
 * Stem: im2col of 3 channels, `per` output channels (`ng` groups) a tile; a descriptor computes
 * `tilesPer` tiles from one read of the input (each im2col column through the array once per tile).
 */
export interface StemPass extends PassBase {
  engine: 'stem';
  q: QuantParams;
  cout: number;
  lo: number;
  stride: number;
  /** Pad codes of the stem's input. */
  pad: Int8Array;
  per: number;
  ng: number;
  /** Tiles of `per` channels in all, and the most one descriptor computes. */
  tiles: number;
  tilesPer: number;
  outH: number;
  outW: number;
  out: PlanBuffer;
}

export type Pass = PwPass | PwDwPass | DwPass | StemPass;

/** Where a tensor lives once the program has run. */
export type Placement =
  | { kind: 'stored'; channels: Ref[] }
  | { kind: 'upsample'; of: string }
  /** A dilation map written into the depthwise engine's on-chip map (map_out). */
  | { kind: 'map'; reader: number }
  /** A 1x1 output computed inside its dw3x3 reader's PWDW passes. */
  | { kind: 'fused'; reader: number }
  /** Stored in the on-chip tensor buffer, read by the next 1x1. */
  | { kind: 'tensor-buffer'; channels: Ref[]; reader: number };

export interface PlannedTensor {
  name: string;
  shape: [number, number, number];
  kind: Tensor['kind'];
  placement: Placement;
}

export interface LayerPlan {
  index: number;
  name: string;
  op: string;
  macs: number;
  /** Indices into Plan.passes, in program order. */
  passes: number[];
  /** conv1x1: the dw3x3 layer whose PWDW passes compute it; dw3x3: the conv1x1 it fuses. */
  fusedInto?: number;
  fuses?: number;
  /** The compiler's choices for this layer and why (fusion, on-chip outputs, views), for explain. */
  notes: string[];
}

export interface Plan {
  model: Model;
  hw: HwConfig;
  options: Required<CompileOptions>;
  /** Every pass in program order. */
  passes: Pass[];
  layers: LayerPlan[];
  /** Every buffer in allocation order: DDR ones (offsets from the buffer region) and tensor-buffer ones. */
  buffers: PlanBuffer[];
  /** The graph input's buffer (the first). */
  input: PlanBuffer;
  /** The graph input, then every layer output, as the memory map lists them. */
  tensors: PlannedTensor[];
  /** Bytes of the buffer region (input and every DDR buffer, each 4 KiB aligned). */
  bufferBytes: number;
}

/** Tensor state while planning. */
interface TensorState {
  channels?: Ref[];
  upsampleOf?: string;
  /** A dilation map kept in the depthwise engine's on-chip map (map_out), never stored in DDR. */
  onChip?: number;
  /** A 1x1 output whose only reader is a dw3x3: computed inside that layer's fused PWDW passes. */
  fused?: PendingPw;
}

/** A conv1x1 deferred to its depthwise reader (the view of its input is taken when it is reached). */
interface PendingPw {
  li: number;
  at: string;
  what: string;
  v: View;
  layer: Layer;
  lo: number;
  reader: number;
}

class Planner {
  readonly lanes: number;
  readonly beat: number;
  readonly outs: number;
  readonly pairs: number;
  readonly gmax: number;
  readonly R: number;
  readonly buffers: PlanBuffer[] = [];
  private readonly bufByName = new Map<string, PlanBuffer>();
  readonly state = new Map<string, TensorState>();
  readonly passes: Pass[] = [];
  readonly notes: string[][];
  private bufEnd = 0;
  /** Index of the last layer that reads the tensor now in the on-chip tensor buffer. */
  private chipBusyUntil = -1;

  constructor(readonly model: Model, readonly hw: HwConfig, readonly opts: Required<CompileOptions>) {
    const p = hwParams(hw);
    this.lanes = hw.lanes;
    this.beat = p.beatBytes;
    if (this.beat !== this.lanes) fail(`hardware config: axiDataBits ${hw.axiDataBits} must be lanes ${hw.lanes} x 8 (one lane group per beat)`);
    this.outs = hw.pwOutputs;
    this.pairs = p.pairs;
    this.gmax = p.gmax;
    this.R = p.lineRows;
    this.notes = model.layers.map(() => []);
  }

  /** The layers that read tensor `t`, with their indices. */
  readersOf(t: string): Array<readonly [Layer, number]> {
    return this.model.layers.map((l, i) => [l, i] as const).filter(([l]) => l.inputs.includes(t));
  }

  tensor(name: string): Tensor {
    return this.model.tensors.get(name)!;
  }

  buf(name: string): PlanBuffer {
    return this.bufByName.get(name)!;
  }

  buffer(name: string, h: number, w: number, gstride: number, layer: number, role: PlanBuffer['role'], pixelsPerBeat = 0): PlanBuffer {
    if (this.bufByName.has(name)) throw new Error(`compiler: buffer "${name}" allocated twice`);
    const bytes = pixelsPerBeat ? (h * w * this.beat) / pixelsPerBeat : h * w * gstride * this.beat;
    const b: PlanBuffer = { name, h, w, gstride, off: this.bufEnd, bytes, where: 'ddr', layer, role, ...(pixelsPerBeat ? { pixelsPerBeat } : {}) };
    this.bufEnd = align(this.bufEnd + bytes, REGION_ALIGN);
    this.buffers.push(b);
    this.bufByName.set(name, b);
    return b;
  }

  /**
   * The output buffer of depthwise layer `li`: the on-chip tensor buffer when the output fits it,
   * is not a graph output, its only reader is the next 1x1 (reading it directly, not fused with a
   * dw3x3 of its own) and no other tensor occupies the buffer until then; DDR otherwise.
   */
  depthwiseOutput(li: number, l: Layer, h: number, w: number, gstride: number): PlanBuffer {
    const y = l.outputs[0], name = this.freshName(y);
    const readers = this.readersOf(y);
    const [r, ri] = readers[0] ?? [];
    const beats = h * w * gstride;
    const why = !this.opts.chip ? 'on-chip tensors are off'
      : readers.length !== 1 ? `it has ${readers.length} readers`
      : this.model.outputs.includes(y) ? 'it is a graph output'
      : r.op !== 'conv1x1' || r.inputs[0] !== y ? `its reader "${r.name}" is a ${r.op}, not a conv1x1`
      : li <= this.chipBusyUntil ? 'the tensor buffer is still in use'
      : this.fusesIntoDw(r, w) ? `its reader "${r.name}" runs fused with a dw3x3`
      : beats > this.hw.tensorBufferBeats ? `${h}x${w}x${gstride} = ${beats} beats exceed tensorBufferBeats ${this.hw.tensorBufferBeats}`
      : undefined;
    if (why !== undefined) {
      this.notes[li].push(`output "${y}" in DDR, not the tensor buffer: ${why}`);
      return this.buffer(name, h, w, gstride, li, 'output');
    }
    this.chipBusyUntil = ri;
    this.notes[li].push(`output "${y}" kept in the on-chip tensor buffer (${beats} of ${this.hw.tensorBufferBeats} beats) for its only reader "${r.name}"`);
    const b: PlanBuffer = { name, h, w, gstride, off: 0, bytes: beats * this.beat, where: 'tensor-buffer', layer: li, role: 'output' };
    this.buffers.push(b);
    this.bufByName.set(name, b);
    return b;
  }

  /** A fresh buffer name: the tensor's own, or with a suffix if that is taken. */
  freshName(base: string): string {
    if (!this.bufByName.has(base)) return base;
    for (let i = 1; ; i++) if (!this.bufByName.has(`${base}#${i}`)) return `${base}#${i}`;
  }

  /**
   * Why offset layer `li`'s dilation map `y` cannot go straight into the depthwise engine's map
   * (map_out) instead of DDR, or undefined when it can: its only reader is one dwdeform, no layer
   * in between writes the map (another offset or dwdeform), it fits mapEntries, and it is not a
   * graph output.
   */
  mapOffChip(li: number, y: string): string | undefined {
    const layers = this.model.layers;
    const readers = this.readersOf(y);
    if (!this.opts.chip) return 'on-chip tensors are off';
    if (readers.length !== 1) return `it has ${readers.length} readers`;
    if (this.model.outputs.includes(y)) return 'it is a graph output';
    const [reader, ri] = readers[0];
    if (reader.op !== 'dwdeform' || reader.inputs[1] !== y) return `its reader "${reader.name}" does not read it as its dilation map`;
    const between = layers.slice(li + 1, ri).find((l) => l.op === 'offset' || l.op === 'dwdeform');
    if (between) return `layer "${between.name}" (${between.op}) uses the engine's map before its reader`;
    const [h, w] = this.tensor(y).shape;
    if (h * w > this.hw.mapEntries) return `${h}x${w} = ${h * w} entries exceed mapEntries ${this.hw.mapEntries}`;
    return undefined;
  }

  /**
   * Why conv1x1 `l`'s output cannot go straight into the depthwise engine (PWDW passes of one or
   * more 1x1 tiles) instead of DDR, or undefined when it can: its only reader is a dw3x3 over exactly this
   * tensor, it is not a graph output, and R rows of one tile fit the line buffer.
   */
  fusionBlocker(l: Layer, inW: number): string | undefined {
    const y = l.outputs[0];
    if (l.op !== 'conv1x1') return `a ${l.op} is not fused`;
    if (!this.opts.fuse) return 'fusion is off';
    if (this.model.outputs.includes(y)) return 'its output is a graph output';
    const readers = this.readersOf(y);
    if (readers.length !== 1) return `its output has ${readers.length} readers`;
    if (readers[0][0].op !== 'dw3x3' || readers[0][0].inputs[0] !== y) return `its reader "${readers[0][0].name}" is a ${readers[0][0].op}, not a dw3x3`;
    const perTile = Math.min(this.outs / this.lanes, Math.ceil(this.tensor(y).shape[2] / this.lanes));
    if (this.R * inW * perTile > this.hw.lineBufferBeats)
      return `${this.R} rows x ${inW} pixels x ${perTile} groups = ${this.R * inW * perTile} beats exceed lineBufferBeats ${this.hw.lineBufferBeats}`;
    if (inW * perTile > this.hw.rowBufferBeats) return `a row of ${inW} pixels x ${perTile} groups exceeds rowBufferBeats ${this.hw.rowBufferBeats}`;
    return undefined;
  }

  fusesIntoDw(l: Layer, inW: number): boolean {
    return this.fusionBlocker(l, inW) === undefined;
  }

  view(t: string): View {
    const s = this.state.get(t);
    if (!s) throw new Error(`compiler: tensor "${t}" read before it is produced`);
    if (s.upsampleOf) return { chans: this.state.get(s.upsampleOf)!.channels!, up: 1 };
    return { chans: s.channels!, up: 0 };
  }

  /** Sources covering the view: per buffer (first use order) the contiguous group range it needs. */
  gather(v: View, at: string, what: string): Gather {
    const order: string[] = [];
    const range = new Map<string, [number, number]>();
    for (const [b, p] of v.chans) {
      const g = Math.floor(p / this.lanes);
      const r = range.get(b);
      if (!r) { order.push(b); range.set(b, [g, g]); } else { r[0] = Math.min(r[0], g); r[1] = Math.max(r[1], g); }
    }
    if (order.length > MAX_SOURCES)
      fail(`${at}: input "${what}" spans ${order.length} buffers, more than the ${MAX_SOURCES} sources of a descriptor`);
    const srcs: GatherSrc[] = [];
    const offs = new Map<string, number>();
    let gin = 0;
    for (const b of order) {
      const [lo, hi] = range.get(b)!;
      offs.set(b, gin);
      srcs.push({ buf: this.buf(b), g0: lo, ng: hi - lo + 1 });
      gin += hi - lo + 1;
    }
    const { h, w } = srcs[0].buf;
    for (const s of srcs) if (s.buf.h !== h || s.buf.w !== w) throw new Error(`compiler: ${at} gathers buffers of different sizes`);
    const phys = v.chans.map(([b, p]) => {
      const s = srcs[order.indexOf(b)];
      return (offs.get(b)! + Math.floor(p / this.lanes) - s.g0) * this.lanes + (p % this.lanes);
    });
    return { srcs, gin, up: v.up, inH: h << v.up, inW: w << v.up, phys };
  }

  add(p: Pass): void {
    this.passes.push(p);
  }

  checkWidth(at: string, inW: number): void {
    if (inW > this.hw.maxWidth) fail(`${at}: input width ${inW} exceeds maxWidth ${this.hw.maxWidth}`);
  }

  /** The gather of a 1x1 layer's input, checked against the engine's and buffers' limits. */
  pwGather(at: string, what: string, v: View): Gather {
    const g = this.gather(v, at, what);
    const { lanes } = this;
    this.checkWidth(at, g.inW);
    if (g.gin > this.gmax) fail(`${at}: input "${what}" needs ${g.gin} channel groups, more than maxChannels/lanes = ${this.hw.maxChannels}/${lanes} = ${this.gmax}`);
    if (g.inW * g.gin > this.hw.rowBufferBeats)
      fail(`${at}: an input row of ${g.inW} pixels x ${g.gin} groups = ${g.inW * g.gin} beats exceeds rowBufferBeats ${this.hw.rowBufferBeats}`);
    if (this.pairs * g.gin * lanes > this.hw.weightBufferBytes)
      fail(`${at}: a weight tile of ${this.pairs * g.gin * lanes} bytes exceeds weightBufferBytes ${this.hw.weightBufferBytes}`);
    return g;
  }

  /** 1x1 engine passes over the view's logical channels, written to channel co of `out` (physical = logical). */
  planPw(li: number, at: string, what: string, v: View, W: Int8Array, cout: number, S: ArrayLike<number>, B: ArrayLike<number>,
    n: number, lo: number, mode: 0 | 1, dmax: number, out: PlanBuffer | 'map', purpose: PassPurpose = 'compute', why?: string): void {
    const gather = this.pwGather(at, what, v);
    const gstride = out === 'map' ? 1 : out.gstride;
    const perTile = this.outs / this.lanes;
    const tiles = out === 'map' ? 1 : Math.ceil(gstride / perTile);
    const tilesPer = this.pwTilesPer(gather.gin, gstride);
    // full tiles go tilesPer a descriptor, a partial last tile on its own
    const full = Math.floor(gstride / perTile);
    this.add({
      engine: 'pw', layer: li, purpose, ...(why ? { why } : {}), reads: what, gather,
      descriptors: Math.ceil(full / tilesPer) + (tiles - full),
      W, cout, S, B, n, lo, mode, dmax, out, gstride, tilesPer,
    });
  }

  /**
   * What holds the tiles of one descriptor when each tile's weights take `g` groups a pair: the
   * engine's weight RAM (weightGroups beats a pair), weightBufferBytes, and the PW_TILE_MAX S/B
   * entries. Each limit as [tiles that fit, why], for tilesPerRead.
   */
  weightLimits(g: number): Array<[number, string]> {
    const wg = hwParams(this.hw).weightGroups;
    return [
      [PW_TILE_MAX, `PW_TILE_MAX ${PW_TILE_MAX}`],
      [Math.floor(wg / g), `the weight RAM (${wg} groups a pair, ${g} a tile)`],
      [Math.floor(this.hw.weightBufferBytes / (this.pairs * g * this.lanes)), `weightBufferBytes ${this.hw.weightBufferBytes}`],
    ];
  }

  /**
   * Of `n` tiles, how many a descriptor computes from one read of its input: the tightest of
   * `limits` (`fit`, and `why`), the tiles spread evenly over the descriptors (`reads` of them);
   * one tile a descriptor when there are fewer than two or two do not fit.
   */
  tilesPerRead(n: number, limits: Array<[number, string]>): { tilesPer: number; reads: number; fit: number; why: string } {
    const [fit, why] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));
    const tilesPer = n < 2 || fit < 2 ? 1 : Math.ceil(n / Math.ceil(n / fit));
    return { tilesPer, reads: Math.ceil(n / tilesPer), fit, why };
  }

  /** Full output tiles a 1x1 descriptor computes per read of its input (the weight RAM's limits). */
  pwTilesPer(gin: number, gstride: number): number {
    return this.tilesPerRead(Math.floor(gstride / (this.outs / this.lanes)), this.weightLimits(gin)).tilesPer;
  }

  /** Fused 1x1 -> dw3x3 (PWDW). */
  planPwDw(li: number, at: string, l: Layer, pw: PendingPw): Ref[] {
    const y = pw.layer.outputs[0];
    const cout = this.tensor(y).shape[2];
    if (l.dilation > this.hw.dmax) fail(`${at}: dilation ${l.dilation} exceeds the hardware dmax ${this.hw.dmax}`);
    const gather = this.pwGather(pw.at, pw.what, pw.v);
    const gstride = Math.ceil(cout / this.lanes), perTile = this.outs / this.lanes;
    const outH = windowOut(gather.inH, l.stride), outW = windowOut(gather.inW, l.stride);
    const out = this.depthwiseOutput(li, l, outH, outW, gstride);
    const tiles = Math.ceil(gstride / perTile), full = Math.floor(gstride / perTile);
    const { tilesPer, note } = this.pwdwTilesPer(gather.gin, gather.inW, full);
    this.notes[li].push(note);
    this.add({
      engine: 'pwdw', layer: li, purpose: 'compute', reads: pw.what, gather, descriptors: Math.ceil(full / tilesPer) + (tiles - full),
      pwLayer: pw.li, pw: pw.layer.quant!, pwLo: pw.lo, dw: l.quant!, pad: this.tensor(y).pad,
      lo2: l.relu ? this.tensor(l.outputs[0]).zero : -128, stride: l.stride, dilation: l.dilation, cout, gstride, outH, outW, out, tilesPer,
    });
    return Array.from({ length: cout }, (_, c): Ref => [out.name, c]);
  }

  /**
   * Full 1x1 tiles a PWDW descriptor computes per read of its input (`full` full tiles in all): the
   * weights of all of them in the weight RAM, their S/B in the PW_TILE_MAX entries, their groups
   * in R rows of the line buffer and the depthwise engine's gmax groups; spread evenly over the
   * descriptors. With the reason, for explain.
   */
  pwdwTilesPer(gin: number, inW: number, full: number): { tilesPer: number; note: string } {
    const perTile = this.outs / this.lanes;
    if (full < 2) return { tilesPer: 1, note: `PWDW: one 1x1 tile a descriptor (the layer has ${full === 1 ? 'one full tile' : 'no full tile'})` };
    const { tilesPer, reads: d, fit, why } = this.tilesPerRead(full, [
      ...this.weightLimits(gin),
      [Math.floor(this.hw.lineBufferBeats / (this.R * inW * perTile)), `the line buffer (${this.R} rows x ${inW} pixels x ${perTile} groups a tile, lineBufferBeats ${this.hw.lineBufferBeats})`],
      [Math.floor(this.gmax / perTile), `the depthwise engine's ${this.gmax} groups`],
    ]);
    if (fit < 2) return { tilesPer: 1, note: `PWDW: one 1x1 tile a descriptor, each re-reading the input: two tiles exceed ${why}` };
    return {
      tilesPer,
      note: `PWDW: ${full % tilesPer ? 'up to ' : ''}${tilesPer} 1x1 tiles a descriptor from one read of the input (${d} read${d === 1 ? '' : 's'} for ${full} full tiles${fit < full ? `; at most ${fit}: ${why}` : ''})`,
    };
  }

  /** Stores a view in logical order in a fresh buffer by PW permutation passes: out[c] = view[perm[c]]. */
  planCopy(li: number, at: string, what: string, v: View, perm: number[], name: string, why: string): PlanBuffer {
    const cin = v.chans.length, cout = perm.length;
    const W = new Int8Array(cout * cin);
    perm.forEach((ci, co) => { W[co * cin + ci] = 1; });
    const b0 = this.buf(v.chans[0][0]);
    const buf = this.buffer(this.freshName(name), b0.h << v.up, b0.w << v.up, Math.ceil(cout / this.lanes), li, 'copy');
    this.planPw(li, at, what, v, W, cout, new Int16Array(cout).fill(2), new Int16Array(cout).fill(128), 1, -128, 0, 0, buf, 'copy', why);
    return buf;
  }

  /** Whether one PW copy pass can read these channels: at most eight buffers, within the 1x1 engine's limits. */
  copyFits(chans: Ref[]): boolean {
    const range = new Map<string, [number, number]>();
    for (const [b, p] of chans) {
      const g = Math.floor(p / this.lanes), r = range.get(b);
      if (!r) range.set(b, [g, g]); else { r[0] = Math.min(r[0], g); r[1] = Math.max(r[1], g); }
    }
    let gin = 0;
    for (const [lo, hi] of range.values()) gin += hi - lo + 1;
    const w = this.buf(chans[0][0]).w;
    return range.size <= MAX_SOURCES && gin <= this.gmax && w * gin <= this.hw.rowBufferBeats && this.pairs * gin * this.lanes <= this.hw.weightBufferBytes;
  }

  /** Stores a view compactly in a fresh buffer (a PW copy pass) and makes the tensor refer to it. */
  store(li: number, at: string, t: string, why: string): void {
    const v = this.view(t);
    const buf = this.planCopy(li, at, t, v, v.chans.map((_, c) => c), t, why);
    this.state.set(t, { channels: v.chans.map((_, c): Ref => [buf.name, c]) });
  }

  /** Replaces an upsampled (unstored) tensor by a stored copy, so it can be split, concatenated or upsampled. */
  materialize(li: number, at: string, t: string, op: string): void {
    const s = this.state.get(t)!;
    if (!s.upsampleOf) return;
    this.store(li, at, t, `"${t}" is an upsampled view of "${s.upsampleOf}" and ${op === 'upsample' ? 'an' : 'a'} ${op} cannot read it as it stands: it is stored first`);
  }

  /** Depthwise engine over the gathered input, cut into channel chunks that fit the line and row buffers. */
  planDw(li: number, at: string, l: Layer, what: string, opts: {
    pool: boolean; w?: Int8Array; S?: ArrayLike<number>; B?: ArrayLike<number>; pad?: Int8Array; n: number; lo: number;
    stride: number; dconst: number; map?: { buf: PlanBuffer | 'map'; dmax: number };
    /** The input view (default: tensor `what`'s) and the output buffer (default: the layer's output). */
    view?: View; out?: (h: number, w: number, gstride: number) => PlanBuffer;
    purpose?: PassPurpose; why?: string;
  }): Ref[] {
    const v = opts.view ?? this.view(what);
    const gather = this.gather(v, at, what);
    const { hw } = this;
    this.checkWidth(at, gather.inW);
    const outH = windowOut(gather.inH, opts.stride), outW = windowOut(gather.inW, opts.stride);
    const kmax = Math.min(this.gmax, Math.floor(hw.lineBufferBeats / (this.R * gather.inW)), Math.floor(hw.rowBufferBeats / gather.inW));
    if (kmax < 1)
      fail(`${at}: one channel group of an input row of ${gather.inW} pixels does not fit: the line buffer needs ${this.R} rows x ${gather.inW} = ${this.R * gather.inW} beats (lineBufferBeats ${hw.lineBufferBeats}), rowBufferBeats ${hw.rowBufferBeats}`);
    if (opts.map && outH * outW > hw.mapEntries)
      fail(`${at}: the dilation map has ${outH}x${outW} = ${outH * outW} entries, more than mapEntries ${hw.mapEntries}`);
    const out = opts.out ? opts.out(outH, outW, gather.gin) : this.depthwiseOutput(li, l, outH, outW, gather.gin);
    const chunks = Math.ceil(gather.gin / kmax), chunk = Math.ceil(gather.gin / chunks);
    this.add({
      engine: 'dw', layer: li, purpose: opts.purpose ?? 'compute', ...(opts.why ? { why: opts.why } : {}), reads: what, gather,
      descriptors: Math.ceil(gather.gin / chunk),
      pool: opts.pool, w: opts.w, S: opts.S, B: opts.B, pad: opts.pad, n: opts.n, lo: opts.lo, stride: opts.stride, dconst: opts.dconst,
      map: opts.map, outH, outW, chunk, out,
    });
    return gather.phys.map((p): Ref => [out.name, p]);
  }

  /**
   * Stem tiles a descriptor computes per read of the input (`tiles` in all): the int8 weights of
   * all of them (stemGroups groups a pair each) in the weight RAM, their S/B in the PW_TILE_MAX
   * entries; spread evenly over the descriptors. With the reason, for explain.
   */
  stemTilesPer(tiles: number): { tilesPer: number; note: string } {
    if (tiles < 2) return { tilesPer: 1, note: 'stem: one output tile, one read of the input' };
    const { tilesPer, reads: d, fit, why } = this.tilesPerRead(tiles, this.weightLimits(hwParams(this.hw).stemGroups));
    if (fit < 2) return { tilesPer: 1, note: `stem: one output tile a descriptor, each re-reading the input: two tiles exceed ${why}` };
    return {
      tilesPer,
      note: `stem: ${tiles % tilesPer ? 'up to ' : ''}${tilesPer} output tiles a descriptor from one read of the input (${d} read${d === 1 ? '' : 's'} for ${tiles} tiles${fit < tiles ? `; at most ${fit}: ${why}` : ''})`,
    };
  }

  planStem(li: number, at: string, l: Layer): void {
    const { lanes, outs, hw } = this;
    const q = l.quant!;
    const xT = this.tensor(l.inputs[0]), yT = this.tensor(l.outputs[0]);
    let v = this.view(l.inputs[0]);
    let g = this.gather(v, at, l.inputs[0]);
    // The im2col reads channels 0..2 from lanes 0..2 of a single input group.
    if (g.gin !== 1 || g.phys.some((p, c) => p !== c)) {
      const buf = this.planCopy(li, at, l.inputs[0], v, [0, 1, 2], `${l.inputs[0]}@stem`,
        `the stem's im2col reads channels 0..2 from lanes 0..2 of one group; "${l.inputs[0]}" holds them ${g.gin !== 1 ? `in ${g.gin} groups` : 'in other lanes'}`);
      v = { chans: [0, 1, 2].map((c): Ref => [buf.name, c]), up: 0 };
      g = this.gather(v, at, l.inputs[0]);
    }
    this.checkWidth(at, g.inW);
    if (g.inW > hw.rowBufferBeats) fail(`${at}: input width ${g.inW} exceeds rowBufferBeats ${hw.rowBufferBeats}`);
    if (this.R * g.inW > hw.lineBufferBeats)
      fail(`${at}: the line buffer needs ${this.R} rows x ${g.inW} pixels = ${this.R * g.inW} beats, more than lineBufferBeats ${hw.lineBufferBeats}`);
    const cout = yT.shape[2];
    const per = stemChannelsPerTile(outs);
    const ng = Math.ceil(per / lanes);
    const passes = Math.ceil(cout / per);
    const outH = windowOut(g.inH, l.stride), outW = windowOut(g.inW, l.stride);
    const out = this.buffer(this.freshName(l.outputs[0]), outH, outW, passes * ng, li, 'output');
    const { tilesPer, note } = this.stemTilesPer(passes);
    this.notes[li].push(note);
    const pk = g.srcs[0].buf.pixelsPerBeat;
    if (pk) this.notes[li].push(`input "${l.inputs[0]}" stored packed, ${pk} pixels a beat (RGBX): the stem is its only reader`);
    this.add({
      engine: 'stem', layer: li, purpose: 'compute', reads: l.inputs[0], gather: g, descriptors: Math.ceil(passes / tilesPer),
      q, cout, lo: l.relu ? yT.zero : -128, stride: l.stride, pad: xT.pad, per, ng, tiles: passes, tilesPer, outH, outW, out,
    });
    this.state.set(l.outputs[0], { channels: Array.from({ length: cout }, (_, c): Ref => [out.name, Math.floor(c / per) * ng * lanes + (c % per)]) });
  }

  /**
   * The lowering of one layer. It stays here, one case per op, rather than in a `lower` hook of
   * each op (src/ops): every case reads and writes the planner's state (channel maps, fusion and
   * on-chip choices, views still pending) and calls its pass planners (planPw, planDw, planPwDw,
   * materialize), and offset and dwdeform lower together (the on-chip dilation map). What the ops
   * own, the output-size formula and the engine an op runs on, comes from src/ops.
   */
  layer(li: number, l: Layer): void {
    const at = `layer "${l.name}" (${l.op})`;
    const hw = this.hw;
    const x = l.inputs[0], y = l.outputs[0];
    const yT = this.tensor(y);
    const lo = l.relu ? yT.zero : -128;
    switch (l.op) {
      case 'stem':
        return this.planStem(li, at, l);
      case 'conv1x1':
      case 'offset': {
        const q = l.quant!;
        const cout = yT.shape[2];
        let v = this.view(x);
        if (l.op === 'offset') {
          if (l.dmax > hw.dmax) fail(`${at}: dmax ${l.dmax} exceeds the hardware dmax ${hw.dmax}`);
          if (l.stride === 2) {
            // The 1x1 engine has no stride: a DW pass with stride 2 and only the centre tap (weight 1,
            // S = 2, B = 128, n = 1: q = x exactly; the centre is never outside the image) first
            // takes every second pixel of every second row, and the offset conv reads that.
            const c = this.tensor(x).shape[2];
            const w = new Int8Array(c * 9);
            for (let k = 0; k < c; k++) w[k * 9 + 4] = 1;
            const chans = this.planDw(li, at, l, x, {
              pool: false, w, S: new Int16Array(c).fill(2), B: new Int16Array(c).fill(128), pad: new Int8Array(c), n: 1, lo: -128, stride: 2, dconst: 1,
              view: v, out: (h, ww, gs) => this.buffer(this.freshName(`${x}@s2`), h, ww, gs, li, 'subsample'),
              purpose: 'subsample', why: 'the 1x1 engine has no stride: a centre-tap depthwise pass of stride 2 first takes every second pixel of every second row',
            });
            v = { chans, up: 0 };
          }
        }
        const b0 = this.buf(v.chans[0][0]);
        const blocker = this.fusionBlocker(l, b0.w << v.up);
        if (blocker === undefined) {
          // Computed by the reader's PWDW passes; the view stays valid (buffers are never reused).
          const reader = this.readersOf(y)[0];
          this.state.set(y, { fused: { li, at, what: x, v, layer: l, lo, reader: reader[1] } });
          this.notes[li].push(`fused into "${reader[0].name}" (its only reader, a dw3x3): computed inside its PWDW passes, "${y}" is never stored`);
          return;
        }
        if (l.op === 'conv1x1' && this.readersOf(y).some(([r]) => r.op === 'dw3x3')) this.notes[li].push(`not fused with its dw3x3 reader: ${blocker}`);
        if (l.op === 'offset') {
          const offChip = this.mapOffChip(li, y);
          if (offChip === undefined) {
            const reader = this.readersOf(y)[0];
            this.planPw(li, at, x, v, q.weights, cout, q.S, q.B, q.n, -128, 1, l.dmax, 'map');
            this.state.set(y, { onChip: reader[1] });
            this.notes[li].push(`dilation map "${y}" written into the depthwise engine's on-chip map for "${reader[0].name}", never stored`);
            return;
          }
          this.notes[li].push(`dilation map "${y}" in DDR, not the engine's on-chip map: ${offChip}`);
        }
        const out = this.buffer(this.freshName(y), b0.h << v.up, b0.w << v.up, l.op === 'offset' ? 1 : Math.ceil(cout / this.lanes), li, 'output');
        this.planPw(li, at, x, v, q.weights, cout, q.S, q.B, q.n, l.op === 'offset' ? -128 : lo, l.op === 'offset' ? 1 : 0, l.dmax, out);
        this.state.set(y, { channels: Array.from({ length: cout }, (_, c): Ref => [out.name, c]) });
        return;
      }
      case 'dw3x3':
      case 'dwdeform': {
        const q = l.quant!;
        const pending = this.state.get(x)?.fused;
        if (pending) {
          this.notes[li].push(`runs fused with "${pending.layer.name}" (conv1x1): PWDW passes, the 1x1's output groups straight into the depthwise engine`);
          this.state.set(y, { channels: this.planPwDw(li, at, l, pending) });
          return;
        }
        let map: { buf: PlanBuffer | 'map'; dmax: number } | undefined;
        if (l.op === 'dw3x3') {
          if (l.dilation > hw.dmax) fail(`${at}: dilation ${l.dilation} exceeds the hardware dmax ${hw.dmax}`);
        } else {
          const mT = l.inputs[1];
          const prod = this.model.layers.find((p) => p.outputs.includes(mT));
          if (!prod || prod.op !== 'offset') throw new Error(`compiler: dilation map "${mT}" of ${at} is not an offset output`);
          const s = this.state.get(mT)!;
          if (s.onChip !== undefined) map = { buf: 'map', dmax: prod.dmax };
          else {
            const [ref] = s.channels!;
            const buf = this.buf(ref[0]);
            if (buf.gstride !== 1 || ref[1] !== 0) throw new Error(`compiler: dilation map "${mT}" is not stored with gstride 1 in lane 0`);
            map = { buf, dmax: prod.dmax };
          }
        }
        const chans = this.planDw(li, at, l, x, {
          pool: false, w: q.weights, S: q.S, B: q.B, pad: this.tensor(x).pad, n: q.n, lo, stride: l.stride,
          dconst: l.op === 'dw3x3' ? l.dilation : 0, map,
        });
        this.state.set(y, { channels: chans });
        return;
      }
      case 'maxpool': {
        this.state.set(y, { channels: this.planDw(li, at, l, x, { pool: true, n: 1, lo: -128, stride: 2, dconst: 1 }) });
        return;
      }
      case 'upsample': {
        this.materialize(li, at, x, 'upsample');
        this.state.set(y, { upsampleOf: x });
        this.notes[li].push(`a view: readers read "${x}" with nearest x2 upsampling (the source flag up), nothing runs`);
        return;
      }
      case 'split': {
        this.materialize(li, at, x, 'split');
        const ch = this.state.get(x)!.channels!;
        let c0 = 0;
        for (const o of l.outputs) {
          const c = this.tensor(o).shape[2];
          this.state.set(o, { channels: ch.slice(c0, c0 + c) });
          c0 += c;
        }
        this.notes[li].push('a view: each output is a slice of the input\'s channel map, nothing runs');
        return;
      }
      case 'concat':
        return this.concat(li, at, l);
      case 'shuffle': {
        // A permutation of the channel map: consumers fold it into their weight order (1x1) or
        // per-lane parameters (depthwise); nothing runs.
        this.materialize(li, at, x, 'shuffle');
        const ch = this.state.get(x)!.channels!;
        const c = yT.shape[2], half = c / 2;
        this.state.set(y, { channels: Array.from({ length: c }, (_, k) => ch[(k % 2) * half + (k >> 1)]) });
        this.notes[li].push('a view: a permutation of the input\'s channel map that readers fold into their weights, nothing runs');
        return;
      }
    }
  }

  concat(li: number, at: string, l: Layer): void {
    const y = l.outputs[0];
    for (const t of l.inputs) this.materialize(li, at, t, 'concat');
    // The output's channel map is the inputs' maps one after the other (nothing runs), except:
    const parts = l.inputs.map((t) => this.state.get(t)!.channels!);
    /** Stores inputs [i0, i1) in one fresh buffer (a PW copy pass) and reads them from there. */
    const copy = (i0: number, i1: number, why: string) => {
      const chans = parts.slice(i0, i1).flat();
      const name = i1 - i0 === 1 ? l.inputs[i0] : `${y}@${i0}-${i1 - 1}`;
      const buf = this.planCopy(li, at, l.inputs[i0], { chans, up: 0 }, chans.map((_, c) => c), name, why);
      let c0 = 0;
      for (let i = i0; i < i1; i++) {
        parts[i] = parts[i].map((_, k): Ref => [buf.name, c0 + k]);
        c0 += parts[i].length;
      }
    };
    // 1. A lane holds one logical channel of a view (the 1x1 weights and the depthwise parameters
    //    are per lane): an input listed again, or overlapping an earlier one, is read from a copy.
    const seen = new Set<string>();
    parts.forEach((_, i) => {
      if (parts[i].some(([b, p]) => seen.has(`${p} ${b}`)))
        copy(i, i + 1, `input ${i} "${l.inputs[i]}" repeats lanes of an earlier input (a lane holds one channel of a view): read from a copy`);
      for (const [b, p] of parts[i]) seen.add(`${p} ${b}`);
    });
    // 2. At most eight buffers, so that one descriptor reads the result: first the most
    //    scattered inputs are stored compactly, one buffer each ...
    const buffers = (chans: Ref[]) => new Set(chans.map(([b]) => b)).size;
    const total = () => buffers(parts.flat());
    for (const i of parts.map((_, i) => i).sort((a, b) => buffers(parts[b]) - buffers(parts[a]))) {
      if (total() <= MAX_SOURCES) break;
      if (buffers(parts[i]) < 2) continue;
      const own = parts[i] === this.state.get(l.inputs[i])!.channels;
      copy(i, i + 1, `the inputs span ${total()} buffers, more than the ${MAX_SOURCES} sources of a descriptor: input ${i} "${l.inputs[i]}" (${buffers(parts[i])} buffers) is stored compactly`);
      // Later readers of the input read the compact copy too (the graph input keeps its buffer).
      if (own && l.inputs[i] !== this.model.inputs[0]) this.state.set(l.inputs[i], { channels: parts[i] });
    }
    // ... then runs of consecutive inputs, as long as a copy pass can read the run, go into one
    //    buffer each (each round divides the count by up to eight; any number of inputs works).
    while (total() > MAX_SOURCES) {
      let progress = false;
      for (let i0 = 0; i0 < parts.length && total() > MAX_SOURCES;) {
        let i1 = i0 + 1;
        while (i1 < parts.length && this.copyFits(parts.slice(i0, i1 + 1).flat())) i1++;
        if (buffers(parts.slice(i0, i1).flat()) > 1) {
          copy(i0, i1, `the inputs span ${total()} buffers, more than the ${MAX_SOURCES} sources of a descriptor: inputs ${i0}..${i1 - 1} are stored in one buffer`);
          progress = true;
        }
        i0 = i1;
      }
      if (!progress)
        fail(`${at}: the inputs span ${total()} buffers, more than the ${MAX_SOURCES} sources of a descriptor, and no two neighbouring inputs fit one copy pass (maxChannels/lanes = ${this.gmax} groups, rowBufferBeats ${this.hw.rowBufferBeats})`);
    }
    this.state.set(y, { channels: parts.flat() });
    this.notes[li].push(`a view: the inputs' channel maps one after the other (${total()} buffer${total() === 1 ? '' : 's'})`);
  }

  /** Where tensor `name` lives once every layer is planned. */
  placement(name: string): Placement {
    const s = this.state.get(name)!;
    if (s.fused) return { kind: 'fused', reader: s.fused.reader };
    if (s.onChip !== undefined) return { kind: 'map', reader: s.onChip };
    if (s.upsampleOf) return { kind: 'upsample', of: s.upsampleOf };
    const chip = s.channels!.find(([b]) => this.buf(b).where === 'tensor-buffer');
    if (chip) return { kind: 'tensor-buffer', channels: s.channels!, reader: this.readersOf(name)[0]?.[1] ?? -1 };
    return { kind: 'stored', channels: s.channels! };
  }
}

/**
 * Pixels a beat of the graph input stored packed (RGBX, 4 bytes a pixel), or 0 for the usual
 * layout: packed when it has 3 channels, its only reader is the stem, it is not a graph output,
 * a beat holds at least two pixels and every row whole beats.
 */
function packedInput(model: Model, inName: string, ic: number, iw: number, lanes: number): number {
  const pk = lanes / 4;
  if (ic !== 3 || pk < 2 || iw % pk !== 0 || model.outputs.includes(inName)) return 0;
  const readers = model.layers.filter((l) => l.inputs.includes(inName));
  return readers.length > 0 && readers.every((l) => l.op === 'stem' && l.inputs.length === 1) ? pk : 0;
}

/** Plans a validated model for a hardware config: every decision, no bytes (src/compiler/emit.ts emits). */
export function planModel(model: Model, hw: HwConfig, options: CompileOptions = {}): Plan {
  const opts = { fuse: true, chip: true, pack: true, ...options };
  const p = new Planner(model, hw, opts);
  if (model.inputs.length !== 1) fail(`model "${model.name}": compiler v1 takes one graph input, the model has ${model.inputs.length}`);
  const inName = model.inputs[0];
  const [ih, iw, ic] = p.tensor(inName).shape;
  const packed = opts.pack ? packedInput(model, inName, ic, iw, hw.lanes) : 0;
  const input = p.buffer(inName, ih, iw, Math.ceil(ic / hw.lanes), -1, 'input', packed);
  p.state.set(inName, { channels: Array.from({ length: ic }, (_, c): Ref => [input.name, c]) });

  model.layers.forEach((l, li) => p.layer(li, l));
  if (p.passes.length === 0) {
    // Only views (split, shuffle, concat, upsample): the hardware still produces the outputs, each
    // stored by a PW copy pass (attributed to the layer that makes it). When every graph output is
    // the graph input itself, one copy of the input into a scratch buffer keeps the program non-empty.
    for (const o of new Set(model.outputs)) {
      if (o === inName) continue;
      const li = model.layers.findIndex((l) => l.outputs.includes(o));
      p.store(li, `layer "${model.layers[li].name}" (${model.layers[li].op})`, o, `the model has only views: graph output "${o}" is stored by a copy pass`);
    }
    if (p.passes.length === 0) {
      const v = p.view(inName);
      p.planCopy(0, `graph input "${inName}"`, inName, v, v.chans.map((_, c) => c), `${inName}#copy`,
        'every graph output is the graph input: one copy of it keeps the program non-empty');
    }
  }

  const byLayer = model.layers.map((): number[] => []);
  p.passes.forEach((pass, i) => byLayer[pass.layer].push(i));
  const layers = model.layers.map((l, li): LayerPlan => {
    const fused = l.op === 'conv1x1' ? p.state.get(l.outputs[0])?.fused : undefined;
    const pwdw = p.passes.find((x): x is PwDwPass => x.engine === 'pwdw' && x.layer === li);
    return {
      index: li, name: l.name, op: l.op, macs: layerMacs(l, model), passes: byLayer[li],
      ...(fused ? { fusedInto: fused.reader } : {}), ...(pwdw ? { fuses: pwdw.pwLayer } : {}), notes: p.notes[li],
    };
  });
  const names = [inName, ...model.layers.flatMap((l) => l.outputs)];
  const tensors = [...new Set(names)].map((name): PlannedTensor => {
    const t = p.tensor(name);
    return { name, shape: [...t.shape] as [number, number, number], kind: t.kind, placement: p.placement(name) };
  });
  const ddr = p.buffers.filter((b) => b.where === 'ddr');
  const last = ddr[ddr.length - 1];
  return {
    model, hw, options: opts, passes: p.passes, layers, buffers: p.buffers, input, tensors,
    bufferBytes: align(last.off + last.bytes, REGION_ALIGN),
  };
}
