/**
 * data/manifest.json: the size and SHA-256 of every file `codenet sim` consumes from a folder
 * written by `codenet bundle` or `codenet gen` (rtl/, sim/, hls/, data/), so that a damaged or
 * truncated program or image is refused (exit 2 naming the file) instead of simulated for hours.
 *
 * data/ is verified strictly: the program, the image, the relocations, the input, the memory map,
 * the model and the hardware config must be exactly what was written. rtl/, sim/ and hls/ must be
 * present; their contents may be edited (experimenting with the RTL is legitimate), and when an
 * edited file then fails to build, the error names it (editedFiles).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues, fail } from '../util/errors.ts';

export const MANIFEST_FILE = 'data/manifest.json';
export const MANIFEST_FORMAT = 'codenet-manifest';
export const MANIFEST_VERSION = 1;
/** The folders whose files the manifest lists. */
const COVERED = /^(rtl|sim|hls|data)\//;
/** Files verified byte for byte (the rest only for presence). */
const STRICT = /^data\//;

const ManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(MANIFEST_VERSION),
  /** The command that wrote the folder ("codenet bundle <model>"): what to run again to regenerate it. */
  writtenBy: z.string(),
  algorithm: z.literal('sha256'),
  files: z.record(z.string(), z.strictObject({ bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type Manifest = z.infer<typeof ManifestSchema>;

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The manifest of a folder's files (path -> contents); files outside rtl/, sim/, hls/, data/ are not listed. */
export function renderManifest(files: Record<string, string | Uint8Array>, writtenBy: string): string {
  const listed = Object.keys(files).filter((n) => COVERED.test(n) && n !== MANIFEST_FILE).sort();
  const m: Manifest = {
    format: MANIFEST_FORMAT, version: MANIFEST_VERSION, writtenBy, algorithm: 'sha256',
    files: Object.fromEntries(listed.map((n) => {
      const data = files[n];
      return [n, { bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length, sha256: sha256(data) }];
    })),
  };
  return JSON.stringify(m, null, 1) + '\n';
}

/** Reads and validates a folder's manifest (exit 2 naming it when missing or malformed). */
export function readManifest(dir: string, shown = dir): Manifest {
  const p = join(dir, MANIFEST_FILE);
  const where = join(shown, MANIFEST_FILE);
  if (!existsSync(p)) fail(`${where} is missing (it holds the checksums of the folder's program and image); regenerate the folder with "codenet bundle <model> -o ${shown}" or "codenet gen"`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    fail(`${where} is not valid JSON (${(e as Error).message}); regenerate the folder with "codenet bundle <model> -o ${shown}" or "codenet gen"`);
  }
  const r = ManifestSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(where, r.error.issues));
  for (const n of Object.keys(r.data.files))
    if (!COVERED.test(n) || n.split('/').some((s) => s === '' || s === '.' || s === '..')) fail(`${where}: field "files" lists "${n}", which is not a file of rtl/, sim/, hls/ or data/`);
  return r.data;
}

/**
 * Checks a folder against its manifest: every listed file present, every data/ file with its
 * recorded size and checksum. Returns the rtl/, sim/ and hls/ files whose contents differ.
 */
export function verifyManifest(dir: string, shown = dir): { manifest: Manifest; edited: string[] } {
  const manifest = readManifest(dir, shown);
  const regen = `regenerate the folder with "${manifest.writtenBy} -o ${shown}" and the options it was made with`;
  const edited: string[] = [];
  for (const [name, want] of Object.entries(manifest.files)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || !st.isFile()) fail(`${join(shown, name)} is missing (${MANIFEST_FILE} lists it); ${regen}`);
    const strict = STRICT.test(name);
    if (strict && st.size !== want.bytes)
      fail(`${join(shown, name)}: checksum mismatch: it holds ${st.size} bytes, ${MANIFEST_FILE} says ${want.bytes} (the file is damaged or was edited); ${regen}`);
    const got = sha256(readFileSync(p));
    if (got === want.sha256) continue;
    if (strict) fail(`${join(shown, name)}: checksum mismatch: SHA-256 ${got.slice(0, 16)}..., ${MANIFEST_FILE} says ${want.sha256.slice(0, 16)}... (the file is damaged or was edited); ${regen}`);
    edited.push(name);
  }
  return { manifest, edited };
}

/**
 * Rewrites the manifest of a folder from the files it holds now, keeping the listed names: for a
 * deliberate edit (tests that corrupt a weight on purpose).
 */
export function refreshManifest(dir: string): void {
  const m = readManifest(dir);
  const files = Object.fromEntries(Object.keys(m.files).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
  writeFileSync(join(dir, MANIFEST_FILE), renderManifest(files, m.writtenBy));
}
