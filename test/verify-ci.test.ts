// codenet in CI (docs/ci.md): verify --model for the user's own models, verify --shard K/N and
// verify --merge of the shards' JSON, sim --junit. The ISA reference interpreter keeps it fast.
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { presetConfig } from '../src/hw/config.ts';
import { serializeModel } from '../src/ir/save.ts';
import { encodeNpy } from '../src/io/npy.ts';
import { writeSimBundle } from '../src/gen/bundle.ts';
import { VerifyJsonSchema, parseShard, shardJobs, type VerifyJson } from '../src/verify/ci.ts';
import { corruptFirstWeight } from './helpers/corrupt-weight.ts';

const HW = presetConfig('ultra96v2');
const CASES = ['conv1x1-70to33', 'dw3x3-d0', 'maxpool-odd', 'stem-s1', 'shufflenet-unit'];
let root: string;

beforeAll(() => {
  root = tempDir('codenet-verify-ci-');
});

const readJson = (p: string): VerifyJson => VerifyJsonSchema.parse(JSON.parse(readFileSync(p, 'utf8')));
const key = (r: { name: string; simulator: string }) => `${r.name}/${r.simulator}`;

describe('codenet verify --model', () => {
  it('checks a zoo model and a model file with its own input, alone unless --case/--quick', async () => {
    const file = join(root, 'mine.json');
    const model = exportZooModel('codenet-tiny', { seed: 3 });
    writeFileSync(file, serializeModel(model));
    const npy = join(root, 'mine-input.npy');
    writeFileSync(npy, encodeNpy({ dtype: 'uint8', shape: [64, 64, 3], data: randomImage(44, 64, 64) }));
    const json = join(root, 'model.json');
    const r = await runCli('verify', '--simulator', 'reference', '--model', 'codenet-tiny', '--model', file, '--input', npy, '--input', npy, '--json', json);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS {2}reference model:codenet-tiny/);
    expect(r.stdout).toMatch(/PASS {2}reference model:mine/);
    expect(r.stdout).toContain('2 of 2 bit-exact on ultra96v2');
    expect(readJson(json).results.map((x) => x.name)).toEqual(['model:codenet-tiny', 'model:mine']);

    // with --case the named built-in cases run too
    const r2 = await runCli('verify', '--simulator', 'reference', '--model', file, '--case', 'stem-s1');
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r2.stdout).toContain('2 of 2 bit-exact');

    // one --input per --model; an input of the wrong shape names the file (exit 2)
    const r3 = await runCli('verify', '--simulator', 'reference', '--model', file, '--input', npy, '--input', npy);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('one --input per --model');
    const small = join(root, 'small.npy');
    writeFileSync(small, encodeNpy({ dtype: 'uint8', shape: [8, 8, 3], data: new Uint8Array(192) }));
    const r4 = await runCli('verify', '--simulator', 'reference', '--model', file, '--input', small);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain(small);
  });
});

