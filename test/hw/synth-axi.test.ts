// Yosys synthesis smoke test (synth_xilinx, UltraScale+) of the AXI interface blocks: each must
// synthesize with no DSP; the LUT/FF figures are printed.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runYosys } from '@yowasp/yosys';
import { PROJECT_ROOT } from '../../src/sim/verilator.ts';

interface Cells {
  luts: number;
  ffs: number;
  dsps: number;
  brams: number;
  carries: number;
  cells: Record<string, number>;
}

/** Parses the cell table of Yosys `stat` output. */
function parseStat(text: string): Cells {
  const cells: Record<string, number> = {};
  for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9_]*)\s+(\d+)\s*$/gm)) cells[m[1]] = (cells[m[1]] ?? 0) + Number(m[2]);
  const sum = (re: RegExp) => Object.entries(cells).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v, 0);
  return {
    luts: sum(/^LUT[1-6]$/),
    ffs: sum(/^FD[RSCP]E$/),
    dsps: sum(/^DSP/),
    brams: sum(/^RAMB/),
    carries: sum(/^CARRY/),
    cells,
  };
}

async function synth(mod: string): Promise<Cells> {
  const src = readFileSync(join(PROJECT_ROOT, 'hw', `${mod}.v`), 'utf8');
  const out = await runYosys(
    ['-q', '-p', `read_verilog -sv ${mod}.v; synth_xilinx -family xcup -top ${mod}; tee -o stat.txt stat`],
    // cn_axil_regs.v includes cn_isa.vh (the register map), read from the same folder.
    { [`${mod}.v`]: src, 'cn_isa.vh': readFileSync(join(PROJECT_ROOT, 'hw', 'cn_isa.vh'), 'utf8') },
    { stdout: null },
  );
  const stat = out?.['stat.txt'];
  if (stat === undefined || typeof stat === 'object' && !(stat instanceof Uint8Array)) throw new Error(`yosys produced no stat.txt for ${mod}`);
  const text = typeof stat === 'string' ? stat : new TextDecoder().decode(stat);
  expect(text).toContain(`=== ${mod} ===`);
  return parseStat(text);
}

describe('yosys synth_xilinx -family xcup', () => {
  for (const mod of ['cn_axi_rd', 'cn_axi_wr', 'cn_axil_regs']) {
    it(`${mod} synthesizes with 0 DSP`, async () => {
      const c = await synth(mod);
      console.log(`${mod} (defaults): ${c.luts} LUT, ${c.ffs} FF, ${c.carries} CARRY, ${c.dsps} DSP, ${c.brams} BRAM (INV ${c.cells.INV ?? 0})`);
      expect(c.dsps).toBe(0);
      expect(c.brams).toBe(0);
      expect(c.luts).toBeGreaterThan(0);
      expect(c.ffs).toBeGreaterThan(0);
    });
  }
});
