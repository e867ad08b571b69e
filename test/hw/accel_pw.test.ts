import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVerilated } from '../../src/sim/verilator.ts';
import { conv1x1, offsetConv, stemConv } from '../../src/golden/kernels.ts';
import { Rng } from '../../src/util/rng.ts';
import { im2colStem, packPwTile, packStemTile, stemChannelsPerTile, toBeats } from '../../src/compiler/pack.ts';
import { tempDir } from '../helpers/temp.ts';

// hw/cn_accel_pw.v against the golden kernels: whole random 1x1 layers (and offset convs) are
// tiled onto the engine exactly as the compiler will tile them, and every output code is compared.
const LANES = 4, OUTS = 6, GMAX = 16;

function build(): string {
  return buildVerilated({
    top: 'cn_accel_pw',
    sources: ['hw/cn_accel_pw.v', 'hw/cn_dot2.v', 'hw/cn_mul2.v', 'hw/cn_requant.v'],
    cppSources: ['test/hw/tb_cn_accel_pw.cpp'],
    includeDirs: ['test/hw'],
    params: { LANES, OUTS, GMAX },
    defines: { LANES, OUTS },
  });
}

interface Layer { pixels: number; cin: number; cout: number; x: Int8Array; w: Int8Array; S: Int16Array; B: Int16Array; n: number; lo: number; mode: 0 | 1; dmax: number }

/** Stimulus of one layer: one tile per OUTS output channels, packed as the compiler packs them. */
function stimulus(l: Layer): string {
  const G = Math.ceil(l.cin / LANES);
  const tiles: string[] = [];
  for (let c0 = 0; c0 < l.cout; c0 += OUTS) {
    const words = packPwTile(l.w, l.cin, l.cout, c0, LANES, OUTS);
    const lines = [`${G} ${l.n} ${l.lo} ${l.mode} ${l.dmax} 0 ${l.pixels} ${words.length} ${OUTS}`];
    for (const wd of words) lines.push(`${wd.pair} ${wd.group} ${wd.bytes.join(' ')}`);
    for (let c = 0; c < OUTS; c++) lines.push(`${c} ${c0 + c < l.cout ? l.S[c0 + c] : 0} ${c0 + c < l.cout ? l.B[c0 + c] : 0}`);
    for (const b of toBeats(l.x, l.pixels, l.cin, LANES)) lines.push(b.join(' '));
    tiles.push(lines.join('\n'));
  }
  return `${tiles.length}\n${tiles.join('\n')}\n`;
}

/** The stem as the compiler maps it: an im2col of the 27 taps and int8 weights split in halves. */
function stemStimulus(x: Int8Array, h: number, w: number, stride: number, pad: Int8Array, wts: Int8Array, cout: number, S: Int16Array, B: Int16Array, n: number, lo: number): { text: string; pixels: number; perTile: number } {
  const cols = im2colStem(x, h, w, stride, pad), G = Math.ceil(27 / LANES), perTile = stemChannelsPerTile(OUTS);
  const tiles: string[] = [];
  for (let c0 = 0; c0 < cout; c0 += perTile) {
    const words = packStemTile(wts, cout, c0, LANES, OUTS);
    const lines = [`${G} ${n} ${lo} 0 0 1 ${cols.length} ${words.length} ${OUTS}`];
    for (const wd of words) lines.push(`${wd.pair} ${wd.group} ${wd.bytes.join(' ')}`);
    for (let c = 0; c < OUTS; c++) lines.push(`${c} ${c < perTile && c0 + c < cout ? S[c0 + c] : 0} ${c < perTile && c0 + c < cout ? B[c0 + c] : 0}`);
    for (const b of toBeats(cols.flat(), cols.length, 27, LANES)) lines.push(b.join(' '));
    tiles.push(lines.join('\n'));
  }
  return { text: `${tiles.length}\n${tiles.join('\n')}\n`, pixels: cols.length, perTile };
}

