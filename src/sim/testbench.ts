/**
 * The one Verilator testbench of the accelerator (templates/sim/tb_codenet.cpp.hbs): rendered by
 * src/gen/testbench.ts from the hardware config alone (so one build serves every model on that config), built with the RTL
 * (cached by a hash of its inputs, src/sim/verilator.ts) and run as a child process. Used by
 * runAccelerator (tests, verify, bench), by `codenet sim` on a generated folder and, without
 * codenet, by the folder's sim/Makefile.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { HwConfig } from '../hw/config.ts';
import { COUNTERS, LINK_BASE, TOP_MODULE, ddrBandwidth, hwParams } from '../hw/params.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { progress, progressEnabled } from '../util/progress.ts';
import { makeTempDir, removeTempDir, isStopping, spawnChild } from '../util/proc.ts';
import { buildVerilatedAsync, buildVerilatedEntry } from './verilator.ts';
import { cacheRoot } from '../util/build-cache.ts';

/** Default cycle limit of a run: far above any zoo model at any clock (codenet-e takes ~3e7). */
export const DEFAULT_MAX_CYCLES = 2_000_000_000;

/** JSON key of each performance counter in the testbench's output: 'busy cycles' -> 'busyCycles'. */
export const COUNTER_KEYS = COUNTERS.map((n) => n.replace(/ (\w)/g, (_, c: string) => c.toUpperCase()));

/** Headers the testbenches include (hand-written, in sim/); copied into generated folders beside them. */
export const DDR_MODEL_HEADER = 'axi_ddr_model.h';
export const EXPECT_HEADER = 'codenet_expect.h';
export const simHeader = (name: string): string => readFileSync(join(PROJECT_ROOT, 'sim', name), 'utf8');

export interface DdrOptions {
  /** Read latency in cycles (default: the board's, scaled to the clock). */
  latency?: number;
  /** Shared DDR bandwidth in bytes per cycle (default: the board's at the config's clock; 0 = unlimited). */
  bytesPerCycle?: number;
}

/**
 * DDR model defaults of the config: the board's read latency scaled to the clock; the bandwidth
 * min(port, DRAM peak x efficiency) in bytes per cycle (hw/params.ts ddrBandwidth, six decimals:
 * it goes through the testbench's command line), at `efficiency` if given, else the config's.
 */
export function ddrDefaults(hw: HwConfig, efficiency?: number): Required<DdrOptions> {
  return { latency: hwParams(hw).ddrLatency, bytesPerCycle: ddrBandwidth(hw, efficiency) };
}

/** Builds (or finds in the cache) the simulation of given RTL files and testbench. */
export function buildTestbench(rtl: string[], testbench: string, includeDir: string, trace = false): Promise<string> {
  return buildVerilatedAsync({ top: TOP_MODULE, sources: rtl, cppSources: [testbench], includeDirs: [includeDir], trace });
}

/**
 * Builds (or finds in the cache) the simulation of the accelerator from its rendered sources
 * (src/gen/testbench.ts renderAccelSimSources: rtl/*.v, rtl/*.vh, the testbench and its headers).
 */
export async function buildAccelSim(sources: Record<string, string>, trace = false): Promise<{ exe: string; seconds: number; built: boolean }> {
  const t0 = performance.now();
  const root = join(cacheRoot(), 'sources');
  mkdirSync(root, { recursive: true });
  const dir = makeTempDir(root, 'accel-');
  try {
    mkdirSync(join(dir, 'rtl'));
    for (const [p, text] of Object.entries(sources)) writeFileSync(join(dir, p), text);
    // The Verilog sources in the order a generated folder's are (sorted; headers are `included):
    // the same RTL has the same hash, so verify, codenet sim and make -C sim share one build.
    const rtl = Object.keys(sources).filter((p) => p.startsWith('rtl/') && p.endsWith('.v')).sort().map((p) => join(dir, p));
    const e = await buildVerilatedEntry({ top: TOP_MODULE, sources: rtl, cppSources: [join(dir, 'tb_codenet.cpp')], includeDirs: [dir], trace });
    return { exe: e.path, seconds: (performance.now() - t0) / 1000, built: e.built };
  } finally {
    removeTempDir(dir);
  }
}

