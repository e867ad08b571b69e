import type { Layer, Model, Tensor } from '../ir/model.ts';
import type { OpName } from '../ir/schema.ts';
import { validateModel } from '../ir/load.ts';
import { modelToDef } from '../ir/save.ts';
import { calibrate, randomWeights } from '../zoo/calibrate.ts';
import { imageCodes, randomImage } from '../zoo/image.ts';
import { Rng } from '../util/rng.ts';
import { OPS } from '../ops/index.ts';
import { fail } from '../util/errors.ts';

/**
 * Small hand-made models for the regression (codenet verify) and the compiler tests: a graph of any
 * ops on one input, random int4/int8 weights calibrated like the zoo, random per-channel pad codes,
 * validated like a model file so it is exactly what a user could load.
 */
export interface BuildOptions {
  seed?: number;
  /** Multiply every S by this (clamped to int16): most outputs then saturate at lo or 127. */
  saturate?: number;
}

export class ModelBuilder {
  tensors = new Map<string, Tensor>();
  layers: Layer[] = [];
  private k = 0;

  /** The graph input `image`: [h, w, c] int8 codes (c = 3 is an RGB image with per-channel pad codes). */
  constructor(readonly name: string, h: number, w: number, c = 3) {
    const pad = c === 3 ? Int8Array.from([-4, -12, -24]) : new Int8Array(c);
    this.tensors.set('image', { name: 'image', shape: [h, w, c], kind: 'act', scale: 1 / 57.6, zero: 0, pad });
  }

  shape(t: string): [number, number, number] {
    return this.tensors.get(t)!.shape;
  }

  /** A layer of `op` on `inputs`: output shapes and kinds from the op's module (src/ops/); `channels` are the outputs' channel counts where the op cannot infer them (a conv's Cout, a split's parts). */
  add(op: OpName, inputs: string[], channels: number[], attrs: Partial<Layer> = {}): string[] {
    const name = `${op}${this.k++}`;
    const layer: Layer = { name, op, inputs, outputs: [], stride: 1, relu: false, dilation: 1, dmax: 0, ...attrs };
    const def = OPS[op];
    const shapes = def.outputShapes(layer, inputs.map((t) => this.tensors.get(t)!), channels, fail);
    layer.outputs = shapes.map((s, i) => {
      const n = shapes.length > 1 ? `${name}.${i}` : name;
      this.tensors.set(n, { name: n, shape: s, kind: def.outputKind, scale: 1, zero: 0, pad: new Int8Array(s[2]) });
      return n;
    });
    this.layers.push(layer);
    return layer.outputs;
  }

  stem(x: string, cout: number, stride: number, relu = true): string {
    return this.add('stem', [x], [cout], { stride, relu })[0];
  }
  pw(x: string, cout: number, relu = true): string {
    return this.add('conv1x1', [x], [cout], { relu })[0];
  }
  dw(x: string, stride = 1, dilation = 1, relu = false): string {
    return this.add('dw3x3', [x], [], { stride, dilation, relu })[0];
  }
  offset(x: string, dmax: number, stride = 1): string {
    return this.add('offset', [x], [], { dmax, stride })[0];
  }
  deform(x: string, map: string, stride = 1, relu = true): string {
    return this.add('dwdeform', [x, map], [], { stride, relu })[0];
  }
  pool(x: string): string {
    return this.add('maxpool', [x], [])[0];
  }
  up(x: string): string {
    return this.add('upsample', [x], [])[0];
  }
  split(x: string, sizes: number[]): string[] {
    return this.add('split', [x], sizes);
  }
  concat(xs: string[]): string {
    return this.add('concat', xs, [])[0];
  }
  shuffle(x: string): string {
    return this.add('shuffle', [x], [])[0];
  }

  /** Random input codes for this model (an RGB image for 3 channels). */
  input(seed: number): Int8Array {
    const [h, w, c] = this.shape('image');
    if (c === 3) return imageCodes(randomImage(seed, h, w));
    const rng = new Rng(seed);
    return Int8Array.from({ length: h * w * c }, () => rng.int(-128, 127));
  }

  build(outputs: string[], opts: BuildOptions = {}): Model {
    const seed = opts.seed ?? 5;
    const m: Model = { name: this.name, metadata: { name: this.name }, tensors: this.tensors, layers: this.layers, inputs: ['image'], outputs };
    const rng = new Rng(seed);
    randomWeights(m, rng);
    calibrate(m, [1, 2].map((i) => this.input(seed * 10 + i)));
    if (opts.saturate) for (const l of m.layers) if (l.quant && l.op !== 'offset') l.quant.S = l.quant.S.map((s) => Math.max(-32768, Math.min(32767, s * opts.saturate!)));
    for (const t of m.tensors.values()) if (t.kind === 'act' && t.name !== 'image') for (let c = 0; c < t.pad.length; c++) t.pad[c] = rng.int(-128, 127);
    return validateModel(JSON.parse(JSON.stringify(modelToDef(m))), `test model ${this.name}`);
  }
}
