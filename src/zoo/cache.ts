/**
 * Zoo models built once: the seeded random-weight model of a zoo name (src/zoo/export.ts, which
 * calibrates on random images and takes seconds) is kept in the build cache (cacheDir('zoo')) and
 * later runs load it, which the fast model loader (src/ir/fast-parse.ts) does in a fraction of that.
 *
 * The entry is named by a hash of the name, seed, class count and the text of every source file
 * the builder imports (followed from src/zoo/export.ts), so changing the code that builds a model
 * gives another entry. Its first line holds the SHA-256 of the model text: an entry that does not
 * match it or does not load is rebuilt, never trusted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Model } from '../ir/model.ts';
import { validateModel } from '../ir/load.ts';
import { serializeModel } from '../ir/save.ts';
import { exportZooModel, type ExportOptions } from './export.ts';
import { DEFAULT_CLASSES } from './specs.ts';
import { cacheDir, writeCachedFile } from '../util/build-cache.ts';
import { PROJECT_ROOT } from '../util/paths.ts';

const BUILDER = join(PROJECT_ROOT, 'src', 'zoo', 'export.ts');
const HEADER = 'codenet-zoo-cache 1';

/** A quoted relative module path in a source file: imports, re-exports and dynamic imports. */
const RELATIVE_MODULE = /['"](\.\.?\/[^'"\n]+\.(?:ts|mjs))['"]/g;

/** Every source file reachable from `entry` through relative imports, sorted (entry included). */
export function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    for (const m of readFileSync(f, 'utf8').matchAll(RELATIVE_MODULE)) todo.push(resolve(dirname(f), m[1]));
  }
  return [...seen].sort();
}

let builderHash: string | undefined;

/** Hash of the builder's sources (once per process); undefined without the sources (no caching then). */
function sourcesHash(): string | undefined {
  if (builderHash !== undefined) return builderHash || undefined;
  const h = createHash('sha256');
  const files = existsSync(BUILDER) ? sourceClosure(BUILDER) : [];
  for (const f of files) h.update(`${relative(PROJECT_ROOT, f)}\0${readFileSync(f, 'utf8')}\0`);
  builderHash = files.length > 0 ? h.digest('hex') : '';
  return builderHash || undefined;
}

/** The cache file of a zoo model, or undefined when it cannot be keyed (no sources beside the code). */
export function zooCachePath(name: string, opts: ExportOptions = {}): string | undefined {
  const src = sourcesHash();
  if (!src) return undefined;
  const seed = opts.seed ?? 0, classes = opts.classes ?? DEFAULT_CLASSES;
  const key = createHash('sha256').update(JSON.stringify({ name, seed, classes, src })).digest('hex').slice(0, 24);
  return join(cacheDir('zoo'), `${name}-${key}.json`);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The cached model, or undefined when the entry is missing, altered or does not load. */
function readEntry(path: string, name: string): Model | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  if (nl < 0 || text.slice(0, nl) !== `${HEADER} ${sha256(body)}`) return undefined;
  try {
    return validateModel(JSON.parse(body), `zoo model ${name} (cached in ${path})`);
  } catch {
    return undefined;
  }
}

/** exportZooModel through the cache: loaded when a valid entry exists, else built and stored. */
export function cachedZooModel(name: string, opts: ExportOptions = {}): Model {
  const path = zooCachePath(name, opts);
  const hit = path ? readEntry(path, name) : undefined;
  if (hit) return hit;
  const model = exportZooModel(name, opts);
  if (path) {
    const body = serializeModel(model);
    try {
      writeCachedFile(path, `${HEADER} ${sha256(body)}\n${body}`);
    } catch {
      // A read-only or full cache folder only costs the next run the build again.
    }
  }
  return model;
}
