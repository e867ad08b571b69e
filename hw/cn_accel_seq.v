// cn_accel_seq -- the sequencer: runs a program of layer descriptors (docs/isa.md) on the 1x1
// engine (cn_accel_pw) and the depthwise engine (cn_accel_dw), with one AXI4 master to DDR.
//
// Per descriptor: FETCH the 256-byte descriptor, CONFIGURE the engines from up to six config
// streams (weights, S/B, pad codes, dilation map; PWDW: depthwise weights and S/B), RUN, then
// write one STATISTICS beat. Per-descriptor latency is hidden where the order allows: the config
// streams' read commands go out back to back (their data return in order), the next descriptor is
// fetched into `ndesc` once the run has received its last input beat, and the statistics beat's B
// response is not waited for (the B responses of one AXI ID return in order, so the first ones
// after a statistics command are its own). In RUN three units work concurrently:
//   issuer   read commands, one per (input row, source), at most one row ahead of the receiver;
//   receiver the read data: keeps groups g0..g0+ng of each source row and writes them into one of
//            two row buffers at (pixel << up) (+1 for upsample) x gin + offset: gather, split,
//            concat and upsample happen here, so none of them costs a pass;
//   streamer drains a full row buffer into the engine, gin beats per pixel, while the receiver
//            fills the other (loads are double-buffered against compute);
//   writer   write commands (one contiguous command, or one per pixel when a pass writes part of
//            each pixel) and the engine's output beats; with map_out (an offset conv whose map
//            stays on chip) the 1x1 engine's dilations go into the depthwise engine's map instead;
//            PWDW (a 1x1 fused with its dw3x3 reader) sends the 1x1 engine's output beats into the
//            depthwise engine as its input rows (with tiles = T > 1 the T tiles' groups of each
//            pixel one after another), and writes the depthwise output.
// The tensor buffer (TB_DEPTH beats) holds one tensor on chip between a writer and its readers: a
// pass with out_chip writes there instead of DDR, and a source with chip reads from there, through
// the same issuer / receiver (its own small reader stands in for the AXI read DMA). Addresses of
// both are byte offsets into the buffer.
// The engine datapaths stall on backpressure (global enables), so no unit needs to know another's
// timing: the descriptor is complete when every write command has its B response.
// Reset: synchronous, active-low rst_n (the engines get rst = !rst_n).
// Field positions, engine codes, the descriptor size and the counter order: cn_isa.vh, generated
// from the descriptor layout (src/isa/layout.ts; docs/isa.md).
`default_nettype none
`include "cn_isa.vh"

