/**
 * `npm run gen:contract`: renders the hardware/software contract (src/isa: the descriptor layout
 * and the register map) into the committed files that follow it: hw/cn_isa.vh (included by
 * hw/cn_accel_seq.v and hw/cn_axil_regs.v), hw/cn_isa.h (test/hw testbenches) and the descriptor
 * and register tables of docs/isa.md (between their markers). `--check` writes nothing and exits 1
 * naming the files that are not current (test/isa.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractFiles } from '../src/isa/render.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [rel, text] of Object.entries(contractFiles())) {
  const path = join(PROJECT_ROOT, rel);
  let old = '';
  try { old = readFileSync(path, 'utf8'); } catch { /* new file */ }
  if (old === text) continue;
  stale.push(rel);
  if (!check) writeFileSync(path, text);
}
if (check && stale.length) {
  console.error(`not current (run npm run gen:contract): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(stale.length ? `${check ? 'stale' : 'wrote'}: ${stale.join(', ')}` : 'the contract files are current');
