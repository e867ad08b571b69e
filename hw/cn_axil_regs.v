// cn_axil_regs -- AXI4-Lite control/status register block of the CoDeNet accelerator.
//
// Register map: 32-bit registers, little-endian, byte offsets and bits from cn_isa.vh (generated
// from src/isa/registers.ts; docs/isa.md, "Registers"); W1C = write 1 to clear.
//   CTRL            RW  START (write 1: `start` pulses for one cycle; reads 0; ignored while
//                       busy), IRQ_ENABLE.
//   STATUS          R   BUSY (input `busy`), DONE (sticky: set by `done_set`, cleared by writing 1
//                       to this bit or by START), ERROR (input `error`). Writing 1 to DONE clears
//                       it; other bits ignore writes.
//   IRQ_STATUS      W1C DONE interrupt pending (the same sticky DONE bit; its status does not
//                       depend on IRQ_ENABLE). Writing 1 to it clears it.
//   PROGRAM_ADDR_LO RW  bits 31:0 of the 64-bit DDR byte address of the descriptor program.
//   PROGRAM_ADDR_HI RW  bits 63:32.
//   PROGRAM_LEN     RW  number of descriptors in the program.
//   VERSION         R   parameter VERSION (ID / version constant).
//   COUNTERS + 8k   R   COUNTER k low word (k = 0 .. NUM_COUNTERS-1), bits 31:0.
//   COUNTERS + 8k+4 R   COUNTER k high word, bits 63:32: reading the low word latches the
//                       high word of the same counter, and the next high-word read of that
//                       counter returns the latched value, so lo-then-hi is a consistent
//                       64-bit snapshot. (One latch is shared: it belongs to the counter whose
//                       low word was read last; a high-word read of any other counter returns
//                       its live value.)
//   Every other offset is unmapped: reads return 0 with RRESP = SLVERR, writes are ignored with
//   BRESP = SLVERR. Writes to the read-only registers (VERSION, counters) are ignored with OKAY.
//   Writes honour WSTRB byte lanes.
//   irq = DONE & IRQ_ENABLE (level, active high).
//
// Core side
//   start       one-cycle pulse (registered) on a CTRL write with bit0 = 1 while !busy. The core
//               must raise `busy` by the cycle after the pulse and latch prog_addr/prog_len then.
//   done_set    one-cycle pulse from the core when the program completes; sets DONE (wins over
//               a simultaneous clear).
//   prog_addr, prog_len, irq_enable: register outputs.
//   counters    flat vector, counter k = counters[64*k +: 64], sampled at read time.
//
// AXI4-Lite handshake rules
//   AW and W are accepted independently (either may come first, or both in the same cycle): a
//   channel's READY is high while its holding register is empty. Once both address and data are
//   held and no write response is pending, the write is performed and BVALID rises the next
//   cycle; BVALID stays high until BREADY. Only one write is outstanding: the next AW/W may be
//   accepted while B is pending, but it is performed only after the B handshake.
//   ARREADY is high while no read response is pending; a read is performed in the AR handshake
//   cycle and RVALID/RDATA are registered, held until RREADY. All READY/VALID outputs are
//   registered (no combinational path from any input to any output).
//
// Parameters: ADDR_W (address bits, large enough for the map and the counters; default 12 = 4 KiB),
//   VERSION (32-bit constant), NUM_COUNTERS (>= 1).
// Reset: synchronous, active-low rst_n, on every register.
`default_nettype none
`include "cn_isa.vh"

