// The compiled CLI: esbuild bundles src/ into dist/<signature>/ so a run loads JavaScript instead of
// transpiling TypeScript through tsx every time. <signature> hashes the path, size and mtime of every
// file under src/, so an edited source gives another folder: a developer never runs stale code, and
// a run that started from an older build keeps its own folder (its lazily loaded chunks stay put).
// Plain JavaScript with node: imports only: this file runs before anything is compiled.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Entry points besides the CLI: worker threads, loaded by file name next to the chunk that starts them. */
const ENTRIES = ['src/cli/main.ts', 'src/float/float-worker.ts', 'src/quant/qat-worker.ts'];

// src/float/parallel.ts starts `./worker-entry.mjs` with workerData.entry naming the TypeScript
// module (`./float-worker.ts`, `./qat-worker.ts`); in a bundle they sit beside it as .mjs files.
const WORKER_ENTRY = `// Written by bin/dist.mjs: the bundled twin of src/float/worker-entry.mjs (no tsx needed).
import { workerData } from 'node:worker_threads';
await import(workerData.entry.replace(/\\.ts$/, '.mjs'));
`;

/** Build folders no run started from for this long (their mtime) are removed after a build. */
const PRUNE_MS = 24 * 3600 * 1000;

/** Hash of the relative path, size and mtime of every file under `<root>/src` (about 150 stats). */
export function srcSignature(root) {
  const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort();
  const h = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    h.update(`${f.slice(root.length)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The bundle folder of the current sources, `<root>/dist/<signature>`. Its depth below the package
 * root equals src/<dir>/ (two levels), so the `../..` of src/util/paths.ts and src/cli/program.ts
 * still lands on the package root and templates/, hw/ and sim/ resolve as from the sources.
 */
export function distDir(root) {
  return join(root, 'dist', srcSignature(root));
}

/**
 * The bundled CLI entry if the current sources are built, else undefined. Marks the folder as used
 * now (its mtime), so pruning spares builds that runs still start from.
 */
export function builtEntry(root) {
  const dir = distDir(root);
  const main = join(dir, 'main.mjs');
  if (!existsSync(main)) return undefined;
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // A read-only install: nothing is pruned there either.
  }
  return main;
}

/**
 * Builds the current sources into dist/<signature>/ unless already there; returns the CLI entry.
 * The build goes to a temporary folder published with one rename, so two processes building at
 * once both end with a complete folder (the second rename fails and its copy is dropped).
 */
export function buildDist(root) {
  const dir = distDir(root);
  const main = join(dir, 'main.mjs');
  if (existsSync(main)) return Promise.resolve(main);
  // One build per folder in a process; two processes race safely through the rename in build().
  let p = inflight.get(dir);
  if (!p) {
    p = build(root, dir, main).finally(() => inflight.delete(dir));
    inflight.set(dir, p);
  }
  return p;
}

/** Builds in progress in this process, by folder. */
const inflight = new Map();

async function build(root, dir, main) {
  const esbuild = await import('esbuild');
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: ENTRIES,
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // npm packages load from node_modules as they do under tsx (native addons, wasm files).
      packages: 'external',
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' },
      logLevel: 'error',
    });
    // Ends esbuild's helper process now rather than leaving it beside the CLI run (unless this
    // process is building another folder with it).
    if (inflight.size <= 1) esbuild.stop();
    writeFileSync(join(tmp, 'worker-entry.mjs'), WORKER_ENTRY);
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!existsSync(main)) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  prune(join(root, 'dist'), dir);
  return main;
}

/** Removes build folders (and abandoned temporary ones) unused for a day, never `keep`. */
function prune(distRoot, keep) {
  const now = Date.now();
  for (const name of readdirSync(distRoot)) {
    const p = join(distRoot, name);
    if (p === keep) continue;
    try {
      if (now - statSync(p).mtimeMs > PRUNE_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}