module cn_accel_seq #(
  parameter integer LANES       = 16,
  parameter integer OUTS        = 32,
  parameter integer GMAX        = 256,
  parameter integer DMAX        = 7,
  parameter integer LB_DEPTH    = 16384,
  parameter integer MAP_MAX     = 4096,
  parameter integer RB_DEPTH    = 4096,
  parameter integer TB_DEPTH    = 4096,
  parameter integer TMAX        = `CN_PW_TILE_MAX,  // 1x1 tiles of one PW pass (cn_isa.vh)
  parameter integer ADDR_W      = 40,
  parameter integer MAX_BURST   = 16,
  parameter integer OUTSTANDING = 8
) (
  input  wire                 clk,
  input  wire                 rst_n,
  // control (cn_axil_regs)
  input  wire                 start,
  input  wire [63:0]          prog_addr,
  input  wire [31:0]          prog_len,
  output wire                 busy,
  output reg                  done_set,
  output wire                 error,
  output wire [`CN_NUM_COUNTERS*64-1:0] counters,
  // AXI4 master
  output wire [0:0]           m_axi_arid,
  output wire [ADDR_W-1:0]    m_axi_araddr,
  output wire [7:0]           m_axi_arlen,
  output wire [2:0]           m_axi_arsize,
  output wire [1:0]           m_axi_arburst,
  output wire                 m_axi_arlock,
  output wire [3:0]           m_axi_arcache,
  output wire [2:0]           m_axi_arprot,
  output wire [3:0]           m_axi_arqos,
  output wire                 m_axi_arvalid,
  input  wire                 m_axi_arready,
  input  wire [0:0]           m_axi_rid,
  input  wire [LANES*8-1:0]   m_axi_rdata,
  input  wire [1:0]           m_axi_rresp,
  input  wire                 m_axi_rlast,
  input  wire                 m_axi_rvalid,
  output wire                 m_axi_rready,
  output wire [0:0]           m_axi_awid,
  output wire [ADDR_W-1:0]    m_axi_awaddr,
  output wire [7:0]           m_axi_awlen,
  output wire [2:0]           m_axi_awsize,
  output wire [1:0]           m_axi_awburst,
  output wire                 m_axi_awlock,
  output wire [3:0]           m_axi_awcache,
  output wire [2:0]           m_axi_awprot,
  output wire [3:0]           m_axi_awqos,
  output wire                 m_axi_awvalid,
  input  wire                 m_axi_awready,
  output wire [LANES*8-1:0]   m_axi_wdata,
  output wire [LANES-1:0]     m_axi_wstrb,
  output wire                 m_axi_wlast,
  output wire                 m_axi_wvalid,
  input  wire                 m_axi_wready,
  input  wire [0:0]           m_axi_bid,
  input  wire [1:0]           m_axi_bresp,
  input  wire                 m_axi_bvalid,
  output wire                 m_axi_bready
);
  localparam integer BEAT  = LANES * 8;
  localparam integer BYTES = LANES;
  localparam integer BSH   = $clog2(BYTES);
  localparam integer DB    = `CN_DESC_BITS / BEAT;     // beats of one descriptor
  localparam integer IMB   = (27 + LANES - 1) / LANES; // stem: beats of one im2col column
  localparam integer GW    = $clog2(GMAX);
  localparam integer RBW   = $clog2(RB_DEPTH);
  localparam integer TBW   = $clog2(TB_DEPTH);
  localparam integer PAIRS = OUTS / 2;
  localparam integer SBW   = LANES / 4;                // S/B words per beat (1x1 engine)
  /* verilator lint_off WIDTH */
  localparam [GW:0]  IMB_G = IMB;
  localparam [15:0]  SNG = (PAIRS - 1 + LANES - 1) / LANES;   // groups of one stem tile's output
  localparam integer PK  = (LANES >= 8) ? LANES / 4 : 1;     // pixels a beat of a packed (RGBX) input
  localparam integer PKW = (PK > 1) ? $clog2(PK) : 1;
  /* verilator lint_on WIDTH */

  localparam integer EW = `CN_D_ENGINE_W;
  localparam [EW-1:0] E_PW = `CN_ENGINE_PW, E_DW = `CN_ENGINE_DW, E_STEM = `CN_ENGINE_STEM, E_PWDW = `CN_ENGINE_PWDW;
  localparam [3:0] S_IDLE = 4'd0, S_FETCH = 4'd1, S_FETCH_D = 4'd2, S_CFG = 4'd3, S_CFG_D = 4'd4,
                   S_SETUP = 4'd5, S_SETUP2 = 4'd6, S_RUN = 4'd7, S_STAT = 4'd8, S_STAT_W = 4'd9, S_DONE = 4'd10;

  wire rst = !rst_n;
  reg  [3:0] state;

  // ---------------- DMA engines ----------------
  reg                 rd_cmd_valid;
  reg  [ADDR_W-1:0]   rd_cmd_addr;
  reg  [31:0]         rd_cmd_beats;
  wire                rd_cmd_ready, rd_out_valid, rd_out_ready, rd_out_last, rd_done, rd_idle, rd_err;
  wire [BEAT-1:0]     rd_data;
  wire [63:0]         rd_bytes, rd_stall;
  reg                 stat_clear;
  /* verilator lint_off PINCONNECTEMPTY */
  cn_axi_rd #(.DATA_W(BEAT), .ADDR_W(ADDR_W), .ID_W(1), .LEN_W(32), .MAX_BURST(MAX_BURST), .MAX_OUTSTANDING(OUTSTANDING)) rd (
    .clk(clk), .rst_n(rst_n), .cmd_valid(rd_cmd_valid), .cmd_ready(rd_cmd_ready), .cmd_addr(rd_cmd_addr), .cmd_beats(rd_cmd_beats),
    .out_valid(rd_out_valid), .out_ready(rd_out_ready), .out_data(rd_data), .out_last(rd_out_last), .done(rd_done), .idle(rd_idle),
    .stat_clear(stat_clear), .bytes_read(rd_bytes), .stall_cycles(rd_stall), .error(rd_err),
    .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen), .m_axi_arsize(m_axi_arsize),
    .m_axi_arburst(m_axi_arburst), .m_axi_arlock(m_axi_arlock), .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot),
    .m_axi_arqos(m_axi_arqos), .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid), .m_axi_rresp(m_axi_rresp), .m_axi_rdata(m_axi_rdata), .m_axi_rlast(m_axi_rlast),
    .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready));

  reg                 wr_cmd_valid;
  reg  [ADDR_W-1:0]   wr_cmd_addr;
  reg  [31:0]         wr_cmd_beats;
  wire                wr_cmd_ready, wr_in_ready, wr_done, wr_idle, wr_err;
  reg                 wr_in_valid;
  reg  [BEAT-1:0]     wr_in_data;
  wire [63:0]         wr_bytes, wr_stall;
  cn_axi_wr #(.DATA_W(BEAT), .ADDR_W(ADDR_W), .ID_W(1), .LEN_W(32), .MAX_BURST(MAX_BURST), .MAX_OUTSTANDING(OUTSTANDING)) wr (
    .clk(clk), .rst_n(rst_n), .cmd_valid(wr_cmd_valid), .cmd_ready(wr_cmd_ready), .cmd_addr(wr_cmd_addr), .cmd_beats(wr_cmd_beats),
    .in_valid(wr_in_valid && !to_chip), .in_ready(wr_in_ready), .in_data(wr_in_data), .in_strb({BYTES{1'b1}}), .done(wr_done), .idle(wr_idle),
    .stat_clear(stat_clear), .bytes_written(wr_bytes), .stall_cycles(wr_stall), .error(wr_err),
    .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen), .m_axi_awsize(m_axi_awsize),
    .m_axi_awburst(m_axi_awburst), .m_axi_awlock(m_axi_awlock), .m_axi_awcache(m_axi_awcache), .m_axi_awprot(m_axi_awprot),
    .m_axi_awqos(m_axi_awqos), .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast), .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid), .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid), .m_axi_bready(m_axi_bready));
  /* verilator lint_on PINCONNECTEMPTY */

  // ---------------- descriptor ----------------
  // Every field is a part-select of `desc` at its place in cn_isa.vh (the source slots' fields in
  // the src_* functions below, which take the descriptor as an argument: a continuous assignment
  // is re-evaluated when its operands change, and Icarus does not see a module signal read inside
  // a function).
  reg [`CN_DESC_BITS-1:0] desc;
  wire [EW-1:0] engine   = desc[`CN_D_ENGINE_LSB +: `CN_D_ENGINE_W];
  wire        pw_mode  = desc[`CN_D_PW_MODE_LSB];
  wire        pool     = desc[`CN_D_POOL_LSB];
  wire        use_map  = desc[`CN_D_USE_MAP_LSB];
  wire        map_out  = desc[`CN_D_MAP_OUT_LSB];    // PW offset conv: dilations into the depthwise engine's map, not DDR
  wire        out_chip = desc[`CN_D_OUT_CHIP_LSB];   // the output goes into the tensor buffer, not DDR
  wire [2:0]  stride   = desc[`CN_D_STRIDE_LSB +: 3];
  wire [3:0]  dconst   = desc[`CN_D_DCONST_LSB +: 4];
  wire [3:0]  dmaxf    = desc[`CN_D_DMAX_LSB +: 4];
  wire [4:0]  nshift   = desc[`CN_D_N_LSB +: 5];
  wire [7:0]  lo       = desc[`CN_D_LO_LSB +: 8];
  wire [15:0] in_h     = desc[`CN_D_IN_H_LSB +: 16];
  wire [15:0] in_w     = desc[`CN_D_IN_W_LSB +: 16];
  wire [15:0] out_h    = desc[`CN_D_OUT_H_LSB +: 16];
  wire [15:0] out_w    = desc[`CN_D_OUT_W_LSB +: 16];
  wire [15:0] gin      = desc[`CN_D_GIN_LSB +: 16];
  wire [3:0]  nsrc     = desc[`CN_D_NSRC_LSB +: 4];    // 1..8: the low bits of the field
  wire [15:0] out_ng   = desc[`CN_D_OUT_NG_LSB +: 16];
  wire [15:0] out_gs   = desc[`CN_D_OUT_GSTRIDE_LSB +: 16];
  // STEM: the input holds PK pixels a beat (only with LANES >= 8)
  wire        in_packed = desc[`CN_D_IN_PACKED_LSB] && (PK > 1);
  wire [7:0]  tiles_f  = desc[`CN_D_TILES_LSB +: 8];   // PW, PWDW: output tiles per input pixel (0, 1: one)
  wire [4:0]  n2       = desc[`CN_D_N2_LSB +: 5];      // PWDW: the depthwise requantizer's shift and clamp
  wire [7:0]  lo2      = desc[`CN_D_LO2_LSB +: 8];
  wire [63:0] out_addr = desc[`CN_D_OUT_ADDR_LSB +: 64];
  /* verilator lint_off UNUSEDSIGNAL */
  wire [63:0] stat_addr = desc[`CN_D_STAT_ADDR_LSB +: 64];   // the master drives ADDR_W bits
  wire        is_dw    = (engine == E_DW);
  wire        is_stem  = (engine == E_STEM);
  wire        is_fused = (engine == E_PWDW);
  wire        pw_in_rows = (engine == E_PW) || is_fused;
  // tiles each pixel goes through the 1x1 engine (1 unless a multi-tile PW, PWDW or STEM; PWDW: the
  // T tiles' groups of a pixel go into the depthwise engine one after another, out_ng = T*TG; STEM:
  // the depthwise engine sends each im2col column T times, out_ng = T*SNG)
  wire [7:0]  tiles    = ((pw_in_rows || is_stem) && tiles_f > 8'd1) ? tiles_f : 8'd1;
  // times the streamer sends each pixel of an input row (the stem's go once into the depthwise engine)
  wire [7:0]  st_tiles = pw_in_rows ? tiles : 8'd1;
  /* verilator lint_off WIDTH */
  localparam [15:0] TG = OUTS / LANES;              // groups of one tile's output
  /* verilator lint_on WIDTH */

  // config stream k: 0 weights, 1 S/B, 2 pad, 3 map, 4 depthwise weights and 5 depthwise S/B of
  // PWDW; streams 4 and 5 load like a DW pass's 0 and 1 (a case of the six streams, not an index
  // computed from k: a 6-way mux, not a 64-way one). {beats, addr} of stream k:
  function [95:0] cfg_stream(input [`CN_DESC_BITS-1:0] d, input [2:0] k);
    case (k)
      3'd0:    cfg_stream = {d[`CN_D_WGT_BEATS_LSB +: 32],  d[`CN_D_WGT_ADDR_LSB +: 64]};
      3'd1:    cfg_stream = {d[`CN_D_SB_BEATS_LSB +: 32],   d[`CN_D_SB_ADDR_LSB +: 64]};
      3'd2:    cfg_stream = {d[`CN_D_PAD_BEATS_LSB +: 32],  d[`CN_D_PAD_ADDR_LSB +: 64]};
      3'd3:    cfg_stream = {d[`CN_D_MAP_BEATS_LSB +: 32],  d[`CN_D_MAP_ADDR_LSB +: 64]};
      3'd4:    cfg_stream = {d[`CN_D_DWGT_BEATS_LSB +: 32], d[`CN_D_DWGT_ADDR_LSB +: 64]};
      default: cfg_stream = {d[`CN_D_DSB_BEATS_LSB +: 32],  d[`CN_D_DSB_ADDR_LSB +: 64]};
    endcase
  endfunction
  reg  [2:0]  ck;    // the stream the receiver loads
  reg  [2:0]  cki;   // the stream the issuer sends a read command for (runs ahead of ck)
  wire [95:0] cfg_cur = cfg_stream(desc, ck);
  wire [95:0] cfg_iss = cfg_stream(desc, cki);
  wire [31:0] cfg_beats  = cfg_cur[95:64];
  wire [63:0] cfgi_addr  = cfg_iss[63:0];
  wire [31:0] cfgi_beats = cfg_iss[95:64];
  wire        cfg_dw    = is_dw || ck[2];
  /* verilator lint_on UNUSEDSIGNAL */

  // sources: field F of slot s is at `CN_D_SRC_LSB + s * `CN_D_SRC_BITS + `CN_S_F_LSB
  function [63:0] src_addr(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_addr = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_ADDR_LSB +: 64]; endfunction
  function [15:0] src_gs(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_gs = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_GSTRIDE_LSB +: 16]; endfunction
  function [15:0] src_w(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_w = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_WIDTH_LSB +: 16]; endfunction
  function [11:0] src_g0(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_g0 = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_G0_LSB +: 12]; endfunction
  function [11:0] src_ng(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_ng = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_NG_LSB +: 12]; endfunction
  function        src_up(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_up = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_UP_LSB]; endfunction
  function        src_chip(input [`CN_DESC_BITS-1:0] d, input [2:0] s); src_chip = d[`CN_D_SRC_LSB + `CN_D_SRC_BITS*s + `CN_S_CHIP_LSB]; endfunction

  // ---------------- program counter and main state ----------------
  reg [63:0] pc_addr;
  wire [63:0] next_pc = pc_addr + `CN_DESC_BYTES;
  reg [31:0] pc_left;
  reg [$clog2(DB+1)-1:0] fbeat;
  // descriptor prefetch: ndesc fills while f_busy; f_have: complete, not yet taken; f_issued: the
  // next descriptor's fetch is out (during the run's tail or the statistics beat)
  reg [`CN_DESC_BITS-1:0] ndesc;
  reg        f_busy, f_have, f_issued;
  wire       f_take = f_busy && rd_out_valid;
  // statistics beats whose B response has not come back (at most two: a pass writing nothing to
  // DDR can end before the previous one's B); stat_q: the beat, latched when the run ends
  reg [1:0]  stat_pend;
  reg [63:0] stat_q;
  wire       stat_b = wr_done && (stat_pend != 2'd0);
  reg [31:0] cbeat;          // beats of the current config stream received
  reg [31:0] cyc, wait_cyc;  // statistics of the current descriptor
  assign busy = (state != S_IDLE);

  // ---------------- engines ----------------
  wire                pw_in_valid, pw_in_ready, pw_out_valid, pw_out_ready;
  wire [BEAT-1:0]     pw_in_data;
  wire [OUTS*8-1:0]   pw_out_data;
  reg                 pw_wcfg_we, pw_pcfg_we;
  reg  [$clog2(PAIRS)-1:0] pw_pair;
  reg  [GW-1:0]       pw_group;
  reg  [BEAT-1:0]     pw_wdata;
  reg  [$clog2(OUTS)-1:0] pw_ch;
  reg  [$clog2(TMAX)-1:0] pw_tile;
  reg  [15:0]         pw_s, pw_b;
  wire [GW:0]         pw_groups = is_stem ? IMB_G : gin[GW:0];
  cn_accel_pw #(.LANES(LANES), .OUTS(OUTS), .GMAX(GMAX), .TMAX(TMAX)) pw (
    .clk(clk), .rst(rst), .wcfg_we(pw_wcfg_we), .wcfg_pair(pw_pair), .wcfg_group(pw_group), .wcfg_data(pw_wdata),
    .pcfg_we(pw_pcfg_we), .pcfg_ch(pw_ch), .pcfg_tile(pw_tile), .pcfg_s(pw_s), .pcfg_b(pw_b), .groups(pw_groups), .tiles(tiles), .n(nshift), .lo(lo),
    .mode(pw_mode), .dmax(dmaxf), .stem(is_stem), .in_valid(pw_in_valid), .in_ready(pw_in_ready), .in_data(pw_in_data),
    .out_valid(pw_out_valid), .out_ready(pw_out_ready), .out_data(pw_out_data));

  wire                dw_in_valid, dw_in_ready, dw_out_valid, dw_out_ready, dw_busy;
  wire [BEAT-1:0]     dw_in_data, dw_out_data;
  reg                 dw_pad_we, dw_w_we, dw_sb_we, dw_map_we, dw_start;
  reg  [GW-1:0]       dw_group;
  reg  [BEAT-1:0]     dw_pad;
  reg  [5*BEAT-1:0]   dw_wsh;    // five weight beats of a group, beat 0 lowest
  reg  [2*BEAT-1:0]   dw_s, dw_b;
  reg  [$clog2(MAP_MAX)-1:0] dw_maddr;
  reg  [3:0]          dw_md;
  // groups a pixel of the depthwise input: the stem's single group, a PWDW pass's (all its tiles'), or gin
  wire [GW:0]         dw_groups = is_stem ? {{GW{1'b0}}, 1'b1} : is_fused ? out_ng[GW:0] : gin[GW:0];
  cn_accel_dw #(.LANES(LANES), .GMAX(GMAX), .DMAX(DMAX), .LB_DEPTH(LB_DEPTH), .MAP_MAX(MAP_MAX)) dw (
    .clk(clk), .rst(rst), .pad_we(dw_pad_we), .w_we(dw_w_we), .sb_we(dw_sb_we), .cfg_group(dw_group), .cfg_pad(dw_pad),
    .cfg_w(dw_wsh[9*LANES*4-1:0]), .cfg_s(dw_s), .cfg_b(dw_b), .map_we(dw_map_we), .map_addr(dw_maddr), .map_d(dw_md),
    .height(in_h), .width(in_w), .out_height(out_h), .out_width(out_w), .groups(dw_groups),
    .stride(stride), .use_map(use_map), .dconst(dconst), .dmax_map(dmaxf), .n(is_fused ? n2 : nshift), .lo(is_fused ? lo2 : lo), .pool(pool), .im2col(is_stem), .reps(tiles),
    .start(dw_start), .in_valid(dw_in_valid), .in_ready(dw_in_ready), .in_data(dw_in_data),
    .out_valid(dw_out_valid), .out_ready(dw_out_ready), .out_data(dw_out_data), .busy(dw_busy));

  // ---------------- config sinks ----------------
  // The 1x1 engine's S/B beats carry SBW channels each; they are written one channel a cycle
  // while the read stream waits.
  reg            sb_busy;
  reg [BEAT-1:0] sb_beat;
  reg [7:0]      sb_k;      // 1x1 S/B word within the beat
  reg [$clog2(OUTS)-1:0] sb_tch;   // 1x1 S/B: channel within the tile, and the tile
  reg [7:0]      sb_tile;
  reg [GW-1:0]   cbase;       // weight RAM group of the current tile's group 0
  reg [GW-1:0]   cg;          // group counter of the pw weights (pair counter is pw_pair_n)
  reg [$clog2(PAIRS)-1:0] cp;
  reg [2:0]      csub;        // beat within a depthwise group (weights: 5, S/B: 4)
  reg [GW-1:0]   cgrp;        // depthwise group

  wire cfg_take = (state == S_CFG_D) && rd_out_valid && rd_out_ready;

  // ---------------- run: issuer ----------------
  reg             is_active;
  reg  [15:0]     is_row;
  reg  [2:0]      is_src;
  reg  [63:0]     run_addr [0:7];
  wire [31:0]     is_beats = src_w(desc, is_src) * src_gs(desc, is_src);
  wire            is_last_src = ({1'b0, is_src} == nsrc - 1'b1);
  wire            is_chip = src_chip(desc, is_src);

  // ---------------- run: tensor-buffer reader (a chip source's commands) ----------------
  reg  [BEAT-1:0] tbuf [0:TB_DEPTH-1];
  reg             tbc_valid, tbr_busy, tbq_valid;   // pending command, reading, output register full
  reg  [TBW-1:0]  tbc_addr, tbr_addr;
  reg  [31:0]     tbc_beats, tbr_left;
  reg  [BEAT-1:0] tbq;
  wire            tbq_take;
  wire            tbr_read = tbr_busy && (!tbq_valid || tbq_take);
  always @(posedge clk) if (tbr_read) tbq <= tbuf[tbr_addr];

  // ---------------- run: receiver ----------------
  reg             rv_active;
  reg  [15:0]     rv_row, rv_x, rv_g;
  reg  [2:0]      rv_src;
  reg             rv_bank, rv_dup;
  reg  [RBW:0]    rv_pos, rv_off;
  reg  [1:0]      full;
  wire [15:0]     r_g0 = {4'd0, src_g0(desc, rv_src)};
  wire [15:0]     r_ng = {4'd0, src_ng(desc, rv_src)};
  wire            r_up = src_up(desc, rv_src);
  wire            r_chip = src_chip(desc, rv_src);
  wire            s_valid = r_chip ? tbq_valid : rd_out_valid;   // the current source's stream
  wire [BEAT-1:0] s_data  = r_chip ? tbq : rd_data;
  wire            keep = (rv_g >= r_g0) && (rv_g < r_g0 + r_ng);
  wire            rv_can = rv_active && !full[rv_bank];
  wire            rv_write = rv_can && s_valid && keep && (state == S_RUN);
  wire            rv_take = (state == S_RUN) && rv_can && s_valid && !(keep && r_up && !rv_dup);
  assign          tbq_take = rv_take && r_chip;
  wire            rv_last_g = (rv_g == src_gs(desc, rv_src) - 1'b1);
  wire            rv_last_x = (rv_x == src_w(desc, rv_src) - 1'b1);
  wire            rv_last_src = ({1'b0, rv_src} == nsrc - 1'b1);
  wire            rv_row_done = rv_take && rv_last_g && rv_last_x && rv_last_src;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [RBW:0]    rv_idx = rv_pos + (rv_dup ? gin[RBW:0] : {(RBW+1){1'b0}}) + rv_off + (rv_g[RBW:0] - r_g0[RBW:0]);

  /* verilator lint_on UNUSEDSIGNAL */
  reg  [BEAT-1:0] rowbuf [0:2*RB_DEPTH-1];
  always @(posedge clk) if (rv_write) rowbuf[{rv_bank, rv_idx[RBW-1:0]}] <= s_data;

  // a fetch is only issued when no other read data is ahead of it (docs/isa.md), so while f_busy
  // every beat is the descriptor's; a config stream takes only its own cfg_beats beats
  assign rd_out_ready = f_busy || (state == S_CFG_D && !sb_busy && cbeat != cfg_beats) || (state == S_RUN && !r_chip && rv_can && !(keep && r_up && !rv_dup));

  // ---------------- run: streamer ----------------
  reg             st_active, st_bank, st_rv;
  reg  [15:0]     st_row;
  reg  [31:0]     st_pos, row_total;   // rowbuf beat of the current pixel's group 0
  reg  [15:0]     st_g;                // group within the pixel
  reg  [7:0]      st_t;                // tile the pixel is being sent for
  reg  [BEAT-1:0] st_q;
  reg  [BEAT-1:0] fifo [0:3];
  reg  [1:0]      f_wp, f_rp;
  reg  [2:0]      f_cnt;
  wire            st_issue = (state == S_RUN) && st_active && full[st_bank] && ({2'b0, f_cnt} + {4'd0, st_rv} < 5'd3);
  wire            st_px_done = (st_g == gin - 1'b1) && ({1'b0, st_t} + 9'd1 >= {1'b0, st_tiles});
  wire            st_row_done = st_issue && st_px_done && (st_pos + {16'd0, gin} == row_total);
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0]     st_idx = st_pos + {16'd0, st_g};
  /* verilator lint_on UNUSEDSIGNAL */
  wire            eng_in_valid = (f_cnt != 3'd0);
  wire            eng_in_ready = pw_in_rows ? pw_in_ready : dw_in_ready;
  wire            f_pop = eng_in_valid && eng_in_ready;
  // STEM with in_packed: the row buffer holds PK pixels a beat (4 lanes each, RGBX), so pixel x
  // is read from beat x / PK, and its 4 lanes leave as lanes 0..3 of a beat of their own.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0]     st_ridx = in_packed ? (st_idx >> PKW) : st_idx;
  /* verilator lint_on UNUSEDSIGNAL */
  reg  [PKW-1:0]  st_sub;
  always @(posedge clk) if (st_issue) begin st_q <= rowbuf[{st_bank, st_ridx[RBW-1:0]}]; st_sub <= st_idx[PKW-1:0]; end
  wire [BEAT-1:0] st_px;
  generate
    if (PK > 1) begin : unpack
      assign st_px = in_packed ? {{(BEAT-32){1'b0}}, st_q[st_sub*32 +: 32]} : st_q;
    end else begin : no_unpack
      assign st_px = st_q;
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_sub = ^st_sub;
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate
  always @(posedge clk) if (st_rv) fifo[f_wp] <= st_px;

  assign pw_in_valid = is_stem ? dw_out_valid : (pw_in_rows && eng_in_valid);
  assign pw_in_data  = is_stem ? dw_out_data : fifo[f_rp];
  assign dw_in_valid = is_fused ? (state == S_RUN) && ser_valid : !pw_in_rows && eng_in_valid;
  assign dw_in_data  = is_fused ? ser_word[ser_k*BEAT +: BEAT] : fifo[f_rp];

  // ---------------- run: writer ----------------
  reg              ser_valid;
  reg  [OUTS*8-1:0] ser_word;
  reg  [15:0]      ser_k;
  wire             ser_last = (ser_k == ((tiles > 8'd1) ? (is_stem ? SNG : TG) : out_ng) - 1'b1);   // a tile's beats
  reg  [31:0]      mo_left;   // map_out: dilations still to come
  reg  [$clog2(MAP_MAX)-1:0] mo_pix;
  // out_chip: the output beats go into the tensor buffer, one a cycle (always ready)
  wire             to_chip = out_chip && (state == S_RUN);
  wire             sink_ready = to_chip ? 1'b1 : wr_in_ready;
  reg  [TBW-1:0]   tw_pix;    // tensor-buffer beat of the current output pixel's first group
  reg  [15:0]      tw_k;
  reg  [31:0]      tw_left;
  wire             ser_ready = map_out ? 1'b1 : is_fused ? dw_in_ready : sink_ready;
  assign pw_out_ready = !ser_valid || (ser_ready && ser_last);
  assign dw_out_ready = is_stem ? pw_in_ready : sink_ready;
  always @(posedge clk) if (to_chip && wr_in_valid) tbuf[tw_pix + tw_k[TBW-1:0]] <= wr_in_data;
  reg  [31:0]      wc_left, wd_left, wc_beats;
  reg  [63:0]      wc_addr;
  reg              stat_cmd_sent, stat_data_sent;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [BEAT+63:0] stat_beat = {{BEAT{1'b0}}, stat_q};
  /* verilator lint_on UNUSEDSIGNAL */

  always @(*) begin
    if (state == S_STAT) begin
      wr_in_valid = !stat_data_sent;
      wr_in_data  = stat_beat[BEAT-1:0];
    end else if (is_dw || is_fused) begin
      wr_in_valid = (state == S_RUN) && dw_out_valid;
      wr_in_data  = dw_out_data;
    end else begin
      wr_in_valid = (state == S_RUN) && ser_valid && !map_out && !is_fused;
      wr_in_data  = ser_word[ser_k*BEAT +: BEAT];
    end
  end

  // ---------------- sequential control ----------------
  integer i;
  always @(posedge clk) begin
    if (rst) begin
      state <= S_IDLE; done_set <= 1'b0; stat_clear <= 1'b0;
      rd_cmd_valid <= 1'b0; rd_cmd_addr <= '0; rd_cmd_beats <= 32'd0;
      wr_cmd_valid <= 1'b0; wr_cmd_addr <= '0; wr_cmd_beats <= 32'd0;
      pc_addr <= 64'd0; pc_left <= 32'd0; fbeat <= '0; cbeat <= 32'd0; ck <= 3'd0; cki <= 3'd0; desc <= '0;
      ndesc <= '0; f_busy <= 1'b0; f_have <= 1'b0; f_issued <= 1'b0; stat_pend <= 2'd0; stat_q <= 64'd0;
      cyc <= 32'd0; wait_cyc <= 32'd0;
      pw_wcfg_we <= 1'b0; pw_pcfg_we <= 1'b0; pw_pair <= '0; pw_group <= '0; pw_wdata <= '0; pw_ch <= '0; pw_s <= 16'd0; pw_b <= 16'd0;
      dw_pad_we <= 1'b0; dw_w_we <= 1'b0; dw_sb_we <= 1'b0; dw_map_we <= 1'b0; dw_start <= 1'b0; dw_group <= '0;
      dw_pad <= '0; dw_wsh <= '0; dw_s <= '0; dw_b <= '0; dw_maddr <= '0; dw_md <= 4'd0;
      sb_busy <= 1'b0; sb_beat <= '0; sb_k <= '0; sb_tch <= '0; sb_tile <= 8'd0; cbase <= '0; pw_tile <= '0; cg <= '0; cp <= '0; csub <= 3'd0; cgrp <= '0;
      is_active <= 1'b0; is_row <= 16'd0; is_src <= 3'd0;
      rv_active <= 1'b0; rv_row <= 16'd0; rv_x <= 16'd0; rv_g <= 16'd0; rv_src <= 3'd0; rv_bank <= 1'b0; rv_dup <= 1'b0;
      rv_pos <= '0; rv_off <= '0; full <= 2'b00;
      st_active <= 1'b0; st_bank <= 1'b0; st_rv <= 1'b0; st_row <= 16'd0; st_pos <= 32'd0; st_g <= 16'd0; st_t <= 8'd0; row_total <= 32'd0;
      f_wp <= 2'd0; f_rp <= 2'd0; f_cnt <= 3'd0;
      ser_valid <= 1'b0; ser_word <= '0; ser_k <= 16'd0;
      wc_left <= 32'd0; wd_left <= 32'd0; wc_beats <= 32'd0; wc_addr <= 64'd0; stat_cmd_sent <= 1'b0; stat_data_sent <= 1'b0;
      mo_left <= 32'd0; mo_pix <= '0;
      tbc_valid <= 1'b0; tbr_busy <= 1'b0; tbq_valid <= 1'b0; tbc_addr <= '0; tbr_addr <= '0; tbc_beats <= 32'd0; tbr_left <= 32'd0;
      tw_pix <= '0; tw_k <= 16'd0; tw_left <= 32'd0;
      for (i = 0; i < 8; i = i + 1) run_addr[i] <= 64'd0;
    end else begin
      done_set <= 1'b0; stat_clear <= 1'b0; dw_start <= 1'b0;
      pw_wcfg_we <= 1'b0; pw_pcfg_we <= 1'b0; dw_pad_we <= 1'b0; dw_w_we <= 1'b0; dw_sb_we <= 1'b0; dw_map_we <= 1'b0;
      if (rd_cmd_valid && rd_cmd_ready) rd_cmd_valid <= 1'b0;
      if (wr_cmd_valid && wr_cmd_ready) wr_cmd_valid <= 1'b0;
      if (state != S_IDLE && state != S_DONE) cyc <= cyc + 1'b1;

      case (state)
        S_IDLE: if (start) begin
          pc_addr <= prog_addr; pc_left <= prog_len; stat_clear <= 1'b1;
          state <= (prog_len == 32'd0) ? S_DONE : S_FETCH;
        end
        S_FETCH: begin   // the first descriptor (the others are prefetched)
          rd_cmd_valid <= 1'b1; rd_cmd_addr <= pc_addr[ADDR_W-1:0]; rd_cmd_beats <= DB;
          f_busy <= 1'b1; fbeat <= '0; cyc <= 32'd0; wait_cyc <= 32'd0; state <= S_FETCH_D;
        end
        S_FETCH_D: if (f_have) begin
          desc <= ndesc; f_have <= 1'b0; f_issued <= 1'b0; ck <= 3'd0; cki <= 3'd0; state <= S_CFG;
        end
        S_CFG: begin
          // per-stream counters; the stream's command is out (or going out) from the issuer below
          cbeat <= 32'd0; cg <= '0; cp <= '0; cbase <= '0; csub <= 3'd0; cgrp <= '0; sb_tch <= '0; sb_tile <= 8'd0;
          state <= S_CFG_D;
        end
        S_CFG_D: begin
          if (cfg_take) begin
            cbeat <= cbeat + 1'b1;
            case (ck[1:0])
              2'd0: if (cfg_dw) begin
                dw_wsh <= {rd_data, dw_wsh[5*BEAT-1:BEAT]};
                if (csub == 3'd4) begin csub <= 3'd0; dw_w_we <= 1'b1; dw_group <= cgrp; cgrp <= cgrp + 1'b1; end
                else csub <= csub + 1'b1;
              end else begin
                // tile by tile, pair by pair: tile t's groups at t*G.. of each pair's RAM
                pw_wcfg_we <= 1'b1; pw_pair <= cp; pw_group <= cbase + cg; pw_wdata <= rd_data;
                if ({1'b0, cg} == pw_groups - 1'b1) begin
                  cg <= '0;
                  /* verilator lint_off WIDTH */
                  if (cp == PAIRS - 1) begin cp <= '0; cbase <= cbase + pw_groups; end
                  /* verilator lint_on WIDTH */
                  else cp <= cp + 1'b1;
                end else cg <= cg + 1'b1;
              end
              2'd1: if (cfg_dw) begin
                if (csub[1]) dw_b <= {rd_data, dw_b[2*BEAT-1:BEAT]};
                else dw_s <= {rd_data, dw_s[2*BEAT-1:BEAT]};
                if (csub == 3'd3) begin csub <= 3'd0; dw_sb_we <= 1'b1; dw_group <= cgrp; cgrp <= cgrp + 1'b1; end
                else csub <= csub + 1'b1;
              end else begin
                sb_busy <= 1'b1; sb_beat <= rd_data; sb_k <= '0;
              end
              2'd2: begin dw_pad_we <= 1'b1; dw_pad <= rd_data; dw_group <= cbeat[GW-1:0]; end
              default: begin dw_map_we <= 1'b1; dw_maddr <= cbeat[$clog2(MAP_MAX)-1:0]; dw_md <= rd_data[3:0]; end
            endcase
          end
          if (sb_busy) begin
            // one S/B channel of the 1x1 engine per cycle, tile by tile; channels past the last
            // tile are padding
            if (sb_tile < tiles) begin
              pw_pcfg_we <= 1'b1;
              pw_ch <= sb_tch; pw_tile <= sb_tile[$clog2(TMAX)-1:0];
              pw_s <= sb_beat[sb_k*32 +: 16]; pw_b <= sb_beat[sb_k*32 + 16 +: 16];
            end
            /* verilator lint_off WIDTH */
            if (sb_tch == OUTS - 1) begin sb_tch <= '0; sb_tile <= sb_tile + 1'b1; end
            /* verilator lint_on WIDTH */
            else sb_tch <= sb_tch + 1'b1;
            if ({24'd0, sb_k} == SBW - 1) sb_busy <= 1'b0;
            sb_k <= sb_k + 1'b1;
          end
          if (!sb_busy && !cfg_take && cbeat == cfg_beats) begin
            if (ck == 3'd5) state <= S_SETUP; else begin ck <= ck + 1'b1; state <= S_CFG; end
          end
        end
        S_SETUP: begin
          // products that stay fixed for the whole pass
          row_total <= in_w * gin;
          wc_left <= (map_out || out_chip) ? 32'd0 : (out_ng == out_gs) ? 32'd1 : out_h * out_w;
          tw_pix <= out_addr[BSH +: TBW]; tw_k <= 16'd0;
          mo_left <= map_out ? out_h * out_w : 32'd0;
          mo_pix <= '0;
          wc_beats <= out_h * out_w;
          wc_addr <= out_addr;
          for (i = 0; i < 8; i = i + 1) run_addr[i] <= src_addr(desc, i[2:0]);
          state <= S_SETUP2;
        end
        S_SETUP2: begin
          if (out_ng == out_gs) wc_beats <= wc_beats * out_ng; else wc_beats <= {16'd0, out_ng};
          wd_left <= wc_left;
          tw_left <= out_chip ? wc_beats * out_ng : 32'd0;
          dw_start <= is_dw || is_stem || is_fused;
          is_active <= 1'b1; is_row <= 16'd0; is_src <= 3'd0;
          rv_active <= 1'b1; rv_row <= 16'd0; rv_x <= 16'd0; rv_g <= 16'd0; rv_src <= 3'd0; rv_bank <= 1'b0; rv_dup <= 1'b0;
          rv_pos <= '0; rv_off <= '0; full <= 2'b00;
          st_active <= 1'b1; st_bank <= 1'b0; st_row <= 16'd0; st_pos <= 32'd0; st_g <= 16'd0; st_t <= 8'd0;
          state <= S_RUN;
        end
        S_RUN: begin
          if (!eng_in_valid && st_active) wait_cyc <= wait_cyc + 1'b1;
          // issuer: one read command per (row, source), at most one row ahead of the receiver
          if (is_active && (is_chip ? !tbc_valid : (!rd_cmd_valid || rd_cmd_ready)) && (is_row <= rv_row + 16'd1)) begin
            if (is_chip) begin tbc_valid <= 1'b1; tbc_addr <= run_addr[is_src][BSH +: TBW]; tbc_beats <= is_beats; end
            else begin rd_cmd_valid <= 1'b1; rd_cmd_addr <= run_addr[is_src][ADDR_W-1:0]; rd_cmd_beats <= is_beats; end
            if (!src_up(desc, is_src) || is_row[0]) run_addr[is_src] <= run_addr[is_src] + ({32'd0, is_beats} << BSH);
            if (is_last_src) begin
              is_src <= 3'd0; is_row <= is_row + 1'b1;
              if (is_row == in_h - 1'b1) is_active <= 1'b0;
            end else is_src <= is_src + 1'b1;
          end
          // receiver
          if (rv_write && r_up && !rv_dup) rv_dup <= 1'b1;
          if (rv_take) begin
            rv_dup <= 1'b0;
            if (!rv_last_g) rv_g <= rv_g + 1'b1;
            else begin
              rv_g <= 16'd0;
              if (!rv_last_x) begin rv_x <= rv_x + 1'b1; rv_pos <= rv_pos + (r_up ? {gin[RBW-1:0], 1'b0} : gin[RBW:0]); end
              else begin
                rv_x <= 16'd0; rv_pos <= '0;
                if (!rv_last_src) begin rv_src <= rv_src + 1'b1; rv_off <= rv_off + r_ng[RBW:0]; end
                else begin
                  rv_src <= 3'd0; rv_off <= '0; rv_bank <= !rv_bank; rv_row <= rv_row + 1'b1;
                  if (rv_row == in_h - 1'b1) rv_active <= 1'b0;
                end
              end
            end
          end
          // streamer
          st_rv <= st_issue;
          if (st_issue) begin
            // each pixel's gin beats once per tile, then the next pixel
            if (st_row_done) begin
              st_pos <= 32'd0; st_g <= 16'd0; st_t <= 8'd0; st_bank <= !st_bank; st_row <= st_row + 1'b1;
              if (st_row == in_h - 1'b1) st_active <= 1'b0;
            end else if (st_g != gin - 1'b1) st_g <= st_g + 1'b1;
            else begin
              st_g <= 16'd0;
              if (st_px_done) begin st_t <= 8'd0; st_pos <= st_pos + {16'd0, gin}; end
              else st_t <= st_t + 1'b1;
            end
          end
          // writer commands
          if (wc_left != 32'd0 && (!wr_cmd_valid || wr_cmd_ready)) begin
            wr_cmd_valid <= 1'b1; wr_cmd_addr <= wc_addr[ADDR_W-1:0]; wr_cmd_beats <= wc_beats;
            wc_addr <= wc_addr + ({48'd0, out_gs} << BSH);
            wc_left <= wc_left - 1'b1;
          end
          if (wr_done && !stat_b) wd_left <= wd_left - 1'b1;
          // map_out: one dilation (lane 0 of the single output beat) a cycle into the map
          if (map_out && ser_valid) begin
            dw_map_we <= 1'b1; dw_maddr <= mo_pix; dw_md <= ser_word[3:0];
            mo_pix <= mo_pix + 1'b1; mo_left <= mo_left - 1'b1;
          end
          // tensor-buffer writer: out_ng beats a pixel at tw_pix, pixels out_gstride apart
          if (to_chip && wr_in_valid) begin
            tw_left <= tw_left - 1'b1;
            if (tw_k == out_ng - 1'b1) begin tw_k <= 16'd0; tw_pix <= tw_pix + out_gs[TBW-1:0]; end
            else tw_k <= tw_k + 1'b1;
          end
          if (wd_left == 32'd0 && wc_left == 32'd0 && mo_left == 32'd0 && tw_left == 32'd0 && !is_active && !rv_active && !st_active && f_cnt == 3'd0) begin
            // the statistics: this descriptor's cycles since the previous one's statistics
            stat_q <= {wait_cyc, cyc}; cyc <= 32'd0; wait_cyc <= 32'd0;
            stat_cmd_sent <= 1'b0; stat_data_sent <= 1'b0; state <= S_STAT;
          end
        end
        S_STAT: begin
          if (!stat_cmd_sent) begin
            wr_cmd_valid <= 1'b1; wr_cmd_addr <= stat_addr[ADDR_W-1:0]; wr_cmd_beats <= 32'd1; stat_cmd_sent <= 1'b1;
          end
          if (wr_in_valid && wr_in_ready) stat_data_sent <= 1'b1;
          if (stat_cmd_sent && (stat_data_sent || (wr_in_valid && wr_in_ready))) begin
            if (pc_left == 32'd1) state <= S_STAT_W;
            else if (f_issued) begin pc_addr <= next_pc; pc_left <= pc_left - 1'b1; state <= S_FETCH_D; end
          end
        end
        S_STAT_W: if (stat_pend == 2'd0) state <= S_DONE;   // every statistics beat written
        default: begin done_set <= 1'b1; state <= S_IDLE; end   // S_DONE
      endcase

      // row-buffer flags: the receiver fills one bank while the streamer drains the other
      for (i = 0; i < 2; i = i + 1) begin
        if (rv_row_done && rv_bank == i[0]) full[i] <= 1'b1;
        else if (st_row_done && st_bank == i[0]) full[i] <= 1'b0;
      end
      // prefetch of the next descriptor: once the run's last input beat is in (no other read data
      // is ahead of it), or at the latest with the statistics beat
      if (((state == S_RUN && !is_active && !rv_active) || state == S_STAT) && pc_left != 32'd1 && !f_issued && (!rd_cmd_valid || rd_cmd_ready)) begin
        rd_cmd_valid <= 1'b1; rd_cmd_addr <= next_pc[ADDR_W-1:0]; rd_cmd_beats <= DB;
        f_issued <= 1'b1; f_busy <= 1'b1; fbeat <= '0;
      end
      // descriptor fetch: DB beats into ndesc
      if (f_take) begin
        ndesc <= {rd_data, ndesc[`CN_DESC_BITS-1:BEAT]};
        fbeat <= fbeat + 1'b1;
        if ({{(32-$clog2(DB+1)){1'b0}}, fbeat} == DB - 1) begin f_busy <= 1'b0; f_have <= 1'b1; end
      end
      // config issuer: the six streams' read commands in order, back to back (empty ones skipped)
      if ((state == S_CFG || state == S_CFG_D) && cki != 3'd6 && (!rd_cmd_valid || rd_cmd_ready)) begin
        if (cfgi_beats != 32'd0) begin rd_cmd_valid <= 1'b1; rd_cmd_addr <= cfgi_addr[ADDR_W-1:0]; rd_cmd_beats <= cfgi_beats; end
        cki <= cki + 1'b1;
      end
      stat_pend <= stat_pend + {1'b0, state == S_STAT && !stat_cmd_sent} - {1'b0, stat_b};
      // streamer FIFO
      if (st_rv) f_wp <= f_wp + 1'b1;
      if (f_pop) f_rp <= f_rp + 1'b1;
      f_cnt <= f_cnt + {2'd0, st_rv} - {2'd0, f_pop};
      // tensor-buffer reader: one beat a cycle into tbq while the receiver takes them
      if (tbr_read) begin
        tbr_addr <= tbr_addr + 1'b1; tbr_left <= tbr_left - 1'b1;
        if (tbr_left == 32'd1) tbr_busy <= 1'b0;
      end
      if (tbr_read) tbq_valid <= 1'b1; else if (tbq_take) tbq_valid <= 1'b0;
      if (tbc_valid && (!tbr_busy || (tbr_read && tbr_left == 32'd1))) begin
        tbr_busy <= 1'b1; tbr_addr <= tbc_addr; tbr_left <= tbc_beats; tbc_valid <= 1'b0;
      end
      // output serializer of the 1x1 engine: out_ng beats of each OUTS-channel word
      if (pw_out_valid && pw_out_ready) begin ser_valid <= 1'b1; ser_word <= pw_out_data; ser_k <= 16'd0; end
      else if (ser_valid && ser_ready && state == S_RUN && !is_dw) begin
        if (ser_last) ser_valid <= 1'b0; else ser_k <= ser_k + 1'b1;
      end
    end
  end

  // ---------------- counters ----------------
  reg [63:0] c_busy, c_desc, c_active, c_wait;
  always @(posedge clk) begin
    if (rst || (state == S_IDLE && start)) begin
      c_busy <= 64'd0; c_desc <= 64'd0; c_active <= 64'd0; c_wait <= 64'd0;
    end else begin
      if (busy) c_busy <= c_busy + 1'b1;
      if (stat_b) c_desc <= c_desc + 1'b1;
      if (f_pop) c_active <= c_active + 1'b1;
      if (state == S_RUN && !eng_in_valid && st_active) c_wait <= c_wait + 1'b1;
    end
  end
  // in register order (cn_isa.vh, from COUNTERS in src/hw/params.ts)
  assign counters[64*`CN_COUNTER_BUSY_CYCLES +: 64]         = c_busy;
  assign counters[64*`CN_COUNTER_BYTES_READ +: 64]          = rd_bytes;
  assign counters[64*`CN_COUNTER_BYTES_WRITTEN +: 64]       = wr_bytes;
  assign counters[64*`CN_COUNTER_READ_STALL_CYCLES +: 64]   = rd_stall;
  assign counters[64*`CN_COUNTER_WRITE_STALL_CYCLES +: 64]  = wr_stall;
  assign counters[64*`CN_COUNTER_DESCRIPTORS_DONE +: 64]    = c_desc;
  assign counters[64*`CN_COUNTER_ENGINE_ACTIVE_CYCLES +: 64] = c_active;
  assign counters[64*`CN_COUNTER_LOADER_WAIT_CYCLES +: 64]  = c_wait;
  assign error = rd_err || wr_err;

  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = rd_out_last ^ rd_done ^ rd_idle ^ wr_idle ^ dw_busy ^ (|pc_left) ^ (|st_row) ^ (|is_row);
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
`default_nettype wire
