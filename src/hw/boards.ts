/**
 * Board presets: the device budget, the PS-to-fabric memory path and the default fabric clock.
 * DDR bandwidth is the board's memory interface; the HP port width is what one AXI master sees.
 */
export interface Board {
  name: string;
  description: string;
  part: string;
  /** Vivado board part for the PS preset (DDR, MIO). */
  boardPart: string;
  family: 'xcup' | 'xc7';
  budget: { dsp: number; lut: number; ff: number; bram36: number; uram: number };
  hpPortBits: 64 | 128;
  ddrBytesPerSecond: number;
  defaultClockMHz: number;
  /** Highest clock the DSP48 datapath closes at for this speed grade (DS925/DS187). */
  maxClockMHz: number;
  /** DDR read latency seen from the fabric, in fabric cycles at the default clock. */
  readLatencyCycles: number;
  /**
   * Bytes of one DRAM burst (bus width x burst length): the smallest unit a command costs. LPDDR4
   * x32 BL16 and DDR4 x64 BL8: 64; the PYNQ-Z2 DDR3 x16 BL8: 16. An AXI burst is charged in whole DRAM bursts.
   */
  dramBurstBytes: number;
  /**
   * Share of the DRAM peak a controller sustains on the accelerator's mostly sequential traffic:
   * refresh, page misses and read/write turnaround (docs/architecture.md, "Memory model").
   */
  ddrEfficiency: number;
}

export const BOARDS: readonly Board[] = [
  {
    name: 'ultra96v2', description: 'Avnet Ultra96-V2 (Zynq UltraScale+ ZU3EG)', part: 'xczu3eg-sbva484-1-i', boardPart: 'avnet.com:ultra96v2:part0:1.2',
    family: 'xcup', budget: { dsp: 360, lut: 70560, ff: 141120, bram36: 216, uram: 0 }, hpPortBits: 128,
    ddrBytesPerSecond: 4.27e9, defaultClockMHz: 250, maxClockMHz: 645, readLatencyCycles: 40, dramBurstBytes: 64, ddrEfficiency: 0.8,
  },
  {
    name: 'zcu104', description: 'Xilinx ZCU104 (Zynq UltraScale+ ZU7EV)', part: 'xczu7ev-ffvc1156-2-e', boardPart: 'xilinx.com:zcu104:part0:1.1',
    family: 'xcup', budget: { dsp: 1728, lut: 230400, ff: 460800, bram36: 312, uram: 96 }, hpPortBits: 128,
    ddrBytesPerSecond: 19.2e9, defaultClockMHz: 300, maxClockMHz: 775, readLatencyCycles: 48, dramBurstBytes: 64, ddrEfficiency: 0.8,
  },
  {
    name: 'kv260', description: 'Xilinx Kria KV260 (Zynq UltraScale+ K26)', part: 'xck26-sfvc784-2LV-c', boardPart: 'xilinx.com:kv260_som:part0:1.4',
    family: 'xcup', budget: { dsp: 1248, lut: 117120, ff: 234240, bram36: 144, uram: 64 }, hpPortBits: 128,
    ddrBytesPerSecond: 19.2e9, defaultClockMHz: 300, maxClockMHz: 645, readLatencyCycles: 48, dramBurstBytes: 64, ddrEfficiency: 0.8,
  },
  {
    name: 'pynq-z2', description: 'TUL PYNQ-Z2 (Zynq-7000 XC7Z020)', part: 'xc7z020clg400-1', boardPart: 'tul.com.tw:pynq-z2:part0:1.0',
    family: 'xc7', budget: { dsp: 220, lut: 53200, ff: 106400, bram36: 140, uram: 0 }, hpPortBits: 64,
    ddrBytesPerSecond: 2.1e9, defaultClockMHz: 150, maxClockMHz: 464, readLatencyCycles: 30, dramBurstBytes: 16, ddrEfficiency: 0.8,
  },
];

export function findBoard(name: string): Board | undefined {
  return BOARDS.find((b) => b.name === name);
}