function randomLayer(rng: Rng, mode: 0 | 1): Layer {
  const pixels = rng.int(1, 40), cin = rng.int(1, LANES * GMAX), cout = mode ? 1 : rng.int(1, 17);
  const x = Int8Array.from({ length: pixels * cin }, () => (rng.int(0, 9) === 0 ? [-128, 127][rng.int(0, 1)] : rng.int(-128, 127)));
  const w = Int8Array.from({ length: cout * cin }, () => (rng.int(0, 9) === 0 ? -8 : rng.int(-8, 7)));
  const S = Int16Array.from({ length: cout }, () => rng.int(-32768, 32767));
  const B = Int16Array.from({ length: cout }, () => rng.int(-300, 300));
  return { pixels, cin, cout, x, w, S, B, n: rng.int(mode ? 12 : 1, mode ? 24 : 31), lo: rng.int(0, 1) ? rng.int(-128, 0) : -128, mode, dmax: rng.int(0, 15) };
}

describe('cn_accel_pw (1x1 engine)', () => {
  it('is bit-exact with the golden 1x1 and offset kernels under bubbles and backpressure', () => {
    const exe = build();
    const dir = tempDir('codenet-pw-');
    const rng = new Rng(2024);
    let mismatches = 0, compared = 0;
    const first: string[] = [];
    for (let t = 0; t < 24; t++) {
      const l = randomLayer(rng, t % 6 === 5 ? 1 : 0);
      writeFileSync(join(dir, 'stim.txt'), stimulus(l));
      execFileSync(exe, [join(dir, 'stim.txt'), join(dir, 'out.txt'), String(t)], { stdio: 'pipe' });
      const rows = readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n').map((r) => r.split(' ').map(Number));
      const expect8 = new Int8Array(l.pixels * l.cout);
      const expectD = new Uint8Array(l.pixels);
      if (l.mode) offsetConv(l.x, 1, l.pixels, l.cin, 1, l.w, l.S[0], l.B[0], l.n, l.dmax, expectD);
      else conv1x1(l.x, l.pixels, l.cin, l.w, l.cout, { S: l.S, B: l.B, n: l.n, lo: l.lo }, expect8);
      const tiles = Math.ceil(l.cout / OUTS);
      expect(rows).toHaveLength(tiles * l.pixels);
      for (let tile = 0; tile < tiles; tile++)
        for (let px = 0; px < l.pixels; px++)
          for (let c = 0; c < OUTS && tile * OUTS + c < l.cout; c++) {
            const co = tile * OUTS + c;
            const raw = rows[tile * l.pixels + px][c];
            const got = l.mode ? raw : raw >= 128 ? raw - 256 : raw;
            const want = l.mode ? expectD[px] : expect8[px * l.cout + co];
            compared++;
            if (got !== want) { mismatches++; if (first.length < 3) first.push(`layer ${t} pixel ${px} channel ${co}: rtl ${got}, golden ${want}`); }
          }
    }
    expect(compared).toBeGreaterThan(3000);
    expect(mismatches, first.join('; ')).toBe(0);
  });

  it('runs the stem (int8 weights, im2col, strides 1, 2, 4) bit-exact', () => {
    const exe = build();
    const dir = tempDir('codenet-stem-');
    const rng = new Rng(99);
    let mismatches = 0, compared = 0;
    const first: string[] = [];
    for (let t = 0; t < 8; t++) {
      const h = rng.int(1, 9), w = rng.int(1, 9), stride = [1, 2, 4][t % 3], cout = rng.int(1, 5);
      const x = Int8Array.from({ length: h * w * 3 }, () => rng.int(-128, 127));
      const wts = Int8Array.from({ length: cout * 27 }, () => (rng.int(0, 5) === 0 ? [-128, 127, 119, 120][rng.int(0, 3)] : rng.int(-128, 127)));
      const pad = Int8Array.from({ length: 3 }, () => rng.int(-128, 127));
      // Scales that keep most outputs off the clamps (|acc| reaches 27*128*128), plus some that saturate.
      const n = rng.int(16, 20), lo = rng.int(0, 1) ? rng.int(-128, 0) : -128;
      const S = Int16Array.from({ length: cout }, () => (rng.int(0, 4) === 0 ? rng.int(-32768, 32767) : Math.round(0.0015 * 2 ** n * (rng.float() * 3 - 1.5))));
      const B = Int16Array.from({ length: cout }, () => rng.int(64, 192));
      const stim = stemStimulus(x, h, w, stride, pad, wts, cout, S, B, n, lo);
      writeFileSync(join(dir, 'stim.txt'), stim.text);
      execFileSync(exe, [join(dir, 'stim.txt'), join(dir, 'out.txt'), String(t)], { stdio: 'pipe' });
      const rows = readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n').map((r) => r.split(' ').map(Number));
      const y = new Int8Array(stim.pixels * cout);
      stemConv(x, h, w, 3, stride, wts, cout, pad, { S, B, n, lo }, y);
      for (let tile = 0; tile * stim.perTile < cout; tile++)
        for (let px = 0; px < stim.pixels; px++)
          for (let c = 0; c < stim.perTile && tile * stim.perTile + c < cout; c++) {
            const raw = rows[tile * stim.pixels + px][c], got = raw >= 128 ? raw - 256 : raw, want = y[px * cout + tile * stim.perTile + c];
            compared++;
            if (got !== want) { mismatches++; if (first.length < 3) first.push(`stem ${t} pixel ${px} channel ${tile * stim.perTile + c}: rtl ${got}, golden ${want}`); }
          }
    }
    expect(compared).toBeGreaterThan(200);
    expect(mismatches, first.join('; ')).toBe(0);
  });

  it('maps two MACs to each DSP: LANES*OUTS/2 array DSPs plus one requantizer DSP per output', async () => {
    const { synthesize } = await import('../../src/synth/yosys.ts');
    const { readFileSync: rd } = await import('node:fs');
    const files: Record<string, string> = {};
    for (const f of ['cn_accel_pw.v', 'cn_dot2.v', 'cn_mul2.v', 'cn_requant.v']) files[f] = rd(join('hw', f), 'utf8');
    files['pw_top.v'] = `module pw_top (input clk, input rst, input wcfg_we, input [1:0] wcfg_pair, input [3:0] wcfg_group, input [31:0] wcfg_data,
      input pcfg_we, input [2:0] pcfg_ch, input [3:0] pcfg_tile, input [15:0] pcfg_s, input [15:0] pcfg_b, input [4:0] groups, input [7:0] tiles, input [4:0] n, input [7:0] lo,
      input mode, input [3:0] dmax, input stem, input in_valid, output in_ready, input [31:0] in_data, output out_valid, input out_ready, output [47:0] out_data);
      cn_accel_pw #(.LANES(${LANES}), .OUTS(${OUTS}), .GMAX(${GMAX})) u (.*);
    endmodule`;
    const r = await synthesize(files, 'pw_top', 'xcup');
    expect(r.total.dsp).toBe((LANES * OUTS) / 2 + OUTS);
  });

  it('lints clean with the ultra96v2 shape (16 lanes x 40 outputs)', () => {
    execFileSync('verilator', ['--lint-only', '-Wall', '-GLANES=16', '-GOUTS=40', '-GGMAX=64', '--top-module', 'cn_accel_pw',
      'hw/cn_accel_pw.v', 'hw/cn_dot2.v', 'hw/cn_mul2.v', 'hw/cn_requant.v'], { stdio: 'pipe' });
    execFileSync('iverilog', ['-g2012', '-o', '/dev/null', 'hw/cn_accel_pw.v', 'hw/cn_dot2.v', 'hw/cn_mul2.v', 'hw/cn_requant.v']);
  });
});
