/**
 * Functional reference of the accelerator (docs/isa.md): executes descriptors on a memory array the
 * way the hardware does, decoding everything from memory (descriptors, config streams, tensors).
 * The engines keep their configuration between descriptors (a stream with 0 beats is not
 * reloaded), accumulators are 24-bit, and every lane the engines compute is written, including
 * the lanes that hold no logical channel. The memory holds an image relocated at base 0, so address
 * fields are offsets into `memory`. A descriptor that breaks the ISA or the config's limits throws.
 */
import type { HwConfig } from '../hw/config.ts';
import { hwParams } from '../hw/params.ts';
import { windowOut } from '../ops/shape.ts';
import { dilationFromT, outputCode, requantT } from '../numerics/requant.ts';
import { PW_TILE_MAX } from '../isa/layout.ts';
import { DESCRIPTOR_BYTES, ENGINE_DW, ENGINE_PW, ENGINE_PWDW, ENGINE_STEM, MAX_SOURCES, readDescriptor, type Descriptor } from './descriptor.ts';

/** Configuration held by the engines between descriptors. */
export interface EngineState {
  /** 1x1 engine weight RAM: [pair][group] beats of lanes bytes (tile t of a multi-tile PW at groups t*G..). */
  pwW: Uint8Array;
  /** 1x1 engine S and B: PW_TILE_MAX tiles of OUTS channels. */
  pwS: Int16Array;
  pwB: Int16Array;
  /** Depthwise engine: per group pad codes, 9 x lanes int4 weights (tap-major), S and B per lane. */
  dwPad: Int8Array;
  dwW: Int8Array;
  dwS: Int16Array;
  dwB: Int16Array;
  dwMap: Uint8Array;
  /** The on-chip tensor buffer (tensorBufferBeats beats). */
  tbuf: Uint8Array;
}

export function createEngineState(hw: HwConfig): EngineState {
  const { gmax, pairs, weightGroups } = hwParams(hw);
  return {
    pwW: new Uint8Array(pairs * weightGroups * hw.lanes),
    pwS: new Int16Array(hw.pwOutputs * PW_TILE_MAX),
    pwB: new Int16Array(hw.pwOutputs * PW_TILE_MAX),
    dwPad: new Int8Array(gmax * hw.lanes),
    dwW: new Int8Array(gmax * 9 * hw.lanes),
    dwS: new Int16Array(gmax * hw.lanes),
    dwB: new Int16Array(gmax * hw.lanes),
    dwMap: new Uint8Array(hw.mapEntries),
    tbuf: new Uint8Array(hw.tensorBufferBeats * hw.lanes),
  };
}

/** Executes `count` descriptors starting at `programOffset`, one after another. */
export function executeProgram(memory: Uint8Array, programOffset: number, count: number, hw: HwConfig): void {
  const st = createEngineState(hw);
  for (let i = 0; i < count; i++) {
    const d = readDescriptor(memory, programOffset + i * DESCRIPTOR_BYTES);
    try {
      executeDescriptor(memory, d, hw, st);
    } catch (e) {
      (e as Error).message = `descriptor ${i} (layer ${d.layer}): ${(e as Error).message}`;
      throw e;
    }
  }
}

const wrap24 = (v: number) => ((v << 8) >> 8);
const nib = (b: number, high: boolean) => { const v = high ? (b >> 4) & 15 : b & 15; return v >= 8 ? v - 16 : v; };

