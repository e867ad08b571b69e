// Lint and 4-state checks of the AXI interface blocks: `verilator --lint-only -Wall` must be clean
// (zero warnings) for several parameter sets, Icarus (-g2012) must compile them, and an Icarus
// simulation must show no X on any output once the synchronous reset has been applied.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/sim/verilator.ts';

const hw = (f: string) => join(PROJECT_ROOT, 'hw', f);
const RD = hw('cn_axi_rd.v');
const WR = hw('cn_axi_wr.v');
const REGS = hw('cn_axil_regs.v');
const TOP = join(PROJECT_ROOT, 'test/hw/tb_axi_dma_top.v');
/** cn_axil_regs.v includes cn_isa.vh (the register map, generated from src/isa) from hw/. */
const INC = `-I${join(PROJECT_ROOT, 'hw')}`;

/** Runs a tool and returns its combined output; throws with that output on a non-zero exit. */
function tool(cmd: string, args: string[], cwd?: string): string {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd });
    return out;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
}

function lint(files: string[], top: string, params: Record<string, number> = {}): string {
  const g = Object.entries(params).map(([k, v]) => `-G${k}=${v}`);
  // verilator exits non-zero on any warning under -Wall; stderr must also be empty
  const out = execFileSync('verilator', ['--lint-only', '-Wall', INC, '--top-module', top, ...g, ...files], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out;
}

describe('verilator --lint-only -Wall', () => {
  const cases: Array<[string, string[], string, Record<string, number>]> = [
    ['cn_axi_rd defaults', [RD], 'cn_axi_rd', {}],
    ['cn_axi_rd 64-bit, 64-bit address, 256-beat bursts, 2 outstanding', [RD], 'cn_axi_rd', { DATA_W: 64, ADDR_W: 64, MAX_BURST: 256, MAX_OUTSTANDING: 2 }],
    ['cn_axi_rd 128-bit, 32-bit address, 1-beat bursts, narrow length', [RD], 'cn_axi_rd', { DATA_W: 128, ADDR_W: 32, MAX_BURST: 1, LEN_W: 10, ID_W: 4 }],
    ['cn_axi_wr defaults', [WR], 'cn_axi_wr', {}],
    ['cn_axi_wr 64-bit, 64-bit address, 256-beat bursts, 2 outstanding', [WR], 'cn_axi_wr', { DATA_W: 64, ADDR_W: 64, MAX_BURST: 256, MAX_OUTSTANDING: 2 }],
    ['cn_axi_wr 128-bit, 32-bit address, 1-beat bursts, 64 outstanding', [WR], 'cn_axi_wr', { DATA_W: 128, ADDR_W: 32, MAX_BURST: 1, MAX_OUTSTANDING: 64, ID_W: 6 }],
    ['cn_axil_regs defaults', [REGS], 'cn_axil_regs', {}],
    ['cn_axil_regs 1 counter', [REGS], 'cn_axil_regs', { NUM_COUNTERS: 1 }],
    ['cn_axil_regs 64 counters, 16-bit address', [REGS], 'cn_axil_regs', { NUM_COUNTERS: 64, ADDR_W: 16 }],
    ['tb_axi_dma_top (test wrapper)', [TOP, RD, WR], 'tb_axi_dma_top', {}],
    ['tb_axi_dma_top 64-bit', [TOP, RD, WR], 'tb_axi_dma_top', { DATA_W: 64 }],
  ];
  for (const [name, files, top, params] of cases) {
    it(name, () => {
      let out = '';
      try {
        out = lint(files, top, params);
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`lint failed:\n${err.stderr ?? err.message}`);
      }
      expect(out.trim()).toBe('');
    });
  }
});

