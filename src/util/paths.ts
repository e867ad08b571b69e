import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The codenet checkout: templates/, hw/, sim/ and the .cache/ of builds are found from here. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A file-name-safe, deterministic form of a name for default output paths: every character
 * (code point) outside `[A-Za-z0-9._-]` becomes `_`, a leading `.` becomes `_`, and when that
 * changed anything or the name is longer than 64 characters, it is cut to 64 and `-` plus the
 * first 8 hex digits of the SHA-256 of the original name are appended (so two names that differ
 * only in such characters still get different folders). An empty name becomes `model`.
 * Ordinary names (`codenet-a`) are unchanged. docs/outputs.md.
 */
export function safeSlug(name: string): string {
  const plain = name.replace(/[^A-Za-z0-9._-]/gu, '_').replace(/^\./, '_');
  if (plain === name && name.length > 0 && name.length <= 64) return name;
  if (name.length === 0) return 'model';
  return `${plain.slice(0, 64)}-${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8)}`;
}

/**
 * The default output folder `build/<codenet-...>` of a command, from parts that may come from a
 * model's metadata (each made safe with safeSlug and joined with `-`), relative to the current
 * folder and always inside `build/`.
 */
export function defaultBuildDir(prefix: string, ...parts: string[]): string {
  const dir = join('build', [prefix, ...parts.map(safeSlug)].join('-'));
  const rel = relative(resolve('build'), resolve(dir));
  if (!rel || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) throw new Error(`defaultBuildDir: ${dir} is not a folder directly inside build/`);
  return dir;
}
