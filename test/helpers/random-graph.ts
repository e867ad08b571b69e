/**
 * Random legal models for the compiler's property test (test/compiler-property.test.ts): one graph
 * per seed, deterministic, built with ModelBuilder (random weights calibrated like the zoo, random
 * pad codes, validated like a model file). Tiny shapes so thousands run in seconds.
 *
 * What the graphs contain: every op; strides 1 and 2 (offset convs too); dilations 0..dmax; channel
 * counts that are not multiples of the lanes; long chains of views (split, shuffle, upsample,
 * concat of views of views); concats of 2..12 inputs that repeat inputs; tensors read by many
 * layers; dilation maps read twice or that are graph outputs; graph outputs that are the graph
 * input, views or split outputs; graphs made only of views. A few graphs (`overLimit`) use a
 * dilation above the hardware's dmax on purpose: legal IR that this accelerator cannot run, which
 * the compiler must refuse with a UserError.
 */
import type { Model } from '../../src/ir/model.ts';
import type { HwConfig } from '../../src/hw/config.ts';
import { presetConfig, validateHwConfig } from '../../src/hw/config.ts';
import type { CompileOptions } from '../../src/compiler/compile.ts';
import { ModelBuilder } from '../../src/verify/builder.ts';
import { Rng } from '../../src/util/rng.ts';

export interface RandomGraph {
  seed: number;
  model: Model;
  input: Int8Array;
  hw: HwConfig;
  opts: CompileOptions;
  /** Only split, shuffle, concat and upsample layers. */
  viewOnly: boolean;
  /** A layer needs more than the hardware's dmax: the compiler must refuse the model. */
  overLimit: boolean;
}

const U96 = presetConfig('ultra96v2');
const PYNQ = presetConfig('pynq-z2');
/** Small buffers: depthwise layers cut into chunks, the tensor buffer too small for most tensors, dmax 3. */
const TIGHT = validateHwConfig({ ...U96, dmax: 3, lineBufferBeats: 256, tensorBufferBeats: 16 }, 'tight test config');
export const HW_CONFIGS = [U96, PYNQ, TIGHT];

interface T {
  name: string;
  /** Quantization class: tensors of one class share scale and zero (what concat needs). */
  cls: string;
}

