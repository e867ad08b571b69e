// codenet prune (src/codesign/): the cycle model chooses the kept widths, the pruned model is a
// normal float model (quantize, compile, the reference interpreter bit-exact with the golden
// model), --ratio removes what it says, distillation adds its term, bad input exits 2.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildFloatModel, initBackend } from '../src/float/model.ts';
import { loadFloatModel, saveFloatModel } from '../src/float/io.ts';
import { findZooSpec } from '../src/zoo/specs.ts';
import { presetConfig, validateHwConfig, type HwConfig } from '../src/hw/config.ts';
import { integerGraph } from '../src/quant/graph.ts';
import { modelPerf } from '../src/perf/model.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { readTensor, writeInput } from '../src/compiler/tensors.ts';
import { runGolden } from '../src/golden/run.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { analyseGraph, headGroups, prunedModel } from '../src/codesign/prune-graph.ts';
import { channelImportance, topChannels } from '../src/codesign/prune-importance.ts';
import { LatencyModel, minWidths, searchWidths } from '../src/codesign/prune-search.ts';
import { readPruneReport } from '../src/codesign/prune-report.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const U96 = presetConfig('ultra96v2');
let root: string;
let floatDir: string;

beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-prune-');
  floatDir = join(root, 'float');
  const fm = buildFloatModel(findZooSpec('codenet-tiny-skip')!, { classes: 6, seed: 3 });
  // Batch-norm scales as training leaves them (a fresh model's are all 1: no channel would rank above another).
  fm.layers.filter((l) => l.name.endsWith('.bn')).forEach((l, i) => {
    const c = l.getWeights()[0].shape[0];
    l.setWeights([tf.randomUniform([c], 0.05, 1.5, 'float32', 10 + i), tf.randomUniform([c], -0.2, 0.2, 'float32', 500 + i), tf.randomUniform([c], -0.3, 0.3, 'float32', 900 + i), tf.randomUniform([c], 0.5, 2, 'float32', 1300 + i)]);
  });
  await saveFloatModel(fm, floatDir);
});

describe('the cycle model decides the kept widths', () => {
  it('two hardware configs keep different widths for one target, each at a step of its own cycle model', async () => {
    const fm = await loadFloatModel(floatDir);
    const info = analyseGraph(fm);
    // The branches' internal widths, the decoder blocks, conv5, the stem and the heads' hidden widths; never a unit's output (concat + shuffle).
    expect(info.groups.map((g) => g.conv)).toContain('stage3.1.pw1');
    expect(info.groups.map((g) => g.conv)).toContain('hm.pw1');
    expect(info.groups.some((g) => /pw2$|b1\.pw$/.test(g.conv))).toBe(false);
    const ig = integerGraph(fm);
    const importance = channelImportance(info, 'bn', { seed: 0, batches: 1, batch: 1, input: 64 });
    const mins = minWidths(info, 0.125);
    // 16 lanes (a 128-bit port) and 8 lanes (64-bit): channel groups of 16 or 8.
    const configs: HwConfig[] = [U96, validateHwConfig({ ...U96, axiDataBits: 64, lanes: 8, maxChannels: 4096 }, 'test lanes 8')];
    const full = new Map(info.groups.map((g) => [g.conv, g.width]));
    const base = configs.map((hw) => new LatencyModel(info, ig.model, ig.source, hw).fps(full));
    const target = 1.2 * Math.max(...base);
    const kept: Map<string, number>[] = [];
    for (const hw of configs) {
      const lat = new LatencyModel(info, ig.model, ig.source, hw);
      expect(lat.fps(mins)).toBeGreaterThan(target);
      const { widths, trace } = searchWidths(info, lat, importance, target, mins);
      expect(trace.length).toBeGreaterThan(0);
      expect(lat.fps(widths)).toBeGreaterThanOrEqual(target);
      // Against the cycle model evaluated afresh (no cache): one more channel in any pruned group costs cycles.
      const fresh = (w: Map<string, number>) => modelPerf(new LatencyModel(info, ig.model, ig.source, hw).topology(w), hw).cycles;
      for (const g of info.groups) {
        const w = widths.get(g.conv)!;
        if (w < g.width) expect(fresh(new Map(widths).set(g.conv, w + 1)), `${g.conv} at ${w} on lanes ${hw.lanes}`).toBeGreaterThan(fresh(widths));
      }
      // The search's rewritten topology costs what the real pruned model's program costs.
      const pm = await prunedModel(info, new Map(info.groups.map((g) => [g.conv, topChannels(importance.get(g.conv)!.values, widths.get(g.conv)!)])));
      expect(modelPerf(integerGraph(pm).model, hw).cycles).toBe(lat.cycles(widths));
      pm.dispose();
      kept.push(widths);
    }
    expect(info.groups.some((g) => kept[0].get(g.conv) !== kept[1].get(g.conv))).toBe(true);
  }, 300_000);
});

