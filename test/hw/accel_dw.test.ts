import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVerilated } from '../../src/sim/verilator.ts';
import { depthwise3x3, maxpool3x3s2 } from '../../src/golden/kernels.ts';
import { Rng } from '../../src/util/rng.ts';
import { laneGroup, packDwGroup, toBeats } from '../../src/compiler/pack.ts';
import { tempDir } from '../helpers/temp.ts';

// hw/cn_accel_dw.v against the golden depthwise kernel: random plain and deformable layers
// (strides 1 and 2, d = 0 and d = dmax, odd sizes, channels not a multiple of the lanes,
// per-channel pad codes), then every constant dilation 0..dmax at strides 1 and 2, every output
// code compared.
const LANES = 4, GMAX = 8, DMAX = 7, LB_DEPTH = 2048, MAP_MAX = 512;

interface DwLayer { pool: boolean; h: number; w: number; c: number; stride: number; map: Uint8Array | null; dconst: number; x: Int8Array; wts: Int8Array; pad: Int8Array; S: Int16Array; B: Int16Array; n: number; lo: number }

function stimulus(l: DwLayer): string {
  const G = Math.ceil(l.c / LANES);
  const ho = Math.floor((l.h - 1) / l.stride) + 1, wo = Math.floor((l.w - 1) / l.stride) + 1;
  const lines = [`${l.h} ${l.w} ${ho} ${wo} ${G} ${l.stride} ${l.map ? 1 : 0} ${l.dconst} ${l.map ? Math.max(...l.map) : 0} ${l.n} ${l.lo} ${l.pool ? 1 : 0}`];
  for (let g = 0; g < G; g++) lines.push(`${g} ${laneGroup(l.pad, l.c, g, LANES).join(' ')}`);
  for (let g = 0; g < G; g++) lines.push(`${g} ${packDwGroup(l.wts, l.c, g, LANES).join(' ')}`);
  for (let g = 0; g < G; g++) lines.push(`${g} ${laneGroup(l.S, l.c, g, LANES).join(' ')} ${laneGroup(l.B, l.c, g, LANES).join(' ')}`);
  if (l.map) for (const d of l.map) lines.push(String(d));
  for (const b of toBeats(l.x, l.h * l.w, l.c, LANES)) lines.push(b.join(' '));
  return lines.join('\n');
}

/** `sweep` fixes a plain layer's dilation and stride (and makes it taller than the line buffer). */
function randomLayer(rng: Rng, i: number, sweep?: { d: number; stride: number }): DwLayer {
  // Every third layer is taller than the 16-row line buffer, so rows are evicted and reloaded.
  const h = sweep || i % 3 === 2 ? rng.int(17, 40) : rng.int(1, 11), w = rng.int(1, 11), c = rng.int(1, LANES * GMAX), stride = sweep?.stride ?? rng.int(1, 2);
  const ho = Math.floor((h - 1) / stride) + 1, wo = Math.floor((w - 1) / stride) + 1;
  const kind = sweep ? 1 : i % 5; // 0: plain d=1, 1: plain d in {0, dmax, random}, 2-3: deformable map, 4: maxpool
  if (kind === 4) {
    // Maxpool 3x3 s2 pad 1: taps at d = 1, stride 2; the requantizer passes codes through.
    return {
      pool: true, h, w, c, stride: 2, map: null, dconst: 1,
      x: Int8Array.from({ length: h * w * c }, () => (rng.int(0, 9) === 0 ? [-128, 127][rng.int(0, 1)] : rng.int(-128, 127))),
      wts: new Int8Array(c * 9), pad: Int8Array.from({ length: c }, () => 127), // pad must never win
      S: new Int16Array(c).fill(2), B: new Int16Array(c).fill(128), n: 1, lo: -128,
    };
  }
  const map = kind >= 2 ? Uint8Array.from({ length: ho * wo }, () => (kind === 3 ? [0, DMAX][rng.int(0, 1)] : rng.int(0, DMAX))) : null;
  const dconst = sweep?.d ?? (kind === 0 ? 1 : [0, DMAX, rng.int(0, DMAX)][rng.int(0, 2)]);
  return {
    pool: false, h, w, c, stride, map, dconst,
    x: Int8Array.from({ length: h * w * c }, () => (rng.int(0, 9) === 0 ? [-128, 127][rng.int(0, 1)] : rng.int(-128, 127))),
    wts: Int8Array.from({ length: c * 9 }, () => (rng.int(0, 9) === 0 ? -8 : rng.int(-8, 7))),
    pad: Int8Array.from({ length: c }, () => rng.int(-128, 127)),
    S: Int16Array.from({ length: c }, () => rng.int(-32768, 32767)),
    B: Int16Array.from({ length: c }, () => rng.int(-300, 300)),
    n: rng.int(8, 20), lo: rng.int(0, 1) ? rng.int(-128, 0) : -128,
  };
}

