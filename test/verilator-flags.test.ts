// The generated sim/Makefile builds the RTL with the same C++ optimisation and parallel compile as
// codenet's own Verilator builds (src/sim/verilator.ts), so `make -C sim` is as fast to build and
// its model as fast to run.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERILATOR_MAKEFLAGS } from '../src/sim/verilator.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';

describe('Verilator build flags', () => {
  it('the sim Makefile passes codenet\'s make flags and compiles on every core', () => {
    const mk = readFileSync(join(PROJECT_ROOT, 'templates/sim/Makefile.hbs'), 'utf8');
    const vflags = mk.split('\n').find((l) => l.startsWith('VFLAGS :='))!;
    expect(vflags).toContain(`-MAKEFLAGS "${VERILATOR_MAKEFLAGS}"`);
    expect(vflags).toContain('-j $(JOBS)');
    expect(mk).toMatch(/^JOBS\s+\?= \$\(shell nproc/m);
  });
});
