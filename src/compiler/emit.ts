/**
 * The compiler's emit phase (docs/architecture.md, "The compiler"): a Plan (src/compiler/plan.ts)
 * in, the program out. It decides nothing: each pass becomes its descriptors in plan order, its
 * parameters are packed into the engines' config streams (deduplicated in the params region), and
 * the image is laid out (docs/memory-map.md): program, stats, params, then the input and the
 * tensor buffers; address fields are relocated and listed.
 */
import {
  DESCRIPTOR_BYTES, ENGINE_DW, ENGINE_PW, ENGINE_PWDW, ENGINE_STEM, usedAddressWords, writeDescriptor,
  type Descriptor, type Source,
} from './descriptor.ts';
import { MEMORY_MAP_FORMAT, MEMORY_MAP_VERSION, type MemoryMap, type MemTensor } from './memory-map.ts';
import { dwSbStream, dwWeightStream, padStream, pwSbStream, pwWeightStream, stemWeightStream } from './params.ts';
import { align, REGION_ALIGN, type DwPass, type Gather, type Plan, type PwDwPass, type PwPass, type StemPass } from './plan.ts';

export interface Compiled {
  /** memory.bin: program, stats and params (fileBytes long). */
  image: Uint8Array;
  /** Bytes to allocate for the whole image (input and tensor buffers included). */
  imageBytes: number;
  /** Byte offsets (in the image) of the 64-bit address fields to relocate. */
  relocs: Uint32Array;
  map: MemoryMap;
  descriptors: Descriptor[];
  /** What the program was emitted from: every decision, per layer (src/compiler/plan.ts). */
  plan: Plan;
}

/** The PWDW-only fields of every other descriptor. */
const NO_FUSION = { n2: 0, lo2: 0, tiles: 0, dwgt_addr: 0, dwgt_beats: 0, dsb_addr: 0, dsb_beats: 0 } as const;

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

/** A descriptor as the passes emit it: the statistics beat is assigned here, in_packed is 0 unless a stem says. */
type Emitted = Omit<Descriptor, 'stat_addr' | 'in_packed'> & { in_packed?: number };

/** Config streams back to back (one stream of several tiles). */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of parts) { out.set(x, o); o += x.length; }
  return out;
}

class Emitter {
  readonly lanes: number;
  readonly outs: number;
  readonly beat: number;
  readonly descs: Descriptor[] = [];
  readonly params: ParamPool;

  constructor(readonly plan: Plan) {
    this.lanes = plan.hw.lanes;
    this.outs = plan.hw.pwOutputs;
    this.beat = plan.hw.axiDataBits / 8;
    this.params = new ParamPool(this.beat);
  }

  emit(d: Emitted): void {
    this.descs.push({ ...d, in_packed: d.in_packed ?? 0, stat_addr: this.descs.length * this.beat });
  }

  /** Descriptor sources for gathered groups [a, a + k). */
  sources(g: Gather, a: number, k: number): Source[] {
    const out: Source[] = [];
    let off = 0;
    for (const s of g.srcs) {
      if (s.buf.pixelsPerBeat) throw new Error(`compiler: the packed input "${s.buf.name}" is read by a pass other than the stem`);
      const lo = Math.max(a, off), hi = Math.min(a + k, off + s.ng);
      if (lo < hi) out.push({ addr: s.buf.off, gstride: s.buf.gstride, width: s.buf.w, g0: s.g0 + lo - off, ng: hi - lo, up: g.up, chip: s.buf.where === 'tensor-buffer' ? 1 : 0 });
      off += s.ng;
    }
    return out;
  }

  /** The config streams of `tiles` OUTS-channel tiles of out[co] = rq(sum_ci x[ci] * W[co][ci]); `gstride` groups are written in all. */
  pwTiles(g: Gather, W: Int8Array, cout: number, S: ArrayLike<number>, B: ArrayLike<number>, tiles: number, gstride: number): PwTile[] {
    const { lanes, outs } = this;
    const cin = g.phys.length, cinP = g.gin * lanes;
    const Wp = new Int8Array(cout * cinP);
    // Every logical channel has its own gathered lane (views never repeat a lane: concat copies a
    // repeated input), so each weight lands in its own slot.
    if (new Set(g.phys).size !== cin) throw new Error('compiler: a 1x1 input view holds the same lane twice');
    for (let co = 0; co < cout; co++) for (let ci = 0; ci < cin; ci++) Wp[co * cinP + g.phys[ci]] = W[co * cin + ci];
    const perTile = outs / lanes;
    return Array.from({ length: tiles }, (_, t): PwTile => {
      const c0 = t * outs;
      const s = new Int16Array(outs), b = new Int16Array(outs);
      for (let c = 0; c < outs && c0 + c < cout; c++) { s[c] = S[c0 + c]; b[c] = B[c0 + c]; }
      return { wgt: pwWeightStream(Wp, cinP, cout, c0, lanes, outs), sb: pwSbStream(s, b, outs), ng: Math.min(perTile, gstride - t * perTile) };
    });
  }