describe('cn_accel_dw (depthwise, square deformable and maxpool engine)', () => {
  it('is bit-exact with the golden depthwise and maxpool kernels', () => {
    const exe = buildVerilated({
      top: 'cn_accel_dw', sources: ['hw/cn_accel_dw.v', 'hw/cn_dw3x3_pe.v', 'hw/cn_requant.v'], cppSources: ['test/hw/tb_cn_accel_dw.cpp'],
      includeDirs: ['test/hw'], params: { LANES, GMAX, DMAX, LB_DEPTH, MAP_MAX }, defines: { LANES },
    });
    const dir = tempDir('codenet-dw-');
    const rng = new Rng(77);
    const layers = Array.from({ length: 30 }, (_, i) => randomLayer(rng, i));
    for (let d = 0; d <= DMAX; d++) for (const stride of [1, 2]) layers.push(randomLayer(rng, layers.length, { d, stride }));
    writeFileSync(join(dir, 'stim.txt'), `${layers.length}\n${layers.map(stimulus).join('\n')}\n`);
    execFileSync(exe, [join(dir, 'stim.txt'), join(dir, 'out.txt'), '5'], { stdio: 'pipe' });
    const rows = readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n').map((r) => r.split(' ').map(Number));
    let row = 0, mismatches = 0, compared = 0;
    const first: string[] = [];
    layers.forEach((l, li) => {
      const ho = Math.floor((l.h - 1) / l.stride) + 1, wo = Math.floor((l.w - 1) / l.stride) + 1, G = Math.ceil(l.c / LANES);
      const y = new Int8Array(ho * wo * l.c);
      if (l.pool) maxpool3x3s2(l.x, l.h, l.w, l.c, y);
      else depthwise3x3(l.x, l.h, l.w, l.c, l.stride, l.map, l.dconst, l.wts, l.pad, { S: l.S, B: l.B, n: l.n, lo: l.lo }, y);
      for (let p = 0; p < ho * wo; p++)
        for (let g = 0; g < G; g++, row++)
          for (let k = 0; k < LANES && g * LANES + k < l.c; k++) {
            const raw = rows[row][k], got = raw >= 128 ? raw - 256 : raw, want = y[p * l.c + g * LANES + k];
            compared++;
            if (got !== want) { mismatches++; if (first.length < 3) first.push(`layer ${li} (${l.h}x${l.w}x${l.c} s${l.stride} ${l.pool ? 'maxpool' : l.map ? 'map' : `d=${l.dconst}`}) pixel ${p} channel ${g * LANES + k}: rtl ${got}, golden ${want}`); }
          }
    });
    expect(rows).toHaveLength(row);
    expect(compared).toBeGreaterThan(5000);
    expect(mismatches, first.join('; ')).toBe(0);
  });

  it('lints clean with the ultra96v2 shape', () => {
    execFileSync('verilator', ['--lint-only', '-Wall', '-GLANES=16', '-GGMAX=64', '-GDMAX=7', '-GLB_DEPTH=16384', '-GMAP_MAX=16384', '--top-module', 'cn_accel_dw',
      'hw/cn_accel_dw.v', 'hw/cn_dw3x3_pe.v', 'hw/cn_requant.v'], { stdio: 'pipe' });
    execFileSync('iverilog', ['-g2012', '-o', '/dev/null', 'hw/cn_accel_dw.v', 'hw/cn_dw3x3_pe.v', 'hw/cn_requant.v']);
  });
});
