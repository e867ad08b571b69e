// Yosys per module (src/synth/yosys.ts): a small design is elaborated once and each module is
// synthesized and cached on its own. Checks that the combined figures equal one synth_xilinx of the
// whole design (hierarchy kept), that they do not depend on how modules are grouped into Yosys runs,
// and that changing one module's source re-synthesizes that module alone (the cache's own counts).
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { synthesize, countResources, type SynthResult } from '../src/synth/yosys.ts';
import { moduleRows } from '../src/synth/run.ts';
import { splitRtlil } from '../src/synth/rtlil.ts';
import { tempDir } from './helpers/temp.ts';

/** A top with a parameterised adder (two sizes), a multiplier and a small memory. */
const leaf = (extra: string) => `
module t_add #(parameter W = 8) (input clk, input [W-1:0] a, b, output reg [W:0] s);
  always @(posedge clk) s <= a + b ${extra};
endmodule
`;
const FILES = {
  't_add.v': leaf(''),
  't_mul.v': `
module t_mul (input clk, input signed [15:0] a, b, output reg signed [31:0] p);
  reg signed [15:0] ar, br;
  always @(posedge clk) begin ar <= a; br <= b; p <= ar * br; end
endmodule
`,
  't_top.v': `
module t_top (input clk, input [15:0] x, y, input [3:0] wa, input we, output [16:0] o1, output [8:0] o2, o4, output [31:0] o3, output reg [7:0] q);
  t_add #(.W(16)) u_a16 (.clk(clk), .a(x), .b(y), .s(o1));
  t_add #(.W(8)) u_a8a (.clk(clk), .a(x[7:0]), .b(y[7:0]), .s(o2));
  t_add #(.W(8)) u_a8b (.clk(clk), .a(x[15:8]), .b(y[15:8]), .s(o4));
  t_mul u_m (.clk(clk), .a(x), .b(y), .p(o3));
  reg [7:0] mem [0:15];
  always @(posedge clk) begin if (we) mem[wa] <= x[7:0]; q <= mem[wa]; end
endmodule
`,
};

let cache: string;
let cold: SynthResult;

beforeAll(async () => {
  cache = tempDir('codenet-synth-mod-');
  cold = await synthesize(FILES, 't_top', 'xc7', { cacheDir: join(cache, 'a'), parallel: 2 });
}, 600_000);

describe('Yosys per module', () => {
  it('synthesizes every elaborated module once, with its instances from the top', () => {
    expect(cold.cached).toBeUndefined();
    expect(cold.units!.cached).toEqual([]);
    expect(cold.units!.synthesized).toHaveLength(4); // t_top, t_mul, t_add with W=16 and with W=8
    expect(cold.units!.synthesized).toContain('t_top');
    const rows = moduleRows(cold.modules, cold.hierarchy, cold.top);
    expect(rows.t_top.instances).toBe(1);
    expect(rows.t_mul.instances).toBe(1);
    expect(rows.t_mul.dsp).toBe(1);
    expect(Object.entries(rows).filter(([k]) => k.startsWith('t_add')).map(([, r]) => r.instances).sort()).toEqual([1, 2]);
    for (const k of ['lut', 'ff', 'dsp', 'bram36'] as const) expect(Object.values(rows).reduce((a, r) => a + r.instances! * r[k], 0), k).toBe(cold.total[k]);
    // The adders' registers: 17 + 2 x 9 FFs, the multiplier's 2 x 16 input registers (the product register may sit in the DSP).
    expect(cold.total.ff).toBeGreaterThanOrEqual(17 + 18);
  });

  it('gives the figures of one synth_xilinx run of the whole design (hierarchy kept)', async () => {
    const { runYosys } = await import('@yowasp/yosys');
    const script = 'read_verilog -sv t_add.v; read_verilog -sv t_mul.v; read_verilog -sv t_top.v; synth_xilinx -family xc7 -top t_top -noiopad -noclkbuf; tee -q -o stat.json stat -json';
    const out = (await runYosys(['-q', '-p', script], FILES)) as Record<string, string | Uint8Array>;
    const raw = out['stat.json'];
    const stat = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw)) as { modules: Record<string, { num_cells_by_type?: Record<string, number> }>; design: { num_cells_by_type?: Record<string, number> } };
    expect(cold.total).toEqual(countResources(stat.design.num_cells_by_type ?? {}));
    const flat = Object.fromEntries(Object.entries(stat.modules).map(([n, m]) => [n.replace(/^\\/, ''), countResources(m.num_cells_by_type ?? {})]));
    expect(cold.modules).toEqual(flat);
  }, 600_000);

  it('does not depend on how the modules are grouped into Yosys runs', async () => {
    const one = await synthesize(FILES, 't_top', 'xc7', { cacheDir: join(cache, 'b'), parallel: 1 });
    expect(one.units!.synthesized).toEqual(cold.units!.synthesized);
    expect(one.total).toEqual(cold.total);
    expect(one.modules).toEqual(cold.modules);
    expect(one.hierarchy).toEqual(cold.hierarchy);
  }, 600_000);

  it('re-synthesizes only the module whose source changed; the rest come from the module cache', async () => {
    const again = await synthesize(FILES, 't_top', 'xc7', { cacheDir: join(cache, 'a') });
    expect(again.cached).toBe(true); // the whole design's entry
    // A comment and blank lines above the modules shift every line number (and the frontend's
    // automatic names) without changing any module: nothing is synthesized again.
    const shifted = { ...FILES, 't_add.v': `// a comment\n\n\n${FILES['t_add.v']}`, 't_mul.v': `\n\n${FILES['t_mul.v']}` };
    const s = await synthesize(shifted, 't_top', 'xc7', { cacheDir: join(cache, 'a') });
    expect(s.cached).toBeUndefined();
    expect(s.units).toEqual({ synthesized: [], cached: [...cold.units!.synthesized].sort() });
    expect(s.total).toEqual(cold.total);

    // t_mul changes inside, its ports stay: only t_mul is synthesized again (not t_top, which instantiates it).
    const edited = { ...FILES, 't_mul.v': FILES['t_mul.v'].replace('p <= ar * br;', 'p <= ar * br + 32\'d1;') };
    const e = await synthesize(edited, 't_top', 'xc7', { cacheDir: join(cache, 'a') });
    expect(e.units!.synthesized).toEqual(['t_mul']);
    expect(e.units!.cached).toHaveLength(3);
    expect(e.modules.t_top).toEqual(cold.modules.t_top);
    expect(readdirSync(join(cache, 'a', 'modules')).filter((n) => n.startsWith('t_mul-'))).toHaveLength(2);
  }, 600_000);
});