  /** Depthwise parameters per physical lane (`phys[c]` holds logical channel c) of `gin` groups. */
  dwLanes(phys: number[], gin: number, w?: Int8Array, S?: ArrayLike<number>, B?: ArrayLike<number>, pad?: Int8Array): DwLanes {
    const cP = gin * this.lanes;
    const r: DwLanes = { w: new Int8Array(cP * 9), S: new Int16Array(cP), B: new Int16Array(cP), pad: new Int8Array(cP) };
    if (new Set(phys).size !== phys.length) throw new Error('compiler: a depthwise input view holds the same lane twice');
    phys.forEach((p, ch) => {
      if (w) for (let t = 0; t < 9; t++) r.w[p * 9 + t] = w[ch * 9 + t];
      if (pad) r.pad[p] = pad[ch];
      if (S && B) { r.S[p] = S[ch]; r.B[p] = B[ch]; }
    });
    return r;
  }

  pw(p: PwPass): void {
    const g = p.gather, onChip = p.out === 'map';
    const perTile = this.outs / this.lanes;
    const srcs = this.sources(g, 0, g.gin);
    const tiles = this.pwTiles(g, p.W, p.cout, p.S, p.B, onChip ? 1 : Math.ceil(p.gstride / perTile), p.gstride);
    // Full tiles go p.tilesPer a descriptor (their streams back to back), a partial tile alone.
    for (let t = 0; t < tiles.length;) {
      const k = tiles[t].ng === perTile ? Math.min(p.tilesPer, tiles.length - t) : 1;
      const run = tiles.slice(t, t + k).filter((x) => k === 1 || x.ng === perTile);
      const wgt = concat(run.map((x) => x.wgt)), sb = concat(run.map((x) => x.sb));
      this.emit({
        ...NO_FUSION, engine: ENGINE_PW, pw_mode: p.mode, pool: 0, use_map: 0, map_out: onChip ? 1 : 0, out_chip: 0, stride: 1, dconst: 0, dmax: p.mode ? p.dmax : 0, n: p.n, lo: p.lo, layer: p.layer,
        in_h: g.inH, in_w: g.inW, out_h: g.inH, out_w: g.inW, gin: g.gin, tiles: run.length > 1 ? run.length : 0,
        out_ng: run.reduce((a, x) => a + x.ng, 0), out_gstride: p.gstride, out_addr: p.out === 'map' ? 0 : p.out.off + t * perTile * this.beat,
        wgt_addr: this.params.add(wgt), wgt_beats: wgt.length / this.lanes, sb_addr: this.params.add(sb), sb_beats: sb.length / this.lanes,
        pad_addr: 0, pad_beats: 0, map_addr: 0, map_beats: 0, src: srcs,
      });
      t += run.length;
    }
  }

