/**
 * Lint of the compute datapath RTL (hw/cn_requant.v, hw/cn_mul2.v, hw/cn_dot2.v,
 * hw/cn_dw3x3_pe.v): `verilator --lint-only -Wall` must print nothing for every module at several
 * parameter values, Icarus (-g2012 -Wall) must compile each one silently, and an Icarus smoke
 * simulation must show no X on any valid or data output after reset.
 * (The AXI modules hw/cn_axi*.v have their own lint test.)
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/sim/verilator.ts';

interface Unit {
  top: string;
  files: string[];
  params: Array<Record<string, number>>;
}

const UNITS: Unit[] = [
  { top: 'cn_requant', files: ['hw/cn_requant.v'], params: [{}, { LANES: 4 }] },
  { top: 'cn_mul2', files: ['hw/cn_mul2.v'], params: [{}] },
  { top: 'cn_dot2', files: ['hw/cn_dot2.v', 'hw/cn_mul2.v'], params: [{}, { K: 1 }, { K: 3 }, { K: 8 }] },
  { top: 'cn_dw3x3_pe', files: ['hw/cn_dw3x3_pe.v'], params: [{}, { LANES: 8 }] },
];

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('compute RTL lint', () => {
  for (const u of UNITS)
    for (const p of u.params) {
      const label = `${u.top}${Object.keys(p).length ? ' ' + JSON.stringify(p) : ''}`;
      it(`verilator --lint-only -Wall: ${label}`, () => {
        const gs = Object.entries(p).map(([k, v]) => `-G${k}=${v}`);
        const r = run('verilator', ['--lint-only', '-Wall', '--top-module', u.top, ...gs, ...u.files]);
        expect(r.out, r.out).toBe('');
        expect(r.status).toBe(0);
      });
    }

  for (const u of UNITS)
    it(`iverilog -g2012: ${u.top}`, () => {
      const r = run('iverilog', ['-g2012', '-Wall', '-o', '/dev/null', '-s', u.top, ...u.files]);
      expect(r.out, r.out).toBe('');
      expect(r.status).toBe(0);
    });

  it('Icarus smoke simulation: no X after reset, sample values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cn-nox-'));
    try {
      const vvp = join(dir, 'nox.vvp');
      const c = run('iverilog', ['-g2012', '-Wall', '-o', vvp, '-s', 'tb_cn_compute_nox', 'test/hw/tb_cn_compute_nox.v',
        'hw/cn_requant.v', 'hw/cn_dot2.v', 'hw/cn_mul2.v', 'hw/cn_dw3x3_pe.v']);
      expect(c.out, c.out).toBe('');
      expect(c.status).toBe(0);
      const s = run('vvp', ['-n', vvp]);
      expect(s.out).toBe('PASS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
