/**
 * What codenet knows about one IR op, in one object (docs/architecture.md, "One module per op"):
 * shape inference, validation, the golden kernel, the MAC count, the quantization rule and the
 * facts the compiler lowers by. src/ops/index.ts holds one OpDef per op; every other module asks
 * it instead of switching on the op name.
 */
import type { Layer, Model, QuantParams, Tensor } from '../ir/model.ts';
import type { OpName } from '../ir/schema.ts';
import type { Requant } from '../golden/kernels.ts';
import type { TensorData } from '../golden/run.ts';

export type Shape3 = [number, number, number];
/** Stops with a message (the IR loader's prefixes the file name; a builder's prefixes nothing). */
export type Err = (msg: string) => never;
/** What shape inference reads of an input tensor. */
export type TensorInfo = Pick<Tensor, 'name' | 'shape' | 'kind'>;
/** What shape inference and validation read of a layer. */
export type LayerInfo = Pick<Layer, 'name' | 'op' | 'stride' | 'dilation' | 'dmax' | 'relu'>;

/** The weights of an op that has them: it then has S, B and n and requantizes its accumulator. */
export interface WeightRule {
  /** Payload dtype of the codes: the stem's int8 (it reads the image), int4 elsewhere (numerics.md). */
  dtype: 'int4' | 'int8';
  /** The code range of that dtype. */
  qmin: number;
  qmax: number;
  /** IR weight order: 'full3x3' [Cout][3][3][Cin], 'pointwise' [Cout][Cin], 'depthwise' [C][9] (tap = ky*3+kx). */
  layout: 'full3x3' | 'pointwise' | 'depthwise';
  /** The IR payload shape for `cin` input and `cout` output channels. */
  shape(cin: number, cout: number): number[];
  /** The TensorFlow.js kernel shape of the float layer it folds from. */
  floatKernel(cin: number, cout: number): number[];
  /** The input zero code per fan-in element is the image's per-channel mean (the stem), not one tensor zero. */
  readsImage: boolean;
}

/** The arguments of a golden kernel call, prepared once by src/golden/run.ts. */
export interface KernelCall {
  model: Model;
  layer: Layer;
  values: Map<string, TensorData>;
  /** First input and output tensors, the first input's codes and [H, W, C]. */
  xT: Tensor;
  yT: Tensor;
  x: Int8Array;
  h: number;
  w: number;
  c: number;
  /** The (first) output's codes, allocated by the caller. */
  y: Int8Array;
  /** Raw accumulators of the output, when recorded. */
  acc?: Int32Array;
  /** The layer's quantization (ops with weights). */
  q: QuantParams;
  /** The requantizer: S, B, n and the lower clamp (the output zero with ReLU). */
  rq(): Requant;
}

/**
 * The accelerator engine an op runs on (src/compiler/plan.ts lowers it there; the report's engine
 * rows read it): the 1x1 array, the depthwise engine, the stem, or none (a view of its inputs'
 * channel maps, stored by a copy pass where needed).
 */
export type Engine = 'pw' | 'dw' | 'stem' | 'view';

export interface OpDef<N extends OpName = OpName> {
  name: N;
  /** [inputs, outputs]: n exactly, or -n for at least n. */
  arity: readonly [number, number];
  /** Inputs checked to be activations (dwdeform's second is its dilation map); all when undefined. */
  dataInputs?: number;
  /** Kind of every output tensor. */
  outputKind: Tensor['kind'];
  /**
   * Shape inference: the output shapes of `l` on `inputs`, window sizes from windowOut (shape.ts,
   * the one copy of the formula). `channels` gives the output channels an op cannot infer (a conv's Cout, a split's
   * parts); ops that infer them ignore it. A bad input stops through `err`, naming the layer.
   */
  outputShapes(l: LayerInfo, inputs: readonly TensorInfo[], channels: readonly number[], err: Err): Shape3[];
  /** IR load checks beyond arity and input kinds (docs/ir.md "Layer rules"): output shapes, shared quantizers. */
  validate(l: LayerInfo, ins: readonly Tensor[], outs: readonly Tensor[], err: Err): void;
  /** The golden kernel: the output codes (a dilation map for offset). */
  run(k: KernelCall): TensorData[];
  /** Multiply-accumulates per output element (its fan-in) for `cin` input channels; 0 without arithmetic. */
  fanIn(cin: number): number;
  /** Weights, S, B, n and a requantizer; undefined: the op only moves codes, its tensors share one quantizer. */
  weights?: WeightRule;
  engine: Engine;
  /** The op's own fields in the model file, in file key order (src/ir/save.ts). */
  fileFields(l: Layer): Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Shape and check helpers shared by the op modules.

export { windowOut } from './shape.ts';

/** How messages name a layer. */
export const at = (l: Pick<LayerInfo, 'name' | 'op'>): string => `layer "${l.name}" (${l.op})`;

/** A tensor of kind `kind` and shape `want`, or `err` naming it. */
export function expectTensor(l: LayerInfo, t: TensorInfo, want: Shape3, err: Err, kind: Tensor['kind'] = 'act'): void {
  if (t.kind !== kind) err(`${at(l)}: tensor "${t.name}" must be ${kind === 'act' ? 'an activation' : 'a dilation map'}`);
  if (t.shape[0] !== want[0] || t.shape[1] !== want[1] || t.shape[2] !== want[2]) err(`${at(l)}: tensor "${t.name}" has shape [${t.shape}], expected [${want}]`);
}

/** Every output has the shape and kind inference gives. */
export function expectOutputs(op: OpDef, l: LayerInfo, ins: readonly Tensor[], outs: readonly Tensor[], err: Err): void {
  const want = op.outputShapes(l, ins, outs.map((o) => o.shape[2]), err);
  for (let i = 0; i < outs.length; i++) expectTensor(l, outs[i], want[i], err, op.outputKind);
}

/** Ops that move codes keep them: input and output share scale and zero code. */
export function sameQuant(l: LayerInfo, a: Tensor, b: Tensor, err: Err): void {
  if (a.scale !== b.scale || a.zero !== b.zero)
    err(`${at(l)}: tensors "${a.name}" (s=${a.scale}, z=${a.zero}) and "${b.name}" (s=${b.scale}, z=${b.zero}) must share scale and zero code`);
}

/** An op with no file fields besides name, inputs and outputs (and its payloads, which src/ir/save.ts adds). */
export const noFields = (): Record<string, unknown> => ({});
