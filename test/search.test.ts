// codenet search (src/codesign/search*.ts): the Pareto front, bad input, the latency of a trial
// against codenet perf, and the Slurm / Kubernetes emission run task by task and collected, against
// an in-process --jobs 1 run of the same search.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { dominates, paretoFront } from '../src/codesign/search-pareto.ts';
import type { TrialResult } from '../src/codesign/search-trial.ts';
import { presetConfig } from '../src/hw/config.ts';
import { estimateResources } from '../src/codesign/search-resources.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'codenet.mjs');
const base = tempDir('cn-search-');

function space(name: string, json: unknown): string {
  const f = join(base, name);
  writeFileSync(f, JSON.stringify(json));
  return f;
}

/** Two model points x two hardware points of codenet-tiny-skip. */
const SMALL = {
  base: 'codenet-tiny-skip',
  model: { channels: [[24, 48, 96, 192, 128], [16, 32, 64, 128, 96]], deformable: [[false, false, true]] },
  hw: { pwOutputs: [16, 32], clockMHz: [250] },
};
// A short proxy training (2 steps of 2 images, AP50 on 4 validation images through the golden model).
const PROXY = ['--proxy', 'train', '--proxy-steps', '2', '--batch', '2', '--eval-images', '4', '--calib-images', '2', '--seed', '3'];

describe('the Pareto front', () => {
  const hw = presetConfig('ultra96v2');
  const r = (index: number, acc: number, fps: number, pwOutputs = 32): TrialResult => {
    const h = { ...hw, pwOutputs };
    return { index, name: `m${index}`, model: { base: 'codenet-tiny', channels: [8, 28, 56, 116, 256], repeats: [3, 7, 3], input: 64, stem: 's4', dmax: 7, deformable: [true, true, true] }, hw: h, cycles: 1e6 / fps, fps, macs: 1, resources: estimateResources(h), accuracy: { metric: 'ap50', value: acc }, trainLoss: [] };
  };
  it('keeps exactly the results no other is at least as good as in every objective', () => {
    const rs = [
      r(0, 0.5, 100), // dominated by 1 (same resources, better in both)
      r(1, 0.6, 120),
      r(2, 0.7, 90), // best accuracy
      r(3, 0.6, 120), // equal to 1: neither dominates
      r(4, 0.4, 110, 16), // fewer DSPs and LUTs: on the front despite less accuracy and FPS than 1
      r(5, 0.3, 100, 16), // dominated by 4
    ];
    expect(dominates(rs[1], rs[0])).toBe(true);
    expect(dominates(rs[0], rs[1])).toBe(false);
    expect(dominates(rs[1], rs[3])).toBe(false);
    expect(dominates(rs[1], rs[4])).toBe(false);
    expect(paretoFront(rs).map((x) => x.index)).toEqual([1, 2, 3, 4]);
    // Brute force: a point is on the front iff nothing dominates it.
    for (const x of rs) expect(paretoFront(rs).includes(x)).toBe(!rs.some((y) => dominates(y, x)));
  });
});

