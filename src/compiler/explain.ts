/**
 * `codenet explain <model>`: the compiler's plan made readable (docs/isa.md, "Explaining a
 * compiled program"). Per layer: its passes (engine, purpose, the descriptors each became, what
 * it reads and writes), fusion and on-chip decisions with the reason, copy passes and why, where
 * its outputs live, DDR bytes and predicted cycles; the buffers with their sizes and where they
 * live; totals. The JSON form is `ExplanationSchema`.
 */
import { z } from 'zod';
import type { Compiled } from './emit.ts';
import type { Pass, PlanBuffer } from './plan.ts';
import { DESCRIPTOR_BYTES, type Descriptor } from './descriptor.ts';
import type { ModelPerf } from '../perf/model.ts';

export const EXPLAIN_FORMAT = 'codenet-explain';
export const EXPLAIN_VERSION = 1;

const uint = z.number().int().min(0);
const name = z.string().min(1);
const where = z.enum(['ddr', 'tensor-buffer']);

/** DDR traffic in bytes (what the accelerator's read and write counters count). */
export const DdrTrafficSchema = z.strictObject({
  /** Input rows of every source in DDR (whole pixel rows, an upsampled source's rows twice) and dilation maps loaded from DDR. */
  tensorRead: uint,
  /** Output pixels written to DDR (not to the tensor buffer or the engine's dilation map). */
  tensorWritten: uint,
  /** Config streams: weights, S/B, pad codes (PWDW: both engines'). */
  params: uint,
  /** Descriptor fetches (read) and statistics beats (written). */
  program: uint,
  /** tensorRead + params + descriptor fetches. */
  read: uint,
  /** tensorWritten + statistics beats. */
  written: uint,
});
export type DdrTraffic = z.infer<typeof DdrTrafficSchema>;

export const ExplainPassSchema = z.strictObject({
  /** pw: 1x1 engine; pwdw: a 1x1 tile fused with the depthwise engine; dw: depthwise engine; stem. */
  engine: z.enum(['pw', 'pwdw', 'dw', 'stem']),
  /** compute: the layer's own work; copy: a PW copy pass that stores a view; subsample: the stride-2 centre-tap pass of an offset conv. */
  purpose: z.enum(['compute', 'copy', 'subsample']),
  /** Why a copy or subsample pass exists. */
  why: z.string().optional(),
  /** The tensor (or view) it reads. */
  reads: name,
  /** Indices of its descriptors in the program. */
  descriptors: z.array(uint),
  /** Up to eight sources: a buffer and its group range [g0, g0 + ng). */
  sources: z.array(z.strictObject({ buffer: name, where, g0: uint, ng: uint })),
  /** Nearest x2 upsampling on read. */
  upsample: z.boolean(),
  /** [h, w, channel groups] gathered, and written. */
  input: z.tuple([uint, uint, uint]),
  output: z.tuple([uint, uint, uint]),
  /** The buffer written, or the depthwise engine's on-chip dilation map. */
  writes: z.union([z.strictObject({ buffer: name, where }), z.strictObject({ dilationMap: z.literal(true) })]),
  /** Fused 1x1 (pwdw): the conv1x1 layer computed in the pass. */
  fuses: name.optional(),
});

export const ExplainTensorSchema = z.strictObject({
  tensor: name,
  /**
   * ddr: stored in DDR buffers; tensor-buffer: in the on-chip tensor buffer for its reader;
   * dilation-map: in the depthwise engine's on-chip map for its reader; fused: never stored, computed
   * inside its dw3x3 reader's PWDW passes; upsample: read through the up flag from `of`.
   */
  placement: z.enum(['ddr', 'tensor-buffer', 'dilation-map', 'fused', 'upsample']),
  /** The buffers that hold its channels (ddr, tensor-buffer). */
  buffers: z.array(name).optional(),
  /** The layer that reads it on chip (tensor-buffer, dilation-map, fused). */
  reader: name.optional(),
  /** upsample: the stored tensor it is a view of. */
  of: name.optional(),
});

export const ExplainLayerSchema = z.strictObject({
  index: uint,
  name,
  op: z.string(),
  inputs: z.array(name),
  outputs: z.array(ExplainTensorSchema),
  macs: uint,
  passes: z.array(ExplainPassSchema),
  /** conv1x1: computed inside this dw3x3's PWDW passes. */
  fusedInto: name.optional(),
  /** dw3x3: the conv1x1 its PWDW passes compute. */
  fuses: name.optional(),
  /** The compiler's decisions for the layer and why (fusion, on-chip outputs, views). */
  notes: z.array(z.string()),
  ddr: DdrTrafficSchema,
  /** Predicted by the analytic performance model (src/perf). */
  cycles: z.number().min(0),
});

