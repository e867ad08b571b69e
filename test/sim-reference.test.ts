import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

// `codenet sim --simulator reference`: the ISA reference interpreter (src/compiler/reference.ts) on a
// generated folder's data/, the fast untimed check (no build, no simulator installed).
describe('codenet sim --simulator reference', () => {
  it('runs a bundle bit-exact without building anything, untimed, and leaves report/ alone', async () => {
    const dir = join(tempDir('codenet-simref-'), 'b');
    expect((await runCli('bundle', 'codenet-tiny', '-o', dir)).code).toBe(0);
    const r = await runCli('sim', dir, '--simulator', 'reference');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('ISA reference interpreter (untimed');
    expect(r.stdout).toMatch(/bit-exact: \d+ tensors/);
    const rep = JSON.parse(readFileSync(join(dir, 'sim-report.json'), 'utf8')) as { simulator: string; match: boolean; totalCycles: number };
    expect([rep.simulator, rep.match, rep.totalCycles]).toEqual(['reference', true, 0]);
    expect(existsSync(join(dir, 'sim/build'))).toBe(false);
  });

});
