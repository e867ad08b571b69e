/* cn_isa.h -- the hardware/software contract of the codenet accelerator (ISA v1): descriptor layout
 * and register map. Generated from src/isa/ (docs/isa.md) by `npm run gen:contract` (hw/) and by
 * codenet gen (generated folders). Do not edit: change src/isa/layout.ts or src/isa/registers.ts. */
#ifndef CN_ISA_H
#define CN_ISA_H

#include <stdint.h>

/* Descriptor: 64 little-endian 32-bit words. Field F is bits [CN_D_F_LSB +: CN_D_F_W] of the descriptor */
/* (word CN_D_F_WORD, bit CN_D_F_BIT); an address is 64 bits, low word first. */
#define CN_DESC_WORDS                64
#define CN_DESC_BYTES                256
#define CN_DESC_BITS                 2048
#define CN_D_ENGINE_WORD             0 /* 1 PW, 2 DW, 3 STEM, 4 PWDW */
#define CN_D_ENGINE_BIT              0
#define CN_D_ENGINE_W                4
#define CN_D_ENGINE_LSB              0
#define CN_D_PW_MODE_WORD            0 /* 1: dilation output (offset conv) */
#define CN_D_PW_MODE_BIT             4
#define CN_D_PW_MODE_W               1
#define CN_D_PW_MODE_LSB             4
#define CN_D_POOL_WORD               0 /* DW: maxpool */
#define CN_D_POOL_BIT                5
#define CN_D_POOL_W                  1
#define CN_D_POOL_LSB                5
#define CN_D_USE_MAP_WORD            0 /* DW: per-pixel dilation from `map` */
#define CN_D_USE_MAP_BIT             6
#define CN_D_USE_MAP_W               1
#define CN_D_USE_MAP_LSB             6
#define CN_D_MAP_OUT_WORD            0 /* PW with `pw_mode = 1`: the dilation of output pixel `p` goes to entry `p` of the depthwise engine's on-chip map, not to DDR (`out_addr` unused, 0) */
#define CN_D_MAP_OUT_BIT             7
#define CN_D_MAP_OUT_W               1
#define CN_D_MAP_OUT_LSB             7
#define CN_D_STRIDE_WORD             0 /* DW / STEM / PWDW: 1, 2 or 4 (4 only for STEM) */
#define CN_D_STRIDE_BIT              8
#define CN_D_STRIDE_W                3
#define CN_D_STRIDE_LSB              8
#define CN_D_OUT_CHIP_WORD           0 /* the output goes into the on-chip tensor buffer; `out_addr` is a byte offset into it (not relocated) */
#define CN_D_OUT_CHIP_BIT            11
#define CN_D_OUT_CHIP_W              1
#define CN_D_OUT_CHIP_LSB            11
#define CN_D_DCONST_WORD             0 /* DW / STEM / PWDW: dilation when `use_map = 0` (STEM: 1) */
#define CN_D_DCONST_BIT              12
#define CN_D_DCONST_W                4
#define CN_D_DCONST_LSB              12
#define CN_D_DMAX_WORD               0 /* PW offset: clamp of the dilation; DW with map: largest map value */
#define CN_D_DMAX_BIT                16
#define CN_D_DMAX_W                  4
#define CN_D_DMAX_LSB                16
#define CN_D_N_WORD                  0 /* requantizer shift (PWDW: the 1x1's) */
#define CN_D_N_BIT                   20
#define CN_D_N_W                     5
#define CN_D_N_LSB                   20
#define CN_D_IN_PACKED_WORD          0 /* STEM: the input is packed, `lanes/4` pixels a beat of 4 bytes each (lanes `4k..4k+2` hold channels 0..2 of pixel `k`, lane `4k+3` is 0); its single source has `gstride` 1, `g0` 0, `ng` 1, no `up`, and `width` = `in_w / (lanes/4)` beats a row */
#define CN_D_IN_PACKED_BIT           25
#define CN_D_IN_PACKED_W             1
#define CN_D_IN_PACKED_LSB           25
#define CN_D_LO_WORD                 1 /* lower clamp code (int8, two's complement): -128 or the ReLU floor (PWDW: the 1x1's) */
#define CN_D_LO_BIT                  0
#define CN_D_LO_W                    8
#define CN_D_LO_LSB                  32
#define CN_D_LO_SIGNED               1
#define CN_D_LAYER_WORD              1 /* layer index (informational) */
#define CN_D_LAYER_BIT               16
#define CN_D_LAYER_W                 16
#define CN_D_LAYER_LSB               48
#define CN_D_IN_H_WORD               2 /* engine input rows */
#define CN_D_IN_H_BIT                0
#define CN_D_IN_H_W                  16
#define CN_D_IN_H_LSB                64
#define CN_D_IN_W_WORD               2 /* engine input pixels per row */
#define CN_D_IN_W_BIT                16
#define CN_D_IN_W_W                  16
#define CN_D_IN_W_LSB                80
#define CN_D_OUT_H_WORD              3 /* engine output rows */
#define CN_D_OUT_H_BIT               0
#define CN_D_OUT_H_W                 16
#define CN_D_OUT_H_LSB               96
#define CN_D_OUT_W_WORD              3 /* engine output pixels per row */
#define CN_D_OUT_W_BIT               16
#define CN_D_OUT_W_W                 16
#define CN_D_OUT_W_LSB               112
#define CN_D_GIN_WORD                4 /* groups per input pixel */
#define CN_D_GIN_BIT                 0
#define CN_D_GIN_W                   16
#define CN_D_GIN_LSB                 128
#define CN_D_NSRC_WORD               4 /* number of sources (1..8) */
#define CN_D_NSRC_BIT                16
#define CN_D_NSRC_W                  16
#define CN_D_NSRC_LSB                144
#define CN_D_OUT_NG_WORD             5 /* groups written per output pixel */
#define CN_D_OUT_NG_BIT              0
#define CN_D_OUT_NG_W                16
#define CN_D_OUT_NG_LSB              160
#define CN_D_OUT_GSTRIDE_WORD        5 /* groups per pixel of the output buffer */
#define CN_D_OUT_GSTRIDE_BIT         16
#define CN_D_OUT_GSTRIDE_W           16
#define CN_D_OUT_GSTRIDE_LSB         176
#define CN_D_OUT_ADDR_WORD           6 /* address of output pixel 0, first written group */
#define CN_D_OUT_ADDR_BIT            0
#define CN_D_OUT_ADDR_W              64
#define CN_D_OUT_ADDR_LSB            192
#define CN_D_WGT_ADDR_WORD           8 /* weights stream */
#define CN_D_WGT_ADDR_BIT            0
#define CN_D_WGT_ADDR_W              64
#define CN_D_WGT_ADDR_LSB            256
#define CN_D_WGT_BEATS_WORD          10 /* beats of the weights stream */
#define CN_D_WGT_BEATS_BIT           0
#define CN_D_WGT_BEATS_W             32
#define CN_D_WGT_BEATS_LSB           320
#define CN_D_SB_ADDR_WORD            11 /* S and B stream */
#define CN_D_SB_ADDR_BIT             0
#define CN_D_SB_ADDR_W               64
#define CN_D_SB_ADDR_LSB             352
#define CN_D_SB_BEATS_WORD           13 /* beats of the S and B stream */
#define CN_D_SB_BEATS_BIT            0
#define CN_D_SB_BEATS_W              32
#define CN_D_SB_BEATS_LSB            416
#define CN_D_PAD_ADDR_WORD           14 /* pad-code stream (DW, STEM, PWDW) */
#define CN_D_PAD_ADDR_BIT            0
#define CN_D_PAD_ADDR_W              64
#define CN_D_PAD_ADDR_LSB            448
#define CN_D_PAD_BEATS_WORD          16 /* beats of the pad-code stream */
#define CN_D_PAD_BEATS_BIT           0
#define CN_D_PAD_BEATS_W             32
#define CN_D_PAD_BEATS_LSB           512
#define CN_D_MAP_ADDR_WORD           17 /* dilation-map stream (DW with `use_map`) */
#define CN_D_MAP_ADDR_BIT            0
#define CN_D_MAP_ADDR_W              64
#define CN_D_MAP_ADDR_LSB            544
#define CN_D_MAP_BEATS_WORD          19 /* beats of the dilation-map stream */
#define CN_D_MAP_BEATS_BIT           0
#define CN_D_MAP_BEATS_W             32
#define CN_D_MAP_BEATS_LSB           608
#define CN_D_STAT_ADDR_WORD          20 /* statistics beat */
#define CN_D_STAT_ADDR_BIT           0
#define CN_D_STAT_ADDR_W             64
#define CN_D_STAT_ADDR_LSB           640
#define CN_D_N2_WORD                 22 /* PWDW: the depthwise requantizer's shift; 0 otherwise */
#define CN_D_N2_BIT                  0
#define CN_D_N2_W                    5
#define CN_D_N2_LSB                  704
#define CN_D_LO2_WORD                22 /* PWDW: the depthwise requantizer's lower clamp; 0 otherwise */
#define CN_D_LO2_BIT                 8
#define CN_D_LO2_W                   8
#define CN_D_LO2_LSB                 712
#define CN_D_LO2_SIGNED              1
#define CN_D_TILES_WORD              23 /* PW, PWDW and STEM: output tiles of OUTS channels (STEM: OUTS/2 - 1) computed from each input pixel (STEM: im2col column) in turn, so the input is read once (all their weights and S/B on chip; PW and PWDW: every tile full, PWDW: the depthwise engine runs over all their groups); 0 or 1: one tile */
#define CN_D_TILES_BIT               16
#define CN_D_TILES_W                 8
#define CN_D_TILES_LSB               752
#define CN_D_DWGT_ADDR_WORD          56 /* PWDW: depthwise weights stream */
#define CN_D_DWGT_ADDR_BIT           0
#define CN_D_DWGT_ADDR_W             64
#define CN_D_DWGT_ADDR_LSB           1792
#define CN_D_DWGT_BEATS_WORD         58 /* PWDW: beats of the depthwise weights stream */
#define CN_D_DWGT_BEATS_BIT          0
#define CN_D_DWGT_BEATS_W            32
#define CN_D_DWGT_BEATS_LSB          1856
#define CN_D_DSB_ADDR_WORD           59 /* PWDW: depthwise S and B stream */
#define CN_D_DSB_ADDR_BIT            0
#define CN_D_DSB_ADDR_W              64
#define CN_D_DSB_ADDR_LSB            1888
#define CN_D_DSB_BEATS_WORD          61 /* PWDW: beats of the depthwise S and B stream */
#define CN_D_DSB_BEATS_BIT           0
#define CN_D_DSB_BEATS_W             32
#define CN_D_DSB_BEATS_LSB           1952
#define CN_ENGINE_PW                 1
#define CN_ENGINE_DW                 2
#define CN_ENGINE_STEM               3
#define CN_ENGINE_PWDW               4
#define CN_PW_TILE_MAX               16 /* largest tiles of a PW descriptor: the 1x1 engine holds this many tiles of S/B */

