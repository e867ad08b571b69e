import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, cacheRoot, cachedBuild, cachedBuildSync, writeCachedFile } from '../src/util/build-cache.ts';
import { tempDir } from './helpers/temp.ts';

// The one content-hash build cache (src/util/build-cache.ts) of Verilator, Icarus, g++ and Yosys.
describe('build cache', () => {
  const saved = { c: process.env.CODENET_CACHE, x: process.env.XDG_CACHE_HOME };
  afterEach(() => {
    for (const [k, v] of [['CODENET_CACHE', saved.c], ['XDG_CACHE_HOME', saved.x]] as const) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });

  it('its folder is $CODENET_CACHE, else $XDG_CACHE_HOME/codenet, else ~/.cache/codenet', () => {
    process.env.CODENET_CACHE = '/some/where';
    process.env.XDG_CACHE_HOME = '/xdg';
    expect(cacheRoot()).toBe('/some/where');
    expect(cacheDir('yosys')).toBe('/some/where/yosys');
    delete process.env.CODENET_CACHE;
    expect(cacheRoot()).toBe('/xdg/codenet');
    delete process.env.XDG_CACHE_HOME;
    expect(cacheRoot()).toBe(join(homedir(), '.cache', 'codenet'));
  });

  it('builds an entry once, then finds it', async () => {
    const root = join(tempDir('codenet-bc-'), 'tool');
    let n = 0;
    const build = async (tmp: string) => { n++; writeFileSync(join(tmp, 'out'), 'x'); };
    const a = await cachedBuild(root, 'k1', 'out', build);
    const b = await cachedBuild(root, 'k1', 'out', build);
    expect([a.built, b.built, n]).toEqual([true, false, 1]);
    expect(b.path).toBe(join(root, 'k1', 'out'));
    expect(readdirSync(root)).toEqual(['k1']);
    expect(cachedBuildSync(root, 'k1', 'out', () => { throw new Error('not again'); }).built).toBe(false);
  });

  it('two builders filling the same entry at once: one publishes, the other uses it and discards its own', async () => {
    const root = join(tempDir('codenet-bc-'), 'tool');
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const build = (text: string) => async (tmp: string) => { await gate; writeFileSync(join(tmp, 'out'), text); };
    const p = [cachedBuild(root, 'k', 'out', build('first')), cachedBuild(root, 'k', 'out', build('second'))];
    release();
    const [a, b] = await Promise.all(p);
    expect([a.built, b.built].sort()).toEqual([false, true]);
    expect(a.path).toBe(b.path);
    expect(['first', 'second']).toContain(readFileSync(a.path, 'utf8'));
    // no temporary folder is left behind
    expect(readdirSync(root)).toEqual(['k']);
  });

  it('an entry without its product is replaced', async () => {
    const root = join(tempDir('codenet-bc-'), 'tool');
    mkdirSync(join(root, 'k'), { recursive: true });
    writeFileSync(join(root, 'k', 'junk'), '');
    const e = await cachedBuild(root, 'k', 'out', async (tmp) => writeFileSync(join(tmp, 'out'), 'ok'));
    expect(e.built).toBe(true);
    expect(readdirSync(join(root, 'k'))).toEqual(['out']);
  });

  it('a failed build leaves nothing behind', async () => {
    const root = join(tempDir('codenet-bc-'), 'tool');
    await expect(cachedBuild(root, 'k', 'out', async () => { throw new Error('compiler said no'); })).rejects.toThrow('compiler said no');
    expect(readdirSync(root)).toEqual([]);
    expect(() => cachedBuildSync(root, 'k', 'out', () => { throw new Error('no'); })).toThrow('no');
    expect(readdirSync(root)).toEqual([]);
  });

  it('one-file entries are written atomically', () => {
    const root = join(tempDir('codenet-bc-'), 'yosys');
    writeCachedFile(join(root, 'a.json'), '{}');
    writeCachedFile(join(root, 'a.json'), '{"b":1}');
    expect(readdirSync(root)).toEqual(['a.json']);
    expect(readFileSync(join(root, 'a.json'), 'utf8')).toBe('{"b":1}');
  });
});
