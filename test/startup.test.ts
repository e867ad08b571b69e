/**
 * Start-up: the compiled CLI (bin/dist.mjs, dist/<signature>/) gives the same bytes as the
 * TypeScript sources through tsx, a source change is seen as a new signature, and zoo models are
 * built once into the build cache (src/zoo/cache.ts), with altered entries rebuilt.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { buildDist, builtEntry, distDir, srcSignature } from '../bin/dist.mjs';
import { cachedZooModel, sourceClosure, zooCachePath } from '../src/zoo/cache.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { serializeModel } from '../src/ir/save.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'codenet.mjs');

function cli(args: string[], env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The files of a folder and their bytes, for comparing two outputs. */
const filesOf = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

/** Runs `fn` with CODENET_CACHE set to `dir`, restoring the previous value. */
function withCache<T>(dir: string, fn: () => T): T {
  const old = process.env.CODENET_CACHE;
  process.env.CODENET_CACHE = dir;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env.CODENET_CACHE;
    else process.env.CODENET_CACHE = old;
  }
}

describe('compiled CLI', () => {
  it('exists after a build and writes the same golden outputs as the tsx path', async () => {
    const entry = await buildDist(ROOT);
    expect(existsSync(entry)).toBe(true);
    expect(entry).toBe(join(distDir(ROOT), 'main.mjs'));
    // Two levels below the package root, like src/<dir>/, so package-relative paths resolve.
    expect(dirname(dirname(dirname(entry)))).toBe(ROOT.replace(/\/$/, ''));
    for (const w of ['float-worker.mjs', 'qat-worker.mjs', 'worker-entry.mjs']) expect(existsSync(join(dirname(entry), w))).toBe(true);
    const tmp = tempDir('cn-startup-');
    const args = (out: string) => ['golden', 'codenet-tiny', '--seed', '3', '--dump-layers', '--out', join(tmp, out)];
    // The tsx run builds the zoo model into an empty cache, the compiled run loads it.
    const cache = join(tmp, 'cache');
    cli(args('tsx'), { CODENET_TSX: '1', CODENET_CACHE: cache });
    cli(args('dist'), { CODENET_CACHE: cache });
    const a = filesOf(join(tmp, 'tsx')), b = filesOf(join(tmp, 'dist'));
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    // The version comes from package.json found relative to the bundle.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'], {}).trim()).toBe(pkg.version);
  }, 120_000);

  it('sees an edited, added or removed source as stale and builds it into a new folder', async () => {
    const root = tempDir('cn-startup-tree-');
    const write = (rel: string, text: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    };
    write('src/cli/main.ts', "import { twice } from '../util/twice.ts';\nconsole.log(twice(21));\n");
    write('src/util/twice.ts', 'export const twice = (n: number): number => 2 * n;\n');
    write('src/float/float-worker.ts', 'export {};\n');
    write('src/quant/qat-worker.ts', 'export {};\n');
    expect(builtEntry(root)).toBeUndefined();
    const first = await buildDist(root);
    expect(builtEntry(root)).toBe(first);
    const run = (entry: string) => spawnSync(process.execPath, [entry], { encoding: 'utf8' }).stdout.trim();
    expect(run(first)).toBe('42');

    // Same size, another mtime (moved on explicitly, whatever the clock's resolution): stale.
    const rewrite = (body: string) => {
      const f = join(root, 'src/util/twice.ts'), t = statSync(f).mtime;
      writeFileSync(f, body);
      utimesSync(f, t, new Date(t.getTime() + 5000));
    };
    rewrite('export const twice = (n: number): number => 3 * n;\n');
    expect(builtEntry(root)).toBeUndefined();
    const second = await buildDist(root);
    expect(second).not.toBe(first);
    expect(run(second)).toBe('63');
    expect(existsSync(first)).toBe(true); // a run that started from the old build keeps its files

    // Two processes building the same new sources at once: both get the one published folder.
    rewrite('export const twice = (n: number): number => 4 * n;\n');
    const builder = `const { buildDist } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'bin', 'dist.mjs')).href)}); console.log(await buildDist(${JSON.stringify(root)}));`;
    const race = await Promise.all([0, 1].map(() => new Promise<string>((done, failed) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', builder], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      c.on('exit', (code) => (code === 0 ? done(out.trim()) : failed(new Error(`builder exited with ${code}`))));
    })));
    expect(race[0]).toBe(race[1]);
    expect(run(race[0])).toBe('84');
    expect(readdirSync(join(root, 'dist')).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const sig = srcSignature(root);
    write('src/util/extra.ts', 'export {};\n');
    expect(srcSignature(root)).not.toBe(sig);
  }, 60_000);
});

describe('zoo model cache', () => {
  it('builds a zoo model once, loads it after, and keys it by name, seed and class count', () => {
    const cache = tempDir('cn-zoo-cache-');
    withCache(cache, () => {
      const path = zooCachePath('codenet-tiny', { seed: 1 })!;
      expect(path.startsWith(join(cache, 'zoo'))).toBe(true);
      expect(existsSync(path)).toBe(false);
      const built = cachedZooModel('codenet-tiny', { seed: 1 });
      expect(existsSync(path)).toBe(true);
      expect(serializeModel(built)).toBe(serializeModel(exportZooModel('codenet-tiny', { seed: 1 })));
      expect(zooCachePath('codenet-tiny', { seed: 2 })).not.toBe(path);
      expect(zooCachePath('codenet-tiny', { seed: 1, classes: 3 })).not.toBe(path);
      expect(zooCachePath('codenet-tiny', { seed: 1 })).toBe(path);

      // An entry with a consistent checksum is what the next run uses: rename the model inside it.
      const text = readFileSync(path, 'utf8');
      const body = text.slice(text.indexOf('\n') + 1);
      const def = JSON.parse(body) as { metadata: { name: string } };
      def.metadata.name = 'from-the-cache';
      const altered = JSON.stringify(def) + '\n';
      writeFileSync(path, `${text.slice(0, text.indexOf(' ', 'codenet-zoo-cache '.length))} ${createHash('sha256').update(altered).digest('hex')}\n${altered}`);
      expect(cachedZooModel('codenet-tiny', { seed: 1 }).name).toBe('from-the-cache');
    });
  }, 60_000);

  it('rebuilds a corrupted or truncated entry instead of trusting it', () => {
    const cache = tempDir('cn-zoo-cache-');
    withCache(cache, () => {
      const good = serializeModel(cachedZooModel('codenet-tiny', { seed: 4 }));
      const path = zooCachePath('codenet-tiny', { seed: 4 })!;
      const text = readFileSync(path, 'utf8');
      // One weight character changed: the checksum no longer matches.
      const i = text.indexOf('"data":"') + 20;
      const flipped = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
      for (const bad of [flipped, text.slice(0, text.length >> 1), '']) {
        writeFileSync(path, bad);
        expect(serializeModel(cachedZooModel('codenet-tiny', { seed: 4 }))).toBe(good);
        expect(readFileSync(path, 'utf8')).toBe(text);
      }
    });
  }, 60_000);

  it('keys the entry by the code that builds the model, followed through its imports', () => {
    const files = sourceClosure(join(ROOT, 'src/zoo/export.ts')).map((f) => f.slice(ROOT.length).replace(/^\//, ''));
    for (const f of ['src/zoo/export.ts', 'src/zoo/graph.ts', 'src/zoo/calibrate.ts', 'src/zoo/specs.ts', 'src/golden/kernels.ts', 'src/ir/load.ts', 'src/numerics/requant.ts'])
      expect(files).toContain(f);
  });
});
