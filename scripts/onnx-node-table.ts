// Writes the table of the ONNX node tests (Debian's libonnx-testdata) into docs/import.md, between
// its markers: `node bin/run-ts.mjs scripts/onnx-node-table.ts`. test/import-onnx-node.test.ts
// checks that the table there is what the importer does now.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { initBackend } from '../src/float/model.ts';
import { NODE_TESTS, nodeTable, runNodeTests } from '../test/helpers/onnx-node-tests.ts';

const BEGIN = '<!-- onnx-node-tests: written by scripts/onnx-node-table.ts -->', END = '<!-- /onnx-node-tests -->';
const DOC = new URL('../docs/import.md', import.meta.url);

if (!existsSync(NODE_TESTS)) {
  console.error(`${NODE_TESTS} is missing: apt-get install libonnx-testdata`);
  process.exit(1);
}
await initBackend();
const rows = await runNodeTests();
const doc = readFileSync(DOC, 'utf8');
const [a, b] = [doc.indexOf(BEGIN), doc.indexOf(END)];
if (a < 0 || b < a) throw new Error(`docs/import.md has no ${BEGIN} ... ${END} markers`);
writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${nodeTable(rows)}\n${doc.slice(b)}`);
const bad = rows.filter((r) => r.result !== 'pass' && r.result !== 'refused');
console.log(`docs/import.md: ${rows.length} node tests, ${rows.filter((r) => r.result === 'pass').length} pass, ${rows.filter((r) => r.result === 'refused').length} refused${bad.length ? `, ${bad.length} wrong: ${bad.map((r) => r.test).join(', ')}` : ''}`);
if (bad.length) process.exit(1);
