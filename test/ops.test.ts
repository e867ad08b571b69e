/**
 * The op registry (src/ops): one OpDef per IR op, consistent with the schema; its shape inference
 * agrees with TensorFlow.js's on every zoo network (the integer graph the quantizer reads off the
 * float model, shapes and all) and the zoo topology built through it is that graph; and the
 * modules converted to it hold no output-size formula or per-op switch of their own.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPS } from '../src/ops/index.ts';
import { LayerSchema, OP_NAMES } from '../src/ir/schema.ts';
import type { Layer } from '../src/ir/model.ts';
import { ZOO } from '../src/zoo/specs.ts';
import { buildFloatModel } from '../src/float/model.ts';
import { integerGraph, zooDifference } from '../src/quant/graph.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';

const thrower = (msg: string): never => { throw new Error(msg); };
const layer = (op: Layer['op'], attrs: Partial<Layer> = {}): Layer => ({ name: 'x', op, inputs: [], outputs: [], stride: 1, relu: false, dilation: 1, dmax: 0, ...attrs });

describe('the op registry', () => {
  it('has one OpDef for every op name, named after it, and nothing else', () => {
    expect(Object.keys(OPS).sort()).toEqual([...OP_NAMES].sort());
    for (const op of OP_NAMES) expect(OPS[op].name).toBe(op);
  });

  it('gives weights (S, B, n, a requantizer) exactly to the ops whose schema entry carries them, and their file fields', () => {
    const base = ['name', 'inputs', 'outputs', 'op'], quant = ['weights', 'S', 'B', 'n'];
    for (const option of LayerSchema.options) {
      const keys = Object.keys(option.shape);
      const op = option.shape.op.value as Layer['op'];
      expect(!!OPS[op].weights, op).toBe(keys.includes('weights'));
      expect(Object.keys(OPS[op].fileFields(layer(op))).sort(), op).toEqual(keys.filter((k) => !base.includes(k) && !quant.includes(k)).sort());
    }
  });

  it('checks its inputs in shape inference and names the layer', () => {
    const t = (name: string, shape: [number, number, number]) => ({ name, shape, kind: 'act' as const });
    expect(() => OPS.stem.outputShapes(layer('stem', { stride: 2 }), [t('a', [8, 8, 4])], [16], thrower)).toThrow('layer "x" (stem): input "a" must have 3 channels (RGB), has 4');
    expect(() => OPS.concat.outputShapes(layer('concat'), [t('a', [8, 8, 4]), t('b', [4, 4, 4])], [], thrower)).toThrow(/layer "x" \(concat\): input "b" is 4x4/);
    expect(() => OPS.split.outputShapes(layer('split'), [t('a', [8, 8, 4])], [2, 1], thrower)).toThrow(/layer "x" \(split\): outputs hold 3 channels/);
    expect(() => OPS.shuffle.outputShapes(layer('shuffle'), [t('a', [8, 8, 5])], [], thrower)).toThrow(/needs an even channel count/);
    expect(OPS.stem.outputShapes(layer('stem', { stride: 4 }), [t('a', [9, 10, 3])], [16], thrower)).toEqual([[3, 3, 16]]);
    expect(OPS.dwdeform.outputShapes(layer('dwdeform', { stride: 2 }), [t('a', [7, 8, 6])], [], thrower)).toEqual([[4, 4, 6]]);
  });
});

describe('shape inference agrees with TensorFlow.js on the zoo networks', () => {
  for (const spec of ZOO) {
    it(spec.name, () => {
      const { model } = integerGraph(buildFloatModel(spec, { classes: 20 }));
      let checked = 0;
      for (const l of model.layers) {
        const ins = l.inputs.map((t) => model.tensors.get(t)!), outs = l.outputs.map((t) => model.tensors.get(t)!);
        expect(OPS[l.op].outputShapes(l, ins, outs.map((o) => o.shape[2]), thrower), l.name).toEqual(outs.map((o) => o.shape));
        for (const o of outs) expect(o.kind, l.name).toBe(OPS[l.op].outputKind);
        checked++;
      }
      expect(checked).toBe(model.layers.length);
      // The zoo's integer topology (src/zoo/graph.ts, built through the registry) is that graph.
      expect(zooDifference(model, spec)).toBeUndefined();
    });
  }
});

describe('no op knowledge outside src/ops in the converted modules', () => {
  const OP = '(stem|conv1x1|offset|dw3x3|dwdeform|maxpool|upsample|split|concat|shuffle)';
  /** The 3x3 window output size in code, Math.floor((d - 1) / s) + 1, however it is spaced (a message may quote it). */
  const FORMULA = /Math\.floor\(\s*\(\s*[\w.]+\s*-\s*1\s*\)\s*\/\s*[\w.]+\s*\)\s*\+\s*1/;
  /** A switch case, a comparison or a list of op names. */
  const PER_OP = [new RegExp(`\\bcase '${OP}'`), new RegExp(`\\bop\\s*[!=]==?\\s*'${OP}'`), new RegExp(`\\[\\s*'${OP}'\\s*,`)];
  const read = (rel: string) => readFileSync(join(PROJECT_ROOT, rel), 'utf8');

  it('the patterns find what they look for where it now lives', () => {
    expect(read('src/ops/shape.ts')).toMatch(FORMULA);
    expect("switch (l.op) { case 'dw3x3':").toMatch(PER_OP[0]);
    expect("l.op === 'stem' ? 1 : 2").toMatch(PER_OP[1]);
    expect("new Set(['stem', 'conv1x1'])").toMatch(PER_OP[2]);
  });

  // Modules that ask the registry. Only the formula is checked in the planner (its per-op lowering
  // stays in Planner.layer), the packer and ISA interpreter (hardware passes, not ops), the importers
  // (they map ONNX nodes and TensorFlow layer classes to ops) and calibration (its offset targets).
  const full = ['src/ir/load.ts', 'src/ir/model.ts', 'src/ir/save.ts', 'src/golden/run.ts', 'src/info/summary.ts', 'src/zoo/graph.ts',
    'src/report/render.ts', 'src/quant/quantize.ts', 'src/quant/graph-quant.ts'];
  const formulaOnly = ['src/compiler/plan.ts', 'src/compiler/pack.ts', 'src/compiler/reference.ts', 'src/import/lower.ts', 'src/quant/graph.ts', 'src/zoo/calibrate.ts'];
  for (const rel of [...full, ...formulaOnly])
    it(rel, () => {
      const text = read(rel);
      expect(text, `${rel} computes a window's output size itself`).not.toMatch(FORMULA);
      if (full.includes(rel)) for (const p of PER_OP) expect(text, `${rel} switches on op names`).not.toMatch(p);
    });
});
