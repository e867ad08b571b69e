// Types of bin/dist.mjs for the TypeScript scripts and tests that import it.
/** Hash of the relative path, size and mtime of every file under `<root>/src`. */
export function srcSignature(root: string): string;
/** The bundle folder of the current sources, `<root>/dist/<signature>`. */
export function distDir(root: string): string;
/** The bundled CLI entry if the current sources are built, else undefined. */
export function builtEntry(root: string): string | undefined;
/** Builds the current sources into dist/<signature>/ unless already there; returns the CLI entry. */
export function buildDist(root: string): Promise<string>;