export const ExplainBufferSchema = z.strictObject({
  name,
  where,
  /** ddr: image offset (from the image base); tensor-buffer: byte offset in the tensor buffer. */
  offset: uint,
  bytes: uint,
  h: uint,
  w: uint,
  /** Channel groups (beats) per pixel. */
  gstride: uint,
  /** The packed graph input: pixels a beat (RGBX). */
  pixelsPerBeat: uint.optional(),
  /** input: the graph input; output: a layer's output; copy: a stored view; subsample: an offset conv's stride-2 input. */
  role: z.enum(['input', 'output', 'copy', 'subsample']),
  /** The layer whose passes write it (absent for the graph input). */
  writtenBy: name.optional(),
});

export const ExplanationSchema = z.strictObject({
  format: z.literal(EXPLAIN_FORMAT),
  version: z.literal(EXPLAIN_VERSION),
  model: z.string(),
  board: z.string(),
  clockMHz: z.number().positive(),
  lanes: uint,
  pwOutputs: uint,
  options: z.strictObject({ fuse: z.boolean(), chip: z.boolean(), pack: z.boolean() }),
  layers: z.array(ExplainLayerSchema),
  buffers: z.array(ExplainBufferSchema),
  totals: z.strictObject({
    passes: uint,
    descriptors: uint,
    copyPasses: uint,
    /** conv1x1 layers fused into their dw3x3 reader. */
    fused: uint,
    /** Dilation maps kept in the depthwise engine. */
    mapsOnChip: uint,
    /** Tensors kept in the on-chip tensor buffer. */
    tensorBuffer: uint,
    ddrBuffers: uint,
    /** Image regions (docs/memory-map.md). */
    imageBytes: uint,
    programBytes: uint,
    paramsBytes: uint,
    bufferBytes: uint,
    ddr: DdrTrafficSchema,
    cycles: z.number().min(0),
    fps: z.number().min(0),
  }),
});
export type Explanation = z.infer<typeof ExplanationSchema>;

/** DDR bytes one descriptor moves, as the read and write counters of the sequencer count them. */
export function descriptorTraffic(d: Descriptor, beat: number): DdrTraffic {
  const tensorRead = (d.in_h * d.src.reduce((a, s) => a + (s.chip ? 0 : s.width * s.gstride), 0) + d.map_beats) * beat;
  const tensorWritten = d.map_out || d.out_chip ? 0 : d.out_h * d.out_w * d.out_ng * beat;
  const params = (d.wgt_beats + d.sb_beats + d.pad_beats + d.dwgt_beats + d.dsb_beats) * beat;
  return { tensorRead, tensorWritten, params, program: DESCRIPTOR_BYTES + beat, read: tensorRead + params + DESCRIPTOR_BYTES, written: tensorWritten + beat };
}

const ZERO: DdrTraffic = { tensorRead: 0, tensorWritten: 0, params: 0, program: 0, read: 0, written: 0 };
const addTraffic = (a: DdrTraffic, b: DdrTraffic): DdrTraffic =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof DdrTraffic] + b[k as keyof DdrTraffic]])) as DdrTraffic;

