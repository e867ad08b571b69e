// One source for the hardware/software contract (src/isa): this test changes nothing but that
// source -- descriptor fields swapped between words and moved inside them, the source slot
// rearranged, every register at another offset and every control/status bit at another position,
// the counters elsewhere -- and runs codenet-tiny bit-exact on the ISA reference interpreter, the
// HLS C-simulation (g++) and the Verilator RTL (one build of its own, cached by content), each
// compiled, rendered and built from the overridden contract through setIsa. The generated C
// header is also compiled and read back against the encoder, for the default and the override.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel, type Compiled } from '../src/compiler/compile.ts';
import { decodeDescriptor, encodeDescriptor, readDescriptor } from '../src/compiler/descriptor.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { writeInput } from '../src/compiler/tensors.ts';
import { DEFAULT_ISA, currentIsa, setIsa, withFieldsMoved, type Isa } from '../src/isa/index.ts';
import { renderCHeader, renderVerilogHeader } from '../src/isa/render.ts';
import { renderRtl } from '../src/gen/rtl.ts';
import { renderDrivers } from '../src/gen/drivers.ts';
import { renderCsimSources } from '../src/gen/hls.ts';
import { checkAgainstGolden, describeMismatch } from '../src/sim/compare.ts';
import { runHlsCsim } from '../src/verify/simulators.ts';
import { runAccelerator } from '../src/verify/simulators.ts';
import { zooModelAndInput } from '../src/verify/cases.ts';
import type { Model } from '../src/ir/model.ts';

const HW = presetConfig('ultra96v2');