/** The random graph of `seed`; `force` pins the graph kind (for the hand-picked RTL sample). */
export function randomGraph(seed: number, force?: { viewOnly?: boolean; hw?: HwConfig }): RandomGraph {
  const r = new Rng(seed * 7919 + 13);
  const pick = <X>(xs: readonly X[]): X => xs[r.int(0, xs.length - 1)];
  const chance = (p: number) => r.float() < p;
  const hw = force?.hw ?? pick(HW_CONFIGS);
  const viewOnly = force?.viewOnly ?? chance(0.12);
  const overLimit = !viewOnly && chance(0.02);
  const h = r.int(1, 9), w = r.int(1, 9);
  const c = chance(0.4) ? 3 : r.int(1, 21);
  const b = new ModelBuilder(`random-${seed}`, h, w, c);
  const acts: T[] = [{ name: 'image', cls: 'image' }];
  const maps: string[] = [];
  const shape = (t: string) => b.shape(t);
  const sameSize = (t: string) => acts.filter((x) => shape(x.name)[0] === shape(t)[0] && shape(x.name)[1] === shape(t)[1]);
  // Mostly the newest tensor (long chains), else any.
  const recent = (): T => (chance(0.55) ? acts[acts.length - 1] : pick(acts));
  const add = (name: string, cls: string) => { acts.push({ name, cls }); return name; };
  const clsOf = (t: string) => acts.find((x) => x.name === t)!.cls;
  const dil = () => (chance(0.3) ? pick([0, hw.dmax]) : r.int(0, hw.dmax));
  const small = (t: string) => shape(t)[0] <= 8 && shape(t)[1] <= 8;

  const ops = viewOnly
    ? ['split', 'split', 'shuffle', 'shuffle', 'upsample', 'concat', 'concat']
    : ['conv1x1', 'conv1x1', 'conv1x1', 'dw3x3', 'dw3x3', 'deform', 'deform', 'maxpool', 'stem', 'upsample', 'split', 'split', 'concat', 'concat', 'concat', 'shuffle', 'fanout', 'wide'];
  const steps = viewOnly ? r.int(1, 7) : r.int(1, 11);
  let overDone = false;
  for (let s = 0; s < steps; s++) {
    const x = recent().name;
    const xc = shape(x)[2];
    switch (pick(ops)) {
      case 'conv1x1': {
        const relu = chance(0.6);
        add(b.pw(x, r.int(1, 40), relu), relu ? 'relu' : 'linear');
        break;
      }
      case 'fanout': {
        // One tensor read by many layers (and later, maybe, a many-way concat of them).
        const relu = chance(0.5);
        for (let k = r.int(2, 10); k > 0; k--) add(b.pw(x, r.int(1, 9), relu), relu ? 'relu' : 'linear');
        break;
      }
      case 'wide': {
        // A concat of 9..12 separate buffers (each its own 1x1 output, some split), then read by a
        // compute layer: more sources than one descriptor has.
        const relu = chance(0.5), cls = relu ? 'relu' : 'linear';
        const parts: string[] = [];
        for (let k = r.int(9, 12); k > 0; k--) {
          const p = b.pw(x, r.int(1, 7), relu);
          parts.push(shape(p)[2] > 1 && chance(0.3) ? b.split(p, [1, shape(p)[2] - 1])[r.int(0, 1)] : p);
        }
        if (chance(0.3)) parts.splice(r.int(0, parts.length), 0, pick(parts));
        const cat = add(b.concat(parts), cls);
        if (chance(0.5)) add(b.pw(cat, r.int(1, 20), relu), cls);
        else if (chance(0.5)) add(b.dw(cat, r.int(1, 2), dil(), false), 'linear');
        break;
      }
      case 'dw3x3': {
        const relu = chance(0.3);
        let d = dil();
        if (overLimit && !overDone) { d = r.int(hw.dmax + 1, 15); overDone = true; }
        add(b.dw(x, r.int(1, 2), d, relu), relu ? 'relu' : 'linear');
        break;
      }
      case 'deform': {
        // An offset conv on x or another tensor of its size, its map read by one or two deformable convs.
        const stride = r.int(1, 2);
        const o = b.offset(pick(sameSize(x)).name, r.int(0, hw.dmax), stride);
        maps.push(o);
        const relu = chance(0.7);
        add(b.deform(x, o, stride, relu), relu ? 'relu' : 'linear');
        if (chance(0.2)) add(b.deform(pick(sameSize(x)).name, o, stride, relu), relu ? 'relu' : 'linear');
        break;
      }
      case 'maxpool':
        add(b.pool(x), clsOf(x));
        break;
      case 'stem': {
        const rgb = acts.filter((t) => shape(t.name)[2] === 3);
        const src = rgb.length ? pick(rgb).name : b.pw(x, 3, chance(0.5));
        const relu = chance(0.7);
        add(b.stem(src, r.int(1, 40), pick([1, 2, 4]), relu), relu ? 'relu' : 'linear');
        break;
      }
      case 'upsample':
        if (small(x)) add(b.up(x), clsOf(x));
        break;
      case 'split': {
        if (xc < 2) break;
        const n = r.int(2, Math.min(4, xc));
        const cuts = new Set<number>();
        while (cuts.size < n - 1) cuts.add(r.int(1, xc - 1));
        const at = [0, ...[...cuts].sort((a, b2) => a - b2), xc];
        const outs = b.split(x, at.slice(1).map((v, i) => v - at[i]));
        for (const o of outs) add(o, clsOf(x));
        // A split half straight on: the newest tensor is a random part.
        if (chance(0.5)) acts.push(acts.splice(acts.length - n + r.int(0, n - 1), 1)[0]);
        break;
      }
      case 'concat': {
        const cands = sameSize(x).filter((t) => t.cls === clsOf(x));
        const k = chance(0.2) ? r.int(9, 12) : r.int(2, 4);
        const ins = [x];
        // Repeats allowed (the same tensor twice is legal IR); at most ~96 channels.
        let ch = xc;
        while (ins.length < k) {
          const t = chance(0.25) ? pick(ins) : pick(cands).name;
          if (ch + shape(t)[2] > 96) break;
          ins.push(t);
          ch += shape(t)[2];
        }
        if (ins.length >= 2) add(b.concat(r.int(0, 1) ? ins : ins.reverse()), clsOf(x));
        break;
      }
      case 'shuffle':
        if (xc % 2 === 0) add(b.shuffle(x), clsOf(x));
        else if (xc > 2) {
          const [a] = b.split(x, [xc - 1, 1]);
          add(a, clsOf(x));
          add(b.shuffle(a), clsOf(x));
        }
        break;
    }
  }
  if (overLimit && !overDone) add(b.dw(recent().name, 1, r.int(hw.dmax + 1, 15)), 'linear');
  if (b.layers.length === 0) {
    // Every op was skipped (odd channels, no room): at least one view.
    add(b.up('image'), 'image');
  }
  // Outputs: the newest tensor, and any other with some chance (the graph input, maps, split parts).
  const outs = new Set<string>([acts[acts.length - 1].name]);
  for (const t of [...acts, ...maps.map((name) => ({ name, cls: 'map' }))]) if (chance(t.name === 'image' ? 0.15 : 0.2)) outs.add(t.name);
  const model = b.build([...outs], { seed: seed + 1, saturate: chance(0.1) ? 16 : undefined });
  return { seed, model, input: b.input(seed + 100), hw, opts: pick<CompileOptions>([{}, {}, {}, { fuse: false }, { chip: false }, { fuse: false, chip: false }]), viewOnly, overLimit };
}
