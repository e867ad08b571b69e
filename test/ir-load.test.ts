/**
 * Model loading at scale and its equivalences: the topological order of the
 * O(n log n) loader equals the old definition (repeatedly the first ready layer in file order),
 * a 200,000-layer chain loads in either file order, the fast parse path agrees with zod, and the
 * zoo models sit well inside the limits of docs/ir.md section 13.
 */
import { describe, expect, it } from 'vitest';
import { validateModel } from '../src/ir/load.ts';
import { fastTensorsAndLayers } from '../src/ir/fast-parse.ts';
import { ModelSchema } from '../src/ir/schema.ts';
import { modelToDef } from '../src/ir/save.ts';
import { tensorSize } from '../src/ir/model.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { ZOO } from '../src/zoo/specs.ts';
import { buildTopology } from '../src/zoo/graph.ts';
import { MAX_ACTIVATION_BYTES, MAX_LAYERS, MAX_TENSOR_ELEMENTS, MAX_TENSORS } from '../src/ir/limits.ts';
import { Rng } from '../src/util/rng.ts';

const act = (c: number) => ({ shape: [1, 1, c], kind: 'act', scale: 1, zero: 0, pad: 0 });

/** A chain t0 -> l1 -> t1 -> ... -> ln -> tn of maxpools on 1x1x1 tensors (the cheapest legal layer). */
function chain(n: number, reverse: boolean) {
  const tensors: Record<string, unknown> = { t0: act(1) };
  const layers = [];
  for (let i = 1; i <= n; i++) {
    tensors[`t${i}`] = act(1);
    layers.push({ name: `l${i}`, op: 'maxpool', inputs: [`t${i - 1}`], outputs: [`t${i}`] });
  }
  if (reverse) layers.reverse();
  return { format: 'codenet-ir', version: 1, metadata: { name: 'chain' }, inputs: ['t0'], outputs: [`t${n}`], tensors, layers };
}

/** The loader's earlier order, verbatim in meaning: the first pending layer in file order whose inputs are ready. */
function referenceOrder(layers: Array<{ name: string; inputs: string[]; outputs: string[] }>, inputs: string[]): string[] {
  const ready = new Set(inputs);
  const pending = [...layers];
  const out: string[] = [];
  while (pending.length) {
    const i = pending.findIndex((l) => l.inputs.every((t) => ready.has(t)));
    if (i < 0) throw new Error('cycle');
    const [l] = pending.splice(i, 1);
    for (const o of l.outputs) ready.add(o);
    out.push(l.name);
  }
  return out;
}

/** A random legal DAG of maxpool, shuffle and concat layers (repeated inputs included) on 1x1 tensors, in shuffled file order. */
function randomGraph(rng: Rng, n: number) {
  const tensors: Record<string, ReturnType<typeof act>> = { in: act(2) };
  const avail = ['in'];
  const layers: Array<{ name: string; op: string; inputs: string[]; outputs: string[] }> = [];
  for (let i = 0; i < n; i++) {
    const pick = () => avail[rng.int(0, avail.length - 1)];
    const kind = rng.int(0, 2);
    const out = `t${i}`;
    if (kind === 2) {
      const ins = Array.from({ length: rng.int(2, 4) }, pick);
      const c = ins.reduce((a, t) => a + tensors[t].shape[2], 0);
      if (c > 64) { i--; continue; }
      tensors[out] = act(c);
      layers.push({ name: `L${i}`, op: 'concat', inputs: ins, outputs: [out] });
    } else {
      const x = pick();
      const c = tensors[x].shape[2];
      tensors[out] = act(c);
      layers.push({ name: `L${i}`, op: kind === 1 && c % 2 === 0 ? 'shuffle' : 'maxpool', inputs: [x], outputs: [out] });
    }
    avail.push(out);
  }
  for (let i = layers.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [layers[i], layers[j]] = [layers[j], layers[i]];
  }
  return { format: 'codenet-ir', version: 1, metadata: {}, inputs: ['in'], outputs: [`t${n - 1}`], tensors, layers };
}

describe('topological order', () => {
  it('equals the first-ready-layer-in-file-order definition on 300 random shuffled graphs', () => {
    const rng = new Rng(21);
    for (let g = 0; g < 300; g++) {
      const def = randomGraph(rng, rng.int(1, 40));
      const m = validateModel(structuredClone(def), `graph ${g}`);
      expect(m.layers.map((l) => l.name)).toEqual(referenceOrder(def.layers, def.inputs));
    }
  });

  it('names the layers of a cycle in file order', () => {
    const def = randomGraph(new Rng(5), 10) as any;
    const first = def.layers.find((l: any) => l.op === 'maxpool');
    first.inputs = [first.outputs[0]]; // reads itself
    expect(() => validateModel(def, 'cyc')).toThrow(/cyc: the graph has a cycle through layer\(s\) /);
  });

  for (const reverse of [false, true]) {
    it(`loads a 200,000-layer chain in ${reverse ? 'reverse file order' : 'file order'}`, () => {
      const m = validateModel(chain(200_000, reverse), 'chain');
      expect(m.layers).toHaveLength(200_000);
      expect(m.layers[0].name).toBe('l1');
      expect(m.layers[199_999].name).toBe('l200000');
      expect(m.layers[123_456].inputs).toEqual(['t123456']);
    });
  }
});