/** The explanation of a compiled program (with the predicted cycles of `perf`, programPerf of it). */
export function explainCompiled(c: Compiled, perf: ModelPerf): Explanation {
  const { plan, map } = c;
  const { model, hw } = plan;
  const beat = map.beatBytes;
  const layerName = (i: number) => model.layers[i].name;
  const bufWhere = (b: PlanBuffer) => b.where;
  // Descriptor indices of each pass: the passes emit in plan order.
  let next = 0;
  const passIds = plan.passes.map((p) => {
    const ids = Array.from({ length: p.descriptors }, (_, k) => next + k);
    next += p.descriptors;
    return ids;
  });
  const explainPass = (p: Pass, i: number): z.infer<typeof ExplainPassSchema> => {
    const g = p.gather;
    const [outH, outW] = p.engine === 'pw' ? [g.inH, g.inW] : [p.outH, p.outW];
    const outG = p.engine === 'pw' ? p.gstride : p.engine === 'stem' ? p.tiles * p.ng : p.engine === 'pwdw' ? p.gstride : g.gin;
    return {
      engine: p.engine, purpose: p.purpose, ...(p.why ? { why: p.why } : {}), reads: p.reads, descriptors: passIds[i],
      sources: g.srcs.map((s) => ({ buffer: s.buf.name, where: bufWhere(s.buf), g0: s.g0, ng: s.ng })),
      upsample: g.up === 1, input: [g.inH, g.inW, g.gin], output: [outH, outW, outG],
      writes: p.out === 'map' ? { dilationMap: true } : { buffer: p.out.name, where: bufWhere(p.out) },
      ...(p.engine === 'pwdw' ? { fuses: layerName(p.pwLayer) } : {}),
    };
  };
  const tensorOf = new Map(plan.tensors.map((t) => [t.name, t]));
  const explainTensor = (t: string): z.infer<typeof ExplainTensorSchema> => {
    const p = tensorOf.get(t)!.placement;
    const buffers = (chans: Array<[string, number]>) => [...new Set(chans.map(([b]) => b))];
    switch (p.kind) {
      case 'stored': return { tensor: t, placement: 'ddr', buffers: buffers(p.channels) };
      case 'tensor-buffer': return { tensor: t, placement: 'tensor-buffer', buffers: buffers(p.channels), ...(p.reader >= 0 ? { reader: layerName(p.reader) } : {}) };
      case 'map': return { tensor: t, placement: 'dilation-map', reader: layerName(p.reader) };
      case 'fused': return { tensor: t, placement: 'fused', reader: layerName(p.reader) };
      case 'upsample': return { tensor: t, placement: 'upsample', of: p.of };
    }
  };
  const layerTraffic = map.layers.map((l) => l.descriptors.reduce((a, i) => addTraffic(a, descriptorTraffic(c.descriptors[i], beat)), ZERO));
  const layers = plan.layers.map((l, li): z.infer<typeof ExplainLayerSchema> => ({
    index: li, name: l.name, op: l.op, inputs: [...model.layers[li].inputs], outputs: model.layers[li].outputs.map(explainTensor), macs: l.macs,
    passes: l.passes.map((pi) => explainPass(plan.passes[pi], pi)),
    ...(l.fusedInto !== undefined ? { fusedInto: layerName(l.fusedInto) } : {}),
    ...(l.fuses !== undefined ? { fuses: layerName(l.fuses) } : {}),
    notes: [...l.notes], ddr: layerTraffic[li], cycles: perf.layers[li].cycles,
  }));
  const bufferBase = map.fileBytes;
  const buffers = plan.buffers.map((b): z.infer<typeof ExplainBufferSchema> => ({
    name: b.name, where: b.where, offset: b.where === 'ddr' ? bufferBase + b.off : b.off, bytes: b.bytes, h: b.h, w: b.w, gstride: b.gstride, role: b.role,
    ...(b.pixelsPerBeat ? { pixelsPerBeat: b.pixelsPerBeat } : {}),
    ...(b.layer >= 0 ? { writtenBy: layerName(b.layer) } : {}),
  }));
  const e: Explanation = {
    format: EXPLAIN_FORMAT, version: EXPLAIN_VERSION, model: model.name, board: hw.board, clockMHz: hw.clockMHz, lanes: hw.lanes, pwOutputs: hw.pwOutputs,
    options: { ...plan.options }, layers, buffers,
    totals: {
      passes: plan.passes.length, descriptors: c.descriptors.length, copyPasses: plan.passes.filter((p) => p.purpose === 'copy').length,
      fused: plan.layers.filter((l) => l.fusedInto !== undefined).length,
      mapsOnChip: plan.tensors.filter((t) => t.placement.kind === 'map').length,
      tensorBuffer: plan.tensors.filter((t) => t.placement.kind === 'tensor-buffer').length,
      ddrBuffers: plan.buffers.filter((b) => b.where === 'ddr').length,
      imageBytes: map.imageBytes, programBytes: c.descriptors.length * DESCRIPTOR_BYTES, paramsBytes: map.params.bytes, bufferBytes: plan.bufferBytes,
      ddr: layerTraffic.reduce(addTraffic, ZERO), cycles: perf.cycles, fps: perf.fps,
    },
  };
  return ExplanationSchema.parse(e);
}

const n = (v: number) => v.toLocaleString('en-US');
const kb = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} MB` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} kB` : `${v} B`);

