import type { Model } from '../ir/model.ts';
import type { MemoryMap } from '../compiler/memory-map.ts';
import { readTensor } from '../compiler/tensors.ts';
import { runGolden } from '../golden/run.ts';

/**
 * Compares every tensor of a run (read back from the dumped image through the memory map) with the
 * golden model, in layer order, so the first mismatch names the layer that went wrong first.
 */
export interface Mismatch {
  layer: string;
  op: string;
  tensor: string;
  y: number;
  x: number;
  c: number;
  expected: number;
  actual: number;
  /** Elements of this tensor that differ. */
  count: number;
}

export interface CheckResult {
  match: boolean;
  tensors: number;
  elements: number;
  firstMismatch?: Mismatch;
}

export function checkAgainstGolden(model: Model, map: MemoryMap, memory: Uint8Array, input: Int8Array): CheckResult {
  const golden = runGolden(model, new Map([[model.inputs[0], input]]), { keepAll: true });
  let tensors = 0, elements = 0;
  for (const l of model.layers)
    for (const name of l.outputs) {
      const want = golden.get(name)!;
      const got = readTensor(map, memory, name);
      tensors++;
      elements += want.length;
      let first = -1, count = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) { if (first < 0) first = i; count++; }
      if (first >= 0) {
        const [, w, c] = model.tensors.get(name)!.shape;
        const px = Math.floor(first / c);
        return {
          match: false, tensors, elements,
          firstMismatch: { layer: l.name, op: l.op, tensor: name, y: Math.floor(px / w), x: px % w, c: first % c, expected: want[first], actual: got[first], count },
        };
      }
    }
  return { match: true, tensors, elements };
}

export function describeMismatch(m: Mismatch): string {
  return `layer "${m.layer}" (${m.op}) is the first that differs: tensor "${m.tensor}" at (y ${m.y}, x ${m.x}, c ${m.c}) is ${m.actual}, the golden model says ${m.expected} (${m.count} elements of this tensor differ)`;
}
