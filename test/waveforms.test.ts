// codenet sim --trace (docs/waveforms.md): the FST of codenet-tiny has a picosecond timescale with
// the clock's real period, holds only the --trace-from/--trace-to window (cycles or descriptor
// indices), --trace-depth cuts the hierarchy, and every signal sim/codenet.gtkw lists is in it.
// Checked with fst2vcd (Debian's gtkwave package). One traced build.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { presetConfig } from '../src/hw/config.ts';
import { writeSimBundle } from '../src/gen/bundle.ts';
import { runSimulation } from '../src/sim/run.ts';
import { DESCRIPTOR_BYTES } from '../src/compiler/descriptor.ts';
import { LINK_BASE } from '../src/hw/params.ts';
import { parseTraceBound } from '../src/sim/waveform.ts';
import { tempDir } from './helpers/temp.ts';

const HW = presetConfig('ultra96v2'); // 250 MHz: 4000 ps per cycle
const PERIOD = 4000;
let dir: string;

/** A VCD (from fst2vcd): its timescale, full signal paths and the value of each path at every timestamp. */
interface Vcd {
  timescale: string;
  /** `codenet_accel.codenet_accel.m_axi_araddr[39:0]` -> VCD id. */
  ids: Map<string, string>;
  times: number[];
  /** Values at each timestamp (after its changes) of the ids asked for. */
  at: Map<string, string>[];
}

function readVcd(fst: string, watch: string[]): Vcd {
  const text = execFileSync('fst2vcd', [fst], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const lines = text.split('\n');
  const scope: string[] = [];
  const ids = new Map<string, string>();
  let timescale = '';
  let i = 0;
  for (; i < lines.length && !lines[i].startsWith('$enddefinitions'); i++) {
    const l = lines[i].trim();
    if (l.startsWith('$timescale')) timescale = l.includes('$end') ? l.replace(/\$timescale|\$end/g, '').trim() : lines[++i].trim();
    else if (l.startsWith('$scope')) scope.push(l.split(/\s+/)[2]);
    else if (l.startsWith('$upscope')) scope.pop();
    else if (l.startsWith('$var')) {
      const f = l.split(/\s+/); // $var wire 40 ! m_axi_araddr [39:0] $end
      const range = f[5] !== '$end' ? f[5] : '';
      ids.set(`${[...scope, f[4]].join('.')}${range}`, f[3]);
    }
  }
  const wanted = new Set(watch.map((p) => ids.get(p)).filter((x): x is string => !!x));
  const cur = new Map<string, string>();
  const times: number[] = [];
  const at: Map<string, string>[] = [];
  for (; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    if (l[0] === '#') {
      if (times.length) at.push(new Map(cur));
      times.push(Number(l.slice(1)));
    } else if (l[0] === 'b' || l[0] === 'r') {
      const [v, id] = l.slice(1).split(' ');
      if (wanted.has(id)) cur.set(id, v);
    } else if (/^[01xz]/.test(l) && wanted.has(l.slice(1))) cur.set(l.slice(1), l[0]);
  }
  if (times.length) at.push(new Map(cur));
  return { timescale, ids, times, at };
}

const value = (v: Vcd, t: number, path: string): number => parseInt(v.at[t].get(v.ids.get(path)!) ?? 'x', 2);

beforeAll(() => {
  dir = join(tempDir('codenet-wave-'), 'tiny');
  writeSimBundle(dir, exportZooModel('codenet-tiny', { seed: 2 }), HW, imageCodes(randomImage(9, 64, 64)));
});

describe('sim --trace', () => {
  const gtkwPaths = (): string[] => readFileSync(join(dir, 'sim/codenet.gtkw'), 'utf8').split('\n').filter((l) => l.startsWith('codenet_accel.'));

  it('bundles sim/codenet.gtkw with the signal groups', () => {
    const gtkw = readFileSync(join(dir, 'sim/codenet.gtkw'), 'utf8');
    for (const g of ['AXI4 read', 'AXI4 write', 'Sequencer', 'Engines', 'Counters']) expect(gtkw).toContain(`-${g}\n`);
    expect(gtkwPaths()).toContain('codenet_accel.codenet_accel.m_axi_araddr[39:0]');
    expect(gtkw).toContain('4000 ps per cycle');
  });

  it('parses window bounds and refuses anything else', () => {
    expect(parseTraceBound('--trace-from')('d12')).toBe('d12');
    expect(parseTraceBound('--trace-from')('5000')).toBe('5000');
    for (const bad of ['-3', 'x12', 'd', '1e3', 'd-1']) expect(() => parseTraceBound('--trace-to')(bad), bad).toThrow(/cycle count after START/);
  });

  it('writes a cycle window in picoseconds at the clock period, with every .gtkw signal', async () => {
    const fst = join(dir, 'cycles.fst');
    await runSimulation({ dir, trace: fst, traceFrom: '200', traceTo: '300' });
    const clk = 'codenet_accel.codenet_accel.clk';
    const v = readVcd(fst, [clk]);
    expect(v.timescale).toMatch(/^1\s*ps$/);
    const missing = gtkwPaths().filter((p) => !v.ids.has(p));
    expect(missing).toEqual([]);
    // Cycles 200..300 after START: 101 falling-edge and 101 rising-edge samples, half a period apart.
    expect(v.times.length).toBe(202);
    expect(v.times.at(-1)! - v.times[0]).toBe(100 * PERIOD + PERIOD / 2);
    for (let t = 0; t < v.times.length; t++) {
      expect(v.times[t] % (PERIOD / 2)).toBe(0);
      expect(value(v, t, clk), `clk at ${v.times[t]} ps`).toBe(v.times[t] % PERIOD === 0 ? 0 : 1);
    }
  });

  it('opens a descriptor window at the descriptor fetch and closes it at the next; --trace-depth cuts the hierarchy', async () => {
    const fst = join(dir, 'desc.fst');
    await runSimulation({ dir, trace: fst, traceFrom: 'd1', traceTo: 'd1' });
    const [arvalid, arready, araddr] = ['m_axi_arvalid', 'm_axi_arready', 'm_axi_araddr[39:0]'].map((s) => `codenet_accel.codenet_accel.${s}`);
    const v = readVcd(fst, [arvalid, arready, araddr]);
    expect(v.times.length).toBeGreaterThan(4);
    expect(v.times[0] % PERIOD).toBe(0);
    const fetch = (t: number, i: number) => {
      expect(value(v, t, arvalid) && value(v, t, arready), `AR handshake at ${v.times[t]} ps`).toBe(1);
      expect(value(v, t, araddr)).toBe(LINK_BASE + i * DESCRIPTOR_BYTES);
    };
    fetch(0, 1); // the window opens on descriptor 1's fetch...
    fetch(v.times.length - 2, 2); // ...and ends with the cycle descriptor 2 is fetched (its settled sample, then its rising edge)

    const shallow = join(dir, 'shallow.fst');
    await runSimulation({ dir, trace: shallow, traceFrom: '0', traceTo: '10', traceDepth: 2 });
    const s = readVcd(shallow, []);
    expect(s.ids.has(araddr)).toBe(true);
    expect([...s.ids.keys()].filter((p) => p.startsWith('codenet_accel.codenet_accel.seq.'))).toEqual([]);
    expect(existsSync(join(dir, 'sim/build/obj-trace/Vcodenet_accel'))).toBe(true);
  });
});
