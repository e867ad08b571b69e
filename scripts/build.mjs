#!/usr/bin/env node
// `npm run build` and the npm `prepare` step (so `npm ci` leaves a compiled CLI): bundles src/ into
// dist/<signature>/ with esbuild (bin/dist.mjs). Prints the CLI entry it built or found.
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { buildDist } from '../bin/dist.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const t0 = performance.now();
const main = await buildDist(root);
console.log(`codenet: compiled CLI ${relative(root, main)} (${Math.round(performance.now() - t0)} ms)`);