/* Source slot s (0 .. CN_D_SRC_COUNT-1) starts at word CN_D_SRC_WORD + s * CN_D_SRC_STRIDE; its field F is bits */
/* [CN_D_SRC_LSB + s * CN_D_SRC_BITS + CN_S_F_LSB +: CN_S_F_W] (CN_S_F_WORD counts from the slot). */
#define CN_D_SRC_WORD                24
#define CN_D_SRC_STRIDE              4
#define CN_D_SRC_COUNT               8
#define CN_D_SRC_LSB                 768
#define CN_D_SRC_BITS                128
#define CN_S_ADDR_WORD               0 /* buffer address of pixel (0, 0), group 0 */
#define CN_S_ADDR_BIT                0
#define CN_S_ADDR_W                  64
#define CN_S_ADDR_LSB                0
#define CN_S_GSTRIDE_WORD            2 /* groups per pixel of the buffer */
#define CN_S_GSTRIDE_BIT             0
#define CN_S_GSTRIDE_W               16
#define CN_S_GSTRIDE_LSB             64
#define CN_S_WIDTH_WORD              2 /* pixels per row of the buffer */
#define CN_S_WIDTH_BIT               16
#define CN_S_WIDTH_W                 16
#define CN_S_WIDTH_LSB               80
#define CN_S_G0_WORD                 3 /* first group taken */
#define CN_S_G0_BIT                  0
#define CN_S_G0_W                    12
#define CN_S_G0_LSB                  96
#define CN_S_NG_WORD                 3 /* groups taken */
#define CN_S_NG_BIT                  12
#define CN_S_NG_W                    12
#define CN_S_NG_LSB                  108
#define CN_S_UP_WORD                 3 /* 1: nearest x2 upsample */
#define CN_S_UP_BIT                  24
#define CN_S_UP_W                    1
#define CN_S_UP_LSB                  120
#define CN_S_CHIP_WORD               3 /* 1: read the on-chip tensor buffer, `addr` a byte offset into it (not relocated) */
#define CN_S_CHIP_BIT                25
#define CN_S_CHIP_W                  1
#define CN_S_CHIP_LSB                121