/** The explanation as text: a header, one block per layer, the buffers, the totals. */
export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  const t = e.totals;
  out.push(`${e.model} on ${e.board} (${e.lanes} lanes x ${e.pwOutputs} outputs, ${e.clockMHz} MHz; fusion ${e.options.fuse ? 'on' : 'off'}, on-chip tensors ${e.options.chip ? 'on' : 'off'}, packed input ${e.options.pack ? 'on' : 'off'})`);
  out.push(`${e.layers.length} layers -> ${n(t.passes)} passes, ${n(t.descriptors)} descriptors (${t.copyPasses} copy pass${t.copyPasses === 1 ? '' : 'es'}); ${t.fused} 1x1 fused into their dw3x3, ${t.mapsOnChip} dilation maps and ${t.tensorBuffer} tensors kept on chip`);
  out.push('');
  for (const l of e.layers) {
    out.push(`[${l.index}] ${l.name} (${l.op})${l.macs ? `, ${n(l.macs)} MACs` : ''}`);
    for (const p of l.passes) {
      const ids = p.descriptors.length === 1 ? `#${p.descriptors[0]}` : `#${p.descriptors[0]}-#${p.descriptors[p.descriptors.length - 1]}`;
      const groups = (s: { g0: number; ng: number }) => (s.ng === 1 ? `group ${s.g0}` : `groups ${s.g0}..${s.g0 + s.ng - 1}`);
      const srcs = p.sources.map((s) => `${s.buffer}${s.where === 'tensor-buffer' ? ' (tensor buffer)' : ''} ${groups(s)}`).join(', ');
      const dst = 'dilationMap' in p.writes ? "the depthwise engine's dilation map" : `${p.writes.buffer}${p.writes.where === 'tensor-buffer' ? ' (tensor buffer)' : ''}`;
      const what = p.purpose === 'compute' ? '' : `${p.purpose} `;
      out.push(`    ${what}pass ${p.engine}${p.fuses ? ` (computes ${p.fuses})` : ''}: ${p.descriptors.length} descriptor${p.descriptors.length === 1 ? '' : 's'} ${ids}, ${p.input.join('x')} -> ${p.output.join('x')} (h x w x groups)`);
      out.push(`      reads ${p.reads}${p.upsample ? ' upsampled x2' : ''} from ${srcs}; writes ${dst}`);
      if (p.why) out.push(`      why: ${p.why}`);
    }
    for (const note of l.notes) out.push(`    ${note}`);
    for (const o of l.outputs) {
      const at = o.placement === 'ddr' ? `in DDR (${o.buffers!.join(', ')})`
        : o.placement === 'tensor-buffer' ? `in the tensor buffer (${o.buffers!.join(', ')})${o.reader ? ` for ${o.reader}` : ''}`
        : o.placement === 'dilation-map' ? `in the depthwise engine's map for ${o.reader}`
        : o.placement === 'fused' ? `never stored (fused into ${o.reader})`
        : `an upsampled view of ${o.of}`;
      out.push(`    -> ${o.tensor}: ${at}`);
    }
    if (l.passes.length)
      out.push(`    DDR: ${kb(l.ddr.tensorRead)} tensor read, ${kb(l.ddr.tensorWritten)} written, ${kb(l.ddr.params)} params; ${n(Math.round(l.cycles))} cycles (predicted)`);
  }
  out.push('');
  out.push(`buffers (${t.ddrBuffers} in DDR, offsets from the image base; the tensor buffer's from its start):`);
  const w = Math.max(4, ...e.buffers.map((b) => b.name.length));
  out.push(`  ${'name'.padEnd(w)}  ${'where'.padEnd(13)}  ${'offset'.padStart(10)}  ${'bytes'.padStart(10)}  ${'h x w x groups'.padEnd(14)}  role       written by`);
  for (const b of e.buffers)
    out.push(`  ${b.name.padEnd(w)}  ${b.where.padEnd(13)}  ${('0x' + b.offset.toString(16)).padStart(10)}  ${n(b.bytes).padStart(10)}  ${`${b.h}x${b.w}x${b.pixelsPerBeat ? `1/${b.pixelsPerBeat}` : b.gstride}`.padEnd(14)}  ${b.role.padEnd(9)}  ${b.writtenBy ?? '(graph input)'}`);
  out.push('');
  out.push(`image ${kb(t.imageBytes)}: program ${kb(t.programBytes)}, params ${kb(t.paramsBytes)}, buffers ${kb(t.bufferBytes)}`);
  out.push(`DDR per frame: ${kb(t.ddr.read)} read (${kb(t.ddr.tensorRead)} tensors, ${kb(t.ddr.params)} params), ${kb(t.ddr.written)} written; ${n(Math.round(t.cycles))} cycles, ${t.fps.toFixed(1)} FPS at ${e.clockMHz} MHz (analytic model)`);
  return out.join('\n') + '\n';
}
