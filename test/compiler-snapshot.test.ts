// The compiler's output, byte for byte (test/helpers/compiler-snapshot.ts): SHA-256 of memory.bin,
// the relocations, the program and data/memory-map.json of every zoo model on ultra96v2 and
// pynq-z2 (seed-0 weights as `codenet gen` compiles them, and every topology with random
// uncalibrated parameters, also without fusion and without on-chip tensors) and of every verify
// case, recorded in test/fixtures/compiler-snapshot.json with the compiler before it was split
// into plan and emit. A refactoring of the compiler changes none of them.
//
// The seed-0 256- and 512-pixel zoo models take about 40 s to calibrate; they are checked with
//   CODENET_SNAPSHOT_FULL=1 npx vitest run test/compiler-snapshot.test.ts
// (their uncalibrated topologies, compiled in every run, take the same compiler paths).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fingerprintOf, snapshotCases, type Fingerprint } from './helpers/compiler-snapshot.ts';

const FULL = process.env.CODENET_SNAPSHOT_FULL === '1';
const expected = JSON.parse(readFileSync(new URL('./fixtures/compiler-snapshot.json', import.meta.url), 'utf8')) as Record<string, Fingerprint>;
const cases = snapshotCases();

describe('compiler output is byte-identical to the recorded fingerprints', () => {
  it('the fixture covers every case and nothing else', () => {
    expect(cases.map((k) => k.key).sort()).toEqual(Object.keys(expected).sort());
    // 7 zoo models with seed-0 weights, and 7 topologies x 3 option sets, on 2 boards.
    expect(cases.filter((k) => k.key.startsWith('zoo/')).length).toBe(14);
    expect(cases.filter((k) => k.key.startsWith('zoo-raw/')).length).toBe(42);
    expect(cases.filter((k) => k.key.startsWith('verify/')).length).toBeGreaterThan(100);
    // codenet-d and codenet-e do not fit pynq-z2 (a row of the decoder's offset conv exceeds the row buffer).
    expect(Object.entries(expected).filter(([, f]) => 'refused' in f).map(([k]) => k).sort()).toEqual([
      'zoo-raw/codenet-d/pynq-z2', 'zoo-raw/codenet-d/pynq-z2+nochip', 'zoo-raw/codenet-d/pynq-z2+nofuse',
      'zoo-raw/codenet-e/pynq-z2', 'zoo-raw/codenet-e/pynq-z2+nochip', 'zoo-raw/codenet-e/pynq-z2+nofuse',
      'zoo/codenet-d/pynq-z2', 'zoo/codenet-e/pynq-z2',
    ]);
  });

  it.each(cases.filter((k) => !k.slow).map((k) => [k.key, k] as const))('%s', (key, k) => {
    expect(fingerprintOf(k.compile)).toEqual(expected[key]);
  });

  it.skipIf(!FULL)('the seed-0 zoo models codenet-a .. e and the codenet-a verify case', () => {
    const slow = cases.filter((k) => k.slow);
    expect(slow.length).toBe(16);
    for (const k of slow) expect(fingerprintOf(k.compile), k.key).toEqual(expected[k.key]);
  });
});