export function executeDescriptor(mem: Uint8Array, d: Descriptor, hw: HwConfig, st: EngineState): void {
  const hp = hwParams(hw);
  const lanes = hw.lanes, BYTES = hp.beatBytes, OUTS = hw.pwOutputs, PAIRS = hp.pairs;
  const gmax = hp.gmax;
  const R = hp.lineRows;
  const bad = (msg: string): never => { throw new Error(msg); };
  // DDR (`mem`) or, for `chip`, the on-chip tensor buffer.
  const at = (addr: number, beats: number, what: string, chip = 0): number => {
    const m = chip ? st.tbuf : mem;
    if (addr % BYTES !== 0) bad(`${what} address ${addr} is not aligned to ${BYTES} bytes`);
    if (addr < 0 || addr + beats * BYTES > m.length) bad(`${what}: ${beats} beats at ${addr} lie outside ${chip ? 'the tensor buffer' : 'memory'} of ${m.length} bytes`);
    return addr;
  };
  const i16 = (o: number) => { const v = mem[o] | (mem[o + 1] << 8); return v >= 0x8000 ? v - 0x10000 : v; };

  const { engine, gin } = d;
  if (engine < ENGINE_PW || engine > ENGINE_PWDW) bad(`engine ${engine} is not 1..4`);
  const fused = engine === ENGINE_PWDW;
  const G = engine === ENGINE_STEM ? hp.stemGroups : gin; // groups the 1x1 engine sees per pixel
  const dwG = engine === ENGINE_DW ? gin : fused ? d.out_ng : 1;  // groups the depthwise engine sees per pixel
  if (gin < 1 || gin > gmax) bad(`gin ${gin} is not in 1..maxChannels/lanes = ${gmax}`);
  if (engine === ENGINE_STEM && gin !== 1) bad(`STEM takes one input group, gin = ${gin}`);
  // PW, PWDW or STEM with tiles > 1: that many OUTS-channel tiles from each input pixel (the stem:
  // im2col column) in turn (PWDW: the depthwise engine then runs over the groups of all of them).
  const T = Math.max(1, d.tiles);
  const stemNg = Math.ceil((PAIRS - 1) / lanes);  // groups of one stem tile's output
  if (T > 1) {
    if ((engine !== ENGINE_PW && !fused && engine !== ENGINE_STEM) || d.map_out) bad(`tiles ${d.tiles} needs a PW, PWDW or STEM pass without map_out`);
    if (T > PW_TILE_MAX) bad(`tiles ${T} > PW_TILE_MAX ${PW_TILE_MAX}`);
    if (T * G > hp.weightGroups) bad(`tiles ${T} x ${G} groups of weights > ${hp.weightGroups} weight RAM groups`);
    if (engine === ENGINE_STEM ? d.out_ng !== T * stemNg : d.out_ng !== T * hp.outTileGroups)
      bad(`out_ng ${d.out_ng} != tiles ${T} x ${engine === ENGINE_STEM ? 'ceil((PAIRS-1)/lanes)' : 'OUTS/lanes'}`);
  }

  // 2. Configure: wgt, sb, pad, map, dwgt, dsb.
  const dwWeights = (addr: number, beats: number, what: string) => {
    if (beats !== 5 * dwG) bad(`${what}_beats ${beats} != 5 * ${dwG} depthwise groups`);
    const a = at(addr, beats, what);
    for (let g = 0; g < dwG; g++)
      for (let i = 0; i < 9 * lanes; i++) st.dwW[g * 9 * lanes + i] = nib(mem[a + g * 5 * BYTES + (i >> 1)], (i & 1) === 1);
  };
  const dwSb = (addr: number, beats: number, what: string) => {
    if (beats !== 4 * dwG) bad(`${what}_beats ${beats} != 4 * ${dwG} depthwise groups`);
    const a = at(addr, beats, what);
    for (let g = 0; g < dwG; g++)
      for (let k = 0; k < lanes; k++) {
        st.dwS[g * lanes + k] = i16(a + g * 4 * BYTES + 2 * k);
        st.dwB[g * lanes + k] = i16(a + g * 4 * BYTES + 2 * BYTES + 2 * k);
      }
  };
  if (d.wgt_beats) {
    if (engine === ENGINE_DW) dwWeights(d.wgt_addr, d.wgt_beats, 'wgt');
    else {
      const a = at(d.wgt_addr, d.wgt_beats, 'wgt');
      if (d.wgt_beats !== T * PAIRS * G) bad(`wgt_beats ${d.wgt_beats} != tiles * PAIRS * ${G}`);
      for (let t = 0; t < T; t++)
        for (let p = 0; p < PAIRS; p++)
          for (let g = 0; g < G; g++) {
            const b = a + ((t * PAIRS + p) * G + g) * BYTES;
            st.pwW.set(mem.subarray(b, b + BYTES), (p * hp.weightGroups + t * G + g) * lanes);
          }
    }
  }
  if (d.sb_beats) {
    if (engine === ENGINE_DW) dwSb(d.sb_addr, d.sb_beats, 'sb');
    else {
      const a = at(d.sb_addr, d.sb_beats, 'sb');
      if (d.sb_beats !== T * hp.pwSbBeats) bad(`sb_beats ${d.sb_beats} != tiles * OUTS / (lanes/4)`);
      for (let c = 0; c < T * OUTS; c++) { st.pwS[c] = i16(a + 4 * c); st.pwB[c] = i16(a + 4 * c + 2); }
    }
  }
  if (d.pad_beats) {
    if (engine === ENGINE_PW) bad('PW takes no pad stream');
    if (d.pad_beats !== dwG) bad(`pad_beats ${d.pad_beats} != ${dwG} depthwise groups`);
    const a = at(d.pad_addr, d.pad_beats, 'pad');
    for (let i = 0; i < dwG * lanes; i++) st.dwPad[i] = (mem[a + i] << 24) >> 24;
  }
  if (d.map_beats) {
    if (engine !== ENGINE_DW) bad('only DW takes a map stream');
    if (d.map_beats > hw.mapEntries) bad(`map_beats ${d.map_beats} > mapEntries ${hw.mapEntries}`);
    const a = at(d.map_addr, d.map_beats, 'map');
    for (let p = 0; p < d.map_beats; p++) st.dwMap[p] = mem[a + p * BYTES] & 15;
  }
  if ((d.dwgt_beats || d.dsb_beats) && !fused) bad('only PWDW takes dwgt and dsb streams');
  if (d.dwgt_beats) dwWeights(d.dwgt_addr, d.dwgt_beats, 'dwgt');
  if (d.dsb_beats) dwSb(d.dsb_addr, d.dsb_beats, 'dsb');

  // 3. Run: the loader assembles every input row from the sources.
  const { in_h, in_w, out_h, out_w } = d;
  if (d.src.length < 1 || d.src.length > MAX_SOURCES) bad(`nsrc ${d.src.length} is not in 1..${MAX_SOURCES}`);
  if (in_w > hw.maxWidth) bad(`in_w ${in_w} > maxWidth ${hw.maxWidth}`);
  if (in_w * gin > hw.rowBufferBeats) bad(`row of ${in_w} x ${gin} beats > rowBufferBeats ${hw.rowBufferBeats}`);
  if (engine !== ENGINE_PW && R * in_w * dwG > hw.lineBufferBeats) bad(`line buffer ${R} x ${in_w} x ${dwG} > lineBufferBeats ${hw.lineBufferBeats}`);
  const x = new Int8Array(in_h * in_w * gin * lanes);
  let off = 0;
  if (d.in_packed) {
    // STEM's packed input: lanes/4 pixels a beat, pixel k of a beat in lanes 4k..4k+3 (the streamer
    // sends each as one beat, those four lanes in lanes 0..3, the others 0).
    const PK = lanes / 4, s = d.src[0];
    if (engine !== ENGINE_STEM || lanes % 4 !== 0) bad('in_packed needs a STEM pass and lanes a multiple of 4');
    if (d.src.length !== 1 || s.gstride !== 1 || s.g0 !== 0 || s.ng !== 1 || s.up || s.chip) bad('in_packed takes one DDR source of gstride 1, g0 0, ng 1, no up');
    if (s.width * PK !== in_w) bad(`in_packed: source width ${s.width} beats x ${PK} pixels != in_w ${in_w}`);
    for (let r = 0; r < in_h; r++) {
      const a = at(s.addr + r * s.width * BYTES, s.width, `source 0 row ${r}`);
      for (let px = 0; px < in_w; px++) x.set(new Int8Array(mem.buffer, mem.byteOffset + a + px * 4, 4), (r * in_w + px) * lanes);
    }
    off = 1;
  }
  for (const [s, src] of (d.in_packed ? [] : d.src).entries()) {
    if (src.ng < 1 || src.g0 + src.ng > src.gstride) bad(`source ${s}: groups ${src.g0}+${src.ng} outside gstride ${src.gstride}`);
    if (src.width << src.up !== in_w) bad(`source ${s}: width ${src.width} << up ${src.up} != in_w ${in_w}`);
    const rowBeats = src.width * src.gstride;
    for (let r = 0; r < in_h; r++) {
      const a = at(src.addr + (r >> src.up) * rowBeats * BYTES, rowBeats, `source ${s} row ${r >> src.up}`, src.chip);
      const m = src.chip ? st.tbuf : mem;
      for (let xx = 0; xx < src.width; xx++)
        for (let g = src.g0; g < src.g0 + src.ng; g++) {
          const beat = m.subarray(a + (xx * src.gstride + g) * BYTES, a + (xx * src.gstride + g + 1) * BYTES);
          for (let rep = 0; rep <= src.up; rep++) {
            const px = (xx << src.up) + rep;
            x.set(new Int8Array(beat.buffer, beat.byteOffset, lanes), ((r * in_w + px) * gin + off + g - src.g0) * lanes);
          }
        }
    }
    off += src.ng;
  }
  if (off !== gin) bad(`sources take ${off} groups, gin is ${gin}`);
  if (d.out_chip && d.src.some((x) => x.chip)) bad('a pass cannot both read and write the tensor buffer');

  // Engine output: out_h * out_w pixels of out_ng beats.
  const outBeats = engine === ENGINE_DW ? gin : d.out_ng;
  const y = new Uint8Array(out_h * out_w * outBeats * lanes);
  const stride = d.stride;
  if (engine !== ENGINE_PW) {
    if (engine === ENGINE_STEM ? stride !== 1 && stride !== 2 && stride !== 4 : stride !== 1 && stride !== 2) bad(`stride ${stride} not supported`);
    if (out_h !== windowOut(in_h, stride) || out_w !== windowOut(in_w, stride)) bad(`output ${out_h}x${out_w} is not the stride-${stride} size of ${in_h}x${in_w}`);
    if (d.dconst > hw.dmax) bad(`dconst ${d.dconst} > dmax ${hw.dmax}`);
  }
  if (engine === ENGINE_PW || fused) {
    if (d.out_ng < 1 || d.out_ng > (T * OUTS) / lanes) bad(`${fused ? 'PWDW' : 'PW'} out_ng ${d.out_ng} not in 1..OUTS/lanes`);
    if (engine === ENGINE_PW && (out_h !== in_h || out_w !== in_w)) bad(`PW output ${out_h}x${out_w} != input ${in_h}x${in_w}`);
    if (fused && (d.use_map || d.pool || d.pw_mode || d.map_out)) bad('PWDW has no use_map, pool, pw_mode or map_out');
    const Ws = Array.from({ length: T }, (_, t) => pwWeights(st, PAIRS, hp.weightGroups, t * G, G, lanes));
    const tileOut = T > 1 ? OUTS : d.out_ng * lanes;
    // PWDW: the out_ng groups (every tile's) of every pixel are the depthwise engine's input rows.
    const pwOut = fused ? new Uint8Array(in_h * in_w * d.out_ng * lanes) : y;
    for (let p = 0; p < in_h * in_w; p++)
      for (let t = 0; t < T; t++) pwPixel(x.subarray(p * G * lanes, (p + 1) * G * lanes), Ws[t], st, t * OUTS, d, false, pwOut, p * d.out_ng * lanes + t * OUTS, tileOut);
    if (fused) dwRun(new Int8Array(pwOut.buffer), d, { gin: d.out_ng, n: d.n2, lo: d.lo2 }, lanes, st, y);
  } else if (engine === ENGINE_STEM) {
    if (T === 1 && d.out_ng !== stemNg) bad(`STEM out_ng ${d.out_ng} != ceil((PAIRS-1)/lanes)`);
    const Ws = Array.from({ length: T }, (_, t) => pwWeights(st, PAIRS, hp.weightGroups, t * G, G, lanes));
    const col = new Int8Array(G * lanes); // bytes 27.. stay 0
    const dd = d.dconst;
    for (let oy = 0; oy < out_h; oy++)
      for (let ox = 0; ox < out_w; ox++) {
        for (let t = 0; t < 9; t++) {
          const iy = oy * stride + (Math.floor(t / 3) - 1) * dd, ix = ox * stride + ((t % 3) - 1) * dd;
          const inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
          for (let c = 0; c < 3; c++) col[t * 3 + c] = inside ? x[(iy * in_w + ix) * lanes + c] : st.dwPad[c];
        }
        const p = oy * out_w + ox;
        // every tile from the same column, its stemNg groups one tile after another
        for (let t = 0; t < T; t++) pwPixel(col, Ws[t], st, t * OUTS, d, true, y, (p * d.out_ng + t * stemNg) * lanes, stemNg * lanes);
      }
  } else {
    if (d.out_ng !== gin) bad(`DW out_ng ${d.out_ng} != gin ${gin}`);
    if (d.use_map) {
      if (d.dmax > hw.dmax) bad(`dmax ${d.dmax} > hardware dmax ${hw.dmax}`);
      if (out_h * out_w > hw.mapEntries) bad(`${out_h * out_w} output pixels > mapEntries ${hw.mapEntries}`);
    }
    dwRun(x, d, { gin, n: d.n, lo: d.lo }, lanes, st, y);
  }

  // Writer, or the on-chip dilation map.
  const pixels = out_h * out_w;
  if (d.map_out) {
    if (engine !== ENGINE_PW || !d.pw_mode || d.out_chip) bad('map_out needs a PW pass with pw_mode = 1 and no out_chip');
    if (pixels > hw.mapEntries) bad(`map_out of ${pixels} pixels > mapEntries ${hw.mapEntries}`);
    for (let p = 0; p < pixels; p++) st.dwMap[p] = y[p * d.out_ng * lanes] & 15;
  } else {
    if (d.out_ng > d.out_gstride) bad(`out_ng ${d.out_ng} > out_gstride ${d.out_gstride}`);
    at(d.out_addr, (pixels - 1) * d.out_gstride + d.out_ng, 'out', d.out_chip);
    const m = d.out_chip ? st.tbuf : mem;
    for (let p = 0; p < pixels; p++) m.set(y.subarray(p * d.out_ng * lanes, (p + 1) * d.out_ng * lanes), d.out_addr + p * d.out_gstride * BYTES);
  }

  // 4. Statistics beat (the reference counts no cycles).
  mem.fill(0, at(d.stat_addr, 1, 'stat'), d.stat_addr + BYTES);
}

