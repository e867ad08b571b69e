/**
 * The compiler, v1 (docs/isa.md "Compiler v1", docs/memory-map.md): an integer model and a hardware
 * config in, one memory image out (program, stats, params; input and tensor buffers allocated),
 * with its relocations and memory map. Layers are compiled in the model's topological order:
 *
 * - every compute layer's output gets a fresh buffer (never reused);
 * - split, concat, shuffle and upsample only change channel maps (views): consumers fold the
 *   permutation into their weight order or per-lane parameters; a view that cannot be read as it
 *   stands (an upsampled tensor that is split, concatenated or upsampled again, or a view over
 *   more than eight buffers) is first stored by a PW copy pass;
 * - a consumer reads its input through up to eight sources, one contiguous group range per buffer.
 *
 * Every model-does-not-fit condition is a UserError naming the layer and the limit.
 */
import type { Layer, Model, Tensor } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { fail } from '../util/errors.ts';
import {
  DESCRIPTOR_BYTES, ENGINE_DW, ENGINE_PW, ENGINE_PWDW, ENGINE_STEM, MAX_SOURCES, usedAddressWords, writeDescriptor,
  type Descriptor, type Source,
} from './descriptor.ts';
import { MEMORY_MAP_FORMAT, MEMORY_MAP_VERSION, type MemoryMap, type MemTensor } from './memory-map.ts';
import { dwSbStream, dwWeightStream, padStream, pwSbStream, pwWeightStream, stemWeightStream } from './params.ts';
import { stemChannelsPerTile } from './pack.ts';

export interface Compiled {
  /** memory.bin: program, stats and params (fileBytes long). */
  image: Uint8Array;
  /** Bytes to allocate for the whole image (input and tensor buffers included). */
  imageBytes: number;
  /** Byte offsets (in the image) of the 64-bit address fields to relocate. */
  relocs: Uint32Array;
  map: MemoryMap;
  descriptors: Descriptor[];
}

export interface CompileOptions {
  /** Fuse each conv1x1 whose only reader is a dw3x3 into PWDW passes (default true). */
  fuse?: boolean;
  /**
   * Keep a depthwise output read only by the next 1x1 in the on-chip tensor buffer, and a dilation
   * map in the depthwise engine's map, when they fit (default true).
   */
  chip?: boolean;
}

/** The PWDW-only fields of every other descriptor. */
const NO_FUSION = { n2: 0, lo2: 0, dwgt_addr: 0, dwgt_beats: 0, dsb_addr: 0, dsb_beats: 0 } as const;

/** Every region and buffer starts on a 4 KiB boundary. */
export const REGION_ALIGN = 4096;
const align = (v: number, a: number) => Math.ceil(v / a) * a;
const down = (v: number, s: number) => Math.floor((v - 1) / s) + 1;

/** Rows of the depthwise line buffer for the config's dmax. */
export function lineBufferRows(hw: HwConfig): number {
  return 2 ** Math.ceil(Math.log2(2 * hw.dmax + 2));
}

interface PlanBuffer {
  name: string;
  h: number;
  w: number;
  gstride: number;
  /** Offset from the start of the input region (the input buffer is the first buffer), or into the tensor buffer. */
  off: number;
  /** In the on-chip tensor buffer, not DDR. */
  chip?: true;
}

/** Logical channel -> [buffer, physical channel]. */
type Ref = [string, number];

interface TensorState {
  channels?: Ref[];
  upsampleOf?: string;
  /** A dilation map kept in the depthwise engine's on-chip map (map_out), never stored in DDR. */
  onChip?: true;
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
}

/** One OUTS-channel tile of a 1x1 layer: its config streams and the groups it writes. */
interface PwTile {
  wgt: Uint8Array;
  sb: Uint8Array;
  ng: number;
}

/** Per gathered lane: the depthwise parameters of the logical channel it holds, zero for the others. */
interface DwLanes {
  w: Int8Array;
  S: Int16Array;
  B: Int16Array;
  pad: Int8Array;
}

interface View {
  chans: Ref[];
  up: 0 | 1;
}

interface GatherSrc {
  buf: PlanBuffer;
  g0: number;
  ng: number;
}

interface Gather {
  srcs: GatherSrc[];
  gin: number;
  up: 0 | 1;
  inH: number;
  inW: number;
  /** Gathered physical channel (group*lanes + lane of the engine input) of each logical channel. */
  phys: number[];
}

