/**
 * ONNX graph -> codenet float layers (graph.ts). Each supported node becomes the layer the integer
 * graph has for it, or folds into one (batch norm and ReLU into the conv before them, shape
 * arithmetic into constants, the offset computation into the deformable layer); any other node,
 * or a supported op with attributes the integer model cannot represent, is refused with a
 * UserError naming the node, its op and the attribute (docs/import.md lists what is accepted).
 */
import { fail } from '../util/errors.ts';
import { windowOut } from '../ops/index.ts';
import { FOLDABLE, foldNode, reshapeDims } from './fold.ts';
import type { Attr, Const, Node, OnnxModel } from './onnx.ts';
import type { BatchNorm, ConvLayer, DeformLayer, FLayer, FloatGraph, Ref, Shape } from './graph.ts';
import { offsetOp, squareOffsets, type OffsetValue } from './offsets.ts';
import { nameLayers, sanitize, scopeHint } from './names.ts';
import { checkSlices, nearestX2 } from './rules.ts';
import { dequantizeConst, fits, qdqQuantizer, QONNX_DOMAINS, qonnxQuantizer, quantizeConst, quantizerHint, sameQuantizer, weightHint, type ConstQuant, type Quantizer } from './quant.ts';
import type { QuantHints, QuantNote, QuantizerHint, WeightHint } from './hints.ts';

export const SUPPORTED = 'Conv (3x3 over the 3-channel image with pads 1 and stride 1, 2 or 4; 1x1 with stride 1; depthwise 3x3 with group = channels, stride 1 or 2 and pads = dilation), BatchNormalization and Relu or Clip(0, max) after a conv, MaxPool 3x3 stride 2 pads 1 (on a ReLU output, or of odd size), Concat and Split/Slice on channels, the Reshape-Transpose-Reshape channel shuffle with 2 groups, Resize/Upsample nearest x2, Pad (constant 0, height and width only) folded into the padding of the Conv or MaxPool after it, Identity, Dropout, DeformConv (group = channels, 3x3, stride 1) with square offsets from a 1x1 offset conv clamped to [0, dmax], codenet.DeformDepthwise, QuantizeLinear/DequantizeLinear pairs and QONNX Quant (the graph quantization, kept for codenet quantize), and shape arithmetic on constants';

interface Act { t: 'act'; src: Ref; shape: Shape; nonneg: boolean }
interface R5 { t: 'r5'; src: Act; groups: number; transposed: boolean }
/** A Pad node's output: folded into the padding of the Conv or MaxPool that reads it (pads [top, left, bottom, right]). */
interface Padded { t: 'pad'; src: Act; pads: number[]; value: number; node: Node }
/** The integer codes of a feature map out of QuantizeLinear (read only by the DequantizeLinear after it). */
interface QuantizedAct { t: 'q'; src: Act; q: Quantizer }
/** A constant; `wq`: it is the dequantization of codes (a quantized weight); `qcodes`: it holds codes of that quantizer (QuantizeLinear of a constant). */
interface ConstValue { t: 'const'; c: Const; wq?: ConstQuant; qcodes?: Quantizer }
type Value = Act | R5 | Padded | QuantizedAct | OffsetValue | ConstValue;

export interface Heads { hm?: string; wh?: string; reg?: string }
/** The graph's quantization, by float layer name (hints.ts), without the fields the writer adds. */
export type GraphQuant = Pick<QuantHints, 'weights' | 'activations' | 'input' | 'notes'>;
export interface LowerResult { graph: FloatGraph; notes: string[]; classes?: number; quant?: GraphQuant }