const uint = z.number().int().min(0);
export const TbOutputSchema = z.object({
  cycles: uint,
  status: z.number().int(),
  simCycles: uint,
  wallSeconds: z.number().min(0),
  base: z.string(),
  latency: uint,
  bytesPerCycle: z.number().min(0),
  counters: z.record(z.string(), uint),
  /** dramBytes: DRAM time charged, every AXI burst in whole DRAM bursts (sim/axi_ddr_model.h). */
  ddr: z.object({ bytesRead: uint, bytesWritten: uint, readBursts: uint, writeBursts: uint, dramBytes: uint }),
});
export type TbOutput = z.infer<typeof TbOutputSchema>;

/** The RTL run itself failed (timeout, STATUS.ERROR, AXI protocol error): a finding about the design. */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
}

const EXIT_MEANING: Record<number, string> = {
  2: 'the testbench rejected its arguments or files',
  3: 'timeout',
  4: 'the accelerator reported an error',
  5: 'AXI protocol error',
  6: 'wrong accelerator version',
  7: 'watchdog: no descriptor progress',
};

/** An FST waveform and its window (docs/waveforms.md): bounds are a cycle count after START ("5000") or a descriptor index ("d3"). */
export interface TraceWindow {
  trace?: string;
  traceFrom?: string;
  traceTo?: string;
  /** Module depth traced. */
  traceDepth?: number;
}

export interface TbRun extends TraceWindow {
  image: string;
  relocs: string;
  imageBytes: number;
  input: string;
  inputOffset: number;
  statsOffset: number;
  programLen: number;
  dump: string;
  base?: number;
  latency: number;
  bytesPerCycle: number;
  maxCycles?: number;
  /** Stop when no descriptor is fetched or completed for this many cycles (0 or absent: no watchdog). */
  watchdog?: number;
}

/** Runs a built testbench; resolves with its JSON line, or throws SimulationError with its message. */
export function runTestbench(exe: string, r: TbRun): Promise<TbOutput> {
  const tty = progressEnabled(); // descriptor counts for the bar or the heartbeat lines
  const args = [
    '--image', r.image, '--relocs', r.relocs, '--image-bytes', String(r.imageBytes), '--input', r.input, '--input-offset', String(r.inputOffset),
    '--stats-offset', String(r.statsOffset), '--program-len', String(r.programLen), '--dump', r.dump, '--base', `0x${(r.base ?? LINK_BASE).toString(16)}`,
    '--latency', String(r.latency), '--bytes-per-cycle', String(r.bytesPerCycle), '--max-cycles', String(r.maxCycles ?? DEFAULT_MAX_CYCLES),
    ...(r.watchdog ? ['--watchdog', String(r.watchdog)] : []),
    ...(r.trace ? ['--trace', r.trace] : []), ...(r.trace && r.traceFrom ? ['--trace-from', r.traceFrom] : []),
    ...(r.trace && r.traceTo ? ['--trace-to', r.traceTo] : []), ...(r.trace && r.traceDepth ? ['--trace-depth', String(r.traceDepth)] : []), ...(tty ? ['--progress'] : []),
  ];
  const bar = progress('simulating');
  return new Promise((resolveRun, reject) => {
    const p = spawnChild(exe, args);
    let out = '', errTail = '', partial = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = /^progress (\d+) (\d+) (\d+)$/.exec(l);
        if (m) bar.update(Number(m[1]), r.programLen, `${m[1]}/${m[2]} descriptors, ${(Number(m[3]) / 1e6).toFixed(1)} M cycles`);
        else errTail = (errTail + l + '\n').slice(-4000);
      }
    });
    p.on('error', (e) => { bar.finish(); reject(e); });
    p.on('close', (code, signal) => {
      bar.finish();
      if (isStopping()) return; // ended by SIGINT/SIGTERM cleanup (src/util/proc.ts), which exits
      const msg = (errTail + partial).trim();
      if (code !== 0) {
        const what = signal ? `killed by ${signal}` : `exit ${code}${EXIT_MEANING[code ?? -1] ? `: ${EXIT_MEANING[code!]}` : ''}`;
        return reject(new SimulationError(`Verilator simulation failed (${what}). ${msg || '(no message)'}\nCommand: ${exe} ${args.join(' ')}`));
      }
      const line = out.trim().split('\n').pop() ?? '';
      let json: unknown;
      try { json = JSON.parse(line); } catch { return reject(new Error(`testbench printed no JSON result line; its output:\n${out}${msg}`)); }
      const parsed = TbOutputSchema.safeParse(json);
      if (!parsed.success) return reject(new Error(`testbench result line does not match its schema: ${line}`));
      for (const k of COUNTER_KEYS) if (parsed.data.counters[k] === undefined) return reject(new Error(`testbench result has no counter "${k}"`));
      resolveRun(parsed.data);
    });
  });
}