describe('fast parse path', () => {
  const zodParts = (json: unknown) => {
    const r = ModelSchema.safeParse(json);
    return r.success ? { tensors: r.data.tensors, layers: r.data.layers } : undefined;
  };

  it('gives exactly zod\'s result (keys, order, defaults) on zoo models', () => {
    for (const z of ZOO.filter((x) => ['codenet-a', 'codenet-tiny', 'codenet-tiny-skip'].includes(x.name))) {
      const def = JSON.parse(JSON.stringify(modelToDef(exportZooModel(z.name))));
      const fast = fastTensorsAndLayers(def);
      expect(fast, z.name).toBeDefined();
      expect(JSON.stringify(fast)).toBe(JSON.stringify(zodParts(def)));
    }
  });

  it('accepts only what zod accepts, and then returns the same: every single-field mutation of every kind of entry', () => {
    const def = JSON.parse(JSON.stringify(modelToDef(exportZooModel('codenet-tiny')))) as any;
    // One entry of each kind: act and dilation tensors, a layer of every op, payloads.
    const tensors = [def.tensors.image, def.tensors['dec1.offset'], def.tensors.stem];
    const layers = ['stem', 'conv1x1', 'offset', 'dw3x3', 'dwdeform', 'maxpool', 'upsample', 'split', 'concat', 'shuffle'].map((op) => {
      const l = def.layers.find((x: any) => x.op === op) ?? { name: op, op, inputs: ['a'], outputs: ['b'] };
      return { ...l, weights: l.weights && { ...l.weights, data: 'AAAA' }, S: l.S && { ...l.S, data: 'AAAA' }, B: l.B && { ...l.B, data: 'AAAA' } };
    }).map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)));
    const values: unknown[] = [undefined, null, 0, -1, 1, 2, 3, 4, 7, 15, 16, 31, 32, 1.5, -0, NaN, Infinity, 65536, 65537, -128, 127, 128, -129,
      '', 'x', 'x'.repeat(201), 'act', 'dilation', 'int4', 'int8', 'int16', 'AAAA', '%%', true, false, [], [1], [1, 1, 1], [1, 2, 3, 4, 5], [0, 1, 1], [1, 65537], ['a', 3], {}, { a: 1 },
      'stem', 'conv1x1', 'offset', 'dw3x3', 'maxpool', 'shuffle', 'constructor'];
    const extraKeys = ['foo', 'stride', 'relu', 'dilation', 'groups', 'dmax', 'kind', 'n', 'weights', 'scale', 'zero', 'pad', '__proto__'];
    const wrap = (t: unknown, l: unknown) => ({ format: 'codenet-ir', version: 1, metadata: {}, inputs: ['a'], outputs: ['a'], tensors: { a: t }, layers: [l] });
    let accepted = 0, rejected = 0, cases = 0;
    const check = (json: any) => {
      cases++;
      const fast = fastTensorsAndLayers(json);
      const r = ModelSchema.safeParse(json);
      if (!r.success) { rejected++; expect(fast, `fast accepted what zod rejects: ${JSON.stringify(json.tensors)} ${JSON.stringify(json.layers)}`).toBeUndefined(); }
      if (fast) { accepted++; expect(JSON.stringify(fast)).toBe(JSON.stringify({ tensors: r.data!.tensors, layers: r.data!.layers })); }
    };
    /** Every object reachable in an entry (the entry, its payloads), each key set to each value, deleted, and each array element replaced. */
    const mutations = function* (entry: any): Generator<any> {
      const paths: string[][] = [[]];
      for (const k of ['weights', 'S', 'B']) if (entry[k]) paths.push([k]);
      for (const path of paths) {
        const keys = [...new Set([...Object.keys(path.reduce((o, k) => o[k], entry)), ...extraKeys, 'shape', 'dtype', 'data', 'inputs', 'outputs', 'name', 'op'])];
        for (const key of keys) {
          const edits: Array<(o: any) => void> = [(o) => { delete o[key]; }, ...values.map((v) => (o: any) => { o[key] = v; })];
          const cur = path.reduce((o, k) => o[k], entry)[key];
          if (Array.isArray(cur)) cur.forEach((_, i) => values.forEach((v) => edits.push((o) => { o[key] = [...cur]; o[key][i] = v; })));
          for (const edit of edits) {
            const e = structuredClone(entry);
            edit(path.reduce((o, k) => o[k], e));
            yield e;
          }
        }
      }
    };
    for (const t of tensors) {
      check(wrap(t, layers[5]));
      for (const m of mutations(t)) check(wrap(m, layers[5]));
    }
    for (const l of layers) {
      check(wrap(tensors[0], l));
      for (const m of mutations(l)) check(wrap(tensors[0], m));
    }
    // Both sides are reached.
    expect(cases).toBeGreaterThan(10_000);
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(5_000);
  });

  it('falls back to zod (and its message) for a key the fast path does not cover', () => {
    expect(fastTensorsAndLayers(JSON.parse('{"tensors": {"__proto__": {"shape": [1, 1, 1]}}, "layers": [{}]}'))).toBeUndefined();
    expect(fastTensorsAndLayers({ tensors: {}, layers: [] })).toBeUndefined();
  });
});

describe('limits (docs/ir.md section 13)', () => {
  it('every zoo model is far inside them', () => {
    for (const z of ZOO) {
      const m = buildTopology(z, 20); // shapes without the (slow) weight calibration
      const sizes = [...m.tensors.values()].map(tensorSize);
      expect(Math.max(...sizes) * 100, z.name).toBeLessThan(MAX_TENSOR_ELEMENTS);
      expect(sizes.reduce((a, b) => a + b, 0) * 20, z.name).toBeLessThan(MAX_ACTIVATION_BYTES);
      expect(m.layers.length * 1000).toBeLessThan(MAX_LAYERS);
      expect(m.tensors.size * 1000).toBeLessThan(MAX_TENSORS);
    }
  });

  it('a 1,000,000-layer chain is within the layer and tensor limits', () => {
    expect(MAX_LAYERS).toBeGreaterThanOrEqual(1_000_000);
    expect(MAX_TENSORS).toBeGreaterThanOrEqual(1_000_001);
  });
});
