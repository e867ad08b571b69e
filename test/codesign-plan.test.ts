// The co-design benchmark's plan (src/codesign/bench-plan.ts), the search proxy's settings as a
// trial file carries them (a warm start from a trained model), and the warm start's weight copy.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { benchPlan, benchSpace, chooseSearched, FINETUNE_LR, PROXY, SEARCH_MIN_SPEEDUP, SHARES, type BenchTrial } from '../src/codesign/bench-plan.ts';
import { ProxySchema, TrialSpecSchema } from '../src/codesign/search-trial.ts';
import { warmStart } from '../src/codesign/search-warm.ts';
import { modelPoints, parseSearchSpace } from '../src/codesign/search-space.ts';
import { planTrials, writeSearchDir } from '../src/codesign/search.ts';
import { exportTrialFloat } from '../src/codesign/search-export.ts';
import { pointGraph } from '../src/codesign/search-model.ts';
import { buildFloatGraph } from '../src/float/graph-builder.ts';
import { loadFloatModel, saveFloatModel } from '../src/float/io.ts';
import { initBackend } from '../src/float/model.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { UserError } from '../src/util/errors.ts';
import { presetConfig } from '../src/hw/config.ts';
import { tempDir } from './helpers/temp.ts';

const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('bench:codesign plan', () => {
  it('plans the training stages inside the budget, with room for the rest', () => {
    for (const budget of [10, 60, 90]) {
      const p = benchPlan(budget, 2, false);
      // One fine-tune per board and one more without distillation on the first board; the searched network's apart.
      expect(p.finetunes).toBe(3);
      expect(Number(arg(p.searched, '--minutes'))).toBeCloseTo(SHARES.searched * budget, 1);
      expect(Number(arg(p.searched, '--steps'))).toBeGreaterThanOrEqual(1e7);
      expect(Number(arg(p.float, '--minutes'))).toBeCloseTo(SHARES.float * budget, 1);
      expect(Number(arg(p.qat, '--minutes'))).toBeCloseTo(SHARES.qat * budget, 1);
      expect(Number(arg(p.prune, '--minutes'))).toBeCloseTo(SHARES.finetune * budget, 1);
      // prune's --steps would cap the minutes (300 by default): the cap is far above any plan.
      expect(Number(arg(p.prune, '--steps'))).toBeGreaterThanOrEqual(1e7);
      expect(Number(arg(p.prune, '--lr'))).toBe(FINETUNE_LR);
      // A quarter of the budget stays for what is not planned by time (pruned QAT, searches, evals, Yosys, Verilator).
      expect(p.plannedMinutes).toBeLessThanOrEqual(0.75 * budget);
      expect(p.proxy).toEqual(PROXY);
    }
    expect(benchPlan(60, 1, false).finetunes).toBe(2);
    expect(benchPlan(60, 1, false).plannedMinutes).toBeLessThanOrEqual(0.75 * 60);
  });

  it('--quick runs a few steps of everything', () => {
    const p = benchPlan(60, 2, true);
    expect(arg(p.float, '--steps')).toBe('20');
    expect(arg(p.prune, '--steps')).toBe('10');
    expect(p.float).not.toContain('--minutes');
    expect(p.proxy.steps).toBeLessThan(PROXY.steps);
  });
});

describe('the search proxy settings', () => {
  const proxy = { kind: 'train', steps: 150, batch: 16, lr: 2e-3, seed: 0, evalImages: 256, calibImages: 16 };
  it('parse with and without a warm start, and a trial spec carries it', () => {
    expect(ProxySchema.parse(proxy)).toEqual(proxy);
    expect(ProxySchema.parse({ ...proxy, init: '/runs/float' }).init).toBe('/runs/float');
    const spec = TrialSpecSchema.parse({
      index: 0, classes: 6, hw: presetConfig('ultra96v2'), proxy: { ...proxy, init: '/runs/float' },
      model: { base: 'codenet-tiny-skip', channels: [24, 48, 96, 192, 128], repeats: [1, 2, 1], input: 64, stem: 's2+maxpool', dmax: 7, deformable: [true, true, true] },
    });
    expect(spec.proxy.init).toBe('/runs/float');
  });
  it('reject a bad warm start and unknown fields, naming the field', () => {
    for (const bad of [{ ...proxy, init: '' }, { ...proxy, init: 3 }]) {
      const r = ProxySchema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].path).toEqual(['init']);
    }
    const r = ProxySchema.safeParse({ ...proxy, warm: true });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues[0])).toContain('warm');
  });
});

