// Verilator simulation of cn_axil_regs (tb_axil_regs.cpp): register map, AW/W ordering, byte
// strobes, start pulse, sticky done / W1C / irq, SLVERR, the 64-bit counter latch and a random
// read/write sequence against a reference model.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { buildVerilated } from '../../src/sim/verilator.ts';

function run(exe: string, args: string[]): { errors: number; checks: number; log: string } {
  let log: string;
  try {
    log = execFileSync(exe, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    log = `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
  }
  const m = /RESULT errors=(\d+) checks=(\d+)/.exec(log);
  if (!m) throw new Error(`no RESULT line from ${exe}:\n${log}`);
  return { errors: +m[1], checks: +m[2], log };
}

describe('cn_axil_regs', () => {
  let exe = '';
  it('builds', () => {
    exe = buildVerilated({
      top: 'cn_axil_regs',
      sources: ['hw/cn_axil_regs.v'],
      cppSources: ['test/hw/tb_axil_regs.cpp'],
      includeDirs: ['hw'], // cn_isa.h: the register map (src/isa)
      params: { NUM_COUNTERS: 4 },
    });
  });

  for (const seed of [1, 2, 3]) {
    it(`register tests, seed ${seed}`, () => {
      const r = run(exe, [`--seed=${seed}`, '--ops=3000']);
      if (r.errors) console.log(r.log);
      expect(r.errors).toBe(0);
      expect(r.checks).toBeGreaterThan(3000);
    });
  }
});