describe('codenet verify --shard / --merge', () => {
  it('shards 1/3, 2/3, 3/3 run every job exactly once and merge to the totals of the whole run', async () => {
    const args = ['verify', '--simulator', 'reference', '--case', ...CASES, '--model', 'codenet-tiny'];
    const whole = join(root, 'whole.json');
    const r = await runCli(...args, '--json', whole);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const all = readJson(whole);
    expect(all.results).toHaveLength(CASES.length + 1);
    expect(all.shard).toBeUndefined();

    const parts: string[] = [];
    for (const k of [1, 2, 3]) {
      const json = join(root, `shard-${k}.json`), junit = join(root, `shard-${k}.xml`);
      const s = await runCli(...args, '--shard', `${k}/3`, '--json', json, '--junit', junit);
      expect(s.code, s.stdout + s.stderr).toBe(0);
      expect(s.stdout).toContain(`shard ${k}/3: `);
      expect(readJson(json).shard).toEqual({ index: k, count: 3 });
      expect(readFileSync(junit, 'utf8')).toContain(`name="codenet verify (shard ${k}/3)"`);
      parts.push(json);
    }
    const keys = parts.flatMap((p) => readJson(p).results.map(key));
    expect(keys.slice().sort()).toEqual(all.results.map(key).sort());
    expect(new Set(keys).size).toBe(keys.length);

    const merged = join(root, 'merged.json'), mergedXml = join(root, 'merged.xml');
    const m = await runCli('verify', '--merge', ...parts, '--json', merged, '--junit', mergedXml);
    expect(m.code, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toContain(`${all.results.length} of ${all.results.length} bit-exact on ultra96v2`);
    const mj = readJson(merged);
    expect(mj.shards).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
    expect(mj.results.map(key).sort()).toEqual(all.results.map(key).sort());
    expect(mj.results.reduce((a, x) => a + (x.elements ?? 0), 0)).toBe(all.results.reduce((a, x) => a + (x.elements ?? 0), 0));
    expect(readFileSync(mergedXml, 'utf8')).toContain(`tests="${all.results.length}" failures="0"`);

    // a failed job in any shard fails the merge (exit 1) and is in its JUnit
    const bad = join(root, 'shard-bad.json');
    const b = readJson(parts[1]);
    b.results[0] = { ...b.results[0], passed: false, message: 'injected mismatch' };
    writeFileSync(bad, JSON.stringify(b));
    const f = await runCli('verify', '--merge', parts[0], bad, parts[2], '--junit', mergedXml);
    expect(f.code).toBe(1);
    expect(f.stdout).toContain('injected mismatch');
    expect(readFileSync(mergedXml, 'utf8')).toContain('failures="1"');

    // a missing shard fails the merge; a file given twice is refused
    const miss = await runCli('verify', '--merge', parts[0], parts[2]);
    expect(miss.code).toBe(1);
    expect(miss.stdout).toContain('MISSING shard 2/3');
    const twice = await runCli('verify', '--merge', parts[0], parts[0]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`is in both ${parts[0]} and ${parts[0]}`);
  });

  it('a malformed or unreadable result file exits 2 naming it', async () => {
    const bad = join(root, 'not-results.json');
    writeFileSync(bad, JSON.stringify({ board: 'ultra96v2', results: 'none' }));
    const r = await runCli('verify', '--merge', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    const garbage = join(root, 'garbage.json');
    writeFileSync(garbage, '{ not json');
    const g = await runCli('verify', '--merge', garbage);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain(garbage);
  });

  it('parses K/N and splits jobs round-robin', async () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const v of ['0/3', '4/3', '1/0', 'x', '1/']) expect(() => parseShard(v), v).toThrow(/--shard takes K\/N/);
    expect(shardJobs([0, 1, 2, 3, 4, 5, 6], { index: 2, count: 3 })).toEqual([1, 4]);
    const r = await runCli('verify', '--simulator', 'reference', '--shard', '3/2');
    expect(r.code).toBe(2);
    // jobs go case by case, simulator by simulator: with hls and reference over 2 shards, shard 2/2
    // holds only the reference jobs and builds nothing (shard 1/2 would build the HLS C-simulation)
    const s2 = await runCli('verify', '--simulator', 'hls,reference', '--case', 'stem-s1', 'maxpool-odd', '--shard', '2/2');
    expect(s2.code, s2.stdout + s2.stderr).toBe(0);
    expect(s2.stdout).toContain('shard 2/2: 2 of 4 jobs');
    expect(s2.stdout).not.toContain('BUILD');
    expect(s2.stdout).not.toMatch(/PASS {2}hls/);
  });
});

describe('codenet sim --junit', () => {
  it('one testcase per layer; a failing run writes JUnit naming the first differing element and no sim-report.json', async () => {
    const model = exportZooModel('codenet-tiny', { seed: 2 });
    const dir = join(root, 'tiny');
    writeSimBundle(dir, model, HW, imageCodes(randomImage(9, 64, 64)));
    const ok = join(root, 'sim-ok.xml');
    const r = await runCli('sim', dir, '--simulator', 'reference', '--junit', ok);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const xml = readFileSync(ok, 'utf8');
    expect(xml).toContain(`tests="${model.layers.length}" failures="0"`);
    for (const l of model.layers) expect(xml).toContain(`classname="codenet.sim.reference" name="${l.name}"`);
    expect(existsSync(join(dir, 'sim-report.json'))).toBe(true);

    const bad = join(root, 'corrupt');
    cpSync(dir, bad, { recursive: true });
    corruptFirstWeight(bad);
    const failing = join(root, 'sim-bad.xml');
    const f = await runCli('sim', bad, '--simulator', 'reference', '--junit', failing);
    expect(f.code).toBe(1);
    const first = /MISMATCH: layer "([^"]+)", tensor "([^"]+)" at y=(\d+) x=(\d+) c=(\d+)/.exec(f.stdout)!;
    expect(first, f.stdout).not.toBeNull();
    const fx = readFileSync(failing, 'utf8');
    expect(fx).not.toContain('failures="0"');
    expect(fx).toContain(`<failure message="layer &quot;${first[1]}&quot;`);
    expect(fx).toContain(`tensor &quot;${first[2]}&quot; at (y ${first[3]}, x ${first[4]}, c ${first[5]})`);
    expect(existsSync(join(bad, 'sim-report.json'))).toBe(false);
  });
});
