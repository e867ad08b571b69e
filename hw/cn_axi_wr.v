// cn_axi_wr -- AXI4 write DMA master (burst splitter + W stream + B tracking).
//
// What it does
//   Accepts write commands {cmd_addr, cmd_beats} and a data stream (in_data, in_strb) carrying
//   exactly cmd_beats beats per command, in command order. Each command is split into AXI4 INCR
//   write bursts of at most MAX_BURST beats that never cross a 4 KiB boundary (AXI4 rule A3.4.1):
//   burst length = min(remaining, MAX_BURST, beats left to the next 4 KiB boundary). The data
//   stream is cut into W bursts with WLAST on the last beat of each burst. Up to MAX_OUTSTANDING
//   bursts may be in flight (AW issued, B not yet received). `done` pulses only when the B
//   responses of *all* bursts of a command have arrived, so the written data are visible in
//   memory when software / the next layer sees done (a write is complete only at its B response).
//   Input data pass through a 2-entry register slice, so W outputs and in_ready are registered and
//   no combinational path crosses the module (timing closure at 250 MHz on UltraScale+).
//
// Parameters
//   DATA_W          AXI data width in bits (64 for PYNQ-Z2 HP, 128 for Ultra96-V2 HP; 2^n >= 16).
//   ADDR_W          AXI address width (>= 14; 40 for ZynqMP HP, 32/64 also fine).
//   ID_W            AWID/BID width; AWID is driven 0 and BID is ignored.
//   LEN_W           width of cmd_beats (>= 10).
//   MAX_BURST       maximum beats per burst, 1..256 (16 for AXI3 ports such as Zynq-7000 HP:
//                   connect AWLEN[3:0] and tie WID to 0).
//   MAX_OUTSTANDING bursts in flight, a power of two 2..256.
//
// Command interface (valid/ready; transfer on a rising clk edge with cmd_valid && cmd_ready)
//   cmd_addr   byte address, aligned to DATA_W/8 (low bits are ignored).
//   cmd_beats  beats to write, >= 1. A zero-length command is accepted and discarded (no done).
//   cmd_ready  registered; high while the burst splitter is idle, so commands pipeline: the next
//              command's AW bursts go out while earlier B responses are still pending.
// Data stream in: in_valid/in_ready/in_data/in_strb (byte strobes, bit i enables byte i of the
//   beat; all-ones for full writes). in_ready is registered and is low until the AW burst the
//   beat belongs to has been generated, so data may be presented before the command.
//   done  : one-cycle registered pulse after the last B response of a command.
//   idle  : no command in progress, nothing buffered, no response outstanding.
//
// Statistics (synchronous clear with stat_clear)
//   bytes_written : + DATA_W/8 on every W handshake (bus bytes, regardless of strobes).
//   stall_cycles  : cycles with WVALID high and WREADY low (memory not accepting data).
//   error         : sticky, set by any B response SLVERR/DECERR.
//
// AXI side: AWBURST = INCR, AWSIZE = log2(DATA_W/8), AWCACHE = 4'b0011, AWPROT/AWQOS/AWLOCK = 0.
//   AW and W payloads are held stable while VALID is high and READY low. W beats of burst n are
//   presented only once AW n is presented (possibly before it is accepted, which AXI4 allows),
//   so a slave that waits for AW before accepting W cannot deadlock. BREADY is tied
//   high (responses are always accepted). The module does not wait for a full burst of data
//   before issuing AW: feed it from a FIFO that keeps up with the memory (it always does in the
//   accelerator, whose output buffers are on chip).
//
// Reset: synchronous, active-low rst_n on every register.
`default_nettype none

module cn_axi_wr #(
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
    // data stream in
    input  wire                in_valid,
    output wire                in_ready,
    input  wire [DATA_W-1:0]   in_data,
    input  wire [DATA_W/8-1:0] in_strb,
    output reg                 done,
    output wire                idle,
    // statistics
    input  wire                stat_clear,
    output reg  [63:0]         bytes_written,
    output reg  [63:0]         stall_cycles,
    output reg                 error,
    // AXI4 AW channel
    output wire [ID_W-1:0]     m_axi_awid,
    output reg  [ADDR_W-1:0]   m_axi_awaddr,
    output reg  [7:0]          m_axi_awlen,
    output wire [2:0]          m_axi_awsize,
    output wire [1:0]          m_axi_awburst,
    output wire                m_axi_awlock,
    output wire [3:0]          m_axi_awcache,
    output wire [2:0]          m_axi_awprot,
    output wire [3:0]          m_axi_awqos,
    output reg                 m_axi_awvalid,
    input  wire                m_axi_awready,
    // AXI4 W channel
    output wire [DATA_W-1:0]   m_axi_wdata,
    output wire [DATA_W/8-1:0] m_axi_wstrb,
    output wire                m_axi_wlast,
    output wire                m_axi_wvalid,
    input  wire                m_axi_wready,
    // AXI4 B channel
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ID_W-1:0]     m_axi_bid,
    input  wire [1:0]          m_axi_bresp,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                m_axi_bvalid,
    output wire                m_axi_bready
);
    localparam integer BYTES = DATA_W / 8;
    localparam integer SIZE  = $clog2(BYTES);
    localparam integer PW    = $clog2(MAX_OUTSTANDING);
    localparam [63:0]  BYTES64 = {32'd0, BYTES[31:0]};
    localparam [8:0]   MB  = MAX_BURST[8:0];
    localparam [PW:0]  MO  = MAX_OUTSTANDING[PW:0];
    localparam [PW:0]  ONE = {{PW{1'b0}}, 1'b1};
    localparam [PW:0]  ZERO = {(PW+1){1'b0}};

    assign m_axi_awid    = {ID_W{1'b0}};
    assign m_axi_awsize  = SIZE[2:0];
    assign m_axi_awburst = 2'b01;
    assign m_axi_awlock  = 1'b0;
    assign m_axi_awcache = 4'b0011;
    assign m_axi_awprot  = 3'b000;
    assign m_axi_awqos   = 4'b0000;
    assign m_axi_bready  = 1'b1;

    // ------------------------------------------------------------------ burst splitter (AW)
    reg              busy;
    reg [ADDR_W-1:0] cur_addr;
    reg [LEN_W-1:0]  rem;
    reg [PW:0]       bcnt;                           // bursts awaiting B
    reg [PW:0]       wcnt;                           // bursts whose W beats are not all taken
    reg [MAX_OUTSTANDING-1:0] lastq;                 // B FIFO: last burst of its command
    reg [7:0]        lenq [0:MAX_OUTSTANDING-1];     // W FIFO: AWLEN of each burst
    reg [PW-1:0]     bwp, brp, wwp, wrp;

    wire [12:0] to4k_bytes = 13'd4096 - {1'b0, cur_addr[11:0]};
    wire [12:0] to4k = to4k_bytes >> SIZE;
    wire [8:0]  m1 = (to4k < {4'd0, MB}) ? to4k[8:0] : MB;
    wire        rem_small = (rem[LEN_W-1:9] == {(LEN_W-9){1'b0}}) && (rem[8:0] < m1);
    wire [8:0]  blen = rem_small ? rem[8:0] : m1;                      // 1..256
    wire [12:0] blen_bytes = {4'd0, blen} << SIZE;
    wire [12:0] lo_next = {1'b0, cur_addr[11:0]} + blen_bytes;
    wire        last_burst = (rem == {{(LEN_W-9){1'b0}}, blen});

    wire aw_slot = !m_axi_awvalid || m_axi_awready;
    wire aw_load = busy && aw_slot && (bcnt != MO);
    wire cmd_fire = cmd_valid && cmd_ready;
    assign cmd_ready = !busy;

    // ------------------------------------------------------------------ W side + register slice
    reg                ov, sv;
    reg [DATA_W-1:0]   od, sd;
    reg [DATA_W/8-1:0] os, ss;
    reg                ol, sl;
    reg [7:0]          widx;                         // beat index within the head W burst
    wire [7:0] head_len = lenq[wrp];
    wire in_last  = (widx == head_len);
    assign in_ready = !sv && (wcnt != ZERO);
    wire in_fire  = in_valid && in_ready;
    wire w_fire   = ov && m_axi_wready;
    wire out_take = !ov || m_axi_wready;
    wire w_pop    = in_fire && in_last;

    assign m_axi_wvalid = ov;
    assign m_axi_wdata  = od;
    assign m_axi_wstrb  = os;
    assign m_axi_wlast  = ol;

    wire b_pop = m_axi_bvalid && (bcnt != ZERO);
    assign idle = !busy && (bcnt == ZERO) && !ov && !sv;

    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
            busy          <= 1'b0;
            cur_addr      <= {ADDR_W{1'b0}};
            rem           <= {LEN_W{1'b0}};
            bcnt          <= ZERO;
            wcnt          <= ZERO;
            lastq         <= {MAX_OUTSTANDING{1'b0}};
            for (i = 0; i < MAX_OUTSTANDING; i = i + 1) lenq[i] <= 8'd0;
            bwp <= {PW{1'b0}}; brp <= {PW{1'b0}}; wwp <= {PW{1'b0}}; wrp <= {PW{1'b0}};
            m_axi_awaddr  <= {ADDR_W{1'b0}};
            m_axi_awlen   <= 8'd0;
            m_axi_awvalid <= 1'b0;
            ov <= 1'b0; sv <= 1'b0; ol <= 1'b0; sl <= 1'b0;
            od <= {DATA_W{1'b0}}; sd <= {DATA_W{1'b0}};
            os <= {(DATA_W/8){1'b0}}; ss <= {(DATA_W/8){1'b0}};
            widx          <= 8'd0;
            done          <= 1'b0;
            bytes_written <= 64'd0;
            stall_cycles  <= 64'd0;
            error         <= 1'b0;
        end else begin
            if (cmd_fire) begin
                busy     <= (cmd_beats != {LEN_W{1'b0}});
                cur_addr <= {cmd_addr[ADDR_W-1:SIZE], {SIZE{1'b0}}};
                rem      <= cmd_beats;
            end
            if (aw_slot) m_axi_awvalid <= 1'b0;
            if (aw_load) begin
                m_axi_awaddr  <= cur_addr;
                m_axi_awlen   <= blen[7:0] - 8'd1;
                m_axi_awvalid <= 1'b1;
                cur_addr      <= {cur_addr[ADDR_W-1:12] + {{(ADDR_W-13){1'b0}}, lo_next[12]}, lo_next[11:0]};
                rem           <= rem - {{(LEN_W-9){1'b0}}, blen};
                lastq[bwp]    <= last_burst;
                lenq[wwp]     <= blen[7:0] - 8'd1;
                bwp           <= bwp + ONE[PW-1:0];
                wwp           <= wwp + ONE[PW-1:0];
                if (last_burst) busy <= 1'b0;
            end
            if (aw_load && !b_pop) bcnt <= bcnt + ONE;
            else if (!aw_load && b_pop) bcnt <= bcnt - ONE;
            if (aw_load && !w_pop) wcnt <= wcnt + ONE;
            else if (!aw_load && w_pop) wcnt <= wcnt - ONE;
            if (b_pop) brp <= brp + ONE[PW-1:0];
            if (in_fire) begin
                if (in_last) begin
                    widx <= 8'd0;
                    wrp  <= wrp + ONE[PW-1:0];
                end else begin
                    widx <= widx + 8'd1;
                end
            end

            // register slice: in -> (skid) -> W
            if (out_take) begin
                if (sv) begin
                    ov <= 1'b1; od <= sd; os <= ss; ol <= sl; sv <= 1'b0;
                end else if (in_fire) begin
                    ov <= 1'b1; od <= in_data; os <= in_strb; ol <= in_last;
                end else begin
                    ov <= 1'b0;
                end
            end else if (in_fire) begin
                sv <= 1'b1; sd <= in_data; ss <= in_strb; sl <= in_last;
            end
            done <= b_pop && lastq[brp];

            if (stat_clear) begin
                bytes_written <= 64'd0;
                stall_cycles  <= 64'd0;
                error         <= 1'b0;
            end else begin
                if (w_fire) bytes_written <= bytes_written + BYTES64;
                if (ov && !m_axi_wready) stall_cycles <= stall_cycles + 64'd1;
                if (b_pop && m_axi_bresp[1]) error <= 1'b1;
            end
        end
    end
endmodule

`default_nettype wire
