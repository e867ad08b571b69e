// Icarus smoke test of the compute datapath modules (run by test/hw/lint-compute.test.ts):
// after a synchronous reset with no input beats, every valid output must be a clean 0 (not X);
// after one beat has drained, every output must be free of X/Z. Prints PASS or FAIL lines.
module tb_cn_compute_nox;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg en = 1'b1;
  reg vin = 1'b0;
  always #5 clk = ~clk;

  // cn_requant, LANES = 2
  wire        rq_v;
  wire [15:0] rq_q;
  cn_requant #(.LANES(2)) u_rq (
    .clk(clk), .rst(rst), .en(en), .in_valid(vin),
    .in_acc({24'sd1000, -24'sd5000}), .in_s({16'sd300, 16'sd77}), .in_b({16'sd5, -16'sd3}),
    .in_n(5'd8), .in_lo(8'h80), .in_mode(1'b0), .in_dmax(4'd7),
    .out_valid(rq_v), .out_q(rq_q));

  // cn_dot2, K = 4
  wire        d_sv, d_av;
  wire [23:0] d_s0, d_s1, d_a0, d_a1;
  cn_dot2 #(.K(4)) u_dot (
    .clk(clk), .rst(rst), .en(en), .in_valid(vin), .in_first(1'b1), .in_last(1'b1),
    .in_a({8'sd127, -8'sd128, 8'sd3, -8'sd1}), .in_w0({4'sd7, -4'sd8, 4'sd1, 4'sd0}), .in_w1({-4'sd8, 4'sd7, -4'sd1, 4'sd2}),
    .sum_valid(d_sv), .sum0(d_s0), .sum1(d_s1), .acc_valid(d_av), .acc0(d_a0), .acc1(d_a1));

  // cn_dw3x3_pe, LANES = 2
  wire        pe_v;
  wire [47:0] pe_acc;
  cn_dw3x3_pe #(.LANES(2)) u_pe (
    .clk(clk), .rst(rst), .en(en), .in_valid(vin),
    .in_x({18{8'h81}}), .in_w({18{4'h9}}),
    .out_valid(pe_v), .out_acc(pe_acc));

  integer errors = 0;
  integer i;
  initial begin
    repeat (3) @(posedge clk);
    #1 rst = 1'b0;
    repeat (12) begin
      @(posedge clk);
      #1;
      if (rq_v !== 1'b0 || d_sv !== 1'b0 || d_av !== 1'b0 || pe_v !== 1'b0) begin
        errors = errors + 1;
        $display("FAIL valid not 0 after reset: rq %b sum %b acc %b pe %b", rq_v, d_sv, d_av, pe_v);
      end
    end
    vin = 1'b1;
    @(posedge clk);
    #1 vin = 1'b0;
    for (i = 0; i < 12; i = i + 1) begin
      @(posedge clk);
      #1;
      if (^{rq_v, d_sv, d_av, pe_v} === 1'bx) begin
        errors = errors + 1;
        $display("FAIL X on a valid output at cycle %0d", i);
      end
      if (rq_v && ^rq_q === 1'bx) begin errors = errors + 1; $display("FAIL X on cn_requant out_q"); end
      if (d_sv && ^{d_s0, d_s1} === 1'bx) begin errors = errors + 1; $display("FAIL X on cn_dot2 sums"); end
      if (d_av && ^{d_a0, d_a1} === 1'bx) begin errors = errors + 1; $display("FAIL X on cn_dot2 accumulators"); end
      if (pe_v && ^pe_acc === 1'bx) begin errors = errors + 1; $display("FAIL X on cn_dw3x3_pe out_acc"); end
    end
    // one beat in -> exactly one valid per output after draining; spot-check the values
    if (d_a0 !== 24'd1024 + 24'd889 + 24'd3 || d_a1 !== -24'sd1016 - 24'sd896 - 24'sd3 - 24'sd2) begin
      errors = errors + 1;
      $display("FAIL cn_dot2 acc0 %0d acc1 %0d", $signed(d_a0), $signed(d_a1));
    end
    if (pe_acc !== {2{24'd8001}}) begin
      errors = errors + 1;
      $display("FAIL cn_dw3x3_pe acc %h", pe_acc);
    end
    if (errors == 0) $display("PASS");
    $finish;
  end
endmodule
