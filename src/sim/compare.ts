/**
 * Element-by-element comparison of the tensors a run left in memory with the golden model's.
 * Tensors are checked in layer order, so the first mismatch names the first layer that went wrong.
 */
import type { Model } from '../ir/model.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import { onChipTensor, readTensor } from '../compiler/tensors.ts';
import { runGolden, type TensorData } from '../golden/run.ts';
import type { SimMismatch } from './report.ts';

export interface TensorDiff {
  /** Flat HWC index of the first differing element. */
  index: number;
  /** Differing elements. */
  count: number;
  /** The first differing element was X in a 4-state simulation. */
  unknown: boolean;
}

/** The first difference of two equally long tensors (X elements always differ), or undefined. */
export function diffTensor(expected: ArrayLike<number>, actual: ArrayLike<number>, xs?: ArrayLike<number>): TensorDiff | undefined {
  if (expected.length !== actual.length) throw new Error(`diffTensor: lengths ${expected.length} and ${actual.length} differ`);
  let index = -1, count = 0;
  for (let i = 0; i < expected.length; i++)
    if (expected[i] !== actual[i] || (xs && xs[i] !== 0)) {
      if (index < 0) index = i;
      count++;
    }
  return index < 0 ? undefined : { index, count, unknown: !!xs && xs[index] !== 0 };
}

export interface Comparison {
  tensors: number;
  elements: number;
  firstMismatch?: SimMismatch;
  /** Layers with at least one differing output tensor. */
  badLayers: Set<string>;
  /**
   * Tensors that stay on chip (no DDR copy to read): dilation maps, fused 1x1 outputs and tensors in the
   * tensor buffer, checked through the layer that reads them.
   */
  onChip: number;
}

/**
 * Compares the graph input(s) (the accelerator must not overwrite them) and every layer output,
 * in layer order, as read from `memory` through the memory map. `xMask` (4-state simulators)
 * marks bytes that were X: any X element of a tensor is a mismatch.
 */
export function compareWithGolden(model: Model, map: MemoryMap, memory: Uint8Array, golden: Map<string, TensorData>, xMask?: Uint8Array): Comparison {
  const r: Comparison = { tensors: 0, elements: 0, badLayers: new Set(), onChip: 0 };
  const check = (layer: string, op: string, tensor: string) => {
    if (onChipTensor(map, tensor)) { r.onChip++; return; }
    const want = golden.get(tensor);
    if (!want) throw new Error(`compareWithGolden: the golden run kept no tensor "${tensor}" (run it with keepAll)`);
    const got = readTensor(map, memory, tensor);
    const d = diffTensor(want, got, xMask && readTensor(map, xMask, tensor));
    r.tensors++;
    r.elements += want.length;
    if (!d) return;
    r.badLayers.add(layer);
    if (r.firstMismatch) return;
    const [, w, c] = model.tensors.get(tensor)!.shape;
    const px = Math.floor(d.index / c);
    r.firstMismatch = {
      layer, op, tensor, y: Math.floor(px / w), x: px % w, c: d.index % c,
      expected: want[d.index], actual: got[d.index], count: d.count, ...(d.unknown ? { unknown: true } : {}),
    };
  };
  for (const t of model.inputs) check('(graph input)', 'input', t);
  for (const l of model.layers) for (const t of l.outputs) check(l.name, l.op, t);
  return r;
}

/** Runs the golden model on `input` and compares (what tests, verify and the benchmark use). */
export function checkAgainstGolden(model: Model, map: MemoryMap, memory: Uint8Array, input: Int8Array, xMask?: Uint8Array): Comparison & { match: boolean } {
  const golden = runGolden(model, new Map([[model.inputs[0], input]]), { keepAll: true });
  const r = compareWithGolden(model, map, memory, golden, xMask);
  return { ...r, match: !r.firstMismatch };
}

export function describeMismatch(m: SimMismatch): string {
  const got = m.unknown ? 'X (undefined in the 4-state simulation)' : String(m.actual);
  return `layer "${m.layer}" (${m.op}) is the first that differs: tensor "${m.tensor}" at (y ${m.y}, x ${m.x}, c ${m.c}) is ${got}, the golden model says ${m.expected} (${m.count} element${m.count > 1 ? 's' : ''} of this tensor differ${m.count > 1 ? '' : 's'})`;
}
