// `codenet gen` compiles the model once: the bundle, the drivers, the report and the printed
// prediction all read the same compiled program (the performance model consumes it, src/perf).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCount } from '../src/compiler/compile.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const root = tempDir('codenet-compile-once-');

describe('one compilation per command', () => {
  it('gen --target zynq --no-synth compiles once, and its report and printed prediction agree', async () => {
    const out = join(root, 'gen');
    const before = compileCount();
    const r = await runCli('gen', '--target', 'zynq', '--no-synth', '--model', 'codenet-tiny', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(compileCount() - before).toBe(1);
    // The report's predicted cycles and the printed expectation come from that one program.
    const report = JSON.parse(readFileSync(join(out, 'report/report.json'), 'utf8')) as { layers: Array<{ predictedCycles: number }> };
    const cycles = report.layers.reduce((a, l) => a + l.predictedCycles, 0);
    expect(cycles).toBeGreaterThan(0);
    expect(r.stdout).toContain(`expected: ${cycles.toLocaleString('en-US')} cycles per frame`);
    expect(existsSync(join(out, 'data/memory.bin'))).toBe(true);
  }, 120_000);

  it('perf --report and explain compile once', async () => {
    let before = compileCount();
    const p = await runCli('perf', 'codenet-tiny', '--report', join(root, 'perf'));
    expect(p.code, p.stderr).toBe(0);
    expect(compileCount() - before).toBe(1);
    before = compileCount();
    const e = await runCli('explain', 'codenet-tiny', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(compileCount() - before).toBe(1);
  });
});
