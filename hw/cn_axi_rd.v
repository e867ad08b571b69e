// cn_axi_rd -- AXI4 read DMA master (burst splitter + R stream with backpressure).
//
// What it does
//   Accepts read commands {cmd_addr, cmd_beats} and turns each into AXI4 INCR read bursts on the
//   AR channel. A burst is at most MAX_BURST beats and never crosses a 4 KiB boundary (AXI4 rule
//   A3.4.1), so burst length = min(remaining, MAX_BURST, beats left to the next 4 KiB boundary).
//   Up to MAX_OUTSTANDING bursts may be in flight (issued AR whose last R beat has not arrived).
//   The R data come out in order as a valid/ready stream (out_*); out_last marks the final beat of
//   each command and `done` pulses one cycle after that beat is accepted. Backpressure on out_ready
//   propagates to RREADY through a 2-entry register slice, so all outputs are registered and no
//   combinational path crosses the module (timing closure at 250 MHz on UltraScale+).
//
// Parameters
//   DATA_W          AXI data width in bits (64 for PYNQ-Z2 HP, 128 for Ultra96-V2 HP; any 2^n >= 16).
//   ADDR_W          AXI address width (>= 14; 40 for ZynqMP HP, 32/64 also fine).
//   ID_W            ARID/RID width; ARID is driven 0 and RID is ignored (in-order, one ID).
//   LEN_W           width of cmd_beats (>= 10).
//   MAX_BURST       maximum beats per burst, 1..256 (use 16 for AXI3 ports such as Zynq-7000 HP,
//                   then connect only ARLEN[3:0]).
//   MAX_OUTSTANDING bursts in flight, a power of two 2..256 (>= latency/burst for full bandwidth).
//
// Command interface (valid/ready, AXI-Stream style: a transfer happens on a rising clk edge when
//   cmd_valid && cmd_ready; cmd_valid must not wait for cmd_ready)
//   cmd_addr   byte address, must be aligned to DATA_W/8 (low bits are ignored).
//   cmd_beats  number of DATA_W-bit beats, >= 1. A zero-length command is accepted and discarded
//              (no data, no done): do not issue one.
//   cmd_ready  is registered; it is high when the burst splitter is idle, so a new command is taken
//              while the previous one's data are still returning (commands pipeline).
//
// Output stream: out_valid/out_ready/out_data/out_last, registered. out_valid never depends on
//   out_ready; data of consecutive commands follow each other in command order.
//   done  : one-cycle pulse, registered, the cycle after the out_last beat is accepted.
//   idle  : no command in progress, nothing in flight, output stream empty.
//
// Statistics (synchronous clear with stat_clear, e.g. on accelerator start)
//   bytes_read   : + DATA_W/8 on every R handshake.
//   stall_cycles : cycles with at least one burst outstanding, RREADY high and RVALID low, i.e.
//                  the memory was asked for data but had none (latency / bandwidth stall; cycles
//                  lost to consumer backpressure are not counted).
//   error        : sticky, set by any R beat with RRESP = SLVERR/DECERR.
//
// AXI side: ARBURST = INCR, ARSIZE = log2(DATA_W/8), ARCACHE = 4'b0011 (normal, non-cacheable,
//   bufferable, as Xilinx recommends for HP ports), ARPROT/ARQOS/ARLOCK = 0. AR payload is held
//   stable while ARVALID is high and ARREADY low. RREADY is registered.
//
// Reset: synchronous, active-low rst_n, resets every register (datapath too, so a 4-state
//   simulator never sees X on any output).
`default_nettype none

module cn_axi_rd #(
    parameter integer DATA_W          = 128,
    parameter integer ADDR_W          = 40,
    parameter integer ID_W            = 1,
    parameter integer LEN_W           = 32,
    parameter integer MAX_BURST       = 16,
    parameter integer MAX_OUTSTANDING = 8
) (
    input  wire                clk,
    input  wire                rst_n,
    // command
    input  wire                cmd_valid,
    output wire                cmd_ready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ADDR_W-1:0]   cmd_addr,   // low log2(DATA_W/8) bits ignored
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [LEN_W-1:0]    cmd_beats,
    // data stream out
    output wire                out_valid,
    input  wire                out_ready,
    output wire [DATA_W-1:0]   out_data,
    output wire                out_last,
    output reg                 done,
    output wire                idle,
    // statistics
    input  wire                stat_clear,
    output reg  [63:0]         bytes_read,
    output reg  [63:0]         stall_cycles,
    output reg                 error,
    // AXI4 AR channel
    output wire [ID_W-1:0]     m_axi_arid,
    output reg  [ADDR_W-1:0]   m_axi_araddr,
    output reg  [7:0]          m_axi_arlen,
    output wire [2:0]          m_axi_arsize,
    output wire [1:0]          m_axi_arburst,
    output wire                m_axi_arlock,
    output wire [3:0]          m_axi_arcache,
    output wire [2:0]          m_axi_arprot,
    output wire [3:0]          m_axi_arqos,
    output reg                 m_axi_arvalid,
    input  wire                m_axi_arready,
    // AXI4 R channel
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ID_W-1:0]     m_axi_rid,
    input  wire [1:0]          m_axi_rresp,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [DATA_W-1:0]   m_axi_rdata,
    input  wire                m_axi_rlast,
    input  wire                m_axi_rvalid,
    output wire                m_axi_rready
);
    localparam integer BYTES = DATA_W / 8;
    localparam integer SIZE  = $clog2(BYTES);
    localparam integer PW    = $clog2(MAX_OUTSTANDING);
    localparam [63:0]  BYTES64 = {32'd0, BYTES[31:0]};
    localparam [8:0]   MB = MAX_BURST[8:0];
    localparam [PW:0]  MO = MAX_OUTSTANDING[PW:0];
    localparam [PW:0]  ONE = {{PW{1'b0}}, 1'b1};

    assign m_axi_arid    = {ID_W{1'b0}};
    assign m_axi_arsize  = SIZE[2:0];
    assign m_axi_arburst = 2'b01;
    assign m_axi_arlock  = 1'b0;
    assign m_axi_arcache = 4'b0011;
    assign m_axi_arprot  = 3'b000;
    assign m_axi_arqos   = 4'b0000;

    // ------------------------------------------------------------------ burst splitter (AR)
    reg              busy;       // a command is being split into bursts
    reg [ADDR_W-1:0] cur_addr;   // next burst address (beat aligned)
    reg [LEN_W-1:0]  rem;        // beats not yet issued (>= 1 while busy)
    reg [PW:0]       inflight;   // bursts issued whose last R beat has not arrived
    reg [MAX_OUTSTANDING-1:0] lastq;  // per-burst "last burst of its command" flags (FIFO)
    reg [PW-1:0]     wp, rp;

    // Beats left before the next 4 KiB boundary: (4096 - addr[11:0]) / BYTES, in 1..4096/BYTES.
    wire [12:0] to4k_bytes = 13'd4096 - {1'b0, cur_addr[11:0]};
    wire [12:0] to4k = to4k_bytes >> SIZE;
    wire [8:0]  m1 = (to4k < {4'd0, MB}) ? to4k[8:0] : MB;
    wire        rem_small = (rem[LEN_W-1:9] == {(LEN_W-9){1'b0}}) && (rem[8:0] < m1);
    wire [8:0]  blen = rem_small ? rem[8:0] : m1;                      // 1..256
    wire [12:0] blen_bytes = {4'd0, blen} << SIZE;
    wire [12:0] lo_next = {1'b0, cur_addr[11:0]} + blen_bytes;         // may reach 4096
    wire        last_burst = (rem == {{(LEN_W-9){1'b0}}, blen});

    wire ar_slot = !m_axi_arvalid || m_axi_arready;
    wire ar_load = busy && ar_slot && (inflight != MO);
    wire cmd_fire = cmd_valid && cmd_ready;
    assign cmd_ready = !busy;

    // ------------------------------------------------------------------ R side + register slice
    reg              ov, sv;          // output register / skid register valid
    reg [DATA_W-1:0] od, sd;
    reg              ol, sl;
    wire r_fire   = m_axi_rvalid && m_axi_rready;
    wire r_last   = m_axi_rlast && lastq[rp];
    wire pop      = r_fire && m_axi_rlast && (inflight != {(PW+1){1'b0}});
    wire out_take = !ov || out_ready;

    assign m_axi_rready = !sv;
    assign out_valid = ov;
    assign out_data  = od;
    assign out_last  = ol;
    assign idle = !busy && (inflight == {(PW+1){1'b0}}) && !ov && !sv;

    always @(posedge clk) begin
        if (!rst_n) begin
            busy          <= 1'b0;
            cur_addr      <= {ADDR_W{1'b0}};
            rem           <= {LEN_W{1'b0}};
            inflight      <= {(PW+1){1'b0}};
            lastq         <= {MAX_OUTSTANDING{1'b0}};
            wp            <= {PW{1'b0}};
            rp            <= {PW{1'b0}};
            m_axi_araddr  <= {ADDR_W{1'b0}};
            m_axi_arlen   <= 8'd0;
            m_axi_arvalid <= 1'b0;
            ov <= 1'b0; sv <= 1'b0; ol <= 1'b0; sl <= 1'b0;
            od <= {DATA_W{1'b0}}; sd <= {DATA_W{1'b0}};
            done          <= 1'b0;
            bytes_read    <= 64'd0;
            stall_cycles  <= 64'd0;
            error         <= 1'b0;
        end else begin
            // command accept
            if (cmd_fire) begin
                busy     <= (cmd_beats != {LEN_W{1'b0}});
                cur_addr <= {cmd_addr[ADDR_W-1:SIZE], {SIZE{1'b0}}};
                rem      <= cmd_beats;
            end
            // AR issue: load the AR register with the next burst
            if (ar_slot) m_axi_arvalid <= 1'b0;
            if (ar_load) begin
                m_axi_araddr  <= cur_addr;
                m_axi_arlen   <= blen[7:0] - 8'd1;
                m_axi_arvalid <= 1'b1;
                cur_addr      <= {cur_addr[ADDR_W-1:12] + {{(ADDR_W-13){1'b0}}, lo_next[12]}, lo_next[11:0]};
                rem           <= rem - {{(LEN_W-9){1'b0}}, blen};
                lastq[wp]     <= last_burst;
                wp            <= wp + ONE[PW-1:0];
                if (last_burst) busy <= 1'b0;
            end
            if (pop) rp <= rp + ONE[PW-1:0];
            if (ar_load && !pop) inflight <= inflight + ONE;
            else if (!ar_load && pop) inflight <= inflight - ONE;

            // register slice: R -> (skid) -> out
            if (out_take) begin
                if (sv) begin
                    ov <= 1'b1; od <= sd; ol <= sl; sv <= 1'b0;
                end else if (r_fire) begin
                    ov <= 1'b1; od <= m_axi_rdata; ol <= r_last;
                end else begin
                    ov <= 1'b0;
                end
            end else if (r_fire) begin
                sv <= 1'b1; sd <= m_axi_rdata; sl <= r_last;
            end
            done <= ov && out_ready && ol;

            // statistics
            if (stat_clear) begin
                bytes_read   <= 64'd0;
                stall_cycles <= 64'd0;
                error        <= 1'b0;
            end else begin
                if (r_fire) bytes_read <= bytes_read + BYTES64;
                if ((inflight != {(PW+1){1'b0}}) && m_axi_rready && !m_axi_rvalid)
                    stall_cycles <= stall_cycles + 64'd1;
                if (r_fire && m_axi_rresp[1]) error <= 1'b1;
            end
        end
    end
endmodule

`default_nettype wire
