// The co-design benchmark's plan (src/codesign/bench-plan.ts), the search proxy's settings as a
// trial file carries them (a warm start from a trained model), and the warm start's weight copy.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { benchPlan, FINETUNE_LR, PROXY, SHARES } from '../src/codesign/bench-plan.ts';
import { ProxySchema, TrialSpecSchema } from '../src/codesign/search-trial.ts';
import { warmStart } from '../src/codesign/search-warm.ts';
import { presetConfig } from '../src/hw/config.ts';

const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('bench:codesign plan', () => {
  it('plans the training stages inside the budget, with room for the rest', () => {
    for (const budget of [10, 60, 90]) {
      const p = benchPlan(budget, 2, false);
      // One fine-tune per board, one more without distillation on the first board.
      expect(p.finetunes).toBe(3);
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