const isQuantNode = (n: Node) => (!n.domain && (n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear')) || (QONNX_DOMAINS.has(n.domain) && (n.op === 'Quant' || n.op === 'IntQuant'));
/** The ONNX code type of a QDQ quantizer (for a DequantizeLinear without a zero point). */
const qdqType = (q: Quantizer) => (q.bits === 8 ? (q.signed ? 3 : 2) : q.bits === 16 ? (q.signed ? 5 : 4) : 6);

export function lowerOnnx(m: OnnxModel, opts: { name: string; heads?: Heads }): LowerResult {
  const { file } = m;
  const notes: string[] = [];
  const refuse = (n: Node, what: string): never => fail(`${file}: node "${n.name || '(unnamed)'}" (${n.domain ? `${n.domain}.` : ''}${n.op}): ${what}. codenet imports: ${SUPPORTED} (docs/import.md)`);

  // The image input: one NCHW float tensor, square, static (a symbolic batch is taken as 1).
  if (m.inputs.length !== 1) fail(`${file}: the graph has ${m.inputs.length} inputs (${m.inputs.map((i) => i.name).join(', ') || 'none'}); codenet models take one image`);
  const gi = m.inputs[0];
  if (gi.elemType !== 1) fail(`${file}: input "${gi.name}" has ONNX element type ${gi.elemType}; codenet takes a float32 image`);
  if (gi.dims.length !== 4) fail(`${file}: input "${gi.name}" has shape [${gi.dims}]; codenet takes an NCHW image [1, C, H, W]`);
  const [n0, c0, h0, w0] = gi.dims;
  if ([c0, h0, w0].some((d) => typeof d !== 'number' || d < 1)) fail(`${file}: input "${gi.name}" has a dynamic shape [${gi.dims}]; export with a fixed image size (codenet compiles for one size)`);
  if (typeof n0 === 'number' && n0 !== 1) fail(`${file}: input "${gi.name}" has batch ${n0}; export with batch 1`);
  if (typeof n0 !== 'number') notes.push(`the input's batch dimension "${n0}" is dynamic: taken as 1`);
  if (h0 !== w0) fail(`${file}: input "${gi.name}" is ${h0}x${w0}; codenet takes square images`);
  const input: Shape = { h: h0 as number, w: w0 as number, c: c0 as number };

  // Nodes that reach an output, the producer of each tensor, and how often each is read (through Identity/Dropout).
  const producer = new Map<string, number>();
  m.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const needed = new Set<number>();
  const stack = [...m.outputs];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (p !== undefined && !needed.has(p)) { needed.add(p); stack.push(...m.nodes[p].inputs.filter(Boolean)); }
  }
  const isAlias = (n: Node) => !n.domain && (n.op === 'Identity' || n.op === 'Dropout');
  const canon = (t: string): string => { const p = producer.get(t); return p !== undefined && isAlias(m.nodes[p]) ? canon(m.nodes[p].inputs[0]) : t; };
  const reads = new Map<string, number[]>();
  const read = (t: string, by: number) => reads.set(canon(t), [...(reads.get(canon(t)) ?? []), by]);
  for (const i of needed) if (!isAlias(m.nodes[i])) m.nodes[i].inputs.filter(Boolean).forEach((t) => read(t, i));
  m.outputs.forEach((o) => read(o, -1));

  // Nodes that compute a DeformConv's offsets from the offset conv (evaluated by offsets.ts).
  const offsetLand = new Set<number>();
  for (const i of needed) {
    const n = m.nodes[i];
    if (n.domain || n.op !== 'DeformConv' || !n.inputs[2]) continue;
    const walk = [n.inputs[2]];
    while (walk.length) {
      const p = producer.get(walk.pop()!);
      if (p === undefined || offsetLand.has(p) || m.nodes[p].op === 'Conv') continue;
      offsetLand.add(p);
      walk.push(...m.nodes[p].inputs.filter(Boolean));
    }
  }

  const values = new Map<string, Value>([[gi.name, { t: 'act', src: 'input', shape: input, nonneg: false }]]);
  for (const [k, c] of m.initializers) values.set(k, { t: 'const', c });
  const layers: FLayer[] = [];
  const tail = new Map<FLayer, Act>();
  const offsetConvs = new Map<ConvLayer, string>();
  // The graph's quantizers: on feature maps (by the value they quantize), quantized constants not yet read by a conv, and what cannot be carried over.
  const actQ = new Map<Act, Quantizer[]>();
  const pendingW = new Map<ConstQuant, string>();
  const qnotes: QuantNote[] = [];
  let quantSeen = false;
  const addActQ = (a: Act, q: Quantizer) => actQ.set(a, [...(actQ.get(a) ?? []), q]);

  for (const [idx, n] of m.nodes.entries()) {
    if (!needed.has(idx)) continue;
    const attr = (k: string): Attr => n.attrs.get(k);
    const ints = (k: string, def: number[]) => (attr(k) as number[] | undefined) ?? def;
    const ins: Array<Value | undefined> = n.inputs.map((t) => {
      if (!t) return undefined;
      return values.get(t) ?? refuse(n, `reads tensor "${t}", which no earlier node, initializer or input produces`);
    });
    const set = (v: Value, k = 0) => values.set(n.outputs[k], v);
    const act = (k: number): Act => {
      const v = ins[k];
      if (v?.t === 'act') return v;
      if (v?.t === 'q') return refuse(n, `input ${k} ("${n.inputs[k]}") is the integer output of QuantizeLinear "${v.q.node}"; codenet reads QDQ graphs (QuantizeLinear then DequantizeLinear before each float op), not the QOperator format (QLinearConv, QLinearAdd, ...)`);
      if (v?.t === 'pad') return refuse(n, `input ${k} ("${n.inputs[k]}") is the output of Pad "${v.node.name}", which codenet folds only into the padding of a Conv or MaxPool that reads it`);
      return refuse(n, `input ${k} ("${n.inputs[k] ?? ''}") must be a feature map, it is ${!v ? 'missing' : v.t === 'const' ? 'a constant' : v.t === 'r5' ? 'a half-done channel shuffle' : 'the dilation map'}`);
    };
    /** Input k of a Conv or MaxPool, through a Pad node before it (folded into the op's padding). */
    const padded = (k: number): { x: Act; pre?: Padded } => {
      const v = ins[k];
      return v?.t === 'pad' ? { x: v.src, pre: v } : { x: act(k) };
    };
    /**
     * The op's explicit pads [top, left, bottom, right] plus those of a Pad node before it, and
     * the words that say so in a refusal. auto_pad is resolved on the padded size.
     */
    const withPad = (x: Act, pre: Padded | undefined, k: number[], s: number[], d: number[]): { pads: number[]; note: string } => {
      const shape = pre ? { ...x.shape, h: x.shape.h + pre.pads[0] + pre.pads[2], w: x.shape.w + pre.pads[1] + pre.pads[3] } : x.shape;
      const own = explicitPads(n, shape, k, s, d);
      if (!pre) return { pads: own, note: '' };
      return { pads: own.map((p, i) => p + pre.pads[i]), note: ` (Pad "${pre.node.name}" [${pre.pads}] folded into the ${n.op}'s own pads [${own}])` };
    };
    const cst = (k: number, what: string): Const => {
      const v = ins[k];
      if (v?.t === 'const') return v.c;
      return refuse(n, `${what} (input ${k}) must be a constant`);
    };
    const optC = (k: number) => (ins[k]?.t === 'const' ? (ins[k] as { c: Const }).c : undefined);
    /** The conv or deformable layer that `v` is the unshared output of, for batch norm and ReLU to fold into. */
    const fusable = (v: Act): ConvLayer | DeformLayer | undefined => {
      const l = v.src;
      if (l === 'input' || (l.kind !== 'conv' && l.kind !== 'deform') || tail.get(l) !== v) return undefined;
      return (reads.get(canon(n.inputs[0])) ?? []).length === 1 ? l : undefined;
    };
    const emit = <L extends FLayer>(l: L, nonneg = false): Act => {
      layers.push(l);
      const v: Act = { t: 'act', src: l, shape: l.shape, nonneg };
      tail.set(l, v);
      return v;
    };
    const hint = (suffix?: string) => scopeHint(n, idx, suffix);

    // An Identity of a constant keeps it as it is (a quantized weight keeps its quantizer).
    if (!n.domain && n.op === 'Identity' && ins[0]?.t === 'const') { set(ins[0]); continue; }
    // Constants in, constants out: shape arithmetic.
    if (!n.domain && FOLDABLE.has(n.op) && n.op !== 'Shape' && ins.every((v) => !v || v.t === 'const') && (ins.length || n.op === 'Constant')) {
      try {
        foldNode(n, ins.map((v) => (v?.t === 'const' ? v.c : undefined)), attr, m.opset).forEach((c, k) => set({ t: 'const', c }, k));
      } catch (e) {
        refuse(n, `constant folding failed: ${(e as Error).message}`);
      }
      continue;
    }
    if (!n.domain && n.op === 'Shape') {
      const v = ins[0];
      const dims = v?.t === 'act' ? [1, v.shape.c, v.shape.h, v.shape.w] : v?.t === 'const' ? v.c.dims : refuse(n, 'takes the shape of a tensor whose shape is not static');
      set({ t: 'const', c: foldNode(n, [{ dims, data: new Float64Array(0), int: false }], attr, m.opset)[0] });
      continue;
    }

    // The offset computation of a deformable layer.
    if (offsetLand.has(idx) && isQuantNode(n)) {
      quantSeen = true;
      qnotes.push({ what: `${n.op} "${n.name}"`, status: 'ignored', why: 'it quantizes the deformable offsets: codenet rounds the offset conv\'s output to an integer dilation instead (numerics.md section 6)' });
      set(ins[0] ?? refuse(n, 'has no input'));
      continue;
    }
    if (offsetLand.has(idx)) {
      const symbolic = ins.flatMap((v, k): Array<Const | OffsetValue> => {
        if (!v) return [];
        if (v.t === 'const') return [v.c];
        if (v.t === 'pre' || v.t === 'dx') return [v];
        if (v.t === 'act') return [offsetConvInput(v, n, n.inputs[k])];
        return refuse(n, v.t === 'pad' ? `reads the output of Pad "${v.node.name}"` : v.t === 'q' ? 'reads quantized codes' : 'reads a half-done channel shuffle');
      });
      let repeat: number | undefined, expandTo: number | undefined;
      if (n.op === 'Tile') repeat = cst(1, 'the repeats').data[1];
      if (n.op === 'Expand') expandTo = cst(1, 'the shape').data[1];
      const clip = n.op === 'Clip' ? clipBounds() : undefined;
      try {
        set(offsetOp(n.domain ? `${n.domain}.${n.op}` : n.op, symbolic, { clip, axis: n.op === 'Concat' ? Number(attr('axis')) + (Number(attr('axis')) < 0 ? 4 : 0) : undefined, repeat, expandTo }));
      } catch (e) {
        refuse(n, `computes deformable offsets that are not codenet's square ones: ${(e as Error).message}`);
      }
      continue;
    }

    function clipBounds(): [number, number] {
      const lo = m.opset >= 11 ? optC(1) : undefined, hi = m.opset >= 11 ? optC(2) : undefined;
      if ((n.inputs[1] && !lo) || (n.inputs[2] && !hi)) refuse(n, 'Clip bounds must be constants');
      return [lo ? lo.data[0] : Number(attr('min') ?? -Infinity), hi ? hi.data[0] : Number(attr('max') ?? Infinity)];
    }
    /** A raw offset map: the output of a 1x1 conv to one channel, read only by the offset computation. */
    function offsetConvInput(v: Act, at: Node, tensor: string): OffsetValue {
      const l = v.src;
      if (l === 'input' || l.kind !== 'conv' || tail.get(l) !== v) return refuse(at, 'the deformable offsets must come from a 1x1 conv with one output channel (the dilation map); here they come from another kind of layer (free, non-square offsets are not supported)');
      if (l.shape.c !== 1) return refuse(at, `the deformable offsets come from conv "${l.hint}" with ${l.shape.c} output channels: free (non-square) offsets, one per tap, are not supported; codenet's deformable layer takes one dilation per pixel from a 1x1 conv with one output channel`);
      if (l.kernel !== 1 || l.stride !== 1 || l.relu) return refuse(at, `the offset conv "${l.hint}" must be a 1x1 conv, stride 1, without ReLU`);
      if ((reads.get(canon(tensor)) ?? []).some((r) => r < 0 || !(offsetLand.has(r) || ['DeformDepthwise', 'DeformConv'].includes(m.nodes[r].op))))
        return refuse(at, `the offset conv "${l.hint}" output is also used as a feature map`);
      if (l.role !== 'offset') {
        l.role = 'offset';
        // Batch norm folds into the offset conv, which keeps a bias (the integer offset layer has no separate BN).
        const bias = l.bias ?? new Float32Array(1);
        if (l.bn) {
          const g = l.bn.gamma[0] / Math.sqrt(l.bn.variance[0] + l.bn.epsilon);
          l.weights = l.weights.map((w) => w * g);
          if (l.wq) l.wq.scale = l.wq.scale.map((s) => s * g); // the same codes, scaled as the weights
          bias[0] = l.bn.beta[0] + (bias[0] - l.bn.mean[0]) * g;
          l.bn = undefined;
        }
        l.bias = bias;
      }
      return { t: 'pre', conv: l, kv: 1, kr: 0, c: 0 };
    }
    function deform(x: Act, w: Const, offset: ConvLayer, dmax: number, bias: Const | undefined): void {
      const c = x.shape.c;
      if (offset.shape.h !== x.shape.h || offset.shape.w !== x.shape.w) refuse(n, `the offset map is ${offset.shape.h}x${offset.shape.w}, the input ${x.shape.h}x${x.shape.w}`);
      if (w.dims.join() !== [c, 1, 3, 3].join()) refuse(n, `weights of shape [${w.dims}]; a depthwise 3x3 deformable conv over ${c} channels has [${c}, 1, 3, 3]`);
      const weights = new Float32Array(9 * c);
      for (let ch = 0; ch < c; ch++) for (let t = 0; t < 9; t++) weights[t * c + ch] = w.data[ch * 9 + t];
      const base = hint().replace(/\.deform$/, '');
      const l: DeformLayer = { kind: 'deform', name: '', hint: `${base}.deform`, shape: x.shape, input: x.src, offset, dmax, weights, bias: bias ? Float32Array.from(bias.data) : undefined, wq: takeWeightQuant(1, 3, 'deform') };
      if (!offsetConvs.has(offset)) offsetConvs.set(offset, `${base}.offset`);
      set(emit(l));
    }

    if (n.domain === 'codenet' && n.op === 'DeformDepthwise') {
      const x = act(0), off = act(2);
      const dmax = Number(attr('dmax'));
      if (!Number.isInteger(dmax) || dmax < 1 || dmax > 15) refuse(n, `attribute dmax = ${attr('dmax')}; it must be an integer in 1..15`);
      if (Number(attr('stride') ?? 1) !== 1) refuse(n, `attribute stride = ${attr('stride')}; codenet's float deformable layer has stride 1`);
      if (off.shape.h !== x.shape.h || off.shape.w !== x.shape.w) refuse(n, 'the offset map and the input differ in size');
      const o = offsetConvInput(off, n, n.inputs[2]) as { conv: ConvLayer };
      deform(x, cst(1, 'the weight'), o.conv, dmax, optC(3));
      continue;
    }
    /** The graph's quantizer of the weight (input k) and bias (input b) of this node, taken (read by a conv). */
    function takeWeightQuant(k: number, b: number, role: Parameters<typeof weightHint>[1]): WeightHint | undefined {
      const [w, bias] = [ins[k], ins[b]].map((v) => (v?.t === 'const' ? v.wq : undefined));
      for (const q of [w, bias]) if (q) pendingW.delete(q);
      if (!w) {
        if (bias) qnotes.push({ what: `bias quantizer ${bias.q.node}`, status: 'ignored', why: `the bias of "${n.name}" is quantized but its weights are not; the dequantized bias is used` });
        return undefined;
      }
      return weightHint(w, role, bias?.q);
    }
    if (isQuantNode(n)) {
      quantSeen = true;
      quantNode();
      continue;
    }
    function quantNode(): void {
      const v = ins[0];
      const dims = v?.t === 'act' ? [1, v.shape.c, v.shape.h, v.shape.w] : v?.t === 'q' ? [1, v.src.shape.c, v.src.shape.h, v.src.shape.w] : v?.t === 'const' ? v.c.dims : undefined;
      if (!dims) return refuse(n, `input 0 ("${n.inputs[0]}") must be a feature map or a constant`);
      const make = (f: () => Quantizer): Quantizer => {
        try {
          const q = f();
          const why = fits(q, dims);
          if (why) throw new Error(why);
          return q;
        } catch (e) {
          return refuse(n, `a quantizer codenet does not read: ${(e as Error).message}`);
        }
      };
      const dequantized = (q: Quantizer, codes: Float64Array) => {
        const wq: ConstQuant = { q, codes, dims };
        pendingW.set(wq, n.name);
        set({ t: 'const', c: { dims, data: dequantizeConst(q, codes, dims), int: false }, wq });
      };
      if (n.op === 'QuantizeLinear') {
        const q = make(() => qdqQuantizer(n, cst(1, 'the scale'), optC(2), dims.length));
        if (n.inputs[2] && !optC(2)) refuse(n, 'the zero point (input 2) must be a constant');
        if (v?.t === 'act') return void set({ t: 'q', src: v, q });
        if (v?.t === 'const') return void set({ t: 'const', c: { dims, data: quantizeConst(q, v.c.data, dims), int: true }, qcodes: q });
        return refuse(n, `input 0 ("${n.inputs[0]}") must be a feature map or a constant`);
      }
      if (n.op === 'DequantizeLinear') {
        if (n.inputs[2] && !optC(2)) refuse(n, 'the zero point (input 2) must be a constant');
        const from = v?.t === 'q' ? v.q : v?.t === 'const' ? v.qcodes : undefined;
        if (v?.t === 'const' && !from && !v.c.int) refuse(n, `dequantizes a float constant ("${n.inputs[0]}"); DequantizeLinear reads integer codes`);
        const q = make(() => qdqQuantizer(n, cst(1, 'the scale'), optC(2), dims.length, from ? qdqType(from) : v?.t === 'const' ? v.c.type : undefined));
        if (from && !sameQuantizer(from, q)) refuse(n, `its scale or zero point differs from those of QuantizeLinear "${from.node}" before it (a requantization inside the graph); codenet reads QuantizeLinear/DequantizeLinear pairs with one quantizer`);
        const both = from ? { ...q, node: `${from.node} + ${n.name}` } : q;
        if (v?.t === 'q') {
          addActQ(v.src, both);
          return void set(v.src);
        }
        if (v?.t === 'const') {
          if (!from && [...v.c.data].some((c) => c < q.qmin || c > q.qmax)) refuse(n, `codes outside ${q.qmin}..${q.qmax}`);
          return dequantized(both, v.c.data);
        }
        return refuse(n, `input 0 ("${n.inputs[0]}") must be the output of a QuantizeLinear or an integer constant`);
      }
      // QONNX Quant(x, scale, zeropt, bitwidth): quantize and dequantize in one node.
      const q = make(() => qonnxQuantizer(n, cst(1, 'the scale'), cst(2, 'the zero point'), cst(3, 'the bit width'), dims));
      if (v?.t === 'act') {
        addActQ(v, q);
        return void set(v);
      }
      if (v?.t === 'const') return dequantized(q, quantizeConst(q, v.c.data, dims));
      return refuse(n, `input 0 ("${n.inputs[0]}") must be a feature map or a constant`);
    }
    if (QONNX_DOMAINS.has(n.domain)) refuse(n, `QONNX ${n.op} is not supported; codenet reads QONNX Quant (integer quantizers), not BipolarQuant, Trunc, FloatQuant or FINN's MultiThreshold`);
    if (n.domain) refuse(n, `operator domain "${n.domain}" is not supported (only codenet.DeformDepthwise, and QONNX Quant)`);

    switch (n.op) {
      case 'Identity': case 'Dropout': {
        if (n.op === 'Dropout' && (optC(2)?.data[0] ?? 0) !== 0) refuse(n, 'training_mode is true');
        if (n.outputs[1] && (reads.get(n.outputs[1]) ?? []).length) refuse(n, 'its mask output is used');
        set(ins[0] ?? refuse(n, 'has no input'));
        continue;
      }
      case 'Conv': {
        const { x, pre } = padded(0), w = cst(1, 'the weight');
        if (pre && pre.value !== 0) refuse(n, `it reads Pad "${pre.node.name}" with constant_value ${pre.value}; a conv's padding is zero`);
        const b = n.inputs[2] ? cst(2, 'the bias') : undefined;
        if (w.dims.length !== 4) refuse(n, `a ${w.dims.length - 2}-D convolution; codenet takes 2-D ones`);
        const [cout, cpg, kh, kw] = w.dims, group = Number(attr('group') ?? 1);
        const strides = ints('strides', [1, 1]), dil = ints('dilations', [1, 1]);
        const { pads, note: padNote } = withPad(x, pre, [kh, kw], strides, dil);
        const cin = x.shape.c;
        if (cpg * group !== cin) refuse(n, `weights [${w.dims}] with group ${group} do not fit ${cin} input channels`);
        const sq = (a: number[]) => a.every((v) => v === a[0]);
        if (!sq(strides) || !sq(dil) || !sq(pads) || kh !== kw) refuse(n, `kernel ${kh}x${kw}, strides [${strides}], dilations [${dil}], pads [${pads}]${padNote}: codenet's convs are square with the same padding on every side`);
        const [s, d, p] = [strides[0], dil[0], pads[0]];
        let role: ConvLayer['role'] = 'conv1x1';
        if (group === cin && cout === cin && kh === 3) {
          role = 'dw';
          if (s !== 1 && s !== 2) refuse(n, `depthwise conv with stride ${s}; codenet's have stride 1 or 2`);
          if (d < 1 || d > 15 || p !== d) refuse(n, `depthwise conv with dilation ${d} and pads ${p}${padNote}; codenet's depthwise 3x3 needs pads = dilation (the same size as its input at stride 1), dilation 1..15`);
          if (s === 2 && d !== 1) refuse(n, `depthwise conv with stride 2 and dilation ${d}; a strided one has dilation 1`);
        } else if (group === 1 && kh === 3 && cin === 3) {
          role = 'stem';
          if (x.src !== 'input') refuse(n, 'a full 3x3 conv must read the input image (it is the stem; other convs are 1x1 or depthwise)');
          if (![1, 2, 4].includes(s) || d !== 1 || p !== 1) refuse(n, `3x3 conv over 3 channels with stride ${s}, dilation ${d}, pads ${p}${padNote}; codenet's stem has stride 1, 2 or 4, dilation 1 and pads 1`);
        } else if (group === 1 && kh === 1) {
          role = 'conv1x1';
          if (s !== 1 || p !== 0) refuse(n, `1x1 conv with stride ${s} and pads ${p}${padNote}; codenet's 1x1 convs have stride 1 and no padding`);
        } else {
          refuse(n, `kernel ${kh}x${kw} with group ${group} over ${cin} channels to ${cout}: codenet has 3x3 convs over the 3-channel image (the stem), 1x1 convs and depthwise 3x3 convs (group = input channels = output channels)`);
        }
        // With the padding checked above (1x1: none, 3x3: pads = dilation), ONNX's output size is codenet's window size.
        const out = { h: windowOut(x.shape.h, s), w: windowOut(x.shape.w, s), c: cout };
        const weights = new Float32Array(w.data.length);
        // ONNX [cout][cin/group][ky][kx] -> TensorFlow [ky][kx][cin][cout] (depthwise [ky][kx][c][1]).
        for (let co = 0; co < cout; co++)
          for (let ci = 0; ci < cpg; ci++)
            for (let t = 0; t < kh * kw; t++)
              weights[role === 'dw' ? t * cout + co : (t * cin + ci) * cout + co] = w.data[(co * cpg + ci) * kh * kw + t];
        set(emit({ kind: 'conv', role, name: '', hint: hint(), shape: out, input: x.src, kernel: kh as 1 | 3, stride: s, dilation: d, pad: p, weights, bias: b ? Float32Array.from(b.data) : undefined, wq: takeWeightQuant(1, 2, role) }));
        continue;
      }
      case 'DeformConv': {
        const x = act(0), w = cst(1, 'the weight'), o = ins[2];
        if (o?.t !== 'dx') {
          if (o?.t === 'act') offsetConvInput(o, n, n.inputs[2]); // names the free offsets
          refuse(n, 'its offsets are not the square template times one clamped dilation map (free offsets are not supported)');
        }
        const dx = o as Extract<OffsetValue, { t: 'dx' }>;
        if (n.inputs[4] && !(optC(4)?.data.every((v) => v === 1))) refuse(n, 'it has a modulation mask; codenet\'s deformable layer has none');
        const group = Number(attr('group') ?? 1), og = Number(attr('offset_group') ?? 1);
        const strides = ints('strides', [1, 1]), dil = ints('dilations', [1, 1]);
        const pads = explicitPads(n, x.shape, [3, 3], strides, dil);
        if (group !== x.shape.c || og !== 1) refuse(n, `group ${group}, offset_group ${og}: codenet's deformable conv is depthwise (group = ${x.shape.c} channels) with one offset group`);
        if (strides.some((s) => s !== 1)) refuse(n, `strides [${strides}]; codenet's float deformable layer has stride 1`);
        if (dil[0] !== dil[1] || pads.some((p) => p !== dil[0])) refuse(n, `dilations [${dil}] and pads [${pads}]: the output must have the input's size (pads = dilation)`);
        const why = squareOffsets(dx, pads[0], dil[0]);
        if (why) refuse(n, `free (non-square) deformable offsets: ${why}; codenet samples the square (y + i d, x + j d)`);
        if (!dx.rounded) notes.push(`DeformConv "${n.name}": the graph does not round its dilation map; codenet rounds it (d = clamp(floor(v + 0.5), 0, ${dx.dmax}))`);
        deform(x, w, dx.conv, dx.dmax, optC(3));
        continue;
      }
      case 'BatchNormalization': {
        const x = act(0);
        if (Number(attr('training_mode') ?? 0)) refuse(n, 'training_mode = 1');
        if (n.outputs.slice(1).some((o) => o && (reads.get(o) ?? []).length)) refuse(n, 'its running statistics outputs are used');
        const l = fusable(x);
        if (!l || l.bn || l.relu) refuse(n, 'batch norm must directly follow a conv whose output nothing else reads (it folds into that conv)');
        const [g, beta, mean, v] = [1, 2, 3, 4].map((k) => cst(k, ['scale', 'bias', 'mean', 'variance'][k - 1]));
        const bn: BatchNorm = { gamma: Float32Array.from(g.data), beta: Float32Array.from(beta.data), mean: Float32Array.from(mean.data), variance: Float32Array.from(v.data), epsilon: Number(attr('epsilon') ?? 1e-5) };
        if ([bn.gamma, bn.beta, bn.mean, bn.variance].some((a) => a.length !== x.shape.c)) refuse(n, `parameters are not one per channel (${x.shape.c})`);
        if (l!.bias) { bn.mean = bn.mean.map((mu, i) => mu - l!.bias![i]); l!.bias = undefined; }
        l!.bn = bn;
        set(emit2(l!, false));
        continue;
      }
      case 'Relu': case 'Clip': {
        const x = act(0);
        const [lo, hi] = n.op === 'Relu' ? [0, Infinity] : clipBounds();
        if (lo !== 0 || !(hi > 0)) refuse(n, `Clip(${lo}, ${hi}); codenet represents only ReLU, Clip(0, max) with max > 0, after a conv`);
        const l = fusable(x);
        if (x.nonneg && hi === Infinity) { set(x); continue; } // ReLU of a map that is already >= 0
        if (!l) refuse(n, `${n.op === 'Relu' ? 'ReLU' : `Clip(0, ${hi})`} of a tensor that is not the unshared output of a conv: codenet applies ReLU only as a conv's output clamp`);
        const max = Math.min(l!.relu?.max ?? Infinity, hi);
        l!.relu = max === Infinity ? {} : { max };
        const y = emit2(l!, true);
        // A quantizer before the ReLU quantizes its output too: ReLU(dequantize(q)) = dequantize(max(q, zero point)).
        if (actQ.has(x)) { actQ.set(y, actQ.get(x)!); actQ.delete(x); }
        set(y);
        continue;
      }
      case 'MaxPool': {
        const { x, pre } = padded(0);
        if (n.outputs[1] && (reads.get(n.outputs[1]) ?? []).length) refuse(n, 'its indices output is used');
        const k = ints('kernel_shape', []), s = ints('strides', [1, 1]), d = ints('dilations', [1, 1]);
        if (k.join() !== '3,3' || s.join() !== '2,2' || d.join() !== '1,1') refuse(n, `kernel_shape [${k}], strides [${s}], dilations [${d}]; codenet's max pool is 3x3 with stride 2`);
        const { pads, note: padNote } = withPad(x, pre, [3, 3], s, d);
        // A Pad of -inf is the max pool's own padding (the border ignored); a Pad of 0 is the same only for inputs >= 0.
        if (pre && pre.value !== -Infinity && (pre.value !== 0 || !x.nonneg))
          refuse(n, `it reads Pad "${pre.node.name}" with constant_value ${pre.value} over values that ${x.nonneg ? 'are >= 0' : 'may be negative (they do not come from a ReLU)'}: codenet's max pool ignores the border, which equals padding with 0 only for inputs >= 0 (or with -inf)`);
        const size = (len: number, p0: number, p1: number) => (Number(attr('ceil_mode') ?? 0) ? Math.ceil : Math.floor)((len + p0 + p1 - 3) / 2) + 1;
        const down = (len: number) => windowOut(len, 2);
        if (pads[0] !== 1 || pads[1] !== 1 || size(x.shape.h, pads[0], pads[2]) !== down(x.shape.h) || size(x.shape.w, pads[1], pads[3]) !== down(x.shape.w))
          refuse(n, `pads [${pads}]${padNote}${attr('ceil_mode') ? `, ceil_mode ${attr('ceil_mode')}` : ''}; codenet's max pool pads 1 on each side (output floor((H - 1) / 2) + 1)`);
        // The integer max pool ignores the border. A zero pad does the same for inputs >= 0; TensorFlow's 'same' (symmetric on an odd size) for any.
        const same = !x.nonneg;
        if (same && x.shape.h % 2 === 0) refuse(n, `its input may be negative (it does not come from a ReLU) and has an even size (${x.shape.h}): codenet's float max pool then pads with zeros, which equals ignoring the border only for inputs >= 0`);
        set(emit({ kind: 'maxpool', name: '', hint: hint(n.name.endsWith('/MaxPool') ? undefined : 'pool'), shape: { h: down(x.shape.h), w: down(x.shape.w), c: x.shape.c }, input: x.src, same }, x.nonneg));
        continue;
      }
      case 'Pad': {
        const x = act(0);
        const mode = String(attr('mode') ?? 'constant');
        if (mode !== 'constant') refuse(n, `mode "${mode}"; codenet folds only a constant Pad (zeros) into the padding of the Conv or MaxPool after it`);
        if (n.inputs[2] && !optC(2)) refuse(n, 'constant_value must be a constant');
        const p = Array.from(cst(1, 'the pads').data), value = optC(2)?.data[0] ?? 0;
        const axes = n.inputs[3] ? Array.from(cst(3, 'the axes').data, (a) => (a < 0 ? a + 4 : a)) : [0, 1, 2, 3];
        if (p.length !== 2 * axes.length) refuse(n, `pads [${p}] for axes [${axes}]`);
        const full = new Array(8).fill(0); // NCHW begins, then ends
        axes.forEach((a, i) => { full[a] = p[i]; full[a + 4] = p[i + axes.length]; });
        if (full[0] || full[1] || full[4] || full[5]) refuse(n, `pads [${p}] pad the batch or channel axis; codenet folds only height and width padding into the op after it`);
        if (full.some((v) => v < 0)) refuse(n, `pads [${p}] crop (negative pads)`);
        if (full.every((v) => v === 0)) { set(x); continue; }
        set({ t: 'pad', src: x, pads: [full[2], full[3], full[6], full[7]], value, node: n });
        continue;
      }
      case 'Resize': case 'Upsample': {
        const x = act(0);
        const mode = String(attr('mode') ?? 'nearest');
        if (mode !== 'nearest') refuse(n, `mode "${mode}"; codenet upsamples by nearest neighbour`);
        const sc = n.op === 'Upsample' ? optC(1) : optC(2), sz = n.op === 'Resize' ? optC(3) : undefined;
        const axes = (attr('axes') as number[] | undefined)?.map((a) => (a < 0 ? a + 4 : a)) ?? [0, 1, 2, 3];
        const full = (c: Const | undefined, def: number) => { const r = [def, def, def, def]; if (c?.data.length) axes.forEach((a, i) => (r[a] = c.data[i])); return c?.data.length ? r : undefined; };
        const dims = [1, x.shape.c, x.shape.h, x.shape.w];
        const scales = full(sc, 1), sizes = full(sz, 0)?.map((v, i) => (v || dims[i]));
        if ((n.inputs[2] && !sc && n.op === 'Resize') || (n.inputs[3] && !sz)) refuse(n, 'scales and sizes must be constants');
        if (!scales && !sizes) refuse(n, 'has neither scales nor sizes');
        const outDims = sizes ?? dims.map((v, i) => Math.floor(v * scales![i]));
        if (outDims[0] !== 1 || outDims[1] !== x.shape.c || outDims[2] !== 2 * x.shape.h || outDims[3] !== 2 * x.shape.w)
          refuse(n, `resizes [${dims}] to [${outDims}]; codenet upsamples height and width by exactly 2`);
        const why = nearestX2(String(attr('coordinate_transformation_mode') ?? (n.op === 'Upsample' ? 'asymmetric' : 'half_pixel')), String(attr('nearest_mode') ?? (n.op === 'Upsample' ? 'floor' : 'round_prefer_floor')), x.shape.h, scales ? scales[2] : 2);
        if (why) refuse(n, why);
        set(emit({ kind: 'upsample', name: '', hint: hint(n.name.endsWith(`/${n.op}`) ? undefined : 'up'), shape: { h: 2 * x.shape.h, w: 2 * x.shape.w, c: x.shape.c }, input: x.src }, x.nonneg));
        continue;
      }
      case 'Concat': {
        const ax = Number(attr('axis'));
        if (ax !== 1 && ax !== -3) refuse(n, `axis ${ax}; codenet concatenates channels (axis 1)`);
        const xs = ins.map((_, k) => act(k));
        if (xs.some((v) => v.shape.h !== xs[0].shape.h || v.shape.w !== xs[0].shape.w)) refuse(n, 'its inputs differ in height or width');
        if (xs.length === 1) { set(xs[0]); continue; }
        const c = xs.reduce((a, v) => a + v.shape.c, 0);
        set(emit({ kind: 'concat', name: '', hint: hint(), shape: { ...xs[0].shape, c }, inputs: xs.map((v) => v.src) }, xs.every((v) => v.nonneg)));
        continue;
      }
      case 'Split': case 'Slice': {
        const x = act(0);
        const parts: Array<[number, number]> = [];
        if (n.op === 'Split') {
          const ax = Number(attr('axis') ?? 0);
          if (ax !== 1 && ax !== -3) refuse(n, `axis ${ax}; codenet splits channels (axis 1)`);
          const given = m.opset >= 13 ? (n.inputs[1] ? Array.from(cst(1, 'split').data) : undefined) : (attr('split') as number[] | undefined);
          const k = Number(attr('num_outputs') ?? n.outputs.length);
          const sizes = given ?? Array.from({ length: k }, (_, i) => Math.min(Math.ceil(x.shape.c / k), x.shape.c - i * Math.ceil(x.shape.c / k)));
          if (sizes.reduce((a, b) => a + b, 0) !== x.shape.c || sizes.some((v) => v < 1)) refuse(n, `split sizes [${sizes}] do not divide ${x.shape.c} channels into non-empty parts`);
          sizes.reduce((b, sz) => (parts.push([b, sz]), b + sz), 0);
        } else {
          const starts = Array.from(cst(1, 'starts').data), ends = Array.from(cst(2, 'ends').data);
          const axes = n.inputs[3] ? Array.from(cst(3, 'axes').data) : starts.map((_, i) => i);
          const steps = n.inputs[4] ? Array.from(cst(4, 'steps').data) : starts.map(() => 1);
          const dims = [1, x.shape.c, x.shape.h, x.shape.w];
          let range: [number, number] = [0, x.shape.c];
          axes.forEach((a0, i) => {
            const a = a0 < 0 ? a0 + 4 : a0, len = dims[a];
            const cl = (v: number) => Math.min(Math.max(v < 0 ? v + len : v, 0), len);
            const [b, e] = [cl(starts[i]), cl(ends[i])];
            if (steps[i] !== 1) refuse(n, `step ${steps[i]} on axis ${a}; codenet slices channels with step 1`);
            if (a === 1) range = [b, e];
            else if (b !== 0 || e !== len) refuse(n, `slices axis ${a} to [${b}, ${e}); codenet slices only channels`);
          });
          if (range[1] <= range[0]) refuse(n, `an empty channel range [${range}]`);
          parts.push([range[0], range[1] - range[0]]);
        }
        parts.forEach(([begin, c], k) => {
          if (begin === 0 && c === x.shape.c) return set(x, k);
          const suffix = n.op === 'Split' ? `split.${k}` : begin % c === 0 ? `split.${begin / c}` : undefined;
          set(emit({ kind: 'slice', name: '', hint: hint(suffix), shape: { ...x.shape, c }, input: x.src, begin, node: n.name }, x.nonneg), k);
        });
        continue;
      }
      case 'Reshape': case 'Transpose': {
        const v = ins[0];
        if (n.op === 'Transpose') {
          const perm = ints('perm', [4, 3, 2, 1, 0]);
          if (v?.t === 'r5' && !v.transposed && perm.join() === '0,2,1,3,4') { set({ ...v, transposed: true }); continue; }
          if (v?.t === 'act' && perm.join() === '0,1,2,3') { set(v); continue; }
          refuse(n, `perm [${perm}]; codenet transposes only inside the channel shuffle (Reshape to [1, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape back)`);
        }
        const x = v?.t === 'act' ? v : v?.t === 'r5' ? v.src : act(0);
        const target = Array.from(cst(1, 'the shape').data);
        const from = v?.t === 'r5' ? [1, v.groups, x.shape.c / v.groups, x.shape.h, x.shape.w] : [1, x.shape.c, x.shape.h, x.shape.w];
        let to: number[] = [];
        try { to = reshapeDims(from, target, Number(attr('allowzero') ?? 0) === 1); } catch (e) { refuse(n, (e as Error).message); }
        const same = (a: number[], b: number[]) => a.join() === b.join();
        const nchw = [1, x.shape.c, x.shape.h, x.shape.w];
        if (v?.t === 'act' && to.length === 5 && to[0] === 1 && to[1] * to[2] === x.shape.c && to[3] === x.shape.h && to[4] === x.shape.w) { set({ t: 'r5', src: x, groups: to[1], transposed: false }); continue; }
        if (v?.t === 'act' && same(to, nchw)) { set(v); continue; }
        if (v?.t === 'r5' && same(to, nchw)) {
          if (!v.transposed) { set(v.src); continue; }
          if (v.groups !== 2) refuse(n, `a channel shuffle with ${v.groups} groups; codenet's has 2`);
          set(emit({ kind: 'shuffle', name: '', hint: hint('shuffle'), shape: x.shape, input: x.src }, x.nonneg));
          continue;
        }
        refuse(n, `reshapes [${from}] to [${to}]; codenet reshapes only inside the channel shuffle (Reshape to [1, g, C/g, H, W], Transpose [0, 2, 1, 3, 4], Reshape back)`);
        continue;
      }
      default:
        if (/^QLinear|^(Conv|MatMul)Integer$|^DynamicQuantizeLinear$/.test(n.op)) refuse(n, `operator ${n.op} is the QOperator format of a quantized graph; codenet reads QDQ graphs (QuantizeLinear then DequantizeLinear before each float op: onnxruntime's quantize_static with QuantFormat.QDQ, or PyTorch's export of fake quantization)`);
        refuse(n, `operator ${n.op}${n.attrs.size ? ` (attributes ${[...n.attrs.keys()].join(', ')})` : ''} is not supported`);
    }
  }

  /** The new output of layer `l` after batch norm or ReLU folded into it. */
  function emit2(l: ConvLayer | DeformLayer, nonneg: boolean): Act {
    const v: Act = { t: 'act', src: l, shape: l.shape, nonneg };
    tail.set(l, v);
    return v;
  }

  // Outputs: the CenterNet heads first (hm, wh, reg), then the others in graph order.
  const outVals = m.outputs.map((o) => {
    const v = values.get(o);
    if (v?.t !== 'act') fail(`${file}: graph output "${o}" is ${!v ? 'not computed' : v.t === 'const' ? 'a constant' : 'not a feature map'}; codenet's outputs are feature maps`);
    if (v.src === 'input') fail(`${file}: graph output "${o}" is the input image itself`);
    return v;
  });
  const fixed = new Map<FLayer, string>();
  const headNames = (['hm', 'wh', 'reg'] as const).map((k) => opts.heads?.[k] ?? (m.outputs.includes(k) ? k : undefined));
  let classes: number | undefined;
  const order: number[] = [];
  if (opts.heads && headNames.some((h) => !h)) fail(`--heads must name all of hm, wh and reg`);
  if (headNames.every(Boolean)) {
    headNames.forEach((h, k) => {
      const i = m.outputs.indexOf(h!);
      if (i < 0) fail(`${file}: --heads ${['hm', 'wh', 'reg'][k]}=${h}: the graph has no output "${h}" (its outputs: ${m.outputs.join(', ')})`);
      const src = outVals[i].src as FLayer;
      if (fixed.has(src) || order.includes(i)) fail(`${file}: heads ${['hm', 'wh', 'reg'][k]} and another head are the same tensor`);
      fixed.set(src, ['hm', 'wh', 'reg'][k]);
      order.push(i);
    });
    const [hm, wh, reg] = order.map((i) => outVals[i].shape);
    classes = hm.c;
    for (const [k, s] of [['wh', wh], ['reg', reg]] as const) {
      if (s.c !== 2) fail(`${file}: the ${k} head "${headNames[k === 'wh' ? 1 : 2]}" has ${s.c} channels; a CenterNet ${k} map has 2`);
      if (s.h !== hm.h || s.w !== hm.w) fail(`${file}: the ${k} head is ${s.h}x${s.w}, hm is ${hm.h}x${hm.w}`);
    }
  } else {
    notes.push(`no CenterNet heads: the graph's outputs (${m.outputs.join(', ')}) are not named hm, wh and reg; give --heads hm=NAME,wh=NAME,reg=NAME for train and eval`);
  }
  m.outputs.forEach((o, i) => {
    if (order.includes(i)) return;
    order.push(i);
    const src = outVals[i].src as FLayer;
    if (!fixed.has(src)) fixed.set(src, sanitize(o));
  });
  for (const [l, name] of offsetConvs) if (!fixed.has(l)) l.hint = name;
  checkSlices(file, SUPPORTED, input, layers, order.map((i) => outVals[i].src));
  if (input.c !== 3) notes.push(`the input has ${input.c} channel(s): quantize, train and eval take RGB images (3)`);
  nameLayers(layers, fixed);
  const quant = quantSeen ? graphQuant() : undefined;
  if (quant) notes.push(`the graph is quantized: ${Object.keys(quant.weights).length} weight and ${Object.keys(quant.activations).length} activation quantizer(s) kept for codenet quantize${quant.notes.length ? `; ${quant.notes.length} not carried over (see quantize's report)` : ''}`);
  return { graph: { name: opts.name, input, layers, outputs: order.map((i) => outVals[i].src) }, notes, classes, quant };

  /** The graph's quantizers by float layer name, and what cannot be carried over. */
  function graphQuant(): GraphQuant {
    const weights: Record<string, WeightHint> = {};
    const activations: Record<string, QuantizerHint> = {};
    let inputQ: QuantizerHint | undefined;
    for (const l of layers) if ((l.kind === 'conv' || l.kind === 'deform') && l.wq) weights[l.name] = l.wq;
    for (const [a, qs] of actQ) {
      const q = qs[0];
      const what = `quantizer ${q.node}`;
      if (qs.some((o) => !sameQuantizer(o, q))) qnotes.push({ what, status: 'approximated', why: `the tensor has ${qs.length} different quantizers (${qs.map((o) => o.node).join(', ')}); the first is used` });
      if (a.src === 'input') { inputQ = quantizerHint(q, 1); continue; }
      const l = a.src;
      if (tail.get(l) !== a) qnotes.push({ what, status: 'ignored', why: `it quantizes the output of conv "${l.name}" before its batch norm, which codenet folds into the conv: the integer layer requantizes once, after the batch norm and ReLU` });
      else if (l.kind === 'conv' && l.role === 'offset') qnotes.push({ what, status: 'ignored', why: `it quantizes the offsets of "${l.name}", which codenet rounds to an integer dilation (numerics.md section 6)` });
      else activations[l.name] = quantizerHint(q, 1);
    }
    for (const [wq, node] of pendingW) qnotes.push({ what: `quantizer ${wq.q.node}`, status: 'ignored', why: `node "${node}" quantizes a constant that is not a conv's weight or bias (dequantized as it is)` });
    return { weights, activations, ...(inputQ ? { input: inputQ } : {}), notes: qnotes };
  }

  /** Explicit pads [top, left, bottom, right] from pads or auto_pad. */
  function explicitPads(n: Node, x: Shape, k: number[], s: number[], d: number[]): number[] {
    const auto = String(n.attrs.get('auto_pad') ?? 'NOTSET');
    if (auto === 'NOTSET') return (n.attrs.get('pads') as number[] | undefined) ?? [0, 0, 0, 0];
    if (auto === 'VALID') return [0, 0, 0, 0];
    const total = [x.h, x.w].map((len, i) => Math.max((Math.ceil(len / s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - len, 0));
    const begin = total.map((t) => (auto === 'SAME_LOWER' ? Math.ceil(t / 2) : Math.floor(t / 2)));
    return [begin[0], begin[1], total[0] - begin[0], total[1] - begin[1]];
  }
}