describe('warm start', () => {
  it('copies same-named weights, cropped to the leading channels, and leaves layers it cannot crop', () => {
    const net = (c1: number, c2: number, extra: boolean) => {
      const x = tf.input({ shape: [4, 4, 3] });
      let y = tf.layers.conv2d({ name: 'a', filters: c1, kernelSize: 1, kernelInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
      y = tf.layers.conv2d({ name: 'b', filters: c2, kernelSize: 1, kernelInitializer: 'zeros' }).apply(y) as tf.SymbolicTensor;
      if (extra) y = tf.layers.conv2d({ name: 'c', filters: 2, kernelSize: 1 }).apply(y) as tf.SymbolicTensor;
      return tf.model({ inputs: x, outputs: y });
    };
    const trained = net(8, 4, false);
    trained.getLayer('a').setWeights([tf.range(0, 24).reshape([1, 1, 3, 8]), tf.range(0, 8)]);
    // Narrower a (6 of 8: cropped), wider b (6 > 4: cannot crop, kept), c absent from the trained model.
    const cand = net(6, 6, true);
    expect(warmStart(cand, trained)).toEqual({ copied: 1, layers: 3 });
    const [ka, ba] = cand.getLayer('a').getWeights();
    expect(Array.from(ba.dataSync())).toEqual([0, 1, 2, 3, 4, 5]);
    // Input channel i, output channel o of the trained kernel is 8i + o: the leading 6 outputs of each input.
    expect(Array.from(ka.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21]);
    expect(Array.from(cand.getLayer('b').getWeights()[0].dataSync()).every((v) => v === 0)).toBe(true);
    trained.dispose();
    cand.dispose();
  });
});

describe('the bench search space and its chosen point', () => {
  it('is a valid space whose first point is the baseline network, then the knobs that buy speed', () => {
    const space = parseSearchSpace(benchSpace('codenet-tiny-skip', 0), 'bench');
    const pts = modelPoints(space);
    const z = findZooSpec('codenet-tiny-skip')!;
    expect(pts).toHaveLength(4);
    expect(pts[0]).toEqual({ base: z.name, channels: z.channels, repeats: z.repeats, input: z.input, stem: z.stem, dmax: z.dmax, deformable: [true, true, true] });
    // Every other point has plain decoder blocks and as many stride-1 units or fewer, the baseline's widths and stem.
    for (const p of pts.slice(1)) {
      expect(p.deformable).toEqual([false, false, false]);
      expect(p.repeats.reduce((a, b) => a + b)).toBeLessThanOrEqual(z.repeats.reduce((a, b) => a + b));
      expect({ ...p, repeats: z.repeats, deformable: [true, true, true] }).toEqual(pts[0]);
    }
  });

  it('a points list is exclusive with knob lists, and its points are checked field by field', () => {
    const both = { base: 'codenet-tiny-skip', model: { stem: ['s4'], points: [{ stem: 's4' }] } };
    expect(() => parseSearchSpace(both, 'both.json')).toThrow(UserError);
    expect(() => parseSearchSpace(both, 'both.json')).toThrow(/not both/);
    expect(() => parseSearchSpace({ base: 'codenet-tiny-skip', model: { points: [{ stem: 's8' }] } }, 'bad.json')).toThrow(/points/);
    expect(() => parseSearchSpace({ base: 'codenet-tiny-skip', model: { points: [] } }, 'empty.json')).toThrow(/at least one/);
  });

  const t = (index: number, fps: number, acc: number, infeasible?: string): BenchTrial => ({ index, fps, accuracy: { value: acc }, ...(infeasible ? { infeasible } : {}) });
  it('takes the most accurate trial that pays at least the minimum speed-up, else the fastest', () => {
    const base = t(0, 1000, 0.35);
    expect(SEARCH_MIN_SPEEDUP).toBeGreaterThan(1);
    // 1 is more accurate but too slow; 2 and 3 are fast enough, 3 more accurate; 4 does not compile.
    const trials = [base, t(1, 1050, 0.34), t(2, 1400, 0.30), t(3, 1250, 0.32), t(4, 2000, 0.9, 'too big')];
    expect(chooseSearched(trials, base)?.index).toBe(3);
    // On a tie the faster one.
    expect(chooseSearched([...trials, t(5, 1300, 0.32)], base)?.index).toBe(5);
    // None fast enough: the fastest of the others.
    expect(chooseSearched([base, t(1, 1080, 0.34), t(2, 1050, 0.36)], base)?.index).toBe(1);
    // Only the baseline (or nothing that compiles): none.
    expect(chooseSearched([base, t(1, 1500, 0.3, 'no')], base)).toBeUndefined();
  });
});

describe('search --export', () => {
  it('writes a trial\'s network from the trained model\'s weights, plain decoder blocks from the deformable ones', async () => {
    await initBackend();
    const dir = tempDir('cn-export-');
    const space = parseSearchSpace(benchSpace('codenet-tiny-skip', 0), 'bench');
    // A "trained" baseline: the baseline point's network with seed 5, saved as codenet train saves it.
    const trained = buildFloatGraph(pointGraph(modelPoints(space)[0], 6, 5));
    await saveFloatModel(trained, join(dir, 'trained'));
    const proxy = { kind: 'train' as const, steps: 0, batch: 2, lr: 1e-3, seed: 0, evalImages: 1, calibImages: 1, init: join(dir, 'trained') };
    const { plan, trials } = planTrials(space, 'bench', 'ultra96v2', { lut: 1, ff: 1, dsp: 1, bram36: 1 }, proxy, 6);
    writeSearchDir(join(dir, 'search'), plan, trials);
    // Trial 3: repeats 0/1/0, no deformable block.
    const e = await exportTrialFloat(join(dir, 'search'), 3, join(dir, 'out'));
    expect(e.copied).toBe(e.layers);
    const fm = await loadFloatModel(join(dir, 'out'));
    const same = (a: string, b: string) => expect(Array.from(fm.getLayer(a).getWeights()[0].dataSync())).toEqual(Array.from(trained.getLayer(b).getWeights()[0].dataSync()));
    same('stem', 'stem');
    same('dec1.dw', 'dec1.deform');
    same('dec3.dw.bn', 'dec3.deform.bn');
    expect(fm.layers.some((l) => l.name.endsWith('.offset'))).toBe(false);
    await expect(exportTrialFloat(join(dir, 'search'), 9, join(dir, 'x'))).rejects.toThrow(/no trial/);
    fm.dispose();
    trained.dispose();
  });
});
