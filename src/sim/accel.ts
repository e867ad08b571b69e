import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HwConfig } from '../hw/config.ts';
import type { Compiled } from '../compiler/compile.ts';
import { inputBuffer, inputBufferBytes, relocBytes } from '../compiler/tensors.ts';
import { buildAccelSim, ddrDefaults, runTestbench, type DdrOptions, type TbOutput } from './testbench.ts';
import { simLimits } from './limits.ts';
import { makeTempDir, removeTempDir } from '../util/proc.ts';

/**
 * Runs a compiled model on the accelerator generated for `hw` in Verilator: the testbench of
 * src/sim/testbench.ts (the driver's host sequence against the AXI DDR model), built once per
 * hardware config and cached by a hash of its inputs.
 */
export interface AccelRun {
  /** The memory after the run ([base, base + imageBytes)); address fields hold base-relative values. */
  memory: Uint8Array;
  cycles: number;
  counters: Record<string, number>;
  /** Per descriptor: cycles and loader-wait cycles, from the statistics region. */
  descriptors: Array<{ cycles: number; wait: number }>;
  ddr: TbOutput['ddr'];
  /** Simulation wall time (without the build) and simulated cycles per second. */
  wallSeconds: number;
  cyclesPerSecond: number;
  buildSeconds: number;
}

/**
 * Simulates `compiled` with `input` (graph input codes, HWC) on the accelerator built from
 * `sources` (src/gen/testbench.ts renderAccelSimSources(hw)) and returns the dumped image.
 */
export async function runAcceleratorSources(sources: Record<string, string>, hw: HwConfig, compiled: Compiled, input: Int8Array, opts: DdrOptions & { trace?: string; maxCycles?: number } = {}): Promise<AccelRun> {
  const { exe, seconds: buildSeconds } = await buildAccelSim(sources, !!opts.trace);
  const d = { ...ddrDefaults(hw), ...opts };
  const map = compiled.map;
  // A hung program stops at the watchdog (no new descriptor for 4x the longest predicted one).
  const limits = simLimits(compiled.descriptors, hw, d);
  const work = makeTempDir(tmpdir(), 'codenet-sim-');
  try {
    const f = (n: string) => join(work, n);
    writeFileSync(f('memory.bin'), compiled.image);
    writeFileSync(f('relocs.bin'), relocBytes(compiled.relocs));
    writeFileSync(f('input.bin'), inputBufferBytes(map, hw, input));
    const tb = await runTestbench(exe, {
      image: f('memory.bin'), relocs: f('relocs.bin'), imageBytes: map.imageBytes, input: f('input.bin'), inputOffset: inputBuffer(map).offset,
      statsOffset: map.stats.offset, programLen: map.program.descriptors, dump: f('dump.bin'),
      latency: d.latency, bytesPerCycle: d.bytesPerCycle, maxCycles: opts.maxCycles, watchdog: limits.watchdog, trace: opts.trace,
    });
    const memory = new Uint8Array(readFileSync(f('dump.bin')));
    const dv = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
    const descriptors = compiled.descriptors.map((_, i) => {
      const at = map.stats.offset + i * map.beatBytes;
      return { cycles: dv.getUint32(at, true), wait: dv.getUint32(at + 4, true) };
    });
    return {
      memory, cycles: tb.cycles, counters: tb.counters, descriptors, ddr: tb.ddr, wallSeconds: tb.wallSeconds,
      cyclesPerSecond: tb.wallSeconds > 0 ? tb.simCycles / tb.wallSeconds : 0, buildSeconds,
    };
  } finally {
    removeTempDir(work);
  }
}
