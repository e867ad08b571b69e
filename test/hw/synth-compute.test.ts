/**
 * Synthesis check of the compute datapath with Yosys synth_xilinx (@yowasp/yosys, WebAssembly):
 * the DSP-packing claims (one cn_mul2 = one DSP48E2; cn_dot2 K=4 = 8 MACs on 4 DSPs; one DSP
 * per cn_requant lane; no DSP in cn_dw3x3_pe) and the LUT/FF figures, printed for the record.
 *
 * Yosys maps multipliers to DSP48E2 for UltraScale+ (xcup) but packs pipeline registers, the
 * post-adder and C constants into DSPs only for 7-series (xilinx_dsp handles DSP48E1 alone), so
 * on xcup the A/B/M/P registers of cn_mul2 are counted as fabric FFs (Vivado absorbs them). The
 * xc7 run shows that the whole cn_mul2 pipeline is DSP-shaped: nothing but the weight-packing
 * LUTs stays outside the DSP48E1.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runYosys } from '@yowasp/yosys';
import { PROJECT_ROOT } from '../../src/sim/verilator.ts';

type Family = 'xcup' | 'xc7';

interface Synth {
  cells: Record<string, number>;
  lut: number;
  ff: number;
  dsp: number;
  carry: number;
  srl: number;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw new Error('yosys produced no stat output');
}

/** synth_xilinx of `top` (flattened, no I/O buffers); returns the mapped cell counts. */
async function synth(top: string, files: string[], family: Family, params: Record<string, number> = {}): Promise<Synth> {
  const inputs: Record<string, string> = {};
  for (const f of files) inputs[basename(f)] = readFileSync(join(PROJECT_ROOT, f), 'utf8');
  const chparam = Object.keys(params).length
    ? `chparam ${Object.entries(params).map(([k, v]) => `-set ${k} ${v}`).join(' ')} ${top}; `
    : '';
  const script = `read_verilog -sv ${Object.keys(inputs).join(' ')}; ${chparam}` +
    `synth_xilinx -family ${family} -top ${top} -flatten -noiopad; tee -q -o stat.json stat -json`;
  const out = await runYosys(['-q', '-p', script], inputs, { stdout: null });
  if (!out || typeof out !== 'object') throw new Error('yosys returned no files');
  const stat = JSON.parse(text((out as Record<string, unknown>)['stat.json'])) as { design: { num_cells_by_type: Record<string, number> } };
  const cells = stat.design.num_cells_by_type;
  const sum = (re: RegExp) => Object.entries(cells).filter(([t]) => re.test(t)).reduce((a, [, n]) => a + n, 0);
  return {
    cells,
    lut: sum(/^LUT[1-6]$/),
    ff: sum(/^FD[RSCP]E$/),
    dsp: sum(/^DSP48/),
    carry: sum(/^CARRY[48]$/),
    srl: sum(/^SRL/),
  };
}

function report(label: string, s: Synth): void {
  console.log(`${label}: ${s.dsp} DSP, ${s.lut} LUT, ${s.ff} FF, ${s.srl} SRL, ${s.carry} CARRY  ${JSON.stringify(s.cells)}`);
}

/** No multiplier may be left unmapped or soft. */
function noSoftMultipliers(s: Synth): void {
  expect(Object.keys(s.cells).filter((t) => /mul|MULT/i.test(t))).toEqual([]);
}

describe('Yosys synth_xilinx of the compute datapath', () => {
  it('cn_mul2 maps to exactly one DSP48E2 (xcup)', async () => {
    const s = await synth('cn_mul2', ['hw/cn_mul2.v'], 'xcup');
    report('cn_mul2 xcup', s);
    expect(s.cells.DSP48E2).toBe(1);
    expect(s.dsp).toBe(1);
    noSoftMultipliers(s);
  });

  it('cn_mul2 on xc7: registers and the +2^11 constant are absorbed into one DSP48E1', async () => {
    const s = await synth('cn_mul2', ['hw/cn_mul2.v'], 'xc7');
    report('cn_mul2 xc7', s);
    expect(s.cells.DSP48E1).toBe(1);
    expect(s.dsp).toBe(1);
    expect(s.ff).toBe(0);      // A, B, M and P registers all inside the DSP
    expect(s.carry).toBe(0);   // the rounding constant uses the DSP post-adder
    expect(s.lut).toBeLessThanOrEqual(6); // only the w1 - w0[3] weight packing
  });

  it('cn_dot2 K=4: 8 MACs per cycle on exactly 4 DSP48E2 (xcup)', async () => {
    const s = await synth('cn_dot2', ['hw/cn_dot2.v', 'hw/cn_mul2.v'], 'xcup', { K: 4 });
    report('cn_dot2 K=4 xcup', s);
    expect(s.cells.DSP48E2).toBe(4);
    expect(s.dsp).toBe(4);
    noSoftMultipliers(s);
  });

  it('cn_requant LANES=1: one DSP48E2 for the 24x16 product (xcup)', async () => {
    const s = await synth('cn_requant', ['hw/cn_requant.v'], 'xcup', { LANES: 1 });
    report('cn_requant LANES=1 xcup', s);
    expect(s.cells.DSP48E2).toBe(1);
    expect(s.dsp).toBe(1);
    noSoftMultipliers(s);
  });

  it('cn_dw3x3_pe LANES=1: LUT-only datapath, no DSP (xcup)', async () => {
    const s = await synth('cn_dw3x3_pe', ['hw/cn_dw3x3_pe.v'], 'xcup', { LANES: 1 });
    report('cn_dw3x3_pe LANES=1 xcup', s);
    expect(s.dsp).toBe(0);
    noSoftMultipliers(s);
    // 9 MACs + adder tree: guard against the ~2.5x blow-up of multi-operand product sums.
    expect(s.lut).toBeLessThan(450);
  });
});