describe('splitRtlil', () => {
  it('renumbers automatic names per module and keeps submodule ports in the blackbox', () => {
    const il = [
      'autoidx 99',
      'attribute \\src "a.v:1.1-3.10"',
      'module \\leaf',
      '  parameter \\W 8',
      '  wire width 8 input 1 \\a',
      '  wire width 8 output 2 \\y',
      '  wire width 8 $add$a.v:2$77_Y',
      '  cell $add $add$a.v:2$77',
      '    parameter \\A_WIDTH 8',
      '    connect \\A \\a',
      '    connect \\Y $add$a.v:2$77_Y',
      '  end',
      '  connect \\y $add$a.v:2$77_Y',
      'end',
      'module \\top',
      '  wire width 8 input 1 \\x',
      '  cell \\leaf \\u',
      '    connect \\a \\x',
      '  end',
      'end',
      '',
    ].join('\n');
    const m = splitRtlil(il);
    expect([...m.keys()]).toEqual(['\\leaf', '\\top']);
    const leaf = m.get('\\leaf')!;
    expect(leaf.text).not.toContain('a.v');
    expect(leaf.text).toContain('  cell $add $cn$2\n');
    expect(leaf.text).toContain('  connect \\y $cn$1\n');
    expect(leaf.stub).toBe('attribute \\blackbox 1\nmodule \\leaf\n  parameter \\W 8\n  wire width 8 input 1 \\a\n  wire width 8 output 2 \\y\nend\n');
    expect(m.get('\\top')!.submodules).toEqual(['\\leaf']);
    expect(() => splitRtlil('module \\x\n  wire \\a\n')).toThrow(/no end/);
  });

  it('puts a process\'s assignments in one order, whatever order the frontend wrote them in', () => {
    const proc = (assigns: string[]) => ['module \\m', '  wire width 2 \\p', '  wire width 2 \\q', '  wire width 2 \\g$func$m.v:3$812.$result', '  process $proc$m.v:1$9', ...assigns, '  end', 'end', ''].join('\n');
    const a = splitRtlil(proc(['    assign \\q 2\'01', '    assign \\p \\q', '    assign \\q \\p'])).get('\\m')!;
    const b = splitRtlil(proc(['    assign \\p \\q', '    assign \\q 2\'01', '    assign \\q \\p'])).get('\\m')!;
    expect(a.text).toBe(b.text);
    // Two assignments to one wire keep their order (the last one counts); counters in public names are renumbered.
    expect(a.text).toContain('    assign \\p \\q\n    assign \\q 2\'01\n    assign \\q \\p\n');
    expect(a.text).toContain('  wire width 2 \\cn$1\n');
  });
});