/* Registers (AXI4-Lite, byte offsets, 12-bit addresses) and their bits. */
#define CN_REG_ADDR_BITS             12
#define CN_REG_CTRL                  0x000u /* RW control */
#define CN_CTRL_START_BIT            0 /* write 1: start the program (a one-cycle pulse; reads 0; ignored while busy) */
#define CN_CTRL_IRQ_ENABLE_BIT       1 /* irq = DONE & IRQ_ENABLE */
#define CN_REG_STATUS                0x004u /* R status (writing 1 to DONE clears it) */
#define CN_STATUS_BUSY_BIT           0 /* a program is running */
#define CN_STATUS_DONE_BIT           1 /* sticky: the program completed (cleared by writing 1 here, by IRQ_STATUS or by START) */
#define CN_STATUS_ERROR_BIT          2 /* an AXI4 error response on the DDR master */
#define CN_REG_IRQ_STATUS            0x008u /* W1C interrupt pending (write 1 to clear) */
#define CN_IRQ_DONE_BIT              0 /* the DONE interrupt is pending (the same sticky DONE bit, whatever IRQ_ENABLE) */
#define CN_REG_PROGRAM_ADDR_LO       0x010u /* RW bits 31:0 of the DDR byte address of the descriptor program */
#define CN_REG_PROGRAM_ADDR_HI       0x014u /* RW bits 63:32 of the program address */
#define CN_REG_PROGRAM_LEN           0x018u /* RW descriptors in the program */
#define CN_REG_VERSION               0x01cu /* R accelerator version (HW_VERSION) */
#define CN_REG_COUNTERS              0x040u /* R counter k: low word (latches the high word), high word 4 bytes later */
#define CN_COUNTER_STRIDE            8
#define CN_NUM_COUNTERS              8
#define CN_COUNTER_BUSY_CYCLES       0 /* busy cycles */
#define CN_COUNTER_BYTES_READ        1 /* bytes read */
#define CN_COUNTER_BYTES_WRITTEN     2 /* bytes written */
#define CN_COUNTER_READ_STALL_CYCLES 3 /* read stall cycles */
#define CN_COUNTER_WRITE_STALL_CYCLES 4 /* write stall cycles */
#define CN_COUNTER_DESCRIPTORS_DONE  5 /* descriptors done */
#define CN_COUNTER_ENGINE_ACTIVE_CYCLES 6 /* engine active cycles */
#define CN_COUNTER_LOADER_WAIT_CYCLES 7 /* loader wait cycles */
#define CN_CTRL_START (1u << CN_CTRL_START_BIT)
#define CN_CTRL_IRQ_ENABLE (1u << CN_CTRL_IRQ_ENABLE_BIT)
#define CN_STATUS_BUSY (1u << CN_STATUS_BUSY_BIT)
#define CN_STATUS_DONE (1u << CN_STATUS_DONE_BIT)
#define CN_STATUS_ERROR (1u << CN_STATUS_ERROR_BIT)
#define CN_IRQ_DONE (1u << CN_IRQ_DONE_BIT)