/**
 * The depthwise engine over input rows `x` (in_h x in_w pixels of `e.gin` groups): dw3x3, square
 * deformable (dilation per output pixel from the map) or maxpool, with the requantizer's n and lo
 * of `e` (PWDW runs it with the descriptor's second pair).
 */
function dwRun(x: Int8Array, d: Descriptor, e: { gin: number; n: number; lo: number }, lanes: number, st: EngineState, y: Uint8Array): void {
  const { in_h, in_w, out_h, out_w, stride } = d, { gin } = e;
  for (let oy = 0; oy < out_h; oy++)
    for (let ox = 0; ox < out_w; ox++) {
      const p = oy * out_w + ox;
      const dd = d.use_map ? st.dwMap[p] : d.dconst;
      if (d.use_map && dd > d.dmax) throw new Error(`map entry ${p} = ${dd} exceeds the descriptor's dmax ${d.dmax}`);
      for (let g = 0; g < gin; g++)
        for (let k = 0; k < lanes; k++) {
          const ch = g * lanes + k;
          let acc = d.pool ? -128 : 0;
          for (let t = 0; t < 9; t++) {
            const iy = oy * stride + (Math.floor(t / 3) - 1) * dd, ix = ox * stride + ((t % 3) - 1) * dd;
            const inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            if (d.pool) { if (inside) acc = Math.max(acc, x[(iy * in_w + ix) * gin * lanes + ch]); }
            else acc += (inside ? x[(iy * in_w + ix) * gin * lanes + ch] : st.dwPad[ch]) * st.dwW[(g * 9 + t) * lanes + k];
          }
          acc = wrap24(acc);
          const tq = requantT(acc, st.dwS[ch], st.dwB[ch], e.n);
          y[(p * gin + g) * lanes + k] = outputCode(tq, e.lo) & 0xff;
        }
    }
}