/** ISA v1 with every field and register somewhere else. */
function overridden(): Isa {
  const moved = withFieldsMoved(DEFAULT_ISA, {
    // word 0's flags spread over reserved word 23 and word 62, the shape words swapped, n2 and lo2 apart
    engine: { word: 23, bit: 3 }, pw_mode: { word: 62, bit: 31 }, pool: { word: 23, bit: 0 }, use_map: { word: 62, bit: 0 },
    map_out: { word: 23, bit: 30 }, out_chip: { word: 0, bit: 0 }, stride: { word: 0, bit: 29 }, dconst: { word: 1, bit: 8 },
    dmax: { word: 23, bit: 12 }, n: { word: 0, bit: 4 },
    lo: { word: 62, bit: 20 }, layer: { word: 63, bit: 16 },
    in_h: { word: 3, bit: 16 }, in_w: { word: 3, bit: 0 }, out_h: { word: 2, bit: 16 }, out_w: { word: 2, bit: 0 },
    gin: { word: 5, bit: 16 }, out_gstride: { word: 4, bit: 0 }, nsrc: { word: 22, bit: 16 }, out_ng: { word: 5, bit: 0 },
    n2: { word: 63, bit: 0 }, lo2: { word: 1, bit: 20 },
    // config streams: weights <-> map, S/B <-> pad, the PWDW streams swapped
    wgt_addr: { word: 17 }, wgt_beats: { word: 19 }, map_addr: { word: 8 }, map_beats: { word: 10 },
    sb_addr: { word: 14 }, sb_beats: { word: 16 }, pad_addr: { word: 11 }, pad_beats: { word: 13 },
    dwgt_addr: { word: 59 }, dwgt_beats: { word: 61 }, dsb_addr: { word: 56 }, dsb_beats: { word: 58 },
  }, {
    // a source slot: gstride/width first, the address in words 1-2, the flags at the top of word 3
    gstride: { word: 0, bit: 16 }, width: { word: 0, bit: 0 }, addr: { word: 1 }, g0: { word: 3, bit: 12 }, ng: { word: 3, bit: 0 },
    up: { word: 3, bit: 31 }, chip: { word: 3, bit: 24 },
  });
  const at: Record<string, { offset: number; bits: Record<string, number> }> = {
    CTRL: { offset: 0x0c, bits: { START: 8, IRQ_ENABLE: 0 } },
    STATUS: { offset: 0x00, bits: { BUSY: 2, DONE: 0, ERROR: 1 } },
    IRQ_STATUS: { offset: 0x04, bits: { DONE: 5 } },
    PROGRAM_ADDR_LO: { offset: 0x24, bits: {} }, PROGRAM_ADDR_HI: { offset: 0x20, bits: {} },
    PROGRAM_LEN: { offset: 0x1c, bits: {} }, VERSION: { offset: 0x18, bits: {} },
  };
  const r = DEFAULT_ISA.registers;
  return {
    ...moved,
    registers: {
      ...r,
      registers: r.registers.map((x) => ({ ...x, offset: at[x.name].offset, bits: x.bits?.map((b) => ({ ...b, bit: at[x.name].bits[b.name] })) })),
      counters: { ...r.counters, offset: 0x80 },
    },
  };
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let model: Model, input: Int8Array, c: Compiled, defaultImage: string;

beforeAll(() => {
  ({ model, input } = zooModelAndInput('codenet-tiny', 3));
  defaultImage = sha(compileModel(model, HW).image);
  setIsa(overridden());
  c = compileModel(model, HW);
});
afterAll(() => setIsa(undefined));

function expectBitExact(memory: Uint8Array, what: string): void {
  const r = checkAgainstGolden(model, c.map, memory, input);
  expect(r.firstMismatch ? `${what}: ${describeMismatch(r.firstMismatch)}` : 'bit-exact').toBe('bit-exact');
  expect(r.tensors).toBeGreaterThan(20);
}

describe('codenet-tiny on a contract with every field and register moved (setIsa)', () => {
  it('is in effect: the program is other bytes, the rendered headers and drivers carry the new places', () => {
    expect(sha(c.image)).not.toBe(defaultImage);
    const d0 = readDescriptor(c.image, 0);
    expect(decodeDescriptor(encodeDescriptor(d0, DEFAULT_ISA), currentIsa())).not.toEqual(d0);
    expect(renderRtl(HW)['rtl/cn_isa.vh']).toBe(renderVerilogHeader(currentIsa()));
    expect(renderRtl(HW)['rtl/cn_isa.vh']).toMatch(/`define CN_REG_PROGRAM_LEN +'h01c/);
    expect(renderCsimSources(HW)['cn_isa.h']).toMatch(/#define CN_D_ENGINE_WORD +23 /);
    const sw = renderDrivers(model.name, HW, c.map);
    expect(sw['sw/codenet_accel.h']).toMatch(/#define CODENET_REG_VERSION 0x18u/);
    expect(sw['sw/codenet_accel.h']).toMatch(/#define CODENET_CTRL_START \(1u << 8\)/);
    expect(sw['sw/codenet_accel.h']).toMatch(/#define CODENET_REG_COUNTER0_LO 0x80u/);
    expect(sw['sw/codenet_accel.py']).toMatch(/^STATUS_DONE = 1 << 0$/m);
  });

  it('the ISA reference interpreter', () => {
    const mem = new Uint8Array(c.imageBytes);
    mem.set(c.image);
    writeInput(c.map, mem, input, HW);
    executeProgram(mem, 0, c.descriptors.length, HW);
    expectBitExact(mem, 'reference');
  });

  it('the HLS C-simulation (g++)', async () => {
    const r = await runHlsCsim(HW, c, input);
    expectBitExact(r.memory, 'HLS C-simulation');
  });

  it('the Verilator RTL (rtl/ and the testbench rendered from the contract)', async () => {
    const r = await runAccelerator(HW, c, input);
    expectBitExact(r.memory, 'Verilator');
    // the counters come from their new offsets, in register order
    expect(r.counters.descriptorsDone).toBe(c.descriptors.length);
    expect(r.counters.busyCycles).toBeGreaterThan(0);
    expect(r.counters.busyCycles).toBeLessThanOrEqual(r.cycles);
  }, 1_200_000);
});

describe('the generated C header reads what the encoder writes', () => {
  for (const [name, isa] of [['default', () => DEFAULT_ISA], ['moved', overridden]] as const) {
    it(`${name} layout: gcc and g++ -Wall -Wextra -Werror, every field of every descriptor of the program`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'codenet-isa-'));
      try {
        const l = isa();
        writeFileSync(join(dir, 'cn_isa.h'), renderCHeader(l));
        const p = compileModel(model, HW);
        const n = Math.min(p.descriptors.length, 40);
        const words = Array.from({ length: n }, (_, i) => Array.from(encodeDescriptor(p.descriptors[i], l)));
        const fixed = l.descriptor.fields.map((f) => f.name.toUpperCase());
        const fmt = (f: string) => (l.descriptor.fields.find((x) => x.name.toUpperCase() === f)!.address ? `(unsigned long long)CN_DESC_ADDR(w[i], ${f})`
          : l.descriptor.fields.find((x) => x.name.toUpperCase() === f)!.signed ? `(long long)CN_DESC_GET_SIGNED(w[i], ${f})` : `(unsigned long long)CN_DESC_GET(w[i], ${f})`);
        const src = l.descriptor.sources.fields.map((f) => (f.address ? `(unsigned long long)CN_SRC_ADDR(w[i], s, ${f.name.toUpperCase()})` : `(unsigned long long)CN_SRC_GET(w[i], s, ${f.name.toUpperCase()})`));
        writeFileSync(join(dir, 't.c'), `#include <stdio.h>
#include "cn_isa.h"
static const uint32_t w[${n}][CN_DESC_WORDS] = {
${words.map((x) => `  { ${x.map((v) => `${v}u`).join(', ')} },`).join('\n')}
};
int main(void) {
  for (int i = 0; i < ${n}; i++) {
${fixed.map((f) => `    printf("%lld ", (long long)${fmt(f)});`).join('\n')}
    for (int s = 0; s < (int)CN_DESC_GET(w[i], NSRC); s++) {
${src.map((e) => `      printf("%llu ", ${e});`).join('\n')}
    }
    printf("\\n");
  }
  return 0;
}
`);
        const want = p.descriptors.slice(0, n).map((d) => `${[...l.descriptor.fields.map((f) => (f.countOfSources ? d.src.length : (d as unknown as Record<string, number>)[f.name])),
          ...d.src.flatMap((s) => l.descriptor.sources.fields.map((f) => (s as unknown as Record<string, number>)[f.name]))].join(' ')} `).join('\n');
        for (const [cc, lang, std] of [['gcc', 'c', '-std=c11'], ['g++', 'c++', '-std=c++17']]) {
          const exe = join(dir, `t-${cc}`);
          execFileSync(cc, [std, '-Wall', '-Wextra', '-Werror', '-x', lang, join(dir, 't.c'), '-o', exe], { stdio: 'pipe' });
          expect(execFileSync(exe, { encoding: 'utf8' }).trim()).toBe(want.trim());
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
