/**
 * Resource limits checked before any work (docs/ir.md section 13): a file that would need more is
 * refused with a UserError (exit 2) naming the file, the field and the limit, before anything is
 * allocated. Every zoo model is far inside them (the largest, codenet-e: 123 layers, 1,998,848
 * elements in the largest tensor, 56 MB of activations in all, a file of a few MB).
 */

/** Bytes of a model file (JSON). */
export const MAX_MODEL_FILE_BYTES = 256 * 2 ** 20;
/** Layers of a model (a 1,000,000-layer chain loads in seconds: loading is O(n log n)). */
export const MAX_LAYERS = 2 ** 20;
/** Declared tensors of a model. */
export const MAX_TENSORS = 2 ** 21;
/** Elements (H * W * C) of one tensor: 256 Mi int8 codes, 256 MiB. */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;
/** Bytes of all activation tensors together (one byte per element): 2 GiB. */
export const MAX_ACTIVATION_BYTES = 2 ** 31;
/** Nesting depth of `metadata` (objects and arrays inside it). */
export const MAX_METADATA_DEPTH = 64;

/** Bytes of a .npy file. */
export const MAX_NPY_FILE_BYTES = 2 ** 31 - 1;
/** Bytes of a .npy header (numpy writes 64 to a few hundred). */
export const MAX_NPY_HEADER_BYTES = 65536;
/** Nesting depth of a .npy header literal (numpy writes 2: a dict holding a tuple). */
export const MAX_NPY_HEADER_DEPTH = 16;
/** Dimensions of a .npy array (numpy 2 allows 64). */
export const MAX_NPY_DIMS = 64;

/** "268,435,456 (2^28)" style text of a limit, for messages. */
export function limitText(n: number): string {
  const log = Math.log2(n);
  const pow = Number.isInteger(log) ? ` (2^${log})` : Number.isInteger(Math.log2(n + 1)) ? ` (2^${Math.log2(n + 1)} - 1)` : '';
  return `${n.toLocaleString('en-US')}${pow}`;
}

/** The deepest nesting of arrays and objects in a JSON value, without recursion (stops past `cap`). */
export function jsonDepth(v: unknown, cap: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > cap) return max;
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push([c, depth]);
  }
  return max;
}