describe('bad input exits 2 with one message', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['an empty knob list', () => ['--space', space('empty.json', { base: 'codenet-tiny-skip', hw: { pwOutputs: [] } })], /empty\.json: invalid hw\.pwOutputs: must list at least one value/],
    ['a space with no buildable model', () => ['--space', space('noinput.json', { base: 'codenet-tiny-skip', model: { input: [48] } })], /search space .*noinput\.json is empty: no model point can be built \(model: input 48/],
    ['an unknown knob', () => ['--space', space('knob.json', { base: 'codenet-tiny-skip', hw: { lanez: [16] } })], /knob\.json: invalid hw: Unrecognized key: "lanez"/i],
    ['an unknown base', () => ['--space', space('base.json', { base: 'resnet' })], /base\.json: invalid base: must be a zoo network/],
    ['a points list beside knob lists', () => ['--space', space('both.json', { base: 'codenet-tiny-skip', model: { stem: ['s4'], points: [{ stem: 's4' }] } })], /both\.json: invalid model: give either "points" \(a list of model points\) or lists of knob values/],
    ['--export without a trial index', () => ['--export', base], /--export needs --index <i>/],
    ['caps no config meets', () => ['--space', space('caps.json', SMALL), '--cap-dsp', '10'], /no hardware point of search space .*caps\.json meets the resource caps on ultra96v2 .*DSP 170 of 360/],
    ['a clock over the board limit', () => ['--space', space('clock.json', { ...SMALL, hw: { clockMHz: [900] } })], /hw\.clockMHz 900 exceeds 645 MHz/],
    ['no config whose buffers hold the network', () => ['--space', space('rows.json', { ...SMALL, hw: { rowBufferBeats: [8] } })], /no trial's program compiles for its hardware config \(e\.g\. trial 0: layer "stem" \(stem\): input width 64 exceeds rowBufferBeats 8\)/],
    ['a missing space file', () => ['--space', join(base, 'nope.json')], /cannot read search space .*nope\.json: no such file/],
  ];
  cases.forEach(([what, args, msg], i) =>
    it(what, async () => {
      const out = join(base, `bad-${i}`);
      const r = await runCli('search', '--board', 'ultra96v2', '-o', out, '--proxy', 'capacity', ...args());
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      // Planning errors write nothing; a search whose every trial ran but none compiled has its results.
      expect(existsSync(join(out, 'pareto.json'))).toBe(false);
      if (i !== cases.length - 2) expect(existsSync(out)).toBe(false);
    }));

  it('a trial whose program does not compile is a result, not on the front', async () => {
    const dir = join(base, 'mixed');
    const r = await runCli('search', '--board', 'ultra96v2', '--space', space('mixed.json', { ...SMALL, model: { channels: [SMALL.model.channels[1]] }, hw: { ...SMALL.hw, rowBufferBeats: [8, 4096] } }), '-o', dir, '--proxy', 'capacity');
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8'));
    expect(p.results.map((t: TrialResult) => t.infeasible !== undefined)).toEqual([true, false, true, false]);
    expect(p.results[0].infeasible).toMatch(/exceeds rowBufferBeats 8/);
    expect(p.front.map((t: TrialResult) => t.index)).toEqual([1, 3]);
    expect(existsSync(join(dir, 'models', '0000.json'))).toBe(false);
    expect(readFileSync(join(dir, 'pareto.html'), 'utf8')).toContain('does not compile: layer');
  });

  it('a bad or missing trial index, and collecting an unfinished search', async () => {
    const dir = join(base, 'idx');
    const e = await runCli('search', '--board', 'ultra96v2', '--space', space('idx.json', SMALL), '-o', dir, '--proxy', 'capacity', '--emit', 'slurm');
    expect(e.code, e.stderr).toBe(0);
    for (const [index, msg] of [['4', /--index 4: the search in .* has trials 0 to 3/], ['-1', /--index must be a whole number >= 0, got "-1"/], ['x', /--index must be a whole number >= 0, got "x"/]] as const) {
      const r = await runCli('search', '--run-trial', dir, '--index', index);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect((await runCli('search', '--run-trial', dir)).stderr).toMatch(/--run-trial needs --index/);
    expect((await runCli('search', '--run-trial', base, '--index', '0')).stderr).toMatch(/is not a search folder: no search\.json/);
    const c = await runCli('search', '--collect', dir);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/4 of 4 trials have no result yet \(0, 1, 2, 3\)/);
  });
});

describe('a trial', () => {
  it('has the latency codenet perf gives for its model and config', async () => {
    const dir = join(base, 'perf');
    const r = await runCli('search', '--board', 'pynq-z2', '--space', space('perf.json', SMALL), '-o', dir, '--proxy', 'capacity', '--materialize', '1', '--no-synth');
    expect(r.code, r.stderr).toBe(0);
    const pareto = JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8'));
    const results = pareto.results as TrialResult[];
    // The chosen point is generated as codenet gen --target zynq writes it, for its model and config.
    expect(pareto.chosen).toHaveLength(1);
    const point = join(dir, 'points', String(pareto.chosen[0]).padStart(4, '0'));
    expect(existsSync(join(point, '.codenet-gen'))).toBe(true);
    expect(readFileSync(join(point, 'README.md'), 'utf8')).toContain('pynq-z2');
    expect(r.stdout).toContain(`materialized #${pareto.chosen[0]}`);
    expect(results).toHaveLength(4);
    for (const t of results) {
      const name = String(t.index).padStart(4, '0');
      const p = await runCli('perf', join(dir, 'models', `${name}.json`), '--hw', join(dir, 'models', `${name}.hw.json`), '--json');
      expect(p.code, p.stderr).toBe(0);
      const perf = JSON.parse(p.stdout);
      expect(perf.cycles).toBe(t.cycles);
      expect(perf.fps).toBe(t.fps);
      expect(perf.board).toBe('pynq-z2');
      expect(t.hw.lanes).toBe(8);
    }
    // A wider 1x1 array is faster on the same model.
    expect(results[1].fps).toBeGreaterThan(results[0].fps);
  });
});

