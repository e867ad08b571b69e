/**
 * Waveforms of `codenet sim --trace` (docs/waveforms.md): the window and depth options the
 * testbench takes (templates/sim/tb_codenet.cpp.hbs) and the GTKWave save file sim/codenet.gtkw
 * (templates/sim/codenet.gtkw.hbs) that gen/bundle writes beside it.
 */
import { fail } from '../util/errors.ts';

/** A --trace-from/--trace-to bound: "5000" (cycles after the START write) or "d3" (descriptor 3). */
export function parseTraceBound(flag: string): (v: string) => string {
  return (v: string) => {
    const s = v.trim();
    if (!/^d?\d+$/.test(s) || !Number.isSafeInteger(Number(s.replace(/^d/, ''))))
      fail(`${flag} needs a cycle count after START (e.g. 5000) or a descriptor index (e.g. d3), got "${v}"`);
    return s;
  };
}

/** One trace in the save file: its full FST path and GTKWave display flags. */
export interface GtkwSignal {
  /** e.g. `codenet_accel.codenet_accel.seq.state[3:0]` (the Verilator hierarchy: the model's scope with the top's ports, the top module, its instances). */
  path: string;
  /** GTKWave trace flags: 28 a bit (binary), 22 hex, 24 decimal. */
  flags: number;
}

/** The groups of sim/codenet.gtkw, in display order. */
export interface GtkwGroup {
  name: string;
  signals: GtkwSignal[];
}

const TOP = 'codenet_accel.codenet_accel';
const SEQ = `${TOP}.seq`;
const BIT = 28, HEX = 22, DEC = 24;

/**
 * The signals worth looking at (docs/waveforms.md), grouped, with their widths for this config:
 * `addrBits` the AXI address width, `dataBits` the AXI data width (hwParams).
 */
export function gtkwGroups(addrBits: number, dataBits: number): GtkwGroup[] {
  const bus = (path: string, bits: number, flags = HEX): GtkwSignal => ({ path: bits > 1 ? `${path}[${bits - 1}:0]` : path, flags: bits > 1 ? flags : BIT });
  const bit = (path: string): GtkwSignal => ({ path, flags: BIT });
  return [
    { name: 'Clock and interrupt', signals: [bit(`${TOP}.clk`), bit(`${TOP}.rst_n`), bit(`${TOP}.irq`)] },
    {
      name: 'AXI4-Lite registers',
      signals: [bit(`${TOP}.s_axil_awvalid`), bit(`${TOP}.s_axil_awready`), bus(`${TOP}.s_axil_awaddr`, 12), bit(`${TOP}.s_axil_wvalid`), bus(`${TOP}.s_axil_wdata`, 32),
        bit(`${TOP}.s_axil_arvalid`), bus(`${TOP}.s_axil_araddr`, 12), bit(`${TOP}.s_axil_rvalid`), bus(`${TOP}.s_axil_rdata`, 32)],
    },
    {
      name: 'AXI4 read',
      signals: [bit(`${TOP}.m_axi_arvalid`), bit(`${TOP}.m_axi_arready`), bus(`${TOP}.m_axi_araddr`, addrBits), bus(`${TOP}.m_axi_arlen`, 8, DEC),
        bit(`${TOP}.m_axi_rvalid`), bit(`${TOP}.m_axi_rready`), bit(`${TOP}.m_axi_rlast`), bus(`${TOP}.m_axi_rdata`, dataBits)],
    },
    {
      name: 'AXI4 write',
      signals: [bit(`${TOP}.m_axi_awvalid`), bit(`${TOP}.m_axi_awready`), bus(`${TOP}.m_axi_awaddr`, addrBits), bus(`${TOP}.m_axi_awlen`, 8, DEC),
        bit(`${TOP}.m_axi_wvalid`), bit(`${TOP}.m_axi_wready`), bit(`${TOP}.m_axi_wlast`), bus(`${TOP}.m_axi_wdata`, dataBits),
        bit(`${TOP}.m_axi_bvalid`), bit(`${TOP}.m_axi_bready`)],
    },
    {
      name: 'Sequencer',
      signals: [bus(`${SEQ}.state`, 4, DEC), bus(`${SEQ}.pc_addr`, 64), bus(`${SEQ}.pc_left`, 32, DEC), bus(`${SEQ}.engine`, 4, DEC),
        bit(`${SEQ}.busy`), bit(`${SEQ}.done_set`), bit(`${SEQ}.error`), bus(`${SEQ}.cyc`, 32, DEC), bus(`${SEQ}.wait_cyc`, 32, DEC)],
    },
    {
      name: 'Engines',
      signals: [bit(`${SEQ}.pw_in_valid`), bit(`${SEQ}.pw_in_ready`), bit(`${SEQ}.pw_out_valid`), bit(`${SEQ}.pw_out_ready`),
        bit(`${SEQ}.dw_in_valid`), bit(`${SEQ}.dw_in_ready`), bit(`${SEQ}.dw_out_valid`), bit(`${SEQ}.dw_out_ready`), bit(`${SEQ}.dw_busy`)],
    },
    {
      name: 'Counters',
      signals: [bus(`${SEQ}.c_busy`, 64, DEC), bus(`${SEQ}.c_desc`, 64, DEC), bus(`${SEQ}.c_active`, 64, DEC), bus(`${SEQ}.c_wait`, 64, DEC),
        bus(`${SEQ}.rd_bytes`, 64, DEC), bus(`${SEQ}.wr_bytes`, 64, DEC), bus(`${SEQ}.rd_stall`, 64, DEC), bus(`${SEQ}.wr_stall`, 64, DEC)],
    },
  ];
}