/* Field F of a descriptor held as CN_DESC_WORDS uint32_t words (F: the upper-case name, e.g. ENGINE). */
#define CN_MASK(w) (0xffffffffu >> (32 - (w)))
#define CN_SEXT(v, w) ((int32_t)((((uint32_t)(v)) ^ (1u << ((w) - 1))) - (1u << ((w) - 1))))
#define CN_DESC_GET(words, F) (((uint32_t)(words)[CN_D_##F##_WORD] >> CN_D_##F##_BIT) & CN_MASK(CN_D_##F##_W))
#define CN_DESC_GET_SIGNED(words, F) CN_SEXT(CN_DESC_GET(words, F), CN_D_##F##_W)
#define CN_DESC_ADDR(words, F) ((uint64_t)(words)[CN_D_##F##_WORD] | (uint64_t)(words)[CN_D_##F##_WORD + 1] << 32)
/* Field F of source slot s. */
#define CN_SRC_WORD(s, F) (CN_D_SRC_WORD + CN_D_SRC_STRIDE * (s) + CN_S_##F##_WORD)
#define CN_SRC_GET(words, s, F) (((uint32_t)(words)[CN_SRC_WORD(s, F)] >> CN_S_##F##_BIT) & CN_MASK(CN_S_##F##_W))
#define CN_SRC_ADDR(words, s, F) ((uint64_t)(words)[CN_SRC_WORD(s, F)] | (uint64_t)(words)[CN_SRC_WORD(s, F) + 1] << 32)
/* Counter k: low word at CN_REG_COUNTER_LO(k) (reading it latches the high word), high word 4 bytes later. */
#define CN_REG_COUNTER_LO(k) (CN_REG_COUNTERS + CN_COUNTER_STRIDE * (k))
#define CN_REG_COUNTER_HI(k) (CN_REG_COUNTER_LO(k) + 4u)

#endif