/** Deduplicated, beat-aligned config streams. */
class ParamPool {
  private readonly chunks: Uint8Array[] = [];
  private readonly seen = new Map<string, number>();
  size = 0;
  constructor(private readonly beat: number) {}

  add(bytes: Uint8Array): number {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const hit = this.seen.get(key);
    if (hit !== undefined) return hit;
    const off = this.size;
    const padded = new Uint8Array(align(bytes.length, this.beat));
    padded.set(bytes);
    this.chunks.push(padded);
    this.size += padded.length;
    this.seen.set(key, off);
    return off;
  }

  writeTo(mem: Uint8Array, base: number): void {
    let o = base;
    for (const c of this.chunks) { mem.set(c, o); o += c.length; }
  }
}

class Compiler {
  readonly lanes: number;
  readonly beat: number;
  readonly outs: number;
  readonly pairs: number;
  readonly gmax: number;
  readonly R: number;
  readonly buffers: PlanBuffer[] = [];
  private readonly bufByName = new Map<string, PlanBuffer>();
  readonly state = new Map<string, TensorState>();
  readonly descs: Descriptor[] = [];
  readonly params: ParamPool;
  private bufEnd = 0;
  /** Index of the last layer that reads the tensor now in the on-chip tensor buffer. */
  private chipBusyUntil = -1;

  constructor(readonly model: Model, readonly hw: HwConfig, readonly opts: CompileOptions) {
    this.lanes = hw.lanes;
    this.beat = hw.axiDataBits / 8;
    if (this.beat !== this.lanes) fail(`hardware config: axiDataBits ${hw.axiDataBits} must be lanes ${hw.lanes} x 8 (one lane group per beat)`);
    this.outs = hw.pwOutputs;
    this.pairs = hw.pwOutputs / 2;
    this.gmax = Math.floor(hw.maxChannels / hw.lanes);
    this.R = lineBufferRows(hw);
    this.params = new ParamPool(this.beat);
  }

  /** The layers that read tensor `t`, with their indices. */
  readersOf(t: string): Array<readonly [Layer, number]> {
    return this.model.layers.map((l, i) => [l, i] as const).filter(([l]) => l.inputs.includes(t));
  }

  isChipBuffer(name: string): boolean {
    return this.bufByName.get(name)?.chip === true;
  }

  tensor(name: string): Tensor {
    return this.model.tensors.get(name)!;
  }

  buffer(name: string, h: number, w: number, gstride: number): PlanBuffer {
    if (this.bufByName.has(name)) throw new Error(`compiler: buffer "${name}" allocated twice`);
    const b: PlanBuffer = { name, h, w, gstride, off: this.bufEnd };
    this.bufEnd = align(this.bufEnd + h * w * gstride * this.beat, REGION_ALIGN);
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
    const chip = this.opts.chip && readers.length === 1 && !this.model.outputs.includes(y) && li > this.chipBusyUntil
      && r.op === 'conv1x1' && r.inputs[0] === y && !this.fusesIntoDw(r, w) && h * w * gstride <= this.hw.tensorBufferBeats;
    if (!chip) return this.buffer(name, h, w, gstride);
    this.chipBusyUntil = ri;
    const b: PlanBuffer = { name, h, w, gstride, off: 0, chip: true };
    this.bufByName.set(name, b);
    return b;
  }

  /** A fresh buffer name: the tensor's own, or with a suffix if that is taken. */
  freshName(base: string): string {
    if (!this.bufByName.has(base)) return base;
    for (let i = 1; ; i++) if (!this.bufByName.has(`${base}#${i}`)) return `${base}#${i}`;
  }

  /**
   * Whether offset layer `li`'s dilation map `y` can go straight into the depthwise engine's map
   * (map_out) instead of DDR: its only reader is one dwdeform, no layer in between writes the map
   * (another offset or dwdeform), it fits mapEntries, and it is not a graph output.
   */
  mapStaysOnChip(li: number, y: string): boolean {
    const layers = this.model.layers;
    const readers = this.readersOf(y);
    if (!this.opts.chip || readers.length !== 1 || this.model.outputs.includes(y)) return false;
    const [reader, ri] = readers[0];
    if (reader.op !== 'dwdeform' || reader.inputs[1] !== y) return false;
    if (layers.slice(li + 1, ri).some((l) => l.op === 'offset' || l.op === 'dwdeform')) return false;
    const [h, w] = this.tensor(y).shape;
    return h * w <= this.hw.mapEntries;
  }

