/**
 * All-or-nothing output: a command that writes several files either leaves all of them or none.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fail } from '../util/errors.ts';

export interface OutputFile {
  /** Path relative to the output folder; '/' separates subfolders. */
  name: string;
  data: Buffer | string;
}

/**
 * Writes `files` into `dir`. Everything is first written into a fresh temporary folder beside
 * `dir` (same parent, so renames stay on one file system and are atomic). If `dir` does not
 * exist the temporary folder is renamed to it in one step; otherwise the files are renamed into
 * it one by one, and should that fail the files already moved are taken out again and the
 * files they replaced are put back. On any error the temporary folder is removed and the error
 * rethrown, so a failure never leaves half-written output.
 */
export function writeFilesAtomically(dir: string, files: ReadonlyArray<OutputFile>): void {
  const target = resolve(dir);
  const names = files.map((f) => checkName(f.name, dir));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`writeFilesAtomically: file "${n}" is given twice`);
    seen.add(n);
  }
  if (existsSync(target) && !statSync(target).isDirectory()) fail(`cannot write output into ${dir}: it exists and is not a directory`);

  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    const staged = join(tmp, 'new');
    mkdirSync(staged);
    files.forEach((f, i) => {
      const p = join(staged, names[i]);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.data);
    });
    if (!existsSync(target)) {
      renameSync(staged, target);
    } else {
      moveInto(staged, target, names, join(tmp, 'old'));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Normalizes a relative file name, refusing anything that would land outside the folder. */
function checkName(name: string, dir: string): string {
  const parts = name.split('/');
  if (!name || name.startsWith('/') || name.includes('\\') || name.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..'))
    fail(`cannot write "${name}" into ${dir}: output file names must be relative paths without empty, "." or ".." parts`);
  return parts.join(sep);
}

/** Moves staged files into an existing folder; on failure restores the folder as it was. */
function moveInto(staged: string, target: string, names: string[], backup: string): void {
  const undo: Array<() => void> = [];
  try {
    for (const n of names) {
      const dst = join(target, n);
      // Create missing subfolders, remembering them so a rollback can remove them.
      const missing: string[] = [];
      for (let d = dirname(dst); d !== target && !existsSync(d); d = dirname(d)) missing.unshift(d);
      for (const d of missing) {
        mkdirSync(d);
        undo.push(() => rmdirSync(d));
      }
      if (existsSync(dst)) {
        if (statSync(dst).isDirectory()) throw new Error(`cannot replace ${dst}: it is a directory`);
        const b = join(backup, n);
        mkdirSync(dirname(b), { recursive: true });
        renameSync(dst, b);
        undo.push(() => renameSync(b, dst));
      }
      renameSync(join(staged, n), dst);
      undo.push(() => rmSync(dst, { force: true }));
    }
  } catch (e) {
    for (const u of undo.reverse()) {
      try { u(); } catch { /* best effort: keep undoing the rest */ }
    }
    throw e;
  }
}

/**
 * Replaces the whole folder `dir` with exactly `files` (a generated folder: no stale files from an
 * earlier run). The new folder is staged beside it and swapped in with two renames; on any error
 * the old folder is left as it was.
 */
export function replaceDirAtomically(dir: string, files: ReadonlyArray<OutputFile>): void {
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    const staged = join(tmp, 'new');
    writeFilesAtomically(staged, files);
    if (existsSync(target)) renameSync(target, join(tmp, 'old'));
    try {
      renameSync(staged, target);
    } catch (e) {
      if (existsSync(join(tmp, 'old'))) renameSync(join(tmp, 'old'), target);
      throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
