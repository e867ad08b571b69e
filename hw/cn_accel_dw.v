// cn_accel_dw -- the depthwise engine: plain (dw3x3, constant dilation) and square deformable
// (dwdeform, one dilation per output pixel from an on-chip dilation map) 3x3 depthwise conv, and
// maxpool 3x3 s2 (pool = 1: the largest in-image tap, passed through the requantizer unchanged).
//
// Input rows stream in (row-major; each pixel as G beats of LANES int8 channels) into a line
// buffer of R = 2^ceil(log2(2*DMAX+2)) rows: output row y reads rows y*s - d .. y*s + d, so R
// covers every dilation up to DMAX (the CoDeNet authors' 15-row buffer reads wrong rows at d = 7)
// and loading runs ahead while older rows are still read. Output (y,x), tap (i,j) reads input
// (y*s + i*d, x*s + j*d); out-of-image taps read the channel's pad code (docs/numerics.md).
// The line buffer is banked by row (row r in bank r mod R), and each bank has two read ports (one
// shared with the loader's write), so a cycle reads two tap columns (each three rows: y*s - d, y*s,
// y*s + d) of one lane group: the nine taps of a group take two cycles (columns x*s - d and
// x*s + d, then x*s), then cn_dw3x3_pe and cn_requant finish them: LANES channels per 2 cycles
// (docs/architecture.md, "The depthwise engine").
//
// im2col = 1 (the stem conv, whose 3x3x3 taps the 1x1 engine sums in stem mode): for each output
// pixel the nine taps of channels 0..2 of the single channel group leave as the 27 bytes t*3 + c of
// ceil(27/LANES) beats, bypassing the PE and the requantizer (docs/isa.md, engine STEM); the
// column is sent `reps` times in a row (0, 1: once), one for each output tile the 1x1 engine
// computes from it, so the stem's input is read once for all its tiles.
//
// Configuration (between layers): pad codes, weights (9 taps x LANES int4 per group; tap t =
// (i+1)*3 + (j+1), lane k at [(t*LANES + k)*4 +: 4]), S and B per group (lane k at [k*16 +: 16]),
// the dilation map (one entry per output pixel, row-major) when use_map = 1, and the per-layer
// fields; then a `start` pulse. Output: one beat of LANES codes per (output pixel, group), in the
// order y, x, g. out_valid/out_ready backpressure stalls the compute pipeline (global enable).
// Reset: synchronous, active high, on every control register.
`default_nettype none

module cn_accel_dw #(
  parameter integer LANES    = 16,
  parameter integer GMAX     = 64,     // channel groups
  parameter integer DMAX     = 7,
  parameter integer LB_DEPTH = 4096,   // line-buffer entries (LANES bytes each): R * W * G must fit
  parameter integer MAP_MAX  = 4096    // dilation-map entries (output pixels)
) (
  input  wire                        clk,
  input  wire                        rst,
  // configuration
  input  wire                        pad_we,
  input  wire                        w_we,
  input  wire                        sb_we,
  input  wire [$clog2(GMAX)-1:0]     cfg_group,
  input  wire [LANES*8-1:0]          cfg_pad,
  input  wire [9*LANES*4-1:0]        cfg_w,
  input  wire [LANES*16-1:0]         cfg_s,
  input  wire [LANES*16-1:0]         cfg_b,
  input  wire                        map_we,
  input  wire [$clog2(MAP_MAX)-1:0]  map_addr,
  input  wire [3:0]                  map_d,
  input  wire [15:0]                 height,   // input
  input  wire [15:0]                 width,
  input  wire [15:0]                 out_height,
  input  wire [15:0]                 out_width,
  input  wire [$clog2(GMAX):0]       groups,
  input  wire [2:0]                  stride,   // 1, 2 or 4
  input  wire                        use_map,
  input  wire [3:0]                  dconst,   // dilation when use_map = 0
  input  wire [3:0]                  dmax_map, // largest value in the map
  input  wire [4:0]                  n,
  input  wire [7:0]                  lo,
  input  wire                        pool,     // 1: maxpool (max of the in-image taps; S = 2, B = 128, n = 1)
  input  wire                        im2col,   // 1: stem im2col (see the header)
  input  wire [7:0]                  reps,     // im2col: times each column is sent (0, 1: once)
  input  wire                        start,
  // input rows
  input  wire                        in_valid,
  output wire                        in_ready,
  input  wire [LANES*8-1:0]          in_data,
  // outputs
  output wire                        out_valid,
  input  wire                        out_ready,
  output wire [LANES*8-1:0]          out_data,
  output wire                        busy
);
  localparam integer R  = 1 << $clog2(2 * DMAX + 2);
  localparam integer RW = $clog2(R);
  localparam integer BD = LB_DEPTH / R;   // entries of one row bank: width * groups must fit
  localparam integer BW = $clog2(BD);
  localparam integer GW = $clog2(GMAX);
  localparam integer MW = $clog2(MAP_MAX);

  // In im2col mode the PE and requantizer are bypassed, so only the im2col register stalls.
  localparam integer IMB = (27 + LANES - 1) / LANES;   // beats of one 27-tap column
  wire rq_valid;
  reg  im_valid;
  reg  [$clog2(IMB+1)-1:0] im_beat;
  reg  [7:0] im_rep;   // copies of the column already sent
  wire im_beat_last = ({{(32-$clog2(IMB+1)){1'b0}}, im_beat} == IMB - 1);
  wire im_last = im_beat_last && ({1'b0, im_rep} + 9'd1 >= {1'b0, reps});
  wire im_drain = im_valid && out_ready && im_last;
  wire pe_valid_w;
  // A column arrives at most every two cycles, so the pipeline stalls only when a new column
  // would overwrite one that has not left yet.
  wire en = im2col ? (!im_valid || im_drain || !pe_valid_w) : !(rq_valid && !out_ready);

  // Configuration memories.
  reg [LANES*8-1:0]   pad_mem [0:GMAX-1];
  reg [9*LANES*4-1:0] w_mem   [0:GMAX-1];
  reg [LANES*16-1:0]  s_mem   [0:GMAX-1];
  reg [LANES*16-1:0]  b_mem   [0:GMAX-1];
  reg [3:0]           d_map   [0:MAP_MAX-1];
  always @(posedge clk) begin
    if (pad_we) pad_mem[cfg_group] <= cfg_pad;
    if (w_we)   w_mem[cfg_group]   <= cfg_w;
    if (sb_we) begin s_mem[cfg_group] <= cfg_s; b_mem[cfg_group] <= cfg_b; end
    if (map_we) d_map[map_addr] <= map_d;
  end

  // Layer geometry derived once per layer.
  wire [3:0]  dm         = use_map ? dmax_map : dconst;
  wire [23:0] g24        = {{(24-GW-1){1'b0}}, groups};

  // ---------------- loader: input beats into the line buffer ----------------
  // The line buffer is banked by row: input row r lives in bank r mod R at column address
  // x * groups + g, so the three tap rows of an output pixel (distinct modulo R, as R > 2 * dmax)
  // are read in one cycle from three banks. Each bank is a true-dual-port RAM: port A writes (the
  // loader) or reads, port B reads.
  reg [15:0] lr, lc;            // row and column being loaded
  reg [GW:0] lg;                // group being loaded
  reg        active;
  reg [15:0] ys;                // y * stride of the output row being computed
  wire       rows_left = (lr < height);
  // Row lr may overwrite the slot of row lr - R once no output row needs it: lr - R < ys - dm.
  wire       slot_free = ({16'd0, lr} + {28'd0, dm} < {16'd0, ys} + R);
  // After the last output the remaining input rows (never read, e.g. the bottom rows at stride 4)
  // are accepted and dropped, so the sender always completes its rows.
  assign in_ready = rows_left && (slot_free || !active);
  wire [BW-1:0] wr_col = BW'({8'd0, lc} * g24 + {{(24-GW-1){1'b0}}, lg});
  wire          wr_en  = in_valid && in_ready;
  always @(posedge clk) begin
    if (rst || start) begin
      lr <= 16'd0; lc <= 16'd0; lg <= '0;
    end else if (in_valid && in_ready) begin
      if (lg == groups - 1'b1) begin
        lg <= '0;
        if (lc == width - 1'b1) begin lc <= 16'd0; lr <= lr + 1'b1; end
        else lc <= lc + 1'b1;
      end else lg <= lg + 1'b1;
    end
  end

  // ---------------- tap issue: two phases per (pixel, group) ----------------
  // Phase 0 reads tap columns 0 and 2 (x*s - d on port A, x*s + d on port B of each row bank),
  // phase 1 column 1 (x*s, port A): six taps, then three, of the group's nine.
  reg [15:0] oy, ox, xs;
  reg [GW:0] og;
  reg        ph;                // phase 0 or 1
  reg [MW-1:0] pix;             // output pixel index into the dilation map
  wire [3:0] d = use_map ? d_map[pix] : dconst;
  // Rows needed by this output row: up to ys + dm (clipped to the image).
  wire [16:0] need = ({1'b0, ys} + {13'd0, dm} + 17'd1 > {1'b0, height}) ? {1'b0, height} : {1'b0, ys} + {13'd0, dm} + 17'd1;
  wire       can_issue = active && ({1'b0, lr} >= need);
  wire signed [17:0] sd = ph ? 18'sd0 : $signed({14'd0, d});
  wire signed [17:0] ixa = $signed({2'b0, xs}) - sd;   // column 0 (phase 0) or 1 (phase 1)
  wire signed [17:0] ixb = $signed({2'b0, xs}) + sd;   // column 2 (phase 0)
  wire signed [17:0] dd  = $signed({14'd0, d});
  wire signed [17:0] iy0 = $signed({2'b0, ys}) - dd;   // tap rows y*s - d, y*s, y*s + d
  wire signed [17:0] iy2 = $signed({2'b0, ys}) + dd;
  wire col_in_a = (ixa >= 0) && (ixa < $signed({2'b0, width}));
  wire col_in_b = (ixb >= 0) && (ixb < $signed({2'b0, width}));
  wire [2:0] row_in = {iy2 < $signed({2'b0, height}), 1'b1, iy0 >= 0};   // ys < height always
  wire [BW-1:0] rd_col_a = BW'({{6{ixa[17]}}, ixa} * g24 + {{(24-GW-1){1'b0}}, og});
  wire [BW-1:0] rd_col_b = BW'({{6{ixb[17]}}, ixb} * g24 + {{(24-GW-1){1'b0}}, og});
  wire last_tap = ph;
  wire last_g = (og == groups - 1'b1);
  wire last_x = (ox == out_width - 1'b1);
  wire last_y = (oy == out_height - 1'b1);
  wire issue = en && can_issue;

  always @(posedge clk) begin
    if (rst) active <= 1'b0;
    else if (start) active <= 1'b1;
    else if (issue && last_tap && last_g && last_x && last_y) active <= 1'b0;
  end
  always @(posedge clk) begin
    if (rst || start) begin
      oy <= 16'd0; ox <= 16'd0; xs <= 16'd0; ys <= 16'd0; og <= '0; ph <= 1'b0; pix <= '0;
    end else if (issue) begin
      ph <= !ph;
      if (last_tap) begin
        if (!last_g) og <= og + 1'b1;
        else begin
          og <= '0;
          pix <= pix + 1'b1;
          if (!last_x) begin ox <= ox + 1'b1; xs <= xs + {13'd0, stride}; end
          else begin ox <= 16'd0; xs <= 16'd0; oy <= oy + 1'b1; ys <= ys + {13'd0, stride}; end
        end
      end
    end
  end

  // Stage 1: every bank reads two columns (registered); the tap rows pick their banks. Port A of a
  // bank is also its write port: the loader writes only the bank of row lr, never a tap row of an
  // issued column (tap rows lie in lr - R + 1 .. lr - 1, see slot_free), so that bank's read is
  // not needed, and it skips the read to keep the register of a stalled column.
  wire [LANES*8-1:0] bank_qa [0:R-1];
  wire [LANES*8-1:0] bank_qb [0:R-1];
  genvar b;
  generate
    for (b = 0; b < R; b = b + 1) begin : bank
      reg [LANES*8-1:0] mem [0:BD-1];
      reg [LANES*8-1:0] qa, qb;
      wire              we = wr_en && lr[RW-1:0] == RW'(b);
      wire [BW-1:0]     aa = we ? wr_col : rd_col_a;
      always @(posedge clk) begin
        if (we) mem[aa] <= in_data;
        if (en && !we) qa <= mem[aa];
      end
      always @(posedge clk) if (en) qb <= mem[rd_col_b];
      assign bank_qa[b] = qa;
      assign bank_qb[b] = qb;
    end
  endgenerate
  reg               s1_valid, s1_last;
  reg [2:0]         s1_in_a, s1_in_b;
  reg [RW-1:0]      s1_row0, s1_row1, s1_row2;
  reg [GW-1:0]      s1_g;
  always @(posedge clk) begin
    if (rst) begin s1_valid <= 1'b0; end
    else if (en) begin
      s1_valid <= issue;
      s1_in_a <= row_in & {3{col_in_a}}; s1_in_b <= row_in & {3{col_in_b}};
      s1_g <= og[GW-1:0]; s1_last <= last_tap;
      s1_row0 <= iy0[RW-1:0]; s1_row1 <= ys[RW-1:0]; s1_row2 <= iy2[RW-1:0];
    end
  end
  wire [LANES*8-1:0] pad_g = pad_mem[s1_g];
  wire [3*LANES*8-1:0] col_a = {s1_in_a[2] ? bank_qa[s1_row2] : pad_g,
                                s1_in_a[1] ? bank_qa[s1_row1] : pad_g,
                                s1_in_a[0] ? bank_qa[s1_row0] : pad_g};
  wire [3*LANES*8-1:0] col_b = {s1_in_b[2] ? bank_qb[s1_row2] : pad_g,
                                s1_in_b[1] ? bank_qb[s1_row1] : pad_g,
                                s1_in_b[0] ? bank_qb[s1_row0] : pad_g};

  // Stage 2: keep columns 0 and 2 of phase 0 (and which taps lie in the image); fire the PE with
  // column 1 of phase 1. Tap (i, j) = i*3 + j, i the row and j the column.
  reg [3*LANES*8-1:0] col0, col2;      // tap columns 0 and 2, row i at [i*LANES*8 +: LANES*8]
  reg [2:0]           col0_in, col2_in;
  reg                 pe_valid;
  assign pe_valid_w = pe_valid;
  reg [9*LANES*8-1:0] pe_x;
  reg [8:0]           pe_in;
  reg [9*LANES*4-1:0] pe_w;
  reg [GW-1:0]        pe_g;
  wire [9*LANES*8-1:0] full_x;
  wire [8:0]           full_in;
  genvar ti;
  generate
    for (ti = 0; ti < 3; ti = ti + 1) begin : trow
      assign full_x[(ti*3 + 0)*LANES*8 +: LANES*8] = col0[ti*LANES*8 +: LANES*8];
      assign full_x[(ti*3 + 1)*LANES*8 +: LANES*8] = col_a[ti*LANES*8 +: LANES*8];
      assign full_x[(ti*3 + 2)*LANES*8 +: LANES*8] = col2[ti*LANES*8 +: LANES*8];
      assign full_in[ti*3 +: 3] = {col2_in[ti], s1_in_a[ti], col0_in[ti]};
    end
  endgenerate
  always @(posedge clk) if (en && s1_valid && !s1_last) begin
    col0 <= col_a; col0_in <= s1_in_a;
    col2 <= col_b; col2_in <= s1_in_b;
  end
  always @(posedge clk) begin
    if (rst) pe_valid <= 1'b0;
    else if (en) pe_valid <= s1_valid && s1_last;
  end
  always @(posedge clk) if (en) begin
    pe_x <= full_x;
    pe_in <= full_in;
    pe_w <= w_mem[s1_g];
    pe_g <= s1_g;
  end

  // Maxpool: the largest in-image tap per lane (the centre tap is always in the image), sign-
  // extended into the accumulator path so the requantizer (S = 2, B = 128, n = 1) passes it through.
  reg [LANES*24-1:0] pool_acc;
  integer lane, tap;
  always @(*) begin
    for (lane = 0; lane < LANES; lane = lane + 1) begin
      pool_acc[lane*24 +: 24] = {{16{1'b1}}, 8'h80};  // -128: every code is >= it
      for (tap = 0; tap < 9; tap = tap + 1)
        if (pe_in[tap] && $signed(pe_x[(tap*LANES + lane)*8 +: 8]) > $signed(pool_acc[lane*24 +: 8]))
          pool_acc[lane*24 +: 24] = {{16{pe_x[(tap*LANES + lane)*8 + 7]}}, pe_x[(tap*LANES + lane)*8 +: 8]};
    end
  end
  reg [LANES*24-1:0] pool_pipe [0:3];   // matches the PE latency
  integer q;
  always @(posedge clk) if (en) begin
    pool_pipe[0] <= pool_acc;
    for (q = 1; q < 4; q = q + 1) pool_pipe[q] <= pool_pipe[q-1];
  end

  // PE (LATENCY 4) then requantizer (LATENCY 6); the group index travels alongside for S and B.
  wire              acc_valid;
  wire [LANES*24-1:0] pe_acc;
  cn_dw3x3_pe #(.LANES(LANES)) pe (.clk(clk), .rst(rst), .en(en), .in_valid(pe_valid), .in_x(pe_x), .in_w(pe_w), .out_valid(acc_valid), .out_acc(pe_acc));
  wire [LANES*24-1:0] acc = pool ? pool_pipe[3] : pe_acc;
  reg [GW-1:0] g_pipe [0:3];
  integer k;
  always @(posedge clk) if (en) begin
    g_pipe[0] <= pe_g;
    for (k = 1; k < 4; k = k + 1) g_pipe[k] <= g_pipe[k-1];
  end
  wire [LANES*8-1:0] rq_q;
  cn_requant #(.LANES(LANES)) rq (.clk(clk), .rst(rst), .en(en), .in_valid(acc_valid), .in_acc(acc),
    .in_s(s_mem[g_pipe[3]]), .in_b(b_mem[g_pipe[3]]), .in_n(n), .in_lo(lo), .in_mode(1'b0), .in_dmax(4'd0),
    .out_valid(rq_valid), .out_q(rq_q));

  // im2col (the stem): the nine taps of the single channel group, channels 0..2, become the 27
  // bytes t*3 + c of one column (pad codes outside the image), sent as IMB beats.
  reg [IMB*LANES*8-1:0] im_data;
  integer it, ic;
  wire im_load = en && im2col && pe_valid;
  always @(posedge clk) begin
    if (rst) begin im_valid <= 1'b0; im_beat <= '0; im_rep <= 8'd0; end
    else if (im_load) begin im_valid <= 1'b1; im_beat <= '0; im_rep <= 8'd0; end
    else if (im_drain) im_valid <= 1'b0;
    else if (im_valid && out_ready) begin
      // the next beat, or the column again from its first beat
      if (im_beat_last) begin im_beat <= '0; im_rep <= im_rep + 1'b1; end
      else im_beat <= im_beat + 1'b1;
    end
  end
  always @(posedge clk) if (im_load) begin
    im_data <= '0;
    for (it = 0; it < 9; it = it + 1)
      for (ic = 0; ic < 3; ic = ic + 1)
        im_data[(it*3 + ic)*8 +: 8] <= pe_x[(it*LANES + ic)*8 +: 8];
  end

  assign out_valid = im2col ? im_valid : rq_valid;
  assign out_data  = im2col ? im_data[im_beat*LANES*8 +: LANES*8] : rq_q;
  assign busy = active || s1_valid || pe_valid || acc_valid || rq_valid || im_valid;
endmodule
`default_nettype wire