/** The task command of an emitted Slurm script: what follows its `set` line (a quoted path may hold newlines). */
const slurmTask = (script: string) => {
  const set = 'set -euo pipefail\n';
  expect(script.split(set)).toHaveLength(2);
  return script.slice(script.indexOf(set) + set.length).trimEnd();
};

describe('cluster emission', () => {
  // A folder name a shell would otherwise interpret: it must stay data in the script and manifest.
  const hostile = join(base, "it's $(touch pwned) `x`;\ntouch pwned; dir");
  const local = join(base, 'local');
  let reference: unknown;

  it('an in-process --jobs 1 run (the reference)', async () => {
    const r = await runCli('search', '--board', 'ultra96v2', '--space', space('emit.json', SMALL), '-o', local, ...PROXY);
    expect(r.code, r.stderr).toBe(0);
    reference = JSON.parse(readFileSync(join(local, 'pareto.json'), 'utf8'));
    const p = reference as { results: TrialResult[]; front: TrialResult[] };
    expect(p.results.map((t) => t.accuracy.metric)).toEqual(['ap50', 'ap50', 'ap50', 'ap50']);
    expect(p.results.every((t) => t.trainLoss.length === 2)).toBe(true);
    expect(p.front.length).toBeGreaterThan(0);
  }, 60_000);

  it('--jobs 2 (child processes of the CLI) gives the same results', async () => {
    const dir = join(base, 'jobs2');
    const before = process.env.CODENET_TSX;
    process.env.CODENET_TSX = '1'; // the children run the sources, as this test does
    try {
      const r = await runCli('search', '--board', 'ultra96v2', '--space', join(base, 'emit.json'), '-o', dir, ...PROXY, '--jobs', '2');
      expect(r.code, r.stderr).toBe(0);
    } finally {
      if (before === undefined) delete process.env.CODENET_TSX;
      else process.env.CODENET_TSX = before;
    }
    expect(JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8'))).toEqual(reference);
  }, 120_000);

  it('slurm: the array task command run for each index, then --collect, equals the local run', async () => {
    const dir = join(hostile, 'slurm');
    mkdirSync(hostile, { recursive: true });
    const e = await runCli('search', '--board', 'ultra96v2', '--space', join(base, 'emit.json'), '-o', dir, ...PROXY, '--emit', 'slurm', '--codenet', BIN);
    expect(e.code, e.stderr).toBe(0);
    const script = readFileSync(join(dir, 'search.slurm'), 'utf8');
    expect(script).toMatch(/^#SBATCH --array=0-3$/m);
    const task = slurmTask(script);
    expect(task).toMatch(/ search --run-trial '[^]*' --index "\$SLURM_ARRAY_TASK_ID"$/);
    for (let i = 0; i < 4; i++) {
      const r = spawnSync('bash', ['-c', `set -euo pipefail\n${task}`], { cwd: base, encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: String(i), CODENET_TSX: '1' } });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(existsSync(join(base, 'pwned'))).toBe(false);
    const c = await runCli('search', '--collect', dir);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8'))).toEqual(reference);
  }, 120_000);

  it('k8s: the Indexed Job\'s command run for each completion index, then --collect, equals the local run', async () => {
    const dir = join(hostile, 'k8s');
    const e = await runCli('search', '--board', 'ultra96v2', '--space', join(base, 'emit.json'), '-o', dir, ...PROXY, '--emit', 'k8s', '--codenet', BIN, '--jobs', '2');
    expect(e.code, e.stderr).toBe(0);
    const yaml = readFileSync(join(dir, 'job.yaml'), 'utf8');
    expect(yaml).toMatch(/^ {2}completionMode: Indexed$/m);
    expect(yaml).toMatch(/^ {2}completions: 4$/m);
    expect(yaml).toMatch(/^ {2}parallelism: 2$/m);
    // The task is the one item of args: a YAML double-quoted scalar, which is also a JSON string.
    const args = /^ {10}args:\n {12}- (".*")$/m.exec(yaml);
    expect(args).not.toBeNull();
    const task = JSON.parse(args![1]) as string;
    expect(task).toContain('"$JOB_COMPLETION_INDEX"');
    expect(JSON.parse(/^ {14}mountPath: (".*")$/m.exec(yaml)![1])).toBe(resolve(dir));
    for (let i = 0; i < 4; i++) {
      const r = spawnSync('sh', ['-c', task], { cwd: base, encoding: 'utf8', env: { ...process.env, JOB_COMPLETION_INDEX: String(i), CODENET_TSX: '1' } });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(existsSync(join(base, 'pwned'))).toBe(false);
    const c = await runCli('search', '--collect', dir);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8'))).toEqual(reference);
  }, 120_000);
});
