// The HLS C++ backend (src/gen/hls.ts, templates/hls/): C-simulated with g++ (-Wall -Wextra -Werror)
// on the same program and memory image as the RTL, bit-exact against the golden model on every
// regression case; our ap_int subset keeps Xilinx's semantics; the testbench fails on a kernel
// error; codenet sim --backend hls names the first differing layer.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { verifyCases } from '../src/verify/cases.ts';
import { runCase } from '../src/verify/run.ts';
import { renderCsimSources, renderHls, CSIM_FLAGS } from '../src/gen/hls.ts';
import { renderVivadoProject, vivadoTarget } from '../src/gen/vivado.ts';
import { runHlsCsim } from '../src/verify/simulators.ts';
import { SimulationError } from '../src/sim/testbench.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { corruptFirstWeight } from './helpers/corrupt-weight.ts';

const U96 = presetConfig('ultra96v2');
const Z7 = presetConfig('pynq-z2');
let root: string;

beforeAll(() => { root = tempDir('codenet-hls-'); });

describe('HLS C-simulation against the golden model', () => {
  for (const hw of [U96, Z7]) {
    it(`every regression case is bit-exact (${hw.board}, ${hw.lanes} lanes)`, async () => {
      const cases = verifyCases(hw.dmax).filter((k) => !k.full);
      for (const k of cases) {
        const r = await runCase(k, hw, 'hls');
        expect(r.passed, `${k.name}: ${r.message}`).toBe(true);
        expect(r.elements).toBeGreaterThan(0);
      }
    });
  }
});

describe('cn_ap_int.h keeps the semantics of Xilinx ap_int', () => {
  it('wraps, sign-extends, shifts arithmetically and reads/writes bit ranges across limbs', () => {
    const dir = join(root, 'ap');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'cn_ap_int.h'), renderCsimSources(U96)['cn_ap_int.h']);
    writeFileSync(join(dir, 't.cpp'), `#include "cn_ap_int.h"
#include <cstdio>
#define CHECK(c) do { if (!(c)) { std::printf("FAIL %s\\n", #c); return 1; } } while (0)
int main() {
  ap_int<4> a = 7; a += 1; CHECK(int64_t(a) == -8);          // wrap-around
  ap_int<4> b = 0xF; CHECK(int64_t(b) == -1);                  // sign extension of 4 bits
  ap_int<8> c = uint64_t(200); CHECK(int64_t(c) == -56);
  ap_int<24> acc = (1 << 23) - 1; acc += 1; CHECK(int64_t(acc) == -(1 << 23));
  ap_int<48> p = -5; CHECK((int64_t(p) >> 1) == -3);           // floor shift
  ap_uint<128> w = 0; w.range(71, 60) = 0xABC; CHECK(uint64_t(w.range(71, 60)) == 0xABC);
  CHECK(uint64_t(w.range(63, 60)) == 0xC && uint64_t(w.range(71, 64)) == 0xAB);
  w.range(127, 120) = 0x1FF; CHECK(uint64_t(w.range(127, 120)) == 0xFF);
  ap_uint<8> u = w.range(127, 120); ap_int<8> s = u; CHECK(int64_t(s) == -1);
  ap_uint<4> d = 9; CHECK(d.to_int() == 9);
  std::printf("ok\\n");
  return 0;
}
`);
    execFileSync('g++', [...CSIM_FLAGS, `-I${dir}`, '-o', join(dir, 't'), join(dir, 't.cpp')], { stdio: 'pipe' });
    expect(execFileSync(join(dir, 't'), { encoding: 'utf8' }).trim()).toBe('ok');
  });
});

describe('failures are failures', () => {
  it('a descriptor that breaks the ISA makes the testbench exit non-zero', async () => {
    const k = verifyCases(U96.dmax).find((c) => c.name === 'conv1x1-40to50-relu')!;
    const { model, input } = k.build(U96);
    const c = compileModel(model, U96);
    c.image[0] = (c.image[0] & 0xf0) | 7; // engine 7 does not exist
    await expect(runHlsCsim(U96, c, input)).rejects.toThrow(SimulationError);
    await expect(runHlsCsim(U96, c, input)).rejects.toThrow(/exit 4.*rejected descriptor 0/s);
  });

  it('codenet sim --backend hls on a generated folder: exit 0 bit-exact; a corrupted weight names its layer, exit 1', async () => {
    const dir = join(root, 'gen');
    expect((await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', dir)).code).toBe(0);
    const ok = await runCli('sim', dir, '--backend', 'hls');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('HLS C-simulation');
    expect(ok.stdout).toMatch(/bit-exact: \d+ tensors/);

    const { map, idx } = corruptFirstWeight(dir);
    const bad = await runCli('sim', dir, '--backend', 'hls');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`MISMATCH: layer "${map.layers.find((l) => l.descriptors.includes(idx))!.name}"`);
    expect(bad.stdout).toMatch(/HLS -?\d+/);
  });
});

describe('generated hls/ folder', () => {
  const files = renderHls(U96, { imageBytes: 1 << 20, inputOffset: 4096, programLen: 10 });
  it('has the pragmas Vitis needs, the Vitis ap_int switch, run_hls.tcl and hls_config.cfg for the board', () => {
    const k = files['hls/codenet_kernel.cpp'];
    for (const p of ['#pragma HLS INTERFACE m_axi port = mem', '#pragma HLS INTERFACE s_axilite port = return', '#pragma HLS PIPELINE II = 1',
      '#pragma HLS ARRAY_PARTITION variable = acc complete', '#pragma HLS DATAFLOW']) expect(k).toContain(p);
    // one function per engine, named as in docs/architecture.md
    for (const f of ['pw_pixel', 'dw_row', 'stem_row', 'load_row', 'load_config', 'write_row', 'fetch_descriptor']) expect(k).toMatch(new RegExp(`(void|bool) ${f}\\(`));
    expect(files['hls/codenet_kernel.h']).toContain('#if defined(__SYNTHESIS__) || defined(CODENET_VITIS)\n#include <ap_int.h>');
    expect(files['hls/codenet_kernel.h']).toContain('constexpr int LANES = 16;');
    const tcl = files['hls/run_hls.tcl'];
    for (const s of ['set_top codenet_kernel', 'set_part xczu3eg-sbva484-1-i', 'create_clock -period 4.000', 'csim_design', 'csynth_design', 'export_design -format ip_catalog -vendor codenet.dev -library hls'])
      expect(tcl).toContain(s);
    expect(files['hls/hls_config.cfg']).toContain('syn.top=codenet_kernel');
    expect(files['hls/Makefile']).toContain('PROGRAM_LEN  := 10');
  });

  it('the Vivado project of --backend hls instantiates the exported IP with its Vitis interface names', () => {
    const tcl = renderVivadoProject(vivadoTarget(U96), ['codenet_accel.v'], '0.1.0', 'hls');
    for (const s of ['create_bd_cell -type ip -vlnv codenet.dev:hls:codenet_kernel:1.0 accel', 'accel/s_axi_control', 'accel/m_axi_gmem', 'accel/ap_clk', 'accel/ap_rst_n', 'accel/interrupt', 'ip_repo_paths'])
      expect(tcl).toContain(s);
    expect(tcl).not.toContain('-type module -reference');
  });
});
