import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

// One Verilator build of the accelerator serves `codenet verify`, `codenet sim` and `make -C sim`
// on the same RTL (src/util/build-cache.ts; codenet sim puts the cached build where the folder's
// Makefile looks for it). A fresh CODENET_CACHE makes the first build happen here, so it is counted.
describe('one Verilator build shared by verify, sim and make -C sim', () => {
  const saved = process.env.CODENET_CACHE;
  const cache = tempDir('codenet-cache-');
  beforeAll(() => { process.env.CODENET_CACHE = cache; });
  afterAll(() => { if (saved === undefined) delete process.env.CODENET_CACHE; else process.env.CODENET_CACHE = saved; });
  const builds = () => readdirSync(join(cache, 'verilator')).filter((n) => !n.startsWith('.'));

  it('verify builds once (its own JUnit entry), sim and make -C sim reuse that build', async () => {
    const dir = tempDir('codenet-share-');
    const v = await runCli('verify', '--simulator', 'verilator', '--case', 'conv1x1-70to33', '--junit', join(dir, 'junit.xml'));
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/BUILD verilator +built in/);
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(xml).toContain('name="build"');
    expect(xml).toContain('name="conv1x1-70to33"');
    expect(builds()).toHaveLength(1);

    const b = await runCli('bundle', 'codenet-tiny', '-o', join(dir, 'b'));
    expect(b.code, b.stderr).toBe(0);
    const s = await runCli('sim', join(dir, 'b'));
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(s.stdout).toContain('bit-exact');
    expect(builds()).toHaveLength(1);
    expect(existsSync(join(dir, 'b/sim/build/obj/Vcodenet_accel'))).toBe(true);

    // make finds the executable up to date: it runs it without invoking verilator.
    const out = execFileSync('make', ['-C', join(dir, 'b/sim')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).not.toMatch(/verilator .*--cc/);
    expect(out).toMatch(/"cycles":\d+/);
    expect(builds()).toHaveLength(1);

    // A second verify finds the build in the cache.
    const v2 = await runCli('verify', '--simulator', 'verilator', '--case', 'conv1x1-70to33');
    expect(v2.stdout).toMatch(/BUILD verilator +cached in/);
    expect(builds()).toHaveLength(1);
  });
});
