// tb_axi_dma_top -- test top for tb_axi_dma.cpp: cn_axi_rd -> FIFO -> cn_axi_wr on one AXI4 port
// (m_axi_*: the read DMA drives AR/R, the write DMA AW/W/B), i.e. a memory-to-memory copy engine.
// The testbench issues matching read and write commands; the write strobes are all ones, or with
// strb_odd = 1 only the bytes whose value is odd are written (exercises WSTRB). rd_hold / wr_hold
// let the testbench throttle the stream on either side of the FIFO (backpressure into RREADY and
// starvation of W). mon_fire / mon_last expose the read stream's handshake and its out_last.
`default_nettype none

module tb_axi_dma_top #(
    parameter integer DATA_W          = 128,
    parameter integer ADDR_W          = 40,
    parameter integer MAX_BURST       = 16,
    parameter integer MAX_OUTSTANDING = 8,
    parameter integer FIFO_LG         = 5
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                rd_cmd_valid,
    output wire                rd_cmd_ready,
    input  wire [ADDR_W-1:0]   rd_cmd_addr,
    input  wire [31:0]         rd_cmd_beats,
    input  wire                wr_cmd_valid,
    output wire                wr_cmd_ready,
    input  wire [ADDR_W-1:0]   wr_cmd_addr,
    input  wire [31:0]         wr_cmd_beats,
    input  wire                strb_odd,
    input  wire                rd_hold,
    input  wire                wr_hold,
    input  wire                stat_clear,
    output wire                rd_done,
    output wire                wr_done,
    output wire                rd_idle,
    output wire                wr_idle,
    output wire                mon_fire,
    output wire                mon_last,
    output wire [63:0]         rd_bytes,
    output wire [63:0]         rd_stalls,
    output wire [63:0]         wr_bytes,
    output wire [63:0]         wr_stalls,
    output wire                rd_error,
    output wire                wr_error,
    // AXI4 master port
    output wire [0:0]          m_axi_arid,
    output wire [ADDR_W-1:0]   m_axi_araddr,
    output wire [7:0]          m_axi_arlen,
    output wire [2:0]          m_axi_arsize,
    output wire [1:0]          m_axi_arburst,
    output wire                m_axi_arvalid,
    input  wire                m_axi_arready,
    input  wire [0:0]          m_axi_rid,
    input  wire [DATA_W-1:0]   m_axi_rdata,
    input  wire [1:0]          m_axi_rresp,
    input  wire                m_axi_rlast,
    input  wire                m_axi_rvalid,
    output wire                m_axi_rready,
    output wire [0:0]          m_axi_awid,
    output wire [ADDR_W-1:0]   m_axi_awaddr,
    output wire [7:0]          m_axi_awlen,
    output wire [2:0]          m_axi_awsize,
    output wire [1:0]          m_axi_awburst,
    output wire                m_axi_awvalid,
    input  wire                m_axi_awready,
    output wire [DATA_W-1:0]   m_axi_wdata,
    output wire [DATA_W/8-1:0] m_axi_wstrb,
    output wire                m_axi_wlast,
    output wire                m_axi_wvalid,
    input  wire                m_axi_wready,
    input  wire [0:0]          m_axi_bid,
    input  wire [1:0]          m_axi_bresp,
    input  wire                m_axi_bvalid,
    output wire                m_axi_bready
);
    localparam integer DEPTH = 1 << FIFO_LG;

    // read DMA -> FIFO
    wire              rs_valid, rs_last;
    wire [DATA_W-1:0] rs_data;
    wire              rs_ready;
    /* verilator lint_off UNUSEDSIGNAL */
    wire              rd_arlock, wr_awlock;
    wire [3:0]        rd_arcache, rd_arqos, wr_awcache, wr_awqos;
    wire [2:0]        rd_arprot, wr_awprot;
    /* verilator lint_on UNUSEDSIGNAL */

    cn_axi_rd #(.DATA_W(DATA_W), .ADDR_W(ADDR_W), .ID_W(1), .LEN_W(32), .MAX_BURST(MAX_BURST),
                .MAX_OUTSTANDING(MAX_OUTSTANDING)) u_rd (
        .clk(clk), .rst_n(rst_n),
        .cmd_valid(rd_cmd_valid), .cmd_ready(rd_cmd_ready), .cmd_addr(rd_cmd_addr), .cmd_beats(rd_cmd_beats),
        .out_valid(rs_valid), .out_ready(rs_ready), .out_data(rs_data), .out_last(rs_last),
        .done(rd_done), .idle(rd_idle),
        .stat_clear(stat_clear), .bytes_read(rd_bytes), .stall_cycles(rd_stalls), .error(rd_error),
        .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arlock(rd_arlock),
        .m_axi_arcache(rd_arcache), .m_axi_arprot(rd_arprot), .m_axi_arqos(rd_arqos),
        .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready),
        .m_axi_rid(m_axi_rid), .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp),
        .m_axi_rlast(m_axi_rlast), .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready));

    // FIFO
    reg [DATA_W-1:0]  mem [0:DEPTH-1];
    reg [FIFO_LG:0]   wp, rp;
    wire [FIFO_LG:0]  count = wp - rp;
    wire              full  = (count == DEPTH[FIFO_LG:0]);
    wire              empty = (wp == rp);
    assign rs_ready = !full && !rd_hold;
    wire push = rs_valid && rs_ready;
    wire              ws_ready;
    wire              ws_valid = !empty && !wr_hold;
    wire [DATA_W-1:0] ws_data  = mem[rp[FIFO_LG-1:0]];
    wire pop = ws_valid && ws_ready;
    always @(posedge clk) begin
        if (!rst_n) begin
            wp <= {(FIFO_LG+1){1'b0}};
            rp <= {(FIFO_LG+1){1'b0}};
        end else begin
            if (push) begin
                mem[wp[FIFO_LG-1:0]] <= rs_data;
                wp <= wp + 1'b1;
            end
            if (pop) rp <= rp + 1'b1;
        end
    end
    assign mon_fire = push;
    assign mon_last = rs_last;

    reg [DATA_W/8-1:0] ws_strb;
    integer i;
    always @* begin
        for (i = 0; i < DATA_W / 8; i = i + 1) ws_strb[i] = !strb_odd || ws_data[8*i];
    end

    cn_axi_wr #(.DATA_W(DATA_W), .ADDR_W(ADDR_W), .ID_W(1), .LEN_W(32), .MAX_BURST(MAX_BURST),
                .MAX_OUTSTANDING(MAX_OUTSTANDING)) u_wr (
        .clk(clk), .rst_n(rst_n),
        .cmd_valid(wr_cmd_valid), .cmd_ready(wr_cmd_ready), .cmd_addr(wr_cmd_addr), .cmd_beats(wr_cmd_beats),
        .in_valid(ws_valid), .in_ready(ws_ready), .in_data(ws_data), .in_strb(ws_strb),
        .done(wr_done), .idle(wr_idle),
        .stat_clear(stat_clear), .bytes_written(wr_bytes), .stall_cycles(wr_stalls), .error(wr_error),
        .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
        .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst), .m_axi_awlock(wr_awlock),
        .m_axi_awcache(wr_awcache), .m_axi_awprot(wr_awprot), .m_axi_awqos(wr_awqos),
        .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
        .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast),
        .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
        .m_axi_bid(m_axi_bid), .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid),
        .m_axi_bready(m_axi_bready));
endmodule

`default_nettype wire