  pwdw(p: PwDwPass): void {
    const { lanes } = this;
    const g = p.gather, perTile = this.outs / lanes;
    const chans = Array.from({ length: p.cout }, (_, c) => c);
    const dl = this.dwLanes(chans, p.gstride, p.dw.weights, p.dw.S, p.dw.B, p.pad);
    const srcs = this.sources(g, 0, g.gin);
    const tiles = this.pwTiles(g, p.pw.weights, p.cout, p.pw.S, p.pw.B, Math.ceil(p.gstride / perTile), p.gstride);
    // Full tiles go p.tilesPer a descriptor (their 1x1 streams back to back, the depthwise streams
    // of all their groups), a partial tile alone.
    for (let t = 0; t < tiles.length;) {
      const n = tiles[t].ng === perTile ? Math.min(p.tilesPer, tiles.length - t) : 1;
      const run = tiles.slice(t, t + n).filter((x) => n === 1 || x.ng === perTile);
      const a = t * perTile, k = run.reduce((s, x) => s + x.ng, 0), cP = p.gstride * lanes;
      const wgt = concat(run.map((x) => x.wgt)), sb = concat(run.map((x) => x.sb));
      const dwgt = dwWeightStream(dl.w, cP, a, k, lanes), dsb = dwSbStream(dl.S, dl.B, cP, a, k, lanes);
      const pad = padStream(dl.pad, cP, a, k, lanes);
      this.emit({
        engine: ENGINE_PWDW, pw_mode: 0, pool: 0, use_map: 0, map_out: 0, out_chip: p.out.where === 'tensor-buffer' ? 1 : 0, stride: p.stride, dconst: p.dilation, dmax: 0,
        n: p.pw.n, lo: p.pwLo, n2: p.dw.n, lo2: p.lo2, tiles: run.length > 1 ? run.length : 0, layer: p.layer,
        in_h: g.inH, in_w: g.inW, out_h: p.outH, out_w: p.outW, gin: g.gin, out_ng: k, out_gstride: p.gstride, out_addr: p.out.off + a * this.beat,
        wgt_addr: this.params.add(wgt), wgt_beats: wgt.length / lanes, sb_addr: this.params.add(sb), sb_beats: sb.length / lanes,
        pad_addr: this.params.add(pad), pad_beats: pad.length / lanes, map_addr: 0, map_beats: 0,
        dwgt_addr: this.params.add(dwgt), dwgt_beats: dwgt.length / lanes, dsb_addr: this.params.add(dsb), dsb_beats: dsb.length / lanes,
        src: srcs,
      });
      t += run.length;
    }
  }

  dw(p: DwPass): void {
    const { lanes } = this;
    const g = p.gather;
    const cP = g.gin * lanes;
    const dl = this.dwLanes(g.phys, g.gin, p.w, p.S, p.B, p.pad);
    // Maxpool passes codes through the requantizer unchanged: S = 2, B = 128, n = 1.
    if (p.pool) { dl.S.fill(2); dl.B.fill(128); }
    const map = p.map, mapBuf = map && map.buf !== 'map' ? map.buf : undefined;
    for (let a = 0; a < g.gin; a += p.chunk) {
      const k = Math.min(p.chunk, g.gin - a);
      const wgt = p.pool ? null : dwWeightStream(dl.w, cP, a, k, lanes);
      const sb = dwSbStream(dl.S, dl.B, cP, a, k, lanes);
      const pad = p.pool ? null : padStream(dl.pad, cP, a, k, lanes);
      this.emit({
        ...NO_FUSION, engine: ENGINE_DW, pw_mode: 0, pool: p.pool ? 1 : 0, use_map: map ? 1 : 0, map_out: 0, out_chip: p.out.where === 'tensor-buffer' ? 1 : 0, stride: p.stride, dconst: p.dconst,
        dmax: map ? map.dmax : 0, n: p.n, lo: p.lo, layer: p.layer,
        in_h: g.inH, in_w: g.inW, out_h: p.outH, out_w: p.outW, gin: k, out_ng: k, out_gstride: g.gin, out_addr: p.out.off + a * this.beat,
        wgt_addr: wgt ? this.params.add(wgt) : 0, wgt_beats: wgt ? wgt.length / lanes : 0,
        sb_addr: this.params.add(sb), sb_beats: sb.length / lanes,
        pad_addr: pad ? this.params.add(pad) : 0, pad_beats: pad ? pad.length / lanes : 0,
        // A map on chip is already in the engine (and stays for every chunk); one in DDR is loaded.
        map_addr: mapBuf ? mapBuf.off : 0,
        map_beats: mapBuf ? p.outH * p.outW : 0,
        src: this.sources(g, a, k),
      });
    }
  }

