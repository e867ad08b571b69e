import type { OpName } from './schema.ts';
import { OPS } from '../ops/index.ts';

/** A validated model in memory: decoded payloads, layers in topological order. */
export interface Tensor {
  name: string;
  shape: [number, number, number];
  kind: 'act' | 'dilation';
  /** act tensors only (1 and 0 for dilation maps). */
  scale: number;
  zero: number;
  /** One pad code per channel (a single code is expanded). */
  pad: Int8Array;
}

export interface QuantParams {
  /** stem: [Cout][3][3][Cin] int8; conv1x1/offset: [Cout][Cin] int4; dw: [C][9] int4, tap = ky*3+kx. */
  weights: Int8Array;
  weightDtype: 'int4' | 'int8';
  S: Int16Array;
  B: Int16Array;
  n: number;
}

export interface Layer {
  name: string;
  op: OpName;
  inputs: string[];
  outputs: string[];
  stride: number;
  relu: boolean;
  /** dw3x3: the constant dilation. */
  dilation: number;
  /** offset: largest dilation it emits. */
  dmax: number;
  quant?: QuantParams;
}

export interface Model {
  name: string;
  metadata: Record<string, unknown>;
  tensors: Map<string, Tensor>;
  layers: Layer[];
  inputs: string[];
  outputs: string[];
}

/** Multiply-accumulates a layer performs per output element (its fan-in; 0 for ops that move codes). */
export function fanIn(layer: Layer, model: Model): number {
  return OPS[layer.op].fanIn(model.tensors.get(layer.inputs[0])!.shape[2]);
}

export function tensorSize(t: Tensor): number {
  return t.shape[0] * t.shape[1] * t.shape[2];
}
