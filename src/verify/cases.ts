import type { Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { cachedZooModel } from '../zoo/cache.ts';
import { imageCodes, randomImage } from '../zoo/image.ts';
import { ModelBuilder } from './builder.ts';

/**
 * The bit-exact regression of `codenet verify`: random single-layer models of every op, of the
 * fused 1x1 -> dw3x3 pair and of a dw3x3 -> 1x1 pair through the tensor buffer (strides, d = 0 and d = dmax, odd sizes, channel counts that are not a multiple of the lanes, saturating and
 * non-saturating S/B) and whole zoo models. Every case has a fixed seed, listed in the report, so a
 * failure reproduces with `codenet verify --case <name>`.
 */
export interface VerifyCase {
  name: string;
  seed: number;
  /** Only in the full run (too slow for CI). */
  full?: boolean;
  /** A model the user gave (verify --model). */
  user?: boolean;
  build(hw: HwConfig): { model: Model; input: Int8Array };
}

function single(name: string, seed: number, shape: [number, number, number], make: (b: ModelBuilder, x: string) => string[], saturate?: number): VerifyCase {
  return {
    name, seed,
    build: () => {
      const b = new ModelBuilder(name, ...shape);
      const outputs = make(b, 'image');
      return { model: b.build(outputs, { seed, saturate }), input: b.input(seed) };
    },
  };
}

/** A zoo model with seeded weights and a seeded random image of its input size (also the benchmarks'). */
export function zooModelAndInput(name: string, seed: number): { model: Model; input: Int8Array } {
  const model = cachedZooModel(name, { seed });
  const [h, w] = model.tensors.get(model.inputs[0])!.shape;
  return { model, input: imageCodes(randomImage(seed, h, w)) };
}

function zoo(name: string, seed: number, full: boolean): VerifyCase {
  return { name, seed, full, build: () => zooModelAndInput(name, seed) };
}

export function verifyCases(hwDmax: number): VerifyCase[] {
  return [
    single('conv1x1-40to50-relu', 101, [6, 7, 40], (b, x) => [b.pw(x, 50, true)]),
    single('conv1x1-24to8-saturating', 102, [5, 9, 24], (b, x) => [b.pw(x, 8, false)], 16),
    single('conv1x1-70to33', 103, [4, 5, 70], (b, x) => [b.pw(x, 33, false)]),
    single(`offset-dmax${hwDmax}`, 104, [7, 9, 24], (b, x) => [b.offset(x, hwDmax)]),
    single('offset-dmax3', 105, [6, 5, 17], (b, x) => [b.offset(x, 3)]),
    single('dw3x3-s1-d1-odd', 106, [13, 11, 20], (b, x) => [b.dw(x, 1, 1, true)]),
    single('dw3x3-s2-odd', 107, [13, 11, 20], (b, x) => [b.dw(x, 2, 1)]),
    single('dw3x3-d0', 108, [9, 8, 16], (b, x) => [b.dw(x, 1, 0)]),
    single(`dw3x3-d${hwDmax}`, 109, [17, 15, 12], (b, x) => [b.dw(x, 1, hwDmax)]),
    single('dw3x3-saturating', 110, [8, 8, 32], (b, x) => [b.dw(x, 1, 1, false)], 16),
    single('dwdeform-s1', 111, [12, 12, 24], (b, x) => [b.deform(x, b.offset(x, hwDmax), 1)]),
    single('dwdeform-s2', 112, [11, 13, 20], (b, x) => [b.deform(x, b.offset(b.pool(x), hwDmax), 2)]),
    single('maxpool-odd', 113, [13, 11, 20], (b, x) => [b.pool(x)]),
    single('stem-s1', 114, [9, 10, 3], (b, x) => [b.stem(x, 8, 1)]),
    single('stem-s2-24ch', 115, [17, 13, 3], (b, x) => [b.stem(x, 24, 2)]),
    single('stem-s4-saturating', 116, [20, 16, 3], (b, x) => [b.stem(x, 40, 4, false)], 16),
    single('upsample-conv1x1', 117, [5, 6, 20], (b, x) => [b.pw(b.up(x), 12)]),
    single('shufflenet-unit', 118, [8, 8, 40], (b, x) => {
      // the unit's input comes from a 1x1 so that its quantization matches the branch (concat shares it)
      const [keep, br] = b.split(b.pw(x, 58), [29, 29]);
      return [b.shuffle(b.concat([keep, b.pw(b.dw(b.pw(br, 29), 1, 1), 29)]))];
    }),
    // A 1x1 whose only reader is a dw3x3 runs fused with it (PWDW): tiles of 32 and a partial one.
    single('pw-dw-fused-s2-d2-odd', 119, [11, 13, 40], (b, x) => [b.dw(b.pw(x, 50, true), 2, 2, true)]),
    single(`pw-dw-fused-d${hwDmax}-saturating`, 120, [17, 15, 24], (b, x) => [b.dw(b.pw(x, 36, false), 1, hwDmax, false)], 16),
    // A depthwise output read only by the next 1x1 goes through the on-chip tensor buffer.
    single('dw-tensor-buffer-pw-s2-odd', 121, [13, 11, 40], (b, x) => [b.pw(b.dw(x, 2, 1, true), 24)]),
    zoo('codenet-tiny', 1, false),
    zoo('codenet-a', 1, true),
  ];
}