  stem(p: StemPass): void {
    const { lanes, outs } = this;
    const { q, gather: g } = p;
    const pad = padStream(p.pad, 3, 0, 1, lanes);
    // A packed input (in_packed): one source of single-group beats, pixelsPerBeat pixels each.
    const pk = g.srcs.length === 1 && !g.up ? g.srcs[0].buf.pixelsPerBeat ?? 0 : 0;
    const srcs = pk ? [{ addr: g.srcs[0].buf.off, gstride: 1, width: g.inW / pk, g0: 0, ng: 1, up: 0, chip: 0 }] : this.sources(g, 0, 1);
    // Tiles t0 .. t0+n-1 a descriptor (n <= tilesPer, spread evenly): their weight and S/B streams
    // back to back, their outputs the ng groups of each tile one after another.
    for (let t0 = 0; t0 < p.tiles;) {
      const n = Math.ceil((p.tiles - t0) / Math.ceil((p.tiles - t0) / p.tilesPer));
      const wgts: Uint8Array[] = [], sbs: Uint8Array[] = [];
      for (let t = t0; t < t0 + n; t++) {
        const c0 = t * p.per;
        const s = new Int16Array(outs), b = new Int16Array(outs);
        for (let c = 0; c < p.per && c0 + c < p.cout; c++) { s[c] = q.S[c0 + c]; b[c] = q.B[c0 + c]; }
        wgts.push(stemWeightStream(q.weights, p.cout, c0, lanes, outs));
        sbs.push(pwSbStream(s, b, outs));
      }
      const wgt = concat(wgts), sb = concat(sbs);
      this.emit({
        ...NO_FUSION, engine: ENGINE_STEM, pw_mode: 0, pool: 0, use_map: 0, map_out: 0, out_chip: 0, stride: p.stride, dconst: 1, dmax: 0, n: q.n, lo: p.lo, layer: p.layer,
        tiles: n > 1 ? n : 0, in_packed: pk ? 1 : 0,
        in_h: g.inH, in_w: g.inW, out_h: p.outH, out_w: p.outW, gin: 1, out_ng: n * p.ng, out_gstride: p.tiles * p.ng, out_addr: p.out.off + t0 * p.ng * this.beat,
        wgt_addr: this.params.add(wgt), wgt_beats: wgt.length / lanes, sb_addr: this.params.add(sb), sb_beats: sb.length / lanes,
        pad_addr: this.params.add(pad), pad_beats: 1, map_addr: 0, map_beats: 0, src: srcs,
      });
      t0 += n;
    }
  }
}

/** Emits the program, the memory image and its map from a plan. Deterministic: same plan, same bytes. */
export function emitProgram(plan: Plan): Compiled {
  const { model, hw } = plan;
  const e = new Emitter(plan);
  for (const p of plan.passes) {
    const before = e.descs.length;
    switch (p.engine) {
      case 'pw': e.pw(p); break;
      case 'pwdw': e.pwdw(p); break;
      case 'dw': e.dw(p); break;
      case 'stem': e.stem(p); break;
    }
    if (e.descs.length - before !== p.descriptors) throw new Error(`compiler: a ${p.engine} pass of layer ${p.layer} planned ${p.descriptors} descriptors, emitted ${e.descs.length - before}`);
  }

  // Layout: program, stats, params, then the input and the tensor buffers.
  const beat = e.beat;
  const count = e.descs.length;
  const statsOff = align(count * DESCRIPTOR_BYTES, REGION_ALIGN);
  const statsBytes = count * beat;
  const paramsOff = align(statsOff + statsBytes, REGION_ALIGN);
  const paramsBytes = e.params.size;
  const fileBytes = align(paramsOff + paramsBytes, REGION_ALIGN);
  const bufBase = fileBytes;
  const imageBytes = bufBase + plan.bufferBytes;

  const descriptors = e.descs.map((d): Descriptor => ({
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
  e.params.writeTo(image, paramsOff);

  const tensors = plan.tensors.map(({ name, shape, kind, placement: p }): MemTensor =>
    p.kind === 'stored' ? { name, shape: [...shape], kind, channels: p.channels.map(([b, c]): [string, number] => [b, c]) }
    : p.kind === 'upsample' ? { name, shape: [...shape], kind, upsampleOf: p.of }
    : { name, shape: [...shape], kind, onChip: true });
  const layerDescriptors = model.layers.map((): number[] => []);
  descriptors.forEach((d, i) => layerDescriptors[d.layer].push(i));

  const map: MemoryMap = {
    format: MEMORY_MAP_FORMAT, version: MEMORY_MAP_VERSION, model: model.name, board: hw.board,
    lanes: hw.lanes, beatBytes: beat, pwOutputs: hw.pwOutputs, imageBytes, fileBytes,
    program: { offset: 0, descriptors: count },
    stats: { offset: statsOff, bytes: statsBytes },
    params: { offset: paramsOff, bytes: paramsBytes },
    input: { tensor: model.inputs[0], buffer: plan.input.name },
    buffers: plan.buffers.filter((b) => b.where === 'ddr').map((b) => ({ name: b.name, offset: bufBase + b.off, h: b.h, w: b.w, gstride: b.gstride, ...(b.pixelsPerBeat ? { pixelsPerBeat: b.pixelsPerBeat } : {}) })),
    tensors, layers: model.layers.map((l, li) => ({ name: l.name, op: l.op as string, descriptors: layerDescriptors[li] })), outputs: [...model.outputs],
  };
  return { image, imageBytes, relocs: Uint32Array.from(relocs), map, descriptors, plan };
}
