/**
 * Conformance against the CoDeNet authors' own HLS test vectors (3x3 depthwise, 32x32x64).
 * The vectors live outside the repository (../shared/conformance/codenet-hls-dw3x3, see its
 * README.md) and are never copied in. Missing vectors skip these tests locally and fail them on CI.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { depthwise3x3 } from '../src/golden/kernels.ts';
import { ModelSchema } from '../src/ir/schema.ts';
import { encodePayload } from '../src/ir/payload.ts';
import { validateModel } from '../src/ir/load.ts';
import { runGolden } from '../src/golden/run.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VECTORS = resolve(projectRoot, '../shared/conformance/codenet-hls-dw3x3');
const present = existsSync(VECTORS);
const onCI = !!process.env.CI;

const H = 32, W = 32, C = 64, LANES = 16, N = 16;

if (!present) {
  console.warn(`conformance: test vectors not found at ${VECTORS}; ${onCI ? 'failing (CI is set)' : 'skipping the conformance tests'}`);
}

/** Reads a vector file: one decimal integer per line, exactly `count` of them within [min, max]. */
function readInts(file: string, count: number, min: number, max: number): number[] {
  const p = join(VECTORS, file);
  const lines = readFileSync(p, 'utf8').split('\n');
  if (lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length !== count) throw new Error(`${p}: ${lines.length} values, expected ${count}`);
  return lines.map((l, i) => {
    const s = l.trim();
    if (!/^-?\d+$/.test(s)) throw new Error(`${p}:${i + 1}: not an integer: ${JSON.stringify(l)}`);
    const v = Number(s);
    if (v < min || v > max) throw new Error(`${p}:${i + 1}: ${v} is outside [${min}, ${max}]`);
    return v;
  });
}

interface Vectors {
  input: Int8Array;
  /** [C][9], tap = ky*3 + kx. */
  weights: Int8Array;
  S: Int16Array;
  B: Int16Array;
  partial: Int32Array;
  output: Int8Array;
}

let cached: Vectors | undefined;
function vectors(): Vectors {
  if (cached) return cached;
  const input = Int8Array.from(readInts('input.txt', H * W * C, -128, 127));
  const w3 = readInts('weight3.txt', C * 9, -8, 7);
  // weight3 is [C/16][tap][16 lanes]; ours is [C][tap].
  const weights = new Int8Array(C * 9);
  for (let g = 0; g < C / LANES; g++)
    for (let t = 0; t < 9; t++)
      for (let l = 0; l < LANES; l++) weights[(g * LANES + l) * 9 + t] = w3[(g * 9 + t) * LANES + l];
  const quant = readInts('quant.txt', 2 * C, -32768, 32767);
  const S = Int16Array.from(quant.slice(0, C));
  const B = Int16Array.from(quant.slice(C));
  const partial = Int32Array.from(readInts('partial.txt', H * W * C, -(2 ** 31), 2 ** 31 - 1));
  const output = Int8Array.from(readInts('output.txt', H * W * C, -128, 127));
  cached = { input, weights, S, B, partial, output };
  return cached;
}

/** Number of differing elements and a description of the first one (NHWC index and coordinates). */
function compare(got: ArrayLike<number>, want: ArrayLike<number>, what: string): { count: number; first: string } {
  expect(got.length).toBe(want.length);
  let count = 0;
  let first = `no ${what} mismatch`;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      if (count === 0) {
        const c = i % C, x = Math.floor(i / C) % W, y = Math.floor(i / (C * W));
        first = `first ${what} mismatch at index ${i} (y=${y}, x=${x}, c=${c}): got ${got[i]}, expected ${want[i]}`;
      }
      count++;
    }
  }
  return { count, first };
}

it.runIf(!present && onCI)('conformance vectors are present (required on CI)', () => {
  expect.fail(`the CoDeNet conformance vectors are missing: looked for the folder ${VECTORS} (resolved from the project root ${projectRoot} as ../shared/conformance/codenet-hls-dw3x3)`);
});

describe.skipIf(!present)('CoDeNet HLS 3x3 depthwise vectors (32x32x64)', () => {
  it('depthwise3x3 reproduces all 65536 accumulators and all 65536 outputs', () => {
    const v = vectors();
    const y = new Int8Array(H * W * C);
    const acc = new Int32Array(H * W * C).fill(0x7fffffff); // a value the kernel must overwrite
    const pad = new Int8Array(C).fill(-128);
    depthwise3x3(v.input, H, W, C, 1, null, 1, v.weights, pad, { S: v.S, B: v.B, n: N, lo: -128 }, y, acc);

    const a = compare(acc, v.partial, 'accumulator');
    expect(a.count, `${a.count} of ${acc.length} accumulators differ from partial.txt; ${a.first}`).toBe(0);
    const o = compare(y, v.output, 'output');
    expect(o.count, `${o.count} of ${y.length} outputs differ from output.txt; ${o.first}`).toBe(0);
  });

  it('a one-layer IR model run by runGolden reproduces output.txt exactly', () => {
    const v = vectors();
    const def: z.input<typeof ModelSchema> = {
      format: 'codenet-ir',
      version: 1,
      metadata: { name: 'codenet-hls-dw3x3', inputSize: [H, W] },
      inputs: ['x'],
      outputs: ['y'],
      tensors: {
        x: { shape: [H, W, C], kind: 'act', scale: 1, zero: 0, pad: -128 },
        y: { shape: [H, W, C], kind: 'act', scale: 1, zero: 0, pad: -128 },
      },
      layers: [{
        name: 'dw', op: 'dw3x3', inputs: ['x'], outputs: ['y'], stride: 1, dilation: 1, relu: false,
        weights: encodePayload('int4', [C, 9], v.weights),
        S: encodePayload('int16', [C], v.S),
        B: encodePayload('int16', [C], v.B),
        n: N,
      }],
    };
    // Through JSON text, as a model file would arrive.
    const json: unknown = JSON.parse(JSON.stringify(ModelSchema.parse(def)));
    const model = validateModel(json, 'conformance dw3x3 model');
    const accs = new Map<string, Int32Array>();
    const out = runGolden(model, new Map([['x', v.input]]), { accumulators: accs });
    const y = out.get('y');
    expect(y).toBeInstanceOf(Int8Array);

    const o = compare(y!, v.output, 'output');
    expect(o.count, `${o.count} of ${y!.length} outputs differ from output.txt; ${o.first}`).toBe(0);
    const a = compare(accs.get('y')!, v.partial, 'accumulator');
    expect(a.count, `${a.count} accumulators differ from partial.txt; ${a.first}`).toBe(0);
  });
});
