// cn_dw3x3_pe: datapath of the (square deformable) depthwise 3x3 conv for one group of LANES
// channels. The taps are already fetched (line buffers, dilation d and the pad code were applied
// upstream), so per channel c this is a 9-term dot product:
//     acc[c] = sum_{t=0..8} x[t][c] * w[t][c]        x int8, w int4, exact (|acc| <= 9216)
// Tap numbering follows src/golden/kernels.ts: t = (i+1)*3 + (j+1) for offsets i, j in {-1,0,1}.
// Bus layout is tap-major for both operands (one tap of LANES channels is one contiguous word, as
// a line buffer delivers it): x of tap t, lane c at in_x[(t*LANES + c)*8 +: 8], its weight at
// in_w[(t*LANES + c)*4 +: 4]. out_acc lane c at [c*24 +: 24], sign-extended to the 24-bit
// accumulator width so it feeds cn_requant directly.
//
// Why it is shaped this way: an 8x4 product is cheap in LUTs and the depthwise conv has no reuse
// across channels to exploit a DSP for, so the products are written as radix-4 Booth logic
// instead of `*` (Yosys would put every `*` in its own DSP48). w = d0 + 4*d1 with Booth digits
// d0, d1 in {-2..2}: each digit selects 0, a or 2a and conditionally inverts it (one LUT per
// bit), and the product is ONE two-operand add (a carry chain). The +1 that completes the
// inversion of the low digit rides in a free bit of the high partial product; the +1 of the high
// digit (weight 4) is deferred: the 9 deferred bits are counted once per channel and added, times
// 4, in the last adder level. Multi-operand adds of wide partial products are avoided on purpose:
// Yosys turns them into generic compressor logic that costs ~2.5x the LUTs of carry chains.
// The 9 products are then reduced by two levels of 3-input adders (3 x 3).
//
// Pipeline, LATENCY = 4 (counted in en = 1 cycles; with en stuck at 1, input in cycle c ->
// out_valid/out_acc in cycle c + 4):
//   1 input registers (x, w)
//   2 9 Booth products per lane (12 bits, without the deferred +4) and the 9 deferred bits
//   3 three partial sums of 3 products (14 bits), count of the deferred bits (0..9)
//   4 final sum of 3 partial sums + 4 * count (16 bits)
// `en` is a global clock enable; rst (synchronous, active high) clears the valid pipeline only.
`default_nettype none

module cn_dw3x3_pe #(
  parameter integer LANES = 1
) (
  input  wire                 clk,
  input  wire                 rst,
  input  wire                 en,
  input  wire                 in_valid,
  input  wire [9*LANES*8-1:0] in_x,     // tap t, lane c: [(t*LANES + c)*8 +: 8], signed int8
  input  wire [9*LANES*4-1:0] in_w,     // tap t, lane c: [(t*LANES + c)*4 +: 4], signed int4
  output wire                 out_valid,
  output wire [LANES*24-1:0]  out_acc   // lane c: [c*24 +: 24], signed
);
  localparam integer LATENCY = 4;

  // a * w - 4 * w[3] for int8 a, int4 w (i.e. the product without the deferred +4 of the high
  // Booth digit's negation), exact modulo 2^12. Booth radix-4: d0 = -2 w[1] + w[0],
  // d1 = -2 w[3] + w[2] + w[1]; partial product k = (sel_k ^ {neg_k}) with sel_k in {0, a, 2a}.
  function [11:0] booth84;
    input [7:0] a;
    input [3:0] w;
    reg [9:0]  ax;
    reg        one0, two0, neg0, one1, two1, neg1;
    reg [9:0]  sel0, sel1;
    reg [11:0] pp0, pp1;
    begin
      ax   = {{2{a[7]}}, a};
      one0 = w[0];
      two0 = w[1] & ~w[0];
      neg0 = w[1];
      one1 = w[2] ^ w[1];
      two1 = (w[3] & ~w[2] & ~w[1]) | (~w[3] & w[2] & w[1]);
      neg1 = w[3];
      sel0 = one0 ? ax : (two0 ? {ax[8:0], 1'b0} : 10'd0);
      sel1 = one1 ? ax : (two1 ? {ax[8:0], 1'b0} : 10'd0);
      pp0  = {{2{sel0[9]}}, sel0} ^ {12{neg0}};
      pp1  = {sel1 ^ {10{neg1}}, 1'b0, neg0};   // bits [1:0] of the shifted pp1 are free: +neg0 there
      booth84 = pp0 + pp1;
    end
  endfunction

  reg [LATENCY-1:0] vld;
  always @(posedge clk) begin
    if (rst) vld <= {LATENCY{1'b0}};
    else if (en) vld <= {vld[LATENCY-2:0], in_valid};
  end
  assign out_valid = vld[LATENCY-1];

  genvar c, t;
  generate
    for (c = 0; c < LANES; c = c + 1) begin : lane
      wire [9*12-1:0] p;
      wire [8:0]      nb;     // deferred +4 of each product (w[3] of its weight)
      for (t = 0; t < 9; t = t + 1) begin : tap
        reg [7:0]  x1;
        reg [3:0]  w1;
        reg [11:0] p2;
        reg        n2;
        always @(posedge clk) begin
          if (en) begin
            x1 <= in_x[(t*LANES + c)*8 +: 8];
            w1 <= in_w[(t*LANES + c)*4 +: 4];
            p2 <= booth84(x1, w1);
            n2 <= w1[3];
          end
        end
        assign p[t*12 +: 12] = p2;
        assign nb[t] = n2;
      end
      reg [13:0] g3_0, g3_1, g3_2;
      reg [3:0]  c3;
      reg [15:0] s4;
      always @(posedge clk) begin
        if (en) begin
          g3_0 <= {{2{p[ 11]}}, p[  0 +: 12]} + {{2{p[ 23]}}, p[ 12 +: 12]} + {{2{p[ 35]}}, p[ 24 +: 12]};
          g3_1 <= {{2{p[ 47]}}, p[ 36 +: 12]} + {{2{p[ 59]}}, p[ 48 +: 12]} + {{2{p[ 71]}}, p[ 60 +: 12]};
          g3_2 <= {{2{p[ 83]}}, p[ 72 +: 12]} + {{2{p[ 95]}}, p[ 84 +: 12]} + {{2{p[107]}}, p[ 96 +: 12]};
          c3   <= {3'd0, nb[0]} + {3'd0, nb[1]} + {3'd0, nb[2]} + {3'd0, nb[3]} + {3'd0, nb[4]}
                + {3'd0, nb[5]} + {3'd0, nb[6]} + {3'd0, nb[7]} + {3'd0, nb[8]};
          s4   <= {{2{g3_0[13]}}, g3_0} + {{2{g3_1[13]}}, g3_1} + {{2{g3_2[13]}}, g3_2} + {10'd0, c3, 2'b00};
        end
      end
      assign out_acc[c*24 +: 24] = {{8{s4[15]}}, s4};
    end
  endgenerate
endmodule

`default_nettype wire
