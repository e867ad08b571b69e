// cn_dot2: MAC lane pair of the 1x1-conv engine. Per beat, K int8 activations a_k, each broadcast
// to two output channels with int4 weights w0_k, w1_k:
//     sum0 = sum_k a_k * w0_k,   sum1 = sum_k a_k * w1_k          (exact)
// using K cn_mul2 instances, i.e. K multipliers (DSPs) for 2K MACs, then two pipelined binary
// adder trees (ceil(log2 K) registered levels, one per tree level, in fabric). The sums of
// successive beats accumulate into two signed 24-bit accumulators:
//     in_first = 1: acc <= sum (starts a new dot product; clear-and-load, no bubble needed)
//     in_first = 0: acc <= acc + sum (modulo 2^24; the loader proves |acc| < 2^23)
//     in_last  = 1: this beat completes the dot product -> acc_valid pulses with the result.
// first and last may both be set (single-beat dot product). Beats need not be back to back:
// in_valid = 0 cycles are bubbles that leave the accumulators alone.
//
// Latency (counted in en = 1 cycles; with en stuck at 1, input in cycle c -> output in c + L):
//   SUM_LAT = 3 + ceil(log2 K)   in_* -> sum_valid/sum0/sum1 (3 = cn_mul2 latency)
//   LATENCY = SUM_LAT + 1        in_* of the beat with in_last -> acc_valid/acc0/acc1
//   K = 4: SUM_LAT = 5, LATENCY = 6.   K = 1: 3 / 4.   K = 8: 6 / 7.
// acc_valid is high for exactly one en = 1 cycle (the next accepted beat overwrites acc0/acc1);
// the consumer takes acc0/acc1 in a cycle where acc_valid = 1 and en = 1. `en` is a global clock
// enable (every register holds while it is low); rst is synchronous, active high, and clears the
// valid/first/last pipeline and acc_valid only (datapath registers have no reset).
`default_nettype none

module cn_dot2 #(
  parameter integer K = 4
) (
  input  wire             clk,
  input  wire             rst,
  input  wire             en,
  input  wire             in_valid,
  input  wire             in_first,
  input  wire             in_last,
  input  wire [K*8-1:0]   in_a,     // activation k: bits [k*8 +: 8], signed int8
  input  wire [K*4-1:0]   in_w0,    // weight of output channel 0 for activation k: [k*4 +: 4], int4
  input  wire [K*4-1:0]   in_w1,    // weight of output channel 1 for activation k: [k*4 +: 4], int4
  output wire             sum_valid,
  output wire [23:0]      sum0,     // this beat's partial sums, sign-extended to 24 bits
  output wire [23:0]      sum1,
  output wire             acc_valid,
  output wire [23:0]      acc0,     // signed 24-bit accumulators
  output wire [23:0]      acc1
);
  localparam integer LEVELS  = $clog2(K);
  localparam integer KP      = 1 << LEVELS;   // leaves, padded with zeros to a power of two
  localparam integer SW      = 12 + LEVELS;   // |sum| <= K * 1024
  localparam integer MUL_LAT = 3;             // cn_mul2 LATENCY
  localparam integer SUM_LAT = MUL_LAT + LEVELS;
  /* verilator lint_off UNUSEDPARAM */
  localparam integer LATENCY = SUM_LAT + 1;
  /* verilator lint_on UNUSEDPARAM */

  // Heap-ordered trees: node i has children 2i+1, 2i+2; leaves are nodes KP-1 .. 2KP-2.
  wire [(2*KP-1)*SW-1:0] t0;
  wire [(2*KP-1)*SW-1:0] t1;

  genvar k, i;
  generate
    for (k = 0; k < KP; k = k + 1) begin : leaf
      if (k < K) begin : mul
        wire signed [11:0] p0;
        wire signed [11:0] p1;
        cn_mul2 u_mul (
          .clk (clk),
          .en  (en),
          .a   (in_a[k*8 +: 8]),
          .w0  (in_w0[k*4 +: 4]),
          .w1  (in_w1[k*4 +: 4]),
          .p0  (p0),
          .p1  (p1)
        );
        if (LEVELS == 0) begin : noext
          assign t0[(KP-1+k)*SW +: SW] = p0;
          assign t1[(KP-1+k)*SW +: SW] = p1;
        end else begin : ext
          assign t0[(KP-1+k)*SW +: SW] = {{LEVELS{p0[11]}}, p0};
          assign t1[(KP-1+k)*SW +: SW] = {{LEVELS{p1[11]}}, p1};
        end
      end else begin : pad
        assign t0[(KP-1+k)*SW +: SW] = {SW{1'b0}};
        assign t1[(KP-1+k)*SW +: SW] = {SW{1'b0}};
      end
    end
    for (i = 0; i < KP - 1; i = i + 1) begin : node
      reg [SW-1:0] r0;
      reg [SW-1:0] r1;
      always @(posedge clk) begin
        if (en) begin
          // two's complement: the modular SW-bit sum of sign-extended children is exact
          r0 <= t0[(2*i+1)*SW +: SW] + t0[(2*i+2)*SW +: SW];
          r1 <= t1[(2*i+1)*SW +: SW] + t1[(2*i+2)*SW +: SW];
        end
      end
      assign t0[i*SW +: SW] = r0;
      assign t1[i*SW +: SW] = r1;
    end
  endgenerate

  wire [SW-1:0] root0 = t0[SW-1:0];
  wire [SW-1:0] root1 = t1[SW-1:0];
  assign sum0 = {{(24-SW){root0[SW-1]}}, root0};
  assign sum1 = {{(24-SW){root1[SW-1]}}, root1};

  // ---- beat flags travel with the data ----
  reg [SUM_LAT-1:0] v_sr;
  reg [SUM_LAT-1:0] f_sr;
  reg [SUM_LAT-1:0] l_sr;
  always @(posedge clk) begin
    if (rst) begin
      v_sr <= {SUM_LAT{1'b0}};
      f_sr <= {SUM_LAT{1'b0}};
      l_sr <= {SUM_LAT{1'b0}};
    end else if (en) begin
      v_sr <= {v_sr[SUM_LAT-2:0], in_valid};
      f_sr <= {f_sr[SUM_LAT-2:0], in_first};
      l_sr <= {l_sr[SUM_LAT-2:0], in_last};
    end
  end
  wire s_valid = v_sr[SUM_LAT-1];
  wire s_first = f_sr[SUM_LAT-1];
  wire s_last  = l_sr[SUM_LAT-1];
  assign sum_valid = s_valid;

  // ---- accumulators ----
  reg [23:0] a0;
  reg [23:0] a1;
  reg        av;
  always @(posedge clk) begin
    if (en && s_valid) begin
      a0 <= s_first ? sum0 : a0 + sum0;
      a1 <= s_first ? sum1 : a1 + sum1;
    end
  end
  always @(posedge clk) begin
    if (rst) av <= 1'b0;
    else if (en) av <= s_valid & s_last;
  end
  assign acc_valid = av;
  assign acc0 = a0;
  assign acc1 = a1;
endmodule

`default_nettype wire
