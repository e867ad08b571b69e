import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { COUNTERS, CODENET_VERSION, HW_VERSION, renderRtl, TOP_MODULE } from '../gen/rtl.ts';
import type { Compiled } from '../compiler/compile.ts';
import { writeInput } from '../compiler/tensors.ts';
import { renderTemplate } from '../util/templates.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { fail } from '../util/errors.ts';
import { buildVerilated } from './verilator.ts';

/**
 * Runs a compiled model on the generated RTL in Verilator: the testbench of
 * templates/sim/tb_verilator.cpp.hbs (the driver's host sequence against the AXI DDR model),
 * built once per hardware config and cached by a hash of its inputs.
 */
export const LINK_BASE = 0x1000_0000;

export interface DdrOptions {
  /** Read latency in cycles (default: the board's, scaled to the clock). */
  latency?: number;
  /** Shared DDR bandwidth in bytes per cycle (default: the board's at the config's clock). */
  bytesPerCycle?: number;
}

export interface AccelRun {
  /** The image after the run, relocated back to offset 0 (address fields hold LINK_BASE-based values). */
  memory: Uint8Array;
  cycles: number;
  counters: Record<string, number>;
  /** Per descriptor: cycles and loader-wait cycles, from the statistics region. */
  descriptors: Array<{ cycles: number; wait: number }>;
  ddr: { bytesRead: number; bytesWritten: number; readBursts: number; writeBursts: number };
  wallSeconds: number;
  buildSeconds: number;
}

export function ddrDefaults(hw: HwConfig): Required<DdrOptions> {
  const b = boardOf(hw);
  return {
    latency: Math.round((b.readLatencyCycles * hw.clockMHz) / b.defaultClockMHz),
    bytesPerCycle: Math.round((b.ddrBytesPerSecond / (hw.clockMHz * 1e6)) * 1e4) / 1e4,
  };
}

const counterKey = (n: string) => n.replace(/ (\w)/g, (_, c: string) => c.toUpperCase());

/** The testbench source for a config (also written into generated folders by codenet gen). */
export function renderVerilatorTestbench(hw: HwConfig): string {
  const d = ddrDefaults(hw);
  return renderTemplate('sim/tb_verilator.cpp.hbs', {
    codenetVersion: CODENET_VERSION, board: hw.board, axiDataBits: hw.axiDataBits, clockMHz: hw.clockMHz, version: HW_VERSION,
    counters: COUNTERS, counterKeys: COUNTERS.map(counterKey), linkBase: LINK_BASE, bytesPerCycle: d.bytesPerCycle, readLatency: d.latency,
  });
}

/** Builds (or finds in the cache) the Verilator simulation of the accelerator for `hw`. */
export function buildAccelSim(hw: HwConfig, trace = false): { exe: string; seconds: number } {
  const t0 = performance.now();
  const rtl = renderRtl(hw);
  const root = join(PROJECT_ROOT, '.cache', 'sources');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'accel-'));
  try {
    for (const [p, text] of Object.entries(rtl)) { mkdirSync(join(dir, 'rtl'), { recursive: true }); writeFileSync(join(dir, p), text); }
    writeFileSync(join(dir, 'tb_verilator.cpp'), renderVerilatorTestbench(hw));
    const exe = buildVerilated({
      top: TOP_MODULE, sources: Object.keys(rtl).map((p) => join(dir, p)), cppSources: [join(dir, 'tb_verilator.cpp')], trace,
    });
    return { exe, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const run = promisify(execFile);

/** Simulates `compiled` with `input` (graph input codes, HWC) and returns the dumped image. */
export async function runAccelerator(hw: HwConfig, compiled: Compiled, input: Int8Array, opts: DdrOptions & { trace?: string; maxCycles?: number } = {}): Promise<AccelRun> {
  const { exe, seconds: buildSeconds } = buildAccelSim(hw, !!opts.trace);
  const d = { ...ddrDefaults(hw), ...opts };
  const work = mkdtempSync(join(tmpdir(), 'codenet-sim-'));
  try {
    const mem = new Uint8Array(compiled.imageBytes);
    mem.set(compiled.image);
    writeInput(compiled.map, mem, input, hw);
    writeFileSync(join(work, 'image.bin'), mem);
    writeFileSync(join(work, 'relocs.bin'), new Uint8Array(compiled.relocs.buffer, compiled.relocs.byteOffset, compiled.relocs.byteLength));
    const args = ['--image', join(work, 'image.bin'), '--relocs', join(work, 'relocs.bin'), '--image-bytes', String(compiled.imageBytes),
      '--program-len', String(compiled.descriptors.length), '--dump', join(work, 'dump.bin'), '--base', `0x${LINK_BASE.toString(16)}`,
      '--latency', String(d.latency), '--bytes-per-cycle', String(d.bytesPerCycle), ...(opts.maxCycles ? ['--max-cycles', String(opts.maxCycles)] : []),
      ...(opts.trace ? ['--trace', opts.trace] : [])];
    const t0 = performance.now();
    let stdout: string;
    try {
      ({ stdout } = await run(exe, args, { maxBuffer: 16 << 20 }));
    } catch (e) {
      const err = e as { code?: number; stderr?: string; stdout?: string };
      fail(`the Verilator simulation failed (exit ${err.code}): ${(err.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { cycles: number; counters: Record<string, number>; ddr: AccelRun['ddr'] };
    const memory = new Uint8Array(readFileSync(join(work, 'dump.bin')));
    const dv = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
    const descriptors = compiled.descriptors.map((_, i) => {
      const at = compiled.map.stats.offset + i * compiled.map.beatBytes;
      return { cycles: dv.getUint32(at, true), wait: dv.getUint32(at + 4, true) };
    });
    return { memory, cycles: out.cycles, counters: out.counters, descriptors, ddr: out.ddr, wallSeconds, buildSeconds };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