/** Per output channel c of the tile whose weights start at group g0, its weights over the G*lanes inputs (c even: low nibble of pair c/2). */
function pwWeights(st: EngineState, pairs: number, gcap: number, g0: number, G: number, lanes: number): Int8Array[] {
  const W: Int8Array[] = [];
  for (let c = 0; c < 2 * pairs; c++) {
    const w = new Int8Array(G * lanes), p = c >> 1;
    for (let g = 0; g < G; g++) for (let k = 0; k < lanes; k++) w[g * lanes + k] = nib(st.pwW[(p * gcap + g0 + g) * lanes + k], (c & 1) === 1);
    W.push(w);
  }
  return W;
}

/** One pixel through the 1x1 engine (stem mux when `stem`; S/B of the tile at `sb`), the first `n` output codes into y at `o`. */
function pwPixel(xv: Int8Array, W: Int8Array[], st: EngineState, sb: number, d: Descriptor, stem: boolean, y: Uint8Array, o: number, n: number): void {
  const outs = W.length, pairs = outs / 2;
  const acc = new Array<number>(outs);
  for (let c = 0; c < outs; c++) {
    const w = W[c];
    let a = 0;
    for (let i = 0; i < xv.length; i++) a += xv[i] * w[i];
    acc[c] = wrap24(a);
  }
  for (let c = 0; c < n; c++) {
    const a = stem && c < pairs - 1 ? wrap24(16 * acc[2 * c + 3] + acc[2 * c + 2] + 8 * acc[0]) : acc[c];
    const t = requantT(a, st.pwS[sb + c], st.pwB[sb + c], d.n);
    y[o + c] = (d.pw_mode ? dilationFromT(t, d.dmax) : outputCode(t, d.lo)) & 0xff;
  }
}
