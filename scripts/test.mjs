#!/usr/bin/env node
// `npm test`: type-check, run every vitest suite, and end with one plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
if (run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']) !== 0) {
  console.log('type check failed');
  process.exit(1);
}
mkdirSync('.cache', { recursive: true });
const report = '.cache/vitest-report.json';
const code = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
process.exit(code);