  /**
   * Whether conv1x1 `l`'s output can go straight into the depthwise engine (a PWDW pass per 1x1
   * tile) instead of DDR: its only reader is a dw3x3 over exactly this tensor, it is not a graph
   * output, and R rows of one tile fit the line buffer.
   */
  fusesIntoDw(l: Layer, inW: number): boolean {
    const y = l.outputs[0];
    if (!this.opts.fuse || l.op !== 'conv1x1' || this.model.outputs.includes(y)) return false;
    const readers = this.readersOf(y);
    if (readers.length !== 1 || readers[0][0].op !== 'dw3x3' || readers[0][0].inputs[0] !== y) return false;
    const perTile = Math.min(this.outs / this.lanes, Math.ceil(this.tensor(y).shape[2] / this.lanes));
    return this.R * inW * perTile <= this.hw.lineBufferBeats && inW * perTile <= this.hw.rowBufferBeats;
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
      srcs.push({ buf: this.bufByName.get(b)!, g0: lo, ng: hi - lo + 1 });
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

  /** Descriptor sources for gathered groups [a, a + k). */
  sources(g: Gather, a: number, k: number): Source[] {
    const out: Source[] = [];
    let off = 0;
    for (const s of g.srcs) {
      const lo = Math.max(a, off), hi = Math.min(a + k, off + s.ng);
      if (lo < hi) out.push({ addr: s.buf.off, gstride: s.buf.gstride, width: s.buf.w, g0: s.g0 + lo - off, ng: hi - lo, up: g.up, chip: s.buf.chip ? 1 : 0 });
      off += s.ng;
    }
    return out;
  }

  emit(d: Omit<Descriptor, 'stat_addr'>): number {
    const i = this.descs.length;
    this.descs.push({ ...d, stat_addr: i * this.beat });
    return i;
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

  /** The config streams of `tiles` OUTS-channel tiles of out[co] = rq(sum_ci x[ci] * W[co][ci]); `gstride` groups are written in all. */
  pwTiles(g: Gather, W: Int8Array, cout: number, S: ArrayLike<number>, B: ArrayLike<number>, tiles: number, gstride: number): PwTile[] {
    const { lanes, outs } = this;
    const cin = g.phys.length, cinP = g.gin * lanes;
    const Wp = new Int8Array(cout * cinP);
    for (let co = 0; co < cout; co++) for (let ci = 0; ci < cin; ci++) Wp[co * cinP + g.phys[ci]] = W[co * cin + ci];
    const perTile = outs / lanes;
    return Array.from({ length: tiles }, (_, t): PwTile => {
      const c0 = t * outs;
      const s = new Int16Array(outs), b = new Int16Array(outs);
      for (let c = 0; c < outs && c0 + c < cout; c++) { s[c] = S[c0 + c]; b[c] = B[c0 + c]; }
      return { wgt: pwWeightStream(Wp, cinP, cout, c0, lanes, outs), sb: pwSbStream(s, b, outs), ng: Math.min(perTile, gstride - t * perTile) };
    });
  }

  /**
   * 1x1 engine passes: out[co] = rq(sum_ci x[ci] * W[co][ci]) over the view's logical channels,
   * written to channel co of `out` (physical = logical), one OUTS-channel tile a descriptor.
   */
  emitPw(li: number, at: string, what: string, v: View, W: Int8Array, cout: number, S: ArrayLike<number>, B: ArrayLike<number>,
    n: number, lo: number, mode: 0 | 1, dmax: number, out: PlanBuffer | 'on-chip map'): number[] {
    const g = this.pwGather(at, what, v);
    const onChip = out === 'on-chip map';
    const perTile = this.outs / this.lanes;
    const gstride = onChip ? 1 : out.gstride;
    const srcs = this.sources(g, 0, g.gin);
    return this.pwTiles(g, W, cout, S, B, onChip ? 1 : Math.ceil(gstride / perTile), gstride).map((tile, t) => this.emit({
      ...NO_FUSION, engine: ENGINE_PW, pw_mode: mode, pool: 0, use_map: 0, map_out: onChip ? 1 : 0, out_chip: 0, stride: 1, dconst: 0, dmax: mode ? dmax : 0, n, lo, layer: li,
      in_h: g.inH, in_w: g.inW, out_h: g.inH, out_w: g.inW, gin: g.gin,
      out_ng: tile.ng, out_gstride: gstride, out_addr: onChip ? 0 : out.off + t * perTile * this.beat,
      wgt_addr: this.params.add(tile.wgt), wgt_beats: tile.wgt.length / this.lanes, sb_addr: this.params.add(tile.sb), sb_beats: tile.sb.length / this.lanes,
      pad_addr: 0, pad_beats: 0, map_addr: 0, map_beats: 0, src: srcs,
    }));
  }

  /** Fused 1x1 -> dw3x3 (PWDW): per 1x1 tile, its output groups run through the depthwise engine straight away. */
  emitPwDw(li: number, at: string, l: Layer, pw: PendingPw): { ids: number[]; chans: Ref[] } {
    const q = pw.layer.quant!, dq = l.quant!;
    const y = pw.layer.outputs[0];
    const cout = this.tensor(y).shape[2];
    if (l.dilation > this.hw.dmax) fail(`${at}: dilation ${l.dilation} exceeds the hardware dmax ${this.hw.dmax}`);
    const g = this.pwGather(pw.at, pw.what, pw.v);
    const gstride = Math.ceil(cout / this.lanes), perTile = this.outs / this.lanes;
    const outH = down(g.inH, l.stride), outW = down(g.inW, l.stride);
    const out = this.depthwiseOutput(li, l, outH, outW, gstride);
    const chans = Array.from({ length: cout }, (_, c) => c);
    const dl = this.dwLanes(chans, gstride, dq.weights, dq.S, dq.B, this.tensor(y).pad);
    const srcs = this.sources(g, 0, g.gin);
    const ids = this.pwTiles(g, q.weights, cout, q.S, q.B, Math.ceil(gstride / perTile), gstride).map((tile, t) => {
      const a = t * perTile, k = tile.ng, cP = gstride * this.lanes;
      const dwgt = dwWeightStream(dl.w, cP, a, k, this.lanes), dsb = dwSbStream(dl.S, dl.B, cP, a, k, this.lanes);
      const pad = padStream(dl.pad, cP, a, k, this.lanes);
      return this.emit({
        engine: ENGINE_PWDW, pw_mode: 0, pool: 0, use_map: 0, map_out: 0, out_chip: out.chip ? 1 : 0, stride: l.stride, dconst: l.dilation, dmax: 0,
        n: q.n, lo: pw.lo, n2: dq.n, lo2: l.relu ? this.tensor(l.outputs[0]).zero : -128, layer: li,
        in_h: g.inH, in_w: g.inW, out_h: outH, out_w: outW, gin: g.gin, out_ng: k, out_gstride: gstride, out_addr: out.off + a * this.beat,
        wgt_addr: this.params.add(tile.wgt), wgt_beats: tile.wgt.length / this.lanes, sb_addr: this.params.add(tile.sb), sb_beats: tile.sb.length / this.lanes,
        pad_addr: this.params.add(pad), pad_beats: pad.length / this.lanes, map_addr: 0, map_beats: 0,
        dwgt_addr: this.params.add(dwgt), dwgt_beats: dwgt.length / this.lanes, dsb_addr: this.params.add(dsb), dsb_beats: dsb.length / this.lanes,
        src: srcs,
      });
    });
    return { ids, chans: chans.map((c): Ref => [out.name, c]) };
  }

  /** Depthwise parameters per physical lane (`phys[c]` holds logical channel c) of `gin` groups. */
  dwLanes(phys: number[], gin: number, w?: Int8Array, S?: ArrayLike<number>, B?: ArrayLike<number>, pad?: Int8Array): DwLanes {
    const cP = gin * this.lanes;
    const r: DwLanes = { w: new Int8Array(cP * 9), S: new Int16Array(cP), B: new Int16Array(cP), pad: new Int8Array(cP) };
    phys.forEach((p, ch) => {
      if (w) for (let t = 0; t < 9; t++) r.w[p * 9 + t] = w[ch * 9 + t];
      if (pad) r.pad[p] = pad[ch];
      if (S && B) { r.S[p] = S[ch]; r.B[p] = B[ch]; }
    });
    return r;
  }

  /** Stores a view in logical order in a fresh buffer by PW permutation passes: out[c] = view[perm[c]]. */
  emitCopy(li: number, at: string, what: string, v: View, perm: number[], name: string): { buf: PlanBuffer; ids: number[] } {
    const cin = v.chans.length, cout = perm.length;
    const W = new Int8Array(cout * cin);
    perm.forEach((ci, co) => { W[co * cin + ci] = 1; });
    const b0 = this.bufByName.get(v.chans[0][0])!;
    const buf = this.buffer(this.freshName(name), b0.h << v.up, b0.w << v.up, Math.ceil(cout / this.lanes));
    const ids = this.emitPw(li, at, what, v, W, cout, new Int16Array(cout).fill(2), new Int16Array(cout).fill(128), 1, -128, 0, 0, buf);
    return { buf, ids };
  }

  /** Stores a view compactly in a fresh buffer (a PW copy pass) and makes the tensor refer to it. */
  store(li: number, at: string, t: string): number[] {
    const v = this.view(t);
    const { buf, ids } = this.emitCopy(li, at, t, v, v.chans.map((_, c) => c), t);
    this.state.set(t, { channels: v.chans.map((_, c): Ref => [buf.name, c]) });
    return ids;
  }

  /** Replaces an upsampled (unstored) tensor by a stored copy, so it can be split, concatenated or upsampled. */
  materialize(li: number, at: string, t: string): number[] {
    if (!this.state.get(t)!.upsampleOf) return [];
    const v = this.view(t);
    const { buf, ids } = this.emitCopy(li, at, t, v, v.chans.map((_, c) => c), t);
    this.state.set(t, { channels: v.chans.map((_, c): Ref => [buf.name, c]) });
    return ids;
  }

  /** Depthwise engine over the gathered input, cut into channel chunks that fit the line and row buffers. */
  emitDw(li: number, at: string, l: Layer, what: string, opts: {
    pool: boolean; w?: Int8Array; S?: ArrayLike<number>; B?: ArrayLike<number>; pad?: Int8Array; n: number; lo: number;
    stride: number; dconst: number; map?: { buf: PlanBuffer | 'on-chip map'; dmax: number };
  }): { ids: number[]; chans: Ref[] } {
    const v = this.view(what);
    const g = this.gather(v, at, what);
    const { lanes, hw } = this;
    this.checkWidth(at, g.inW);
    const outH = down(g.inH, opts.stride), outW = down(g.inW, opts.stride);
    const kmax = Math.min(this.gmax, Math.floor(hw.lineBufferBeats / (this.R * g.inW)), Math.floor(hw.rowBufferBeats / g.inW));
    if (kmax < 1)
      fail(`${at}: one channel group of an input row of ${g.inW} pixels does not fit: the line buffer needs ${this.R} rows x ${g.inW} = ${this.R * g.inW} beats (lineBufferBeats ${hw.lineBufferBeats}), rowBufferBeats ${hw.rowBufferBeats}`);
    if (opts.map && outH * outW > hw.mapEntries)
      fail(`${at}: the dilation map has ${outH}x${outW} = ${outH * outW} entries, more than mapEntries ${hw.mapEntries}`);
    const out = this.depthwiseOutput(li, l, outH, outW, g.gin);
    const cP = g.gin * lanes;
    const dl = this.dwLanes(g.phys, g.gin, opts.w, opts.S, opts.B, opts.pad);
    // Maxpool passes codes through the requantizer unchanged: S = 2, B = 128, n = 1.
    if (opts.pool) { dl.S.fill(2); dl.B.fill(128); }
    const chunks = Math.ceil(g.gin / kmax), k0 = Math.ceil(g.gin / chunks);
    const ids: number[] = [];
    for (let a = 0; a < g.gin; a += k0) {
      const k = Math.min(k0, g.gin - a);
      const wgt = opts.pool ? null : dwWeightStream(dl.w, cP, a, k, lanes);
      const sb = dwSbStream(dl.S, dl.B, cP, a, k, lanes);
      const pad = opts.pool ? null : padStream(dl.pad, cP, a, k, lanes);
      ids.push(this.emit({
        ...NO_FUSION, engine: ENGINE_DW, pw_mode: 0, pool: opts.pool ? 1 : 0, use_map: opts.map ? 1 : 0, map_out: 0, out_chip: out.chip ? 1 : 0, stride: opts.stride, dconst: opts.dconst,
        dmax: opts.map ? opts.map.dmax : 0, n: opts.n, lo: opts.lo, layer: li,
        in_h: g.inH, in_w: g.inW, out_h: outH, out_w: outW, gin: k, out_ng: k, out_gstride: g.gin, out_addr: out.off + a * this.beat,
        wgt_addr: wgt ? this.params.add(wgt) : 0, wgt_beats: wgt ? wgt.length / lanes : 0,
        sb_addr: this.params.add(sb), sb_beats: sb.length / lanes,
        pad_addr: pad ? this.params.add(pad) : 0, pad_beats: pad ? pad.length / lanes : 0,
        // A map on chip is already in the engine (and stays for every chunk); one in DDR is loaded.
        map_addr: opts.map && opts.map.buf !== 'on-chip map' ? opts.map.buf.off : 0,
        map_beats: opts.map && opts.map.buf !== 'on-chip map' ? outH * outW : 0,
        src: this.sources(g, a, k),
      }));
    }
    return { ids, chans: g.phys.map((p): Ref => [out.name, p]) };
  }

  emitStem(li: number, at: string, l: Layer): number[] {
    const { lanes, outs, hw } = this;
    const q = l.quant!;
    const xT = this.tensor(l.inputs[0]), yT = this.tensor(l.outputs[0]);
    const ids: number[] = [];
    let v = this.view(l.inputs[0]);
    let g = this.gather(v, at, l.inputs[0]);
    // The im2col reads channels 0..2 from lanes 0..2 of a single input group.
    if (g.gin !== 1 || g.phys.some((p, c) => p !== c)) {
      const cp = this.emitCopy(li, at, l.inputs[0], v, [0, 1, 2], `${l.inputs[0]}@stem`);
      ids.push(...cp.ids);
      v = { chans: [0, 1, 2].map((c): Ref => [cp.buf.name, c]), up: 0 };
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
    const outH = down(g.inH, l.stride), outW = down(g.inW, l.stride);
    const out = this.buffer(this.freshName(l.outputs[0]), outH, outW, passes * ng);
    const pad = padStream(xT.pad, 3, 0, 1, lanes);
    const srcs = this.sources(g, 0, 1);
    for (let p = 0; p < passes; p++) {
      const c0 = p * per;
      const s = new Int16Array(outs), b = new Int16Array(outs);
      for (let c = 0; c < per && c0 + c < cout; c++) { s[c] = q.S[c0 + c]; b[c] = q.B[c0 + c]; }
      const wgt = stemWeightStream(q.weights, cout, c0, lanes, outs);
      const sb = pwSbStream(s, b, outs);
      ids.push(this.emit({
        ...NO_FUSION, engine: ENGINE_STEM, pw_mode: 0, pool: 0, use_map: 0, map_out: 0, out_chip: 0, stride: l.stride, dconst: 1, dmax: 0, n: q.n, lo: l.relu ? yT.zero : -128, layer: li,
        in_h: g.inH, in_w: g.inW, out_h: outH, out_w: outW, gin: 1, out_ng: ng, out_gstride: passes * ng, out_addr: out.off + p * ng * this.beat,
        wgt_addr: this.params.add(wgt), wgt_beats: wgt.length / lanes, sb_addr: this.params.add(sb), sb_beats: sb.length / lanes,
        pad_addr: this.params.add(pad), pad_beats: 1, map_addr: 0, map_beats: 0, src: srcs,
      }));
    }
    this.state.set(l.outputs[0], { channels: Array.from({ length: cout }, (_, c): Ref => [out.name, Math.floor(c / per) * ng * lanes + (c % per)]) });
    return ids;
  }

  layer(li: number, l: Layer): number[] {
    const at = `layer "${l.name}" (${l.op})`;
    const hw = this.hw;
    const x = l.inputs[0], y = l.outputs[0];
    const yT = this.tensor(y);
    const lo = l.relu ? yT.zero : -128;
    switch (l.op) {
      case 'stem':
        return this.emitStem(li, at, l);
      case 'conv1x1':
      case 'offset': {
        const q = l.quant!;
        const cout = yT.shape[2];
        if (l.op === 'offset') {
          if (l.stride !== 1) fail(`${at}: stride ${l.stride} is not supported (the 1x1 engine of ISA v1 has no stride)`);
          if (l.dmax > hw.dmax) fail(`${at}: dmax ${l.dmax} exceeds the hardware dmax ${hw.dmax}`);
        }
        const v = this.view(x);
        const b0 = this.bufByName.get(v.chans[0][0])!;
        if (this.fusesIntoDw(l, b0.w << v.up)) {
          // Computed by the reader's PWDW passes; the view stays valid (buffers are never reused).
          this.state.set(y, { fused: { li, at, what: x, v, layer: l, lo } });
          return [];
        }
        if (l.op === 'offset' && this.mapStaysOnChip(li, y)) {
          const ids = this.emitPw(li, at, x, v, q.weights, cout, q.S, q.B, q.n, -128, 1, l.dmax, 'on-chip map');
          this.state.set(y, { onChip: true });
          return ids;
        }
        const out = this.buffer(this.freshName(y), b0.h << v.up, b0.w << v.up, l.op === 'offset' ? 1 : Math.ceil(cout / this.lanes));
        const ids = this.emitPw(li, at, x, v, q.weights, cout, q.S, q.B, q.n, l.op === 'offset' ? -128 : lo, l.op === 'offset' ? 1 : 0, l.dmax, out);
        this.state.set(y, { channels: Array.from({ length: cout }, (_, c): Ref => [out.name, c]) });
        return ids;
      }
      case 'dw3x3':
      case 'dwdeform': {
        const q = l.quant!;
        const pending = this.state.get(x)?.fused;
        if (pending) {
          const r = this.emitPwDw(li, at, l, pending);
          this.state.set(y, { channels: r.chans });
          return r.ids;
        }
        let map: { buf: PlanBuffer | 'on-chip map'; dmax: number } | undefined;
        if (l.op === 'dw3x3') {
          if (l.dilation > hw.dmax) fail(`${at}: dilation ${l.dilation} exceeds the hardware dmax ${hw.dmax}`);
        } else {
          const mT = l.inputs[1];
          const prod = this.model.layers.find((p) => p.outputs.includes(mT));
          if (!prod || prod.op !== 'offset') throw new Error(`compiler: dilation map "${mT}" of ${at} is not an offset output`);
          const s = this.state.get(mT)!;
          if (s.onChip) map = { buf: 'on-chip map', dmax: prod.dmax };
          else {
            const [ref] = s.channels!;
            const buf = this.bufByName.get(ref[0])!;
            if (buf.gstride !== 1 || ref[1] !== 0) throw new Error(`compiler: dilation map "${mT}" is not stored with gstride 1 in lane 0`);
            map = { buf, dmax: prod.dmax };
          }
        }
        const r = this.emitDw(li, at, l, x, {
          pool: false, w: q.weights, S: q.S, B: q.B, pad: this.tensor(x).pad, n: q.n, lo, stride: l.stride,
          dconst: l.op === 'dw3x3' ? l.dilation : 0, map,
        });
        this.state.set(y, { channels: r.chans });
        return r.ids;
      }
      case 'maxpool': {
        const r = this.emitDw(li, at, l, x, { pool: true, n: 1, lo: -128, stride: 2, dconst: 1 });
        this.state.set(y, { channels: r.chans });
        return r.ids;
      }
      case 'upsample': {
        const ids = this.materialize(li, at, x);
        this.state.set(y, { upsampleOf: x });
        return ids;
      }
      case 'split': {
        const ids = this.materialize(li, at, x);
        const ch = this.state.get(x)!.channels!;
        let c0 = 0;
        for (const o of l.outputs) {
          const c = this.tensor(o).shape[2];
          this.state.set(o, { channels: ch.slice(c0, c0 + c) });
          c0 += c;
        }
        return ids;
      }
      case 'concat': {
        const ids = l.inputs.flatMap((t) => this.materialize(li, at, t));
        // Keep the result readable by one descriptor: store the most scattered inputs compactly
        // until at most eight buffers remain.
        const spread = (t: string) => new Set(this.view(t).chans.map(([b]) => b)).size;
        const total = () => new Set(l.inputs.flatMap((t) => this.view(t).chans.map(([b]) => b))).size;
        for (const t of [...l.inputs].sort((a, b) => spread(b) - spread(a))) {
          if (total() <= MAX_SOURCES) break;
          if (spread(t) > 1) ids.push(...this.store(li, at, t));
        }
        this.state.set(y, { channels: l.inputs.flatMap((t) => this.state.get(t)!.channels!) });
        return ids;
      }
      case 'shuffle': {
        // A permutation of the channel map: consumers fold it into their weight order (1x1) or
        // per-lane parameters (depthwise); nothing runs.
        const ids = this.materialize(li, at, x);
        const ch = this.state.get(x)!.channels!;
        const c = yT.shape[2], half = c / 2;
        this.state.set(y, { channels: Array.from({ length: c }, (_, k) => ch[(k % 2) * half + (k >> 1)]) });
        return ids;
      }
    }
  }
}

/** Compiles a validated model for a hardware config. Deterministic: same inputs, same bytes. */
export function compileModel(model: Model, hw: HwConfig, opts: CompileOptions = {}): Compiled {
  const cc = new Compiler(model, hw, { fuse: true, chip: true, ...opts });
  if (model.inputs.length !== 1) fail(`model "${model.name}": compiler v1 takes one graph input, the model has ${model.inputs.length}`);
  const inName = model.inputs[0];
  const inT = model.tensors.get(inName)!;
  const [ih, iw, ic] = inT.shape;
  const inBuf = cc.buffer(inName, ih, iw, Math.ceil(ic / hw.lanes));
  cc.state.set(inName, { channels: Array.from({ length: ic }, (_, c): Ref => [inBuf.name, c]) });

  const layers = model.layers.map((l, li) => ({ name: l.name, op: l.op as string, descriptors: cc.layer(li, l) }));

  // Layout: program, stats, params, then the input and the tensor buffers.
  const beat = cc.beat;
  const count = cc.descs.length;
  const statsOff = align(count * DESCRIPTOR_BYTES, REGION_ALIGN);
  const statsBytes = count * beat;
  const paramsOff = align(statsOff + statsBytes, REGION_ALIGN);
  const paramsBytes = cc.params.size;
  const fileBytes = align(paramsOff + paramsBytes, REGION_ALIGN);
  const bufBase = fileBytes;
  const last = cc.buffers[cc.buffers.length - 1];
  const imageBytes = align(bufBase + last.off + last.h * last.w * last.gstride * beat, REGION_ALIGN);

  const descriptors = cc.descs.map((d): Descriptor => ({
    ...d,
    out_addr: d.map_out ? 0 : d.out_chip ? d.out_addr : bufBase + d.out_addr,
    wgt_addr: d.wgt_beats ? paramsOff + d.wgt_addr : 0,
    sb_addr: d.sb_beats ? paramsOff + d.sb_addr : 0,
    pad_addr: d.pad_beats ? paramsOff + d.pad_addr : 0,
    map_addr: d.map_beats ? bufBase + d.map_addr : 0,
    dwgt_addr: d.dwgt_beats ? paramsOff + d.dwgt_addr : 0,
    dsb_addr: d.dsb_beats ? paramsOff + d.dsb_addr : 0,
    stat_addr: statsOff + d.stat_addr,
    src: d.src.map((s) => ({ ...s, addr: s.chip ? s.addr : bufBase + s.addr })),
  }));

  const image = new Uint8Array(fileBytes);
  const relocs: number[] = [];
  descriptors.forEach((d, i) => {
    writeDescriptor(image, i * DESCRIPTOR_BYTES, d);
    for (const w of usedAddressWords(d)) relocs.push(i * DESCRIPTOR_BYTES + 4 * w);
  });
  cc.params.writeTo(image, paramsOff);

  const tensors: MemTensor[] = [];
  const listed = new Set<string>();
  const addTensor = (name: string) => {
    if (listed.has(name)) return;
    listed.add(name);
    const t = model.tensors.get(name)!;
    const s = cc.state.get(name)!;
    const inChip = s.channels?.some(([b]) => cc.isChipBuffer(b));
    tensors.push(s.onChip || s.fused || inChip
      ? { name, shape: [...t.shape], kind: t.kind, onChip: true }
      : s.upsampleOf
      ? { name, shape: [...t.shape], kind: t.kind, upsampleOf: s.upsampleOf }
      : { name, shape: [...t.shape], kind: t.kind, channels: s.channels!.map(([b, p]): [string, number] => [b, p]) });
  };
  addTensor(inName);
  for (const l of model.layers) l.outputs.forEach(addTensor);

  const map: MemoryMap = {
    format: MEMORY_MAP_FORMAT, version: MEMORY_MAP_VERSION, model: model.name, board: hw.board,
    lanes: hw.lanes, beatBytes: beat, pwOutputs: hw.pwOutputs, imageBytes, fileBytes,
    program: { offset: 0, descriptors: count },
    stats: { offset: statsOff, bytes: statsBytes },
    params: { offset: paramsOff, bytes: paramsBytes },
    input: { tensor: inName, buffer: inBuf.name },
    buffers: cc.buffers.map((b) => ({ name: b.name, offset: bufBase + b.off, h: b.h, w: b.w, gstride: b.gstride })),
    tensors, layers, outputs: [...model.outputs],
  };
  return { image, imageBytes, relocs: Uint32Array.from(relocs), map, descriptors };
}
