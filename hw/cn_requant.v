// cn_requant: pipelined integer-only requantizer of codenet (docs/numerics.md, src/numerics/requant.ts).
//
// Per lane, for a signed 24-bit accumulator acc, int16 scale S and int16 bias B, and per-beat
// (shared by all lanes) shift n, lower clamp lo, mode and dmax:
//     t = ((acc * S + 2^(n-1)) >>> n) + B          (exact 40-bit product, floor shift, no wrap)
//     mode 0 (activation): q = clamp(t - 128, lo, 127)              -> int8 code
//     mode 1 (dilation)  : q = {4'b0, clamp(t, 0, dmax)}            -> unsigned 4-bit d, zero-extended
// n is 1..31 for every model; n = 0 is also exact (no rounding term, no shift).
// Exact for EVERY input value, including acc = -2^23 and S = -32768.
//
// Interface: one beat per clock per lane when en = 1. `en` is a global clock enable: while it is
// low every register (data and valid) holds, so a stalled consumer freezes the pipeline. A beat
// presented with in_valid = 1 in an en = 1 cycle appears on out_valid/out_q LATENCY en = 1 cycles
// later (LATENCY = 6: with en stuck at 1, input in cycle c -> output in cycle c + 6). The consumer
// takes an output in a cycle where out_valid = 1 and en = 1. rst is synchronous, active high and
// clears only the valid pipeline (the data registers carry no reset so they can sit in DSPs).
//
// Pipeline (why it is shaped this way):
//   1 input registers (DSP A/B registers), rounding constant 2^(n-1) decoded from n
//   2 m = acc * S (24x16 -> 40 bits, one DSP48E2 27x18 per lane: M register), C = 2^(n-1) (C register)
//   3 r = m + 2^(n-1) in the DSP post-adder (P register); |m| <= 2^38 and 2^(n-1) <= 2^30, so
//     r fits 40 signed bits without overflow
//   4 s = r >>> n (40-bit barrel shift in fabric)
//   5 t = sat18(s) + B: s is saturated to [-2^17, 2^17-1] first. That is exact for the outputs:
//     when s is clipped high, t >= 2^17 - 1 - 32768 > 255 both before and after clipping (q = 127,
//     d = dmax); when clipped low, t <= -2^17 + 32767 < -128 (q = lo, d = 0). t needs 19 bits.
//   6 clamp to the output code (activation) or to [0, dmax] (dilation), output register.
`default_nettype none

module cn_requant #(
  parameter integer LANES = 1
) (
  input  wire                 clk,
  input  wire                 rst,
  input  wire                 en,
  input  wire                 in_valid,
  input  wire [LANES*24-1:0]  in_acc,   // lane l: bits [l*24 +: 24], signed
  input  wire [LANES*16-1:0]  in_s,     // lane l: bits [l*16 +: 16], signed
  input  wire [LANES*16-1:0]  in_b,     // lane l: bits [l*16 +: 16], signed
  input  wire [4:0]           in_n,     // shift, 1..31 (0 also exact)
  input  wire [7:0]           in_lo,    // signed lower clamp of the output code (activation mode)
  input  wire                 in_mode,  // 0 = activation, 1 = dilation
  input  wire [3:0]           in_dmax,  // dilation upper clamp, 0..15
  output wire                 out_valid,
  output wire [LANES*8-1:0]   out_q     // lane l: bits [l*8 +: 8]
);
  localparam integer LATENCY = 6;

  // ---- valid and per-beat controls (shared by every lane) ----
  reg [LATENCY-1:0] vld;
  always @(posedge clk) begin
    if (rst) vld <= {LATENCY{1'b0}};
    else if (en) vld <= {vld[LATENCY-2:0], in_valid};
  end
  assign out_valid = vld[LATENCY-1];

  reg  [4:0]  n1, n2, n3;
  reg  [7:0]  lo1, lo2, lo3, lo4, lo5;
  reg         md1, md2, md3, md4, md5;
  reg  [3:0]  dm1, dm2, dm3, dm4, dm5;
  reg  [39:0] rnd2;
  always @(posedge clk) begin
    if (rst) begin
      n1 <= 5'd0; n2 <= 5'd0; n3 <= 5'd0;
      lo1 <= 8'd0; lo2 <= 8'd0; lo3 <= 8'd0; lo4 <= 8'd0; lo5 <= 8'd0;
      md1 <= 1'b0; md2 <= 1'b0; md3 <= 1'b0; md4 <= 1'b0; md5 <= 1'b0;
      dm1 <= 4'd0; dm2 <= 4'd0; dm3 <= 4'd0; dm4 <= 4'd0; dm5 <= 4'd0;
      rnd2 <= 40'd0;
    end else if (en) begin
      n1 <= in_n;   n2 <= n1;   n3 <= n2;
      lo1 <= in_lo; lo2 <= lo1; lo3 <= lo2; lo4 <= lo3; lo5 <= lo4;
      md1 <= in_mode; md2 <= md1; md3 <= md2; md4 <= md3; md5 <= md4;
      dm1 <= in_dmax; dm2 <= dm1; dm3 <= dm2; dm4 <= dm3; dm5 <= dm4;
      // 2^(n-1), or 0 when n = 0
      rnd2 <= (n1 == 5'd0) ? 40'd0 : (40'd1 << (n1 - 5'd1));
    end
  end

  // ---- lanes ----
  genvar l;
  generate
    for (l = 0; l < LANES; l = l + 1) begin : lane
      reg signed [23:0] acc1;
      reg signed [15:0] s1;
      reg signed [15:0] b1, b2, b3, b4;
      reg signed [39:0] m2;
      reg signed [39:0] r3;
      reg signed [39:0] s4;
      reg signed [18:0] t5;
      reg        [7:0]  q6;

      // saturate s4 to 18 signed bits: in range iff bits [39:17] are all equal
      wire        s_neg  = s4[39];
      wire        s_ok   = (s4[39:17] == {23{s_neg}});
      wire signed [17:0] s_sat = s_ok ? s4[17:0] : (s_neg ? 18'sh20000 : 18'sh1FFFF);

      // output clamps on t5 (19 bits signed); u = t - 128 needs 20 bits
      wire signed [19:0] u      = {t5[18], t5} - 20'sd128;
      wire signed [19:0] lo_ext = {{12{lo5[7]}}, lo5};
      wire [7:0] q_act = (u > 20'sd127) ? 8'h7F : ((u < lo_ext) ? lo5 : u[7:0]);
      wire [3:0] d_dil = t5[18] ? 4'd0 : ((t5 > $signed({15'd0, dm5})) ? dm5 : t5[3:0]);

      always @(posedge clk) begin
        if (en) begin
          acc1 <= in_acc[l*24 +: 24];
          s1   <= in_s[l*16 +: 16];
          b1   <= in_b[l*16 +: 16];
          b2 <= b1; b3 <= b2; b4 <= b3;
          m2 <= acc1 * s1;                      // both operands signed: 40-bit exact product
          r3 <= m2 + $signed(rnd2);
          s4 <= r3 >>> n3;
          t5 <= {s_sat[17], s_sat} + {{3{b4[15]}}, b4};  // 18 + 16 bits signed -> 19 bits, no overflow
          q6 <= md5 ? {4'd0, d_dil} : q_act;
        end
      end
      assign out_q[l*8 +: 8] = q6;
    end
  endgenerate
endmodule

`default_nettype wire
