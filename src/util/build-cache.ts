/**
 * The one content-hash build cache of codenet, shared by Verilator (src/sim/verilator.ts), Icarus
 * (src/sim/icarus.ts), the HLS C-simulation g++ build (src/sim/hls.ts) and Yosys
 * (src/synth/yosys.ts).
 *
 * Its folder is $CODENET_CACHE, else $XDG_CACHE_HOME/codenet, else ~/.cache/codenet; each tool has
 * a subfolder (verilator/, icarus/, hls/, yosys/) of entries named by a hash of every input.
 *
 * An entry is built in a temporary folder beside it named with the pid (makeTempDir, so a signal
 * or a later run removes it) and published with one rename. Two processes filling the cache at
 * once are safe: whoever renames second finds the entry there, uses it and discards its own build.
 * An entry is never replaced while another process may be running it.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { keepTempDir, makeTempDir, removeTempDir } from './proc.ts';
import { withProgress, withProgressSync } from './progress.ts';

/** The cache folder: $CODENET_CACHE, $XDG_CACHE_HOME/codenet or ~/.cache/codenet. */
export function cacheRoot(): string {
  if (process.env.CODENET_CACHE) return resolve(process.env.CODENET_CACHE);
  if (process.env.XDG_CACHE_HOME) return join(resolve(process.env.XDG_CACHE_HOME), 'codenet');
  return join(homedir(), '.cache', 'codenet');
}

/** The cache's subfolder of one tool (`verilator`, `icarus`, `hls`, `yosys`). */
export const cacheDir = (tool: string): string => join(cacheRoot(), tool);

export interface CacheEntry {
  /** The entry's folder. */
  dir: string;
  /** The product file inside it (the executable, .vvp, ...). */
  path: string;
  /** True when this call built it (false: it was in the cache, or another process published it first). */
  built: boolean;
  /** Seconds this call spent building (0 on a hit). */
  seconds: number;
}

/** Moves a finished build `tmp` to `dir`; if `dir` appeared meanwhile (another process), keeps that one. */
function publish(tmp: string, dir: string, product: string): boolean {
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(tmp, dir);
      keepTempDir(tmp);
      return true;
    } catch (e) {
      if (existsSync(join(dir, product))) {
        removeTempDir(tmp);
        return false;
      }
      // An entry without its product (left by an older codenet): replace it, once.
      if (attempt > 0 || !existsSync(dir)) {
        removeTempDir(tmp);
        throw e;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function prepare(root: string, name: string, product: string): { dir: string; path: string } {
  const dir = join(root, name);
  return { dir, path: join(dir, product) };
}

/**
 * The entry `name` of cache folder `root` (e.g. cacheDir('verilator')) whose product file is
 * `product`: found, or built by `build(tmp)` (which must write `tmp/product`) and published
 * atomically. A failed build leaves nothing behind. The temporary folder is `<tempPrefix><pid>-XXXXXX`.
 */
export async function cachedBuild(root: string, name: string, product: string, build: (tmp: string) => Promise<void>, tempPrefix = '.build-'): Promise<CacheEntry> {
  const b = begin(root, name, product, tempPrefix);
  if ('built' in b) return b;
  try {
    await withProgress(buildLabel(root, name), undefined, () => build(b.tmp));
  } catch (e) {
    removeTempDir(b.tmp);
    throw e;
  }
  return finish(b, product);
}

interface PendingBuild { dir: string; path: string; tmp: string; t0: number }

/** The cached entry, or a fresh temporary folder to build it in. */
function begin(root: string, name: string, product: string, tempPrefix: string): CacheEntry | PendingBuild {
  const { dir, path } = prepare(root, name, product);
  if (existsSync(path)) return { dir, path, built: false, seconds: 0 };
  mkdirSync(root, { recursive: true });
  return { dir, path, t0: performance.now(), tmp: makeTempDir(root, tempPrefix) };
}

/** Publishes a finished build (publish) and says whether this process's build was the one kept. */
function finish(b: PendingBuild, product: string): CacheEntry {
  const built = publish(b.tmp, b.dir, product);
  return { dir: b.dir, path: b.path, built, seconds: (performance.now() - b.t0) / 1000 };
}

/** What a build is called in progress lines: the tool of its cache folder, and the entry. */
function buildLabel(root: string, name: string): string {
  const tool = ({ verilator: 'verilator', icarus: 'iverilog', hls: 'g++' } as Record<string, string>)[basename(root)] ?? basename(root);
  return `${tool} build of ${name}`;
}

/** cachedBuild for a synchronous build (tests). */
export function cachedBuildSync(root: string, name: string, product: string, build: (tmp: string) => void, tempPrefix = '.build-'): CacheEntry {
  const b = begin(root, name, product, tempPrefix);
  if ('built' in b) return b;
  try {
    withProgressSync(buildLabel(root, name), undefined, () => build(b.tmp));
  } catch (e) {
    removeTempDir(b.tmp);
    throw e;
  }
  return finish(b, product);
}

/** Writes a one-file cache entry (`<root>/<name>`) atomically: a temporary file named with the pid, then a rename. */
export function writeCachedFile(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
