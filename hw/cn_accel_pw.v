// cn_accel_pw -- the 1x1-convolution engine: LANES input channels x OUTS output channels per cycle.
//
// It computes one output-channel tile (up to OUTS channels) of a 1x1 conv, or of the offset conv
// (mode 1: dilation output), for a stream of pixels. Each pixel arrives as G beats of LANES int8
// activations (channel group g = 0..G-1, channels g*LANES .. g*LANES+LANES-1, zero-padded); after
// the G-th beat the engine emits one beat of OUTS output codes. Two output channels share each
// multiplier (cn_dot2 / cn_mul2: one int8 activation times two int4 weights per DSP), so the array
// holds LANES*OUTS MACs on LANES*OUTS/2 DSPs; OUTS requantizers (cn_requant) finish each pixel.
//
// Configuration (before a tile; not while pixels are in flight):
//   weights: wcfg_we writes wcfg_data to pair p = wcfg_pair (output channels 2p, 2p+1), group
//     g = wcfg_group; lane k of wcfg_data is bits [k*8 +: 8] = {w(2p+1)[4 bits], w(2p)[4 bits]}
//     for input channel g*LANES + k.
//   per-channel S and B: pcfg_we writes pcfg_s / pcfg_b of output channel pcfg_ch of tile
//     pcfg_tile (channels of a tile in order: writing channel OUTS-1 stores the tile's OUTS pairs).
//   per-pass: groups (G, 1..GMAX), tiles (0 or 1: one), n, lo, mode, dmax (stable while it runs).
// Several tiles (tiles = T > 1): every pixel goes through the array T times, tile t with the
// weights at groups t*G.. of each pair's RAM (T*G <= GMAX) and the S/B of entry t, so the input
// of all T tiles is read once; the T outputs of a pixel come out one after another.
// Streams: valid/ready. All pipeline registers advance together under one clock enable
// en = !(out_valid && !out_ready), so backpressure on the output stalls the whole engine and
// in_ready = en. Latency: 1 (weight RAM) + cn_dot2 LATENCY + cn_requant LATENCY cycles from the
// last beat of a pixel to its output, with no bubbles between pixels.
// Stem mode (stem = 1) runs the first conv, whose weights are int8, on the same array: see the
// comment at the requantizer input. Reset: synchronous, active high (the leaf modules'
// convention), on every control register.
`default_nettype none

module cn_accel_pw #(
  parameter integer LANES = 16,
  parameter integer OUTS  = 40,   // even
  parameter integer GMAX  = 64,   // largest input channel count is LANES * GMAX
  parameter integer TMAX  = 16    // tiles of S/B on chip; cn_accel_seq passes the contract's CN_PW_TILE_MAX
) (
  input  wire                         clk,
  input  wire                         rst,
  // configuration
  input  wire                         wcfg_we,
  input  wire [$clog2(OUTS/2)-1:0]    wcfg_pair,
  input  wire [$clog2(GMAX)-1:0]      wcfg_group,
  input  wire [LANES*8-1:0]           wcfg_data,
  input  wire                         pcfg_we,
  input  wire [$clog2(OUTS)-1:0]      pcfg_ch,
  input  wire [$clog2(TMAX)-1:0]      pcfg_tile,
  input  wire [15:0]                  pcfg_s,
  input  wire [15:0]                  pcfg_b,
  input  wire [$clog2(GMAX):0]        groups,
  input  wire [7:0]                   tiles,
  input  wire [4:0]                   n,
  input  wire [7:0]                   lo,
  input  wire                         mode,
  input  wire [3:0]                   dmax,
  input  wire                         stem,     // 1: int8 weights (the stem), see below
  // activations: one channel group of one pixel per beat
  input  wire                         in_valid,
  output wire                         in_ready,
  input  wire [LANES*8-1:0]           in_data,
  // outputs: OUTS codes of one pixel per beat (channel c at bits [c*8 +: 8])
  output wire                         out_valid,
  input  wire                         out_ready,
  output wire [OUTS*8-1:0]            out_data
);
  localparam integer PAIRS = OUTS / 2;
  localparam integer GW = $clog2(GMAX);

  wire en = !(out_valid && !out_ready);
  assign in_ready = en;

  // Channel-group counter of the incoming pixel, and the tile it goes through (weights from wbase).
  reg [GW-1:0] g, wbase;
  reg [7:0]    wt;
  wire take = in_valid && en;
  wire at_last = ({1'b0, g} == groups - 1'b1);
  wire wt_last = ({1'b0, wt} + 9'd1 >= {1'b0, tiles});
  always @(posedge clk) begin
    if (rst) begin g <= {GW{1'b0}}; wbase <= {GW{1'b0}}; wt <= 8'd0; end
    else if (take) begin
      g <= at_last ? {GW{1'b0}} : g + 1'b1;
      if (at_last) begin
        wt    <= wt_last ? 8'd0 : wt + 1'b1;
        /* verilator lint_off WIDTH */
        wbase <= wt_last ? {GW{1'b0}} : wbase + groups;
        /* verilator lint_on WIDTH */
      end
    end
  end
  wire [GW-1:0] waddr = wbase + g;

  // Stage 0: register the beat while the weight RAMs read the same group.
  reg               s0_valid, s0_first, s0_last;
  reg [LANES*8-1:0] s0_a;
  always @(posedge clk) begin
    if (rst) begin
      s0_valid <= 1'b0; s0_first <= 1'b0; s0_last <= 1'b0;
    end else if (en) begin
      s0_valid <= in_valid;
      s0_first <= (g == {GW{1'b0}});
      s0_last  <= at_last;
    end
  end
  always @(posedge clk) if (en) s0_a <= in_data;

  // Per-channel requantization parameters: the channels of the tile being configured, then
  // stored whole into entry pcfg_tile of sbmem (one wide word a tile) with its last channel.
  reg [15:0] s_reg [0:OUTS-1];
  reg [15:0] b_reg [0:OUTS-1];
  always @(posedge clk) if (pcfg_we) begin
    s_reg[pcfg_ch] <= pcfg_s;
    b_reg[pcfg_ch] <= pcfg_b;
  end
  wire [OUTS*32-1:0] sb_new;
  reg  [OUTS*32-1:0] sbmem [0:TMAX-1];
  reg  [OUTS*32-1:0] sq;
  genvar q;
  generate
    for (q = 0; q < OUTS; q = q + 1) begin : sbw
      if (q == OUTS - 1) begin : last
        assign sb_new[q*32 +: 32] = {pcfg_b, pcfg_s};
      end else begin : kept
        assign sb_new[q*32 +: 32] = {b_reg[q], s_reg[q]};
      end
    end
  endgenerate
  /* verilator lint_off WIDTH */
  wire last_ch = (pcfg_ch == OUTS - 1);
  /* verilator lint_on WIDTH */
  always @(posedge clk) if (pcfg_we && last_ch) sbmem[pcfg_tile] <= sb_new;
  // The tile of the pixel at the requantizer input: rt counts finished pixel-tiles, and sq holds
  // entry rt (read one cycle ahead, so it is there when acc_valid is).
  reg  [7:0] rt;
  wire       rq_take = acc_valid[0] && en;
  wire [7:0] rt_n = !rq_take ? rt : ({1'b0, rt} + 9'd1 >= {1'b0, tiles}) ? 8'd0 : rt + 1'b1;
  always @(posedge clk) begin
    if (rst) rt <= 8'd0; else rt <= rt_n;
  end
  always @(posedge clk) sq <= sbmem[rt_n[$clog2(TMAX)-1:0]];

  wire [PAIRS-1:0]    acc_valid;
  wire [OUTS*24-1:0]  acc;
  wire [OUTS*16-1:0]  s_bus;
  wire [OUTS*16-1:0]  b_bus;

  genvar p, k;
  generate
    for (p = 0; p < PAIRS; p = p + 1) begin : pair
      // Weights of output channels 2p and 2p+1 for every channel group (inferred block/LUT RAM).
      reg [LANES*8-1:0] wmem [0:GMAX-1];
      reg [LANES*8-1:0] wq;
      always @(posedge clk) begin
        if (wcfg_we && wcfg_pair == p[$clog2(PAIRS > 1 ? PAIRS : 2)-1:0]) wmem[wcfg_group] <= wcfg_data;
        if (en) wq <= wmem[waddr];
      end
      wire [LANES*4-1:0] w0, w1;
      for (k = 0; k < LANES; k = k + 1) begin : lane
        assign w0[k*4 +: 4] = wq[k*8 +: 4];
        assign w1[k*4 +: 4] = wq[k*8+4 +: 4];
      end
      /* verilator lint_off PINCONNECTEMPTY */
      cn_dot2 #(.K(LANES)) dot (
        .clk(clk), .rst(rst), .en(en), .in_valid(s0_valid), .in_first(s0_first), .in_last(s0_last),
        .in_a(s0_a), .in_w0(w0), .in_w1(w1),
        .sum_valid(), .sum0(), .sum1(),
        .acc_valid(acc_valid[p]), .acc0(acc[(2*p)*24 +: 24]), .acc1(acc[(2*p+1)*24 +: 24]));
      /* verilator lint_on PINCONNECTEMPTY */
      assign s_bus[(2*p)*16 +: 16]   = sq[(2*p)*32 +: 16];
      assign s_bus[(2*p+1)*16 +: 16] = sq[(2*p+1)*32 +: 16];
      assign b_bus[(2*p)*16 +: 16]   = sq[(2*p)*32 + 16 +: 16];
      assign b_bus[(2*p+1)*16 +: 16] = sq[(2*p+1)*32 + 16 +: 16];
    end
  endgenerate

  // Stem mode: int8 weights w = 16*hi + lo with hi = w >>> 4 and lo = w & 15 (unsigned). Pair 0
  // holds weights (1, 0), so its acc0 is sum(x); pair p >= 1 holds (lo - 8, hi) of output channel
  // p - 1, so acc = 16*sum(x*hi) + sum(x*(lo - 8)) + 8*sum(x) exactly: OUTS/2 - 1 channels a pass.
  wire [OUTS*24-1:0] rq_acc;
  genvar c;
  generate
    for (c = 0; c < OUTS; c = c + 1) begin : stem_mux
      if (c < PAIRS - 1) begin : comb
        wire signed [27:0] hi_sum = {{4{acc[(2*c+3)*24+23]}}, acc[(2*c+3)*24 +: 24]};
        wire signed [27:0] lo_sum = {{4{acc[(2*c+2)*24+23]}}, acc[(2*c+2)*24 +: 24]};
        wire signed [27:0] x_sum  = {{4{acc[23]}}, acc[0 +: 24]};
        wire signed [27:0] full   = (hi_sum <<< 4) + lo_sum + (x_sum <<< 3);
        /* verilator lint_off UNUSEDSIGNAL */
        wire [27:0] full_u = full;  // |acc| < 2^23 (loader bound): the top bits are sign copies
        /* verilator lint_on UNUSEDSIGNAL */
        assign rq_acc[c*24 +: 24] = stem ? full_u[23:0] : acc[c*24 +: 24];
      end else begin : pass
        assign rq_acc[c*24 +: 24] = acc[c*24 +: 24];
      end
    end
  endgenerate

  cn_requant #(.LANES(OUTS)) rq (
    .clk(clk), .rst(rst), .en(en), .in_valid(acc_valid[0]), .in_acc(rq_acc), .in_s(s_bus), .in_b(b_bus),
    .in_n(n), .in_lo(lo), .in_mode(mode), .in_dmax(dmax), .out_valid(out_valid), .out_q(out_data));

  // All pairs share one pipeline, so their acc_valid are identical; only pair 0's is used.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_valid = ^acc_valid;
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
`default_nettype wire
