// The ONNX project's node tests of the ops codenet imports (Debian's libonnx-testdata): each one
// either imports and matches the stored outputs or exits 2; the table in docs/import.md is current.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { initBackend } from '../src/float/model.ts';
import { NODE_TESTS, nodeTable, runNodeTests, type NodeResult } from './helpers/onnx-node-tests.ts';

const present = existsSync(NODE_TESTS);
if (!present) console.warn(`import-onnx-node: ${NODE_TESTS} is missing (Debian: apt-get install libonnx-testdata; scripts/setup.sh installs it); the ONNX node tests are skipped`);

describe.skipIf(!present)('ONNX node tests (libonnx-testdata)', () => {
  let rows: NodeResult[];
  beforeAll(async () => {
    await initBackend();
    rows = await runNodeTests();
  });
  it('every node test of an imported op either matches the stored outputs or is refused with exit 2', () => {
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.result !== 'pass' && r.result !== 'refused')).toEqual([]);
    expect(rows.filter((r) => r.result === 'pass').map((r) => r.test)).toEqual(expect.arrayContaining(['test_basic_conv_with_padding', 'test_conv_with_autopad_same', 'test_maxpool_2d_precomputed_same_upper']));
    // Refusals name the node's problem, not only the file.
    expect(rows.find((r) => r.test === 'test_maxpool_2d_default')!.detail).toMatch(/\(MaxPool\): kernel_shape \[2,2\]/);
    expect(rows.find((r) => r.test === 'test_resize_upsample_sizes_nearest_floor_align_corners')!.detail).toMatch(/"align_corners" and nearest_mode "floor" maps output 2 to input 0/);
  });
  it('docs/import.md holds the current table (scripts/onnx-node-table.ts writes it)', () => {
    const doc = readFileSync(new URL('../docs/import.md', import.meta.url), 'utf8');
    expect(doc).toContain(nodeTable(rows));
  });
});