describe('iverilog -g2012', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'codenet-lint-axi-'));
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('compiles every file', () => {
    for (const f of [RD, WR, REGS]) tool('iverilog', ['-g2012', INC, '-o', join(work, 'a.vvp'), f]);
    tool('iverilog', ['-g2012', '-o', join(work, 'top.vvp'), '-s', 'tb_axi_dma_top', TOP, RD, WR]);
  });

  it('no X on any output after reset (4-state simulation)', () => {
    const tb = `
\`timescale 1ns/1ps
module tb_x;
  reg clk = 0, rst_n = 0;
  always #5 clk = ~clk;
  // read DMA, inputs idle
  wire [1343:0] o_rd; wire [1343:0] o_wr; wire [511:0] o_rg;
  cn_axi_rd #(.DATA_W(128)) u_rd (.clk(clk), .rst_n(rst_n),
    .cmd_valid(1'b0), .cmd_ready(o_rd[0]), .cmd_addr(40'd0), .cmd_beats(32'd0),
    .out_valid(o_rd[1]), .out_ready(1'b1), .out_data(o_rd[129:2]), .out_last(o_rd[130]), .done(o_rd[131]), .idle(o_rd[132]),
    .stat_clear(1'b0), .bytes_read(o_rd[196:133]), .stall_cycles(o_rd[260:197]), .error(o_rd[261]),
    .m_axi_arid(o_rd[262]), .m_axi_araddr(o_rd[302:263]), .m_axi_arlen(o_rd[310:303]), .m_axi_arsize(o_rd[313:311]),
    .m_axi_arburst(o_rd[315:314]), .m_axi_arlock(o_rd[316]), .m_axi_arcache(o_rd[320:317]), .m_axi_arprot(o_rd[323:321]),
    .m_axi_arqos(o_rd[327:324]), .m_axi_arvalid(o_rd[328]), .m_axi_arready(1'b0),
    .m_axi_rid(1'b0), .m_axi_rdata(128'd0), .m_axi_rresp(2'd0), .m_axi_rlast(1'b0), .m_axi_rvalid(1'b0), .m_axi_rready(o_rd[329]));
  assign o_rd[1343:330] = 0;
  cn_axi_wr #(.DATA_W(128)) u_wr (.clk(clk), .rst_n(rst_n),
    .cmd_valid(1'b0), .cmd_ready(o_wr[0]), .cmd_addr(40'd0), .cmd_beats(32'd0),
    .in_valid(1'b0), .in_ready(o_wr[1]), .in_data(128'd0), .in_strb(16'd0), .done(o_wr[2]), .idle(o_wr[3]),
    .stat_clear(1'b0), .bytes_written(o_wr[67:4]), .stall_cycles(o_wr[131:68]), .error(o_wr[132]),
    .m_axi_awid(o_wr[133]), .m_axi_awaddr(o_wr[173:134]), .m_axi_awlen(o_wr[181:174]), .m_axi_awsize(o_wr[184:182]),
    .m_axi_awburst(o_wr[186:185]), .m_axi_awlock(o_wr[187]), .m_axi_awcache(o_wr[191:188]), .m_axi_awprot(o_wr[194:192]),
    .m_axi_awqos(o_wr[198:195]), .m_axi_awvalid(o_wr[199]), .m_axi_awready(1'b0),
    .m_axi_wdata(o_wr[327:200]), .m_axi_wstrb(o_wr[343:328]), .m_axi_wlast(o_wr[344]), .m_axi_wvalid(o_wr[345]), .m_axi_wready(1'b0),
    .m_axi_bid(1'b0), .m_axi_bresp(2'd0), .m_axi_bvalid(1'b0), .m_axi_bready(o_wr[346]));
  assign o_wr[1343:347] = 0;
  cn_axil_regs u_rg (.clk(clk), .rst_n(rst_n),
    .s_axil_awaddr(12'd0), .s_axil_awprot(3'd0), .s_axil_awvalid(1'b0), .s_axil_awready(o_rg[0]),
    .s_axil_wdata(32'd0), .s_axil_wstrb(4'd0), .s_axil_wvalid(1'b0), .s_axil_wready(o_rg[1]),
    .s_axil_bresp(o_rg[3:2]), .s_axil_bvalid(o_rg[4]), .s_axil_bready(1'b0),
    .s_axil_araddr(12'd0), .s_axil_arprot(3'd0), .s_axil_arvalid(1'b0), .s_axil_arready(o_rg[5]),
    .s_axil_rdata(o_rg[37:6]), .s_axil_rresp(o_rg[39:38]), .s_axil_rvalid(o_rg[40]), .s_axil_rready(1'b0),
    .start(o_rg[41]), .irq_enable(o_rg[42]), .prog_addr(o_rg[106:43]), .prog_len(o_rg[138:107]),
    .busy(1'b0), .done_set(1'b0), .error(1'b0), .counters(256'd0), .irq(o_rg[139]));
  assign o_rg[511:140] = 0;
  integer n;
  initial begin
    @(posedge clk); #1;
    rst_n = 1;
    for (n = 0; n < 4; n = n + 1) begin
      if ((^o_rd) === 1'bx || (^o_wr) === 1'bx || (^o_rg) === 1'bx) begin
        $display("XFOUND rd=%b wr=%b rg=%b", (^o_rd) === 1'bx, (^o_wr) === 1'bx, (^o_rg) === 1'bx);
        $finish;
      end
      @(posedge clk); #1;
    end
    $display("NOX");
    $finish;
  end
endmodule
`;
    const f = join(work, 'tb_x.v');
    writeFileSync(f, tb);
    const vvp = join(work, 'tb_x.vvp');
    tool('iverilog', ['-g2012', INC, '-o', vvp, '-s', 'tb_x', f, RD, WR, REGS]);
    const out = tool('vvp', ['-n', vvp]);
    expect(out).toContain('NOX');
    expect(out).not.toContain('XFOUND');
  });
});
