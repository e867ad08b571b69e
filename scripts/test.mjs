#!/usr/bin/env node
// `npm test`: type-check, run every vitest suite (all tiers: test/tiers.ts), and end with one plain
// "N passed, N failed, N skipped" line. Arguments go to vitest: `npm run test:unit` is this with
// `--project unit`, and `node scripts/test.mjs test/sim.test.ts` runs one file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
if (run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']) !== 0) {
  console.log('type check failed');
  process.exit(1);
}
mkdirSync('.cache', { recursive: true });
// One report per run: two runs in the same tree (two tiers at once) do not read each other's.
const report = `.cache/vitest-report-${process.pid}.json`;
const code = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(report, { force: true });
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
process.exit(code);
