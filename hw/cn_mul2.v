// cn_mul2: one int8 activation times two int4 weights on ONE multiplier (DSP packing, cf. Xilinx
// WP486 for INT8; here 8x4 so the fields are 12 bits).
//
//     p0 = a * w0,  p1 = a * w1      a in [-128, 127], w0, w1 in [-8, 7]  ->  p in [-896, 1024]
//
// How: the two weights are packed into one 17-bit signed operand wp = w1 * 2^12 + w0 and a single
// signed multiply a * wp (8 x 17, fits the 27x18 DSP48E2 / 25x18 DSP48E1 multiplier) gives
// a*w1 * 2^12 + a*w0. The DSP post-adder adds the constant 2^11, so
//     P = p1 * 2^12 + (p0 + 2^11),   with 0 <= p0 + 2^11 < 2^12 because |p0| <= 1024 < 2^11.
// Hence p1 = P[23:12] exactly (no sign-correction adder for the high field) and
// p0 = P[11:0] - 2^11 = {~P[11], P[10:0]} (the low field's sign correction is an inverter).
// |P| <= 128 * 32776 + 2^11 < 2^23, so 24 product bits are exact.
// Packing: wp[11:0] = w0 sign-extended to 12 bits, wp[16:12] = w1 - w0[3] (the borrow of a
// negative w0), written as a 5-bit bitwise decrement so it maps to a few LUTs, not a carry chain.
//
// Pipeline, LATENCY = 3 (a, w0, w1 presented in an en = 1 cycle c appear on p0/p1 after 3 en = 1
// clock edges; with en stuck at 1: cycle c + 3):
//   1 a, wp input registers (DSP A/B registers)
//   2 product register (DSP M register)
//   3 product + 2^11 (DSP post-adder with constant C, P register)
// `en` is a clock enable for every register (DSP CE pins); there is no reset (pure datapath, so
// every register can live inside the DSP). Yosys maps this module to exactly one DSP48E2
// (xcup) and, on xc7, absorbs all three register stages and the constant into one DSP48E1.
`default_nettype none

module cn_mul2 (
  input  wire              clk,
  input  wire              en,
  input  wire signed [7:0] a,
  input  wire signed [3:0] w0,
  input  wire signed [3:0] w1,
  output wire signed [11:0] p0,
  output wire signed [11:0] p1
);
  /* verilator lint_off UNUSEDPARAM */
  localparam integer LATENCY = 3;
  /* verilator lint_on UNUSEDPARAM */

  // hi = {w1[3], w1} - w0[3], as an explicit borrow chain
  wire [4:0] x  = {w1[3], w1};
  wire       bw = w0[3];
  wire br1 = ~x[0] & bw;
  wire br2 = ~x[1] & br1;
  wire br3 = ~x[2] & br2;
  wire br4 = ~x[3] & br3;
  wire [4:0] hi = {x[4] ^ br4, x[3] ^ br3, x[2] ^ br2, x[1] ^ br1, x[0] ^ bw};
  wire signed [16:0] wp = {hi, {8{w0[3]}}, w0};   // = w1 * 4096 + w0

  reg signed [7:0]  a_r;
  reg signed [16:0] wp_r;
  reg signed [23:0] m_r;
  reg signed [23:0] p_r;
  always @(posedge clk) begin
    if (en) begin
      a_r  <= a;
      wp_r <= wp;
      m_r  <= a_r * wp_r;             // signed 8 x 17, exact in 24 bits
      p_r  <= m_r + 24'sd2048;        // + 2^11 in the DSP post-adder
    end
  end

  assign p1 = p_r[23:12];
  assign p0 = {~p_r[11], p_r[10:0]};
endmodule

`default_nettype wire