describe('the heads are protected', () => {
  it('a pruning plan never cuts a head group (the heads\' hidden widths and what feeds them) below --head-min-keep', async () => {
    const fm = await loadFloatModel(floatDir);
    const info = analyseGraph(fm);
    // The heads' hidden widths, the last decoder block and the stem skip that the heads read; not the backbone.
    expect([...headGroups(info)].sort()).toEqual(['dec3.pw', 'hm.pw1', 'reg.pw1', 'stem', 'wh.pw1']);
    const ig = integerGraph(fm);
    const importance = channelImportance(info, 'bn', { seed: 0, batches: 1, batch: 1, input: 64 });
    // pynq-z2 (8 lanes): the preset on which an unprotected 1.5x search cut the heads to 8 channels.
    const hw = presetConfig('pynq-z2');
    const lat = new LatencyModel(info, ig.model, ig.source, hw);
    const full = new Map(info.groups.map((g) => [g.conv, g.width]));
    const free = minWidths(info, 0.125), floored = minWidths(info, 0.125, 0.5);
    for (const g of info.groups) expect(floored.get(g.conv), g.conv).toBe(Math.ceil((headGroups(info).has(g.conv) ? 0.5 : 0.125) * g.width));
    // A target that the unprotected search reaches only by cutting heads below half: the protected one reaches it elsewhere.
    const target = 1.5 * lat.fps(full);
    const unprotected = searchWidths(info, lat, importance, target, free).widths;
    expect([...headGroups(info)].some((c) => unprotected.get(c)! < floored.get(c)!)).toBe(true);
    expect(lat.fps(floored)).toBeGreaterThan(target);
    const { widths } = searchWidths(info, lat, importance, target, floored);
    expect(lat.fps(widths)).toBeGreaterThanOrEqual(target);
    for (const c of headGroups(info)) expect(widths.get(c)!, c).toBeGreaterThanOrEqual(floored.get(c)!);
  }, 300_000);
});

