// The RTL sample of the compiler property test (test/compiler-property.test.ts): a few of its random
// legal graphs, picked by kind (a concat that repeats an input, a graph of views only, a concat of
// more than eight computed tensors, an offset conv of stride 2, a long mixed graph), written with
// `codenet bundle` and simulated with `codenet sim` in Verilator, every tensor compared with the
// golden model. All on the ultra96v2 preset: one accelerator, so one (cached) Verilator build,
// the same one test/sim.test.ts uses.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig } from '../src/hw/config.ts';
import type { Model } from '../src/ir/model.ts';
import { serializeModel } from '../src/ir/save.ts';
import { encodeNpy } from '../src/io/npy.ts';
import { runCli } from './helpers/cli.ts';
import { randomGraph, type RandomGraph } from './helpers/random-graph.ts';

const HW = presetConfig('ultra96v2');
const VIEWS = ['split', 'shuffle', 'upsample', 'concat'];

/** Tensors computed by a layer (not views) that each tensor's channels come from. */
function roots(m: Model): Map<string, Set<string>> {
  const r = new Map<string, Set<string>>([[m.inputs[0], new Set([m.inputs[0]])]]);
  for (const l of m.layers) {
    const from = new Set(l.inputs.flatMap((t) => [...r.get(t)!]));
    for (const o of l.outputs) r.set(o, VIEWS.includes(l.op) ? from : new Set([o]));
  }
  return r;
}

/** Whether a compute layer reads the output of a concat that satisfies `p`. */
const computeReadsConcat = (m: Model, p: (cat: Model['layers'][number]) => boolean) =>
  m.layers.some((cat) => cat.op === 'concat' && p(cat) && m.layers.some((l) => !VIEWS.includes(l.op) && l.inputs.includes(cat.outputs[0])));

const KINDS: Array<[string, boolean, (g: RandomGraph) => boolean]> = [
  ['a concat that repeats an input, read by a compute layer', false, (g) => computeReadsConcat(g.model, (l) => new Set(l.inputs).size < l.inputs.length)],
  ['a graph of views only', true, (g) => g.model.layers.length >= 3 && g.model.layers.some((l) => l.op === 'concat') && g.model.layers.some((l) => l.op === 'upsample')],
  ['a concat of more than eight computed tensors, read by a compute layer', false, (g) => computeReadsConcat(g.model, (l) => roots(g.model).get(l.outputs[0])!.size > 8)],
  ['an offset conv of stride 2', false, (g) => g.model.layers.some((l) => l.op === 'offset' && l.stride === 2)],
  ['a long mixed graph', false, (g) => g.model.layers.length >= 10 && ['stem', 'dwdeform', 'concat', 'split'].every((op) => g.model.layers.some((l) => l.op === op))],
];

describe('compiler property: a legal graph the hardware cannot run', () => {
  it('is refused by codenet bundle with exit 2 naming the layer and the limit, before anything is written', async () => {
    let g: RandomGraph | undefined;
    for (let seed = 0; seed < 5000 && !g; seed++) {
      const c = randomGraph(seed, { hw: HW });
      if (c.overLimit) g = c;
    }
    const root = mkdtempSync(join(tmpdir(), 'codenet-property-rtl-'));
    try {
      const modelFile = join(root, 'model.json'), dir = join(root, 'bundle');
      writeFileSync(modelFile, serializeModel(g!.model));
      const r = await runCli('bundle', modelFile, '-o', dir, '--board', HW.board);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/layer "dw3x3\d+" \(dw3x3\): dilation (8|9|1\d) exceeds the hardware dmax 7/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(dir)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('compiler property, RTL sample: random legal graphs on the Verilator model of the accelerator', () => {
  const used = new Set<number>();
  for (const [what, viewOnly, wanted] of KINDS) {
    it(what, async () => {
      let g: RandomGraph | undefined;
      for (let seed = 0; seed < 5000 && !g; seed++) {
        if (used.has(seed)) continue;
        const c = randomGraph(seed, { hw: HW, viewOnly });
        if (!c.overLimit && wanted(c)) g = c;
      }
      expect(g, 'no seed below 5000 gives such a graph').toBeDefined();
      used.add(g!.seed);
      const root = mkdtempSync(join(tmpdir(), 'codenet-property-rtl-'));
      try {
        const modelFile = join(root, 'model.json'), inputFile = join(root, 'input.npy'), dir = join(root, 'bundle');
        writeFileSync(modelFile, serializeModel(g!.model));
        writeFileSync(inputFile, encodeNpy({ dtype: 'int8', shape: [...g!.model.tensors.get(g!.model.inputs[0])!.shape], data: g!.input }));
        const b = await runCli('bundle', modelFile, '-o', dir, '--board', HW.board, '--input', inputFile);
        expect(b.code, b.stderr).toBe(0);
        const r = await runCli('sim', dir);
        console.log(`seed ${g!.seed} (${what}, ${g!.model.layers.length} layers): ${r.stdout.split('\n').filter((l) => /^(total cycles|bit-exact|MISMATCH)/.test(l)).join('; ')}`);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^bit-exact: \d+ tensors/m);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