module cn_axil_regs #(
    parameter integer ADDR_W       = 12,
    parameter [31:0]  VERSION      = 32'hC0DE_0100,
    parameter integer NUM_COUNTERS = 4
) (
    input  wire                     clk,
    input  wire                     rst_n,
    // AXI4-Lite slave
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ADDR_W-1:0]        s_axil_awaddr,   // bits 1:0 ignored
    input  wire [2:0]               s_axil_awprot,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     s_axil_awvalid,
    output wire                     s_axil_awready,
    input  wire [31:0]              s_axil_wdata,
    input  wire [3:0]               s_axil_wstrb,
    input  wire                     s_axil_wvalid,
    output wire                     s_axil_wready,
    output reg  [1:0]               s_axil_bresp,
    output reg                      s_axil_bvalid,
    input  wire                     s_axil_bready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [ADDR_W-1:0]        s_axil_araddr,   // bits 1:0 ignored
    input  wire [2:0]               s_axil_arprot,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                     s_axil_arvalid,
    output wire                     s_axil_arready,
    output reg  [31:0]              s_axil_rdata,
    output reg  [1:0]               s_axil_rresp,
    output reg                      s_axil_rvalid,
    input  wire                     s_axil_rready,
    // core side
    output reg                      start,
    output reg                      irq_enable,
    output reg  [63:0]              prog_addr,
    output reg  [31:0]              prog_len,
    input  wire                     busy,
    input  wire                     done_set,
    input  wire                     error,
    input  wire [NUM_COUNTERS*64-1:0] counters,
    output wire                     irq
);
    localparam integer WA = ADDR_W - 2;              // word address bits
    localparam integer CW = ADDR_W - 3;              // counter (8-byte) index bits
    localparam [WA-1:0] A_CTRL    = `CN_REG_CTRL >> 2;
    localparam [WA-1:0] A_STATUS  = `CN_REG_STATUS >> 2;
    localparam [WA-1:0] A_IRQ     = `CN_REG_IRQ_STATUS >> 2;
    localparam [WA-1:0] A_PADDR_L = `CN_REG_PROGRAM_ADDR_LO >> 2;
    localparam [WA-1:0] A_PADDR_H = `CN_REG_PROGRAM_ADDR_HI >> 2;
    localparam [WA-1:0] A_PLEN    = `CN_REG_PROGRAM_LEN >> 2;
    localparam [WA-1:0] A_VERSION = `CN_REG_VERSION >> 2;
    localparam integer  C_FIRST_I = `CN_REG_COUNTERS >> 3;       // first counter slot (8-byte units)
    // register bits, and the byte lane (WSTRB bit) each is written through
    localparam integer  B_START   = `CN_CTRL_START_BIT;
    localparam integer  B_IRQEN   = `CN_CTRL_IRQ_ENABLE_BIT;
    localparam integer  B_BUSY    = `CN_STATUS_BUSY_BIT;
    localparam integer  B_DONE    = `CN_STATUS_DONE_BIT;
    localparam integer  B_ERROR   = `CN_STATUS_ERROR_BIT;
    localparam integer  B_IRQDONE = `CN_IRQ_DONE_BIT;
    localparam integer  C_END_I   = C_FIRST_I + NUM_COUNTERS;
    localparam [CW-1:0] C_FIRST   = C_FIRST_I[CW-1:0];
    localparam [CW:0]   C_END     = C_END_I[CW:0];

    reg done;
    assign irq = done & irq_enable;

    // ------------------------------------------------------------------ write channel
    reg              aw_full, w_full;
    reg [WA-1:0]     aw_word;
    reg [31:0]       w_data;
    reg [3:0]        w_strb;
    assign s_axil_awready = !aw_full;
    assign s_axil_wready  = !w_full;
    wire do_write = aw_full && w_full && !s_axil_bvalid;

    wire [31:0] bmask = {{8{w_strb[3]}}, {8{w_strb[2]}}, {8{w_strb[1]}}, {8{w_strb[0]}}};
    wire [CW-1:0] aw_cslot = aw_word[WA-1:1];
    wire w_is_cnt = (aw_cslot >= C_FIRST) && ({1'b0, aw_cslot} < C_END);
    reg  w_mapped;
    always @* begin
        case (aw_word)
            A_CTRL, A_STATUS, A_IRQ, A_PADDR_L, A_PADDR_H, A_PLEN, A_VERSION: w_mapped = 1'b1;
            default: w_mapped = w_is_cnt;
        endcase
    end
    wire wr_start    = do_write && (aw_word == A_CTRL) && w_strb[B_START / 8] && w_data[B_START] && !busy;
    wire wr_clr_done = do_write &&
                       (((aw_word == A_STATUS) && w_strb[B_DONE / 8] && w_data[B_DONE]) ||
                        ((aw_word == A_IRQ) && w_strb[B_IRQDONE / 8] && w_data[B_IRQDONE]));

    // ------------------------------------------------------------------ read channel
    assign s_axil_arready = !s_axil_rvalid;
    wire ar_fire = s_axil_arvalid && s_axil_arready;
    wire [WA-1:0] ar_word  = s_axil_araddr[ADDR_W-1:2];
    wire [CW-1:0] ar_cslot = s_axil_araddr[ADDR_W-1:3];
    wire          ar_hi    = s_axil_araddr[2];
    wire          r_is_cnt = (ar_cslot >= C_FIRST) && ({1'b0, ar_cslot} < C_END);
    wire [CW-1:0] ar_k     = ar_cslot - C_FIRST;

    reg [31:0] cnt_lo, cnt_hi;
    integer k;
    always @* begin
        cnt_lo = 32'd0;
        cnt_hi = 32'd0;
        for (k = 0; k < NUM_COUNTERS; k = k + 1) begin
            if (ar_k == k[CW-1:0]) begin
                cnt_lo = counters[64*k +: 32];
                cnt_hi = counters[64*k + 32 +: 32];
            end
        end
    end

    reg          lat_valid;
    reg [CW-1:0] lat_k;
    reg [31:0]   lat_hi;

    reg [31:0] rd_val;
    reg        rd_ok;
    always @* begin
        rd_ok  = 1'b1;
        rd_val = 32'd0;
        case (ar_word)
            A_CTRL:    rd_val[B_IRQEN] = irq_enable;
            A_STATUS:  begin rd_val[B_BUSY] = busy; rd_val[B_DONE] = done; rd_val[B_ERROR] = error; end
            A_IRQ:     rd_val[B_IRQDONE] = done;
            A_PADDR_L: rd_val = prog_addr[31:0];
            A_PADDR_H: rd_val = prog_addr[63:32];
            A_PLEN:    rd_val = prog_len;
            A_VERSION: rd_val = VERSION;
            default: begin
                if (r_is_cnt) begin
                    if (!ar_hi) rd_val = cnt_lo;
                    else if (lat_valid && (lat_k == ar_k)) rd_val = lat_hi;
                    else rd_val = cnt_hi;
                end else begin
                    rd_ok = 1'b0;
                end
            end
        endcase
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            aw_full       <= 1'b0;
            w_full        <= 1'b0;
            aw_word       <= {WA{1'b0}};
            w_data        <= 32'd0;
            w_strb        <= 4'd0;
            s_axil_bvalid <= 1'b0;
            s_axil_bresp  <= 2'b00;
            s_axil_rvalid <= 1'b0;
            s_axil_rresp  <= 2'b00;
            s_axil_rdata  <= 32'd0;
            start         <= 1'b0;
            irq_enable    <= 1'b0;
            prog_addr     <= 64'd0;
            prog_len      <= 32'd0;
            done          <= 1'b0;
            lat_valid     <= 1'b0;
            lat_k         <= {CW{1'b0}};
            lat_hi        <= 32'd0;
        end else begin
            // write address / data holding registers
            if (s_axil_awvalid && !aw_full) begin
                aw_full <= 1'b1;
                aw_word <= s_axil_awaddr[ADDR_W-1:2];
            end
            if (s_axil_wvalid && !w_full) begin
                w_full <= 1'b1;
                w_data <= s_axil_wdata;
                w_strb <= s_axil_wstrb;
            end
            if (do_write) begin
                aw_full       <= 1'b0;
                w_full        <= 1'b0;
                s_axil_bvalid <= 1'b1;
                s_axil_bresp  <= w_mapped ? 2'b00 : 2'b10;
                case (aw_word)
                    A_CTRL:    if (w_strb[B_IRQEN / 8]) irq_enable <= w_data[B_IRQEN];
                    A_PADDR_L: prog_addr[31:0]  <= (prog_addr[31:0]  & ~bmask) | (w_data & bmask);
                    A_PADDR_H: prog_addr[63:32] <= (prog_addr[63:32] & ~bmask) | (w_data & bmask);
                    A_PLEN:    prog_len         <= (prog_len         & ~bmask) | (w_data & bmask);
                    default: ;
                endcase
            end else if (s_axil_bvalid && s_axil_bready) begin
                s_axil_bvalid <= 1'b0;
            end

            // start pulse and sticky done (set wins over clear)
            start <= wr_start;
            if (done_set) done <= 1'b1;
            else if (wr_start || wr_clr_done) done <= 1'b0;

            // read
            if (ar_fire) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rdata  <= rd_val;
                s_axil_rresp  <= rd_ok ? 2'b00 : 2'b10;
                if (r_is_cnt && !ar_hi) begin
                    lat_valid <= 1'b1;
                    lat_k     <= ar_k;
                    lat_hi    <= cnt_hi;
                end
            end else if (s_axil_rvalid && s_axil_rready) begin
                s_axil_rvalid <= 1'b0;
            end
        end
    end
endmodule

`default_nettype wire
