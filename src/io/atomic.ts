/**
 * All-or-nothing output: a command that writes several files either leaves all of them or none.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { makeTempDir, removeTempDir } from '../util/proc.ts';
import { UserError, fail, fsErrorReason } from '../util/errors.ts';

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
  try {
    writeFilesInto(dir, files);
  } catch (e) {
    outputError(e, files.length === 1 ? join(dir, files[0].name) : dir);
  }
}

function writeFilesInto(dir: string, files: ReadonlyArray<OutputFile>): void {
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
  const tmp = makeTempDir(parent, `.${basename(target)}.tmp-`); // .<name>.tmp-<pid>-XXXXXX: src/util/proc.ts
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
    removeTempDir(tmp);
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
        const st = statSync(dst);
        if (st.isDirectory()) fail(`cannot write ${dst}: a directory of that name is in the way`);
        // Renaming over a device or FIFO would replace it (as root, /dev/null itself): refuse.
        if (!st.isFile()) fail(`cannot write ${dst}: it exists and is not a regular file (a device, pipe or socket)`);
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
  try {
    replaceDir(dir, files);
  } catch (e) {
    outputError(e, dir);
  }
}

function replaceDir(dir: string, files: ReadonlyArray<OutputFile>): void {
  const target = resolve(dir);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tmp = makeTempDir(parent, `.${basename(target)}.tmp-`); // .<name>.tmp-<pid>-XXXXXX: src/util/proc.ts
  try {
    const staged = join(tmp, 'new');
    writeFilesInto(staged, files);
    if (existsSync(target)) renameSync(target, join(tmp, 'old'));
    try {
      renameSync(staged, target);
    } catch (e) {
      if (existsSync(join(tmp, 'old'))) renameSync(join(tmp, 'old'), target);
      throw e;
    }
  } finally {
    removeTempDir(tmp);
  }
}

/**
 * Rethrows a file-system error met while writing `target` (an output path the user gave or a
 * default one) as a UserError naming it: exit 2 with one message, not a stack trace. Errors
 * that are not the user's (FS_USER_ERRORS in src/util/errors.ts) are rethrown unchanged.
 */
export function outputError(e: unknown, target: string): never {
  if (e instanceof UserError) throw e;
  const reason = fsErrorReason(e);
  if (reason === undefined) throw e;
  const blocker = nonFolderAncestor(target);
  return fail(`cannot write ${target}: ${blocker ? `${blocker} is not a folder` : reason}`);
}

/** stat, or undefined for a path that does not exist or cannot be reached (ENOENT, ENOTDIR, EACCES, ...). */
function statOrNone(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The nearest existing ancestor of `p` that is not a folder (a file, a device), if any. */
function nonFolderAncestor(p: string): string | undefined {
  for (let d = dirname(resolve(p)); ; d = dirname(d)) {
    const st = statOrNone(d);
    if (st) return st.isDirectory() ? undefined : d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * Checks, before any work, that an output can be created at `path`: a folder (`kind` "folder",
 * the folder itself) or a file (`kind` "file"). Refuses a path under a file or device, a folder
 * where a file goes and the other way round, a device or other special file as a file output, and
 * a location where nothing can be created (the nearest existing ancestor is probed with a
 * temporary folder that is removed at once: /proc, /sys, read-only or not writable). Every
 * refusal is a UserError naming the path. Later failures (a full disk) still come from the
 * writers through outputError.
 */
export function checkOutputPath(path: string, kind: 'folder' | 'file'): void {
  const target = resolve(path);
  const blocker = nonFolderAncestor(target);
  if (blocker) fail(`cannot write ${path}: ${blocker} is not a folder`);
  const st = statOrNone(target);
  if (st && kind === 'folder' && !st.isDirectory()) fail(`cannot write output folder ${path}: it exists and is not a folder`);
  if (st && kind === 'file' && st.isDirectory()) fail(`cannot write ${path}: it is a folder`);
  if (st && kind === 'file' && !st.isFile()) fail(`cannot write ${path}: it exists and is not a regular file (a device, pipe or socket)`);
  // The writers stage beside the target (in its nearest existing ancestor) and, when the target
  // folder exists, move files into it: both places must take a new entry.
  let base = dirname(target);
  while (!existsSync(base) && dirname(base) !== base) base = dirname(base);
  for (const d of st && kind === 'folder' ? [base, target] : [base]) {
    try {
      rmdirSync(mkdtempSync(join(d, '.codenet-probe-')));
    } catch (e) {
      outputError(e, path);
    }
  }
}
