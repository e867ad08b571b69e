/**
 * The AXI4-Lite register map of the accelerator as data (docs/isa.md, "Registers"): byte offsets,
 * access, the bits of the control and status registers and the block of 64-bit counters. The
 * one source of the map: hw/cn_axil_regs.v includes the generated hw/cn_isa.vh, the testbenches
 * include cn_isa.h, and the C and PYNQ drivers are rendered from this (src/gen/drivers.ts).
 */

export interface RegisterBit {
  name: string;
  bit: number;
  doc: string;
}

export interface RegisterSpec {
  name: string;
  /** Byte offset (a multiple of 4). */
  offset: number;
  access: 'RW' | 'R' | 'W1C';
  /** Prefix of the bit constants (CTRL_START, ...): the register's name unless given. */
  bitPrefix?: string;
  bits?: readonly RegisterBit[];
  doc: string;
}

export interface RegisterMap {
  registers: readonly RegisterSpec[];
  /**
   * The performance counters (COUNTERS of src/hw/params.ts, in that order): counter k's low word
   * at `offset + stride*k`, its high word 4 bytes later. Reading the low word latches the high word.
   */
  counters: { offset: number; stride: number; doc: string };
  /** Address bits of the AXI4-Lite slave (the map must fit 2^addrBits bytes). */
  addrBits: number;
}

export const REGISTER_MAP: RegisterMap = {
  registers: [
    {
      name: 'CTRL', offset: 0x00, access: 'RW', doc: 'control',
      bits: [
        { name: 'START', bit: 0, doc: 'write 1: start the program (a one-cycle pulse; reads 0; ignored while busy)' },
        { name: 'IRQ_ENABLE', bit: 1, doc: 'irq = DONE & IRQ_ENABLE' },
      ],
    },
    {
      name: 'STATUS', offset: 0x04, access: 'R', doc: 'status (writing 1 to DONE clears it)',
      bits: [
        { name: 'BUSY', bit: 0, doc: 'a program is running' },
        { name: 'DONE', bit: 1, doc: 'sticky: the program completed (cleared by writing 1 here, by IRQ_STATUS or by START)' },
        { name: 'ERROR', bit: 2, doc: 'an AXI4 error response on the DDR master' },
      ],
    },
    {
      name: 'IRQ_STATUS', offset: 0x08, access: 'W1C', bitPrefix: 'IRQ', doc: 'interrupt pending (write 1 to clear)',
      bits: [{ name: 'DONE', bit: 0, doc: 'the DONE interrupt is pending (the same sticky DONE bit, whatever IRQ_ENABLE)' }],
    },
    { name: 'PROGRAM_ADDR_LO', offset: 0x10, access: 'RW', doc: 'bits 31:0 of the DDR byte address of the descriptor program' },
    { name: 'PROGRAM_ADDR_HI', offset: 0x14, access: 'RW', doc: 'bits 63:32 of the program address' },
    { name: 'PROGRAM_LEN', offset: 0x18, access: 'RW', doc: 'descriptors in the program' },
    { name: 'VERSION', offset: 0x1c, access: 'R', doc: 'accelerator version (HW_VERSION)' },
  ],
  counters: { offset: 0x40, stride: 8, doc: 'counter k: low word (latches the high word), high word 4 bytes later' },
  addrBits: 12,
};