describe('codenet prune output', () => {
  it('is a float model that quantize takes and the compiled program runs bit-exact on the reference interpreter', async () => {
    const out = join(root, 'target');
    const baseline = modelPerf(integerGraph(await loadFloatModel(floatDir)).model, U96).fps;
    const target = Math.round(1.25 * baseline);
    const r = await runCli('prune', floatDir, '--target-fps', String(target), '--board', 'ultra96v2', '--steps', '0', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cycle model on ultra96v2/);
    const rep = readPruneReport(join(out, 'prune-report.json'));
    expect(rep.before.fps).toBeCloseTo(baseline, 6);
    expect(rep.after.fps).toBeGreaterThanOrEqual(target);
    const q = join(root, 'q.json');
    const qr = await runCli('quantize', out, '--calib', 'builtin:4', '-o', q);
    expect(qr.code, qr.stderr).toBe(0);
    const m = loadModelFile(q);
    // The integer model has the pruned widths.
    for (const g of rep.groups) expect(m.tensors.get(g.conv)!.shape[2]).toBe(g.kept);
    const c = compileModel(m, U96);
    const input = imageCodes(randomImage(7, 64, 64));
    const mem = new Uint8Array(c.imageBytes);
    mem.set(c.image);
    writeInput(c.map, mem, input, U96);
    executeProgram(mem, 0, c.descriptors.length, U96);
    const golden = runGolden(m, new Map([[m.inputs[0], input]]), { keepAll: true });
    let compared = 0;
    for (const [name, want] of golden) {
      if (c.map.tensors.find((t) => t.name === name)!.onChip) continue; // an on-chip dilation map: its reader is compared
      expect(Buffer.from(readTensor(c.map, mem, name)).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), name).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
    const perf = await runCli('perf', q, '--board', 'ultra96v2', '--json');
    expect(perf.code).toBe(0);
    // The report's figure is the cycle model of the pruned topology (shapes only, as codenet perf models a zoo
    // topology); the quantized model's own program differs only by what its weight values change (a fraction of a percent).
    expect(Math.abs(JSON.parse(perf.stdout).cycles / rep.after.cycles - 1)).toBeLessThan(0.01);
    // And as a user runs it: a bundle of the pruned integer model on the ISA reference interpreter.
    const bundle = join(root, 'bundle');
    const br = await runCli('bundle', q, '-o', bundle);
    expect(br.code, br.stderr).toBe(0);
    const sim = await runCli('sim', bundle, '--simulator', 'reference');
    expect(sim.code, sim.stderr).toBe(0);
    expect(sim.stdout).toMatch(/bit-exact: \d+ tensors/);
  }, 300_000);

  it('--target-fps max prunes as far as the floors allow: the fastest the cycle model gives at the minimum widths', async () => {
    const out = join(root, 'max');
    const fm = await loadFloatModel(floatDir);
    const info = analyseGraph(fm), ig = integerGraph(fm);
    const fastest = new LatencyModel(info, ig.model, ig.source, U96).fps(minWidths(info, 0.125, 0.5));
    const r = await runCli('prune', floatDir, '--target-fps', 'max', '--board', 'ultra96v2', '--steps', '0', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const rep = readPruneReport(join(out, 'prune-report.json'));
    expect(rep.after.fps).toBeGreaterThanOrEqual(fastest * (1 - 1e-9));
    expect(rep.after.fps).toBeGreaterThan(rep.before.fps);
  }, 300_000);

  it('--ratio removes that share of the prunable channels', async () => {
    const out = join(root, 'ratio');
    const r = await runCli('prune', floatDir, '--ratio', '0.4', '--importance', 'l1', '--steps', '0', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    const rep = readPruneReport(join(out, 'prune-report.json'));
    expect(rep.prunableChannels.after).toBe(rep.prunableChannels.before - Math.round(0.4 * rep.prunableChannels.before));
    expect(rep.groups.reduce((a, g) => a + g.kept, 0)).toBe(rep.prunableChannels.after);
    const pm = await loadFloatModel(out);
    for (const g of rep.groups) {
      expect(pm.getLayer(g.conv).getConfig().filters).toBe(g.kept);
      expect(g.keptChannels.length).toBe(g.kept);
      expect(g.kept).toBeGreaterThanOrEqual(Math.ceil(0.125 * g.original));
    }
    expect(rep.groups.every((g) => g.method === 'l1')).toBe(true);
  }, 120_000);
});

describe('importance', () => {
  it('taylor ranks by the loss gradient on the batch-norm parameters, so it keeps other channels than bn', async () => {
    const run = async (name: string, method: string) => {
      const r = await runCli('prune', floatDir, '--ratio', '0.3', '--importance', method, '--taylor-batches', '1', '--batch', '2', '--steps', '0', '-o', join(root, name));
      expect(r.code, r.stderr).toBe(0);
      return readPruneReport(join(root, name, 'prune-report.json'));
    };
    const t = await run('taylor', 'taylor'), b = await run('bn', 'bn');
    expect(t.groups.every((g) => g.method === 'taylor')).toBe(true);
    expect(t.prunableChannels.after).toBe(b.prunableChannels.after);
    expect(t.groups.some((g, i) => JSON.stringify(g.keptChannels) !== JSON.stringify(b.groups[i].keptChannels))).toBe(true);
  }, 120_000);
});

describe('distillation', () => {
  it('adds its term to the fine-tuning loss, and --no-distill leaves it out', async () => {
    const run = async (name: string, ...extra: string[]) => {
      const r = await runCli('prune', floatDir, '--ratio', '0.3', '--steps', '2', '--batch', '4', '--seed', '1', '-o', join(root, name), ...extra);
      expect(r.code, r.stderr).toBe(0);
      return readPruneReport(join(root, name, 'prune-report.json')).finetune;
    };
    const on = await run('kd'), off = await run('nokd', '--no-distill');
    expect(on.steps).toBe(2);
    expect(off.distill).toEqual([0, 0]);
    expect(off.distillWeight).toBe(0);
    expect(on.distill.every((d) => d > 0)).toBe(true);
    // Step 0: the same pruned weights and batch, so the CenterNet parts are equal and the totals differ by the distillation term.
    expect(on.loss[0] - off.loss[0]).toBeCloseTo(on.distill[0], 3);
    const half = await run('kd-half', '--distill-weight', '0.5');
    expect(half.distill[0]).toBeCloseTo(on.distill[0] / 2, 4);
  }, 180_000);
});

describe('bad input exits 2 with one message', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unreachable target', ['--target-fps', '1000000'], /--target-fps 1000000: no pruning of codenet-tiny-skip reaches it on ultra96v2.*at best [\d.]+ FPS/],
    ['a ratio out of range', ['--ratio', '1.5'], /--ratio must be in \(0, 1\)/],
    ['both modes', ['--ratio', '0.2', '--target-fps', '5000'], /exactly one of --target-fps .* or --ratio/],
    ['neither mode', [], /exactly one of --target-fps .* or --ratio/],
    ['a ratio no minimum allows', ['--ratio', '0.95'], /--ratio 0.95: at most 0\.\d+ of the prunable channels/],
    ['a head floor out of range', ['--ratio', '0.2', '--head-min-keep', '0'], /--head-min-keep must be in \(0, 1\]/],
  ];
  for (const [what, args, msg] of cases)
    it(what, async () => {
      const out = join(root, `bad-${args.join('')}`);
      const r = await runCli('prune', floatDir, ...args, '--steps', '0', '-o', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }, 60_000);

  it('a model that is not a float model', async () => {
    const f = join(root, 'not-float.json');
    writeFileSync(f, JSON.stringify({ format: 'codenet-ir', layers: [] }));
    const r = await runCli('prune', f, '--ratio', '0.2', '-o', join(root, 'bad-int'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not-float.json is not a float model/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(f, 'utf8')).toContain('codenet-ir');
  });
});
