/**
 * The second simulator: Icarus Verilog runs the whole generated accelerator (rtl/ from renderRtl)
 * with a 4-state testbench (templates/sim/tb_codenet_icarus.v.hbs: behavioural AXI4 DDR model,
 * the driver's AXI4-Lite sequence, X checks on every output that matters). Verilator's 2-state
 * model turns an uninitialised register into 0 and hides it; here it is X, and an X that reaches
 * a VALID, an address or a written beat fails the run with the signal's name and the cycle.
 *
 * The compiled simulation (.vvp) is cached in the icarus/ folder of the build cache (src/util/build-cache.ts) by a hash of every source, the
 * flags and the iverilog version; each run gets a temporary folder for the memory files.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { HwConfig } from '../hw/config.ts';
import { COUNTERS, HW_VERSION, MAX_BURST, CODENET_VERSION, hwParams } from '../hw/params.ts';
import { fail } from '../util/errors.ts';
import { renderTemplate } from '../util/templates.ts';
import { isStopping, keepTempDir, makeTempDir, removeTempDir, runProcess, spawnChild } from '../util/proc.ts';
import { cacheDir, cachedBuild } from '../util/build-cache.ts';
import { withProgress } from '../util/progress.ts';
import { SimulationError } from './testbench.ts';

export interface IcarusOptions {
  hw: HwConfig;
  /** renderRtl(hw): 'rtl/codenet_accel.v' and the library, path -> text. */
  rtlFiles: Record<string, string>;
  /** The whole memory (imageBytes long): image relocated to `base`, input written. */
  image: Uint8Array;
  /** Physical byte address of image[0] (aligned to 4096). */
  base: number;
  /** Descriptors in the program (PROGRAM_LEN). */
  programLen: number;
  /** Cycle limit from START to irq (default 10,000,000). */
  maxCycles?: number;
  /** Fail when no descriptor is fetched or completed for this many cycles (default 0: no watchdog). */
  watchdog?: number;
  /** DDR model: AR-to-first-R latency in cycles (default 8). */
  latency?: number;
  /** DDR model: cycles from the last W beat to BVALID (default 2). */
  writeLatency?: number;
  /** DDR model: read bursts queued before ARREADY drops (default 8, at most 32). */
  arDepth?: number;
  /** DDR model: percentage of cycles with a random READY/VALID stall (default 0). */
  stallPercent?: number;
  /** Seed of the stall generator (default 1). */
  seed?: number;
  /**
   * Byte ranges [start, end) of `image` loaded as X instead of their bytes: memory nobody has
   * written (e.g. the tensor buffers). A read of it propagates X into the accelerator, so a
   * program or RTL that depends on unwritten memory fails the X checks. Beats partly inside a
   * range stay defined.
   */
  xRanges?: ReadonlyArray<readonly [number, number]>;
  /** Write a VCD of the whole testbench here (large and slow: debugging only). */
  vcd?: string;
  /** Print every AR/AW burst to the log (debugging). */
  trace?: boolean;
  /** Cache root of compiled simulations (default the icarus/ folder of the build cache). */
  cacheDir?: string;
  /** Keep the run folder (memory.hex, dump.hex, vvp.log); by default it is kept only on failure. */
  keepRunDir?: boolean;
  /** Called every `progressEvery` simulated cycles (default 100,000) with the cycles since START. */
  onProgress?: (cycles: number) => void;
  progressEvery?: number;
  /** Kill vvp after this many wall-clock seconds (default: no limit besides maxCycles). */
  timeoutSeconds?: number;
}

export interface IcarusResult {
  /** The memory after the run, image.length bytes (bytes dumped as X read 0, see xMask). */
  memory: Uint8Array;
  /** 1 for every byte of `memory` that was X/Z in the dump (never written over an xRanges byte). */
  xMask: Uint8Array;
  /** Cycles from the CTRL write (START) to irq. */
  cycles: number;
  /** The accelerator's performance counters (COUNTERS order), read over AXI4-Lite after irq. */
  counters: number[];
  /** DDR model statistics. */
  ddr: { readBursts: number; readBeats: number; writeBursts: number; writeBeats: number };
  /** Wall-clock seconds of the vvp run (without compilation). */
  wallSeconds: number;
  /** Seconds spent compiling (0 on a cache hit). */
  compileSeconds: number;
  /** vvp's output. */
  log: string;
}

const INSTALL_HINT = 'install it with apt-get install iverilog or bash scripts/setup.sh';
// -Irtl: the accelerator and the testbench include rtl/cn_isa.vh (the contract, src/isa).
const IVERILOG_FLAGS = ['-g2012', '-Wall', '-Wno-timescale', '-Wno-implicit-dimensions', '-Irtl', '-s', 'tb_codenet'];

function iverilogVersion(): string {
  try {
    return execFileSync('iverilog', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string };
    // `iverilog -V` without sources exits 1 after printing its version on some builds.
    if (err.code !== 'ENOENT' && typeof err.stdout === 'string' && /Icarus Verilog/.test(err.stdout)) return err.stdout.split('\n')[0].trim();
    fail(`iverilog (Icarus Verilog) was not found on PATH; ${INSTALL_HINT}`);
  }
}

function hasVvp(): boolean {
  try {
    execFileSync('vvp', ['-V'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Renders the testbench for a config and a memory of `memBeats` beats at `base`. */
export function renderIcarusTestbench(hw: HwConfig, memBeats: number, base: number): string {
  const p = hwParams(hw);
  return renderTemplate('sim/tb_codenet_icarus.v.hbs', {
    codenetVersion: CODENET_VERSION, board: hw.board, dataBits: hw.axiDataBits, beatShift: p.beatShift,
    addrBits: p.addrBits, memBeats, baseHex: base.toString(16).padStart(16, '0'),
    versionHex: (HW_VERSION >>> 0).toString(16).padStart(8, '0'), numCounters: COUNTERS.length, maxBurst: MAX_BURST,
  });
}

/**
 * Compiles (or finds in the cache) the simulation; returns the .vvp path and the compile time.
 * iverilog runs in its own process group (src/util/proc.ts), so SIGINT/SIGTERM end it.
 */
export async function buildIcarus(files: Record<string, string>, cacheRoot = cacheDir('icarus')): Promise<{ vvp: string; compileSeconds: number }> {
  const version = iverilogVersion();
  if (!hasVvp()) fail(`vvp (the Icarus Verilog runtime) was not found on PATH; ${INSTALL_HINT}`);
  const names = Object.keys(files).sort();
  const h = createHash('sha256');
  h.update(version);
  h.update(JSON.stringify(IVERILOG_FLAGS));
  for (const n of names) {
    h.update(`\0${n}\0`);
    h.update(files[n]);
  }
  const key = h.digest('hex').slice(0, 20);
  const e = await cachedBuild(cacheRoot, `tb_codenet-${key}`, 'sim.vvp', async (tmp) => {
    for (const n of names) {
      mkdirSync(dirname(join(tmp, n)), { recursive: true });
      writeFileSync(join(tmp, n), files[n]);
    }
    const sources = names.filter((n) => /\.s?v$/.test(n));
    const r = await runProcess('iverilog', [...IVERILOG_FLAGS, '-o', 'sim.vvp', ...sources], { cwd: tmp, maxBuffer: 64 << 20 });
    if (r.code !== 0) throw new Error(`iverilog compilation of the accelerator failed:\n${r.stderr + r.stdout || `exit ${r.code ?? r.signal}`}`);
  });
  return { vvp: e.path, compileSeconds: e.seconds };
}

/** One $readmemh line per beat, most significant byte first; bytes in xRanges become "xx". */
export function toHexBeats(image: Uint8Array, beatBytes: number, xRanges: ReadonlyArray<readonly [number, number]> = []): string {
  const beats = Math.ceil(image.length / beatBytes);
  const hex = Array.from({ length: 256 }, (_, v) => v.toString(16).padStart(2, '0'));
  const isX = new Uint8Array(beats * beatBytes);
  for (const [s, e] of xRanges) isX.fill(1, Math.max(0, s), Math.min(isX.length, e));
  const lines: string[] = new Array(beats);
  for (let b = 0; b < beats; b++) {
    let s = '';
    for (let k = beatBytes - 1; k >= 0; k--) {
      const i = b * beatBytes + k;
      s += isX[i] ? 'xx' : hex[i < image.length ? image[i] : 0];
    }
    lines[b] = s;
  }
  return lines.join('\n') + '\n';
}

/** Parses a $writememh dump (comments, @address lines, x/z digits) into bytes and an X mask. */
export function parseHexDump(text: string, beatBytes: number, bytes: number): { memory: Uint8Array; xMask: Uint8Array } {
  const memory = new Uint8Array(bytes), xMask = new Uint8Array(bytes);
  let beat = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    for (const word of line.split(/\s+/)) {
      if (word.startsWith('@')) {
        beat = parseInt(word.slice(1), 16);
        continue;
      }
      const digits = word.replace(/_/g, '').padStart(beatBytes * 2, '0');
      for (let k = 0; k < beatBytes; k++) {
        const i = beat * beatBytes + k;
        if (i >= bytes) break;
        const pair = digits.slice(digits.length - 2 * (k + 1), digits.length - 2 * k);
        if (/^[0-9a-fA-F]{2}$/.test(pair)) memory[i] = parseInt(pair, 16);
        else xMask[i] = 1;
      }
      beat++;
    }
  }
  return { memory, xMask };
}

function runVvp(vvp: string, args: string[], cwd: string, onLine: (line: string) => void, timeoutSeconds?: number): Promise<{ code: number | null; out: string; timedOut: boolean }> {
  return new Promise((resolveRun, reject) => {
    const p = spawnChild('vvp', ['-n', vvp, ...args], { cwd });
    let out = '', partial = '', timedOut = false;
    const timer = timeoutSeconds ? setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, timeoutSeconds * 1000) : undefined;
    p.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const l of lines) onLine(l);
    });
    p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    // Ended by SIGINT/SIGTERM cleanup (src/util/proc.ts), which exits: nothing to report.
    p.on('close', (code) => { clearTimeout(timer); if (!isStopping()) resolveRun({ code, out, timedOut }); });
  });
}

/**
 * Runs the accelerator on `image` in Icarus Verilog: compile (cached), load the memory, reset, the
 * driver's register sequence, wait for irq, dump the memory. Throws on any failure (X on an
 * output, AXI protocol error, ERROR status, timeout) with the testbench's message.
 */
export async function runIcarus(o: IcarusOptions): Promise<IcarusResult> {
  const hw = o.hw;
  const { beatBytes, addrBits } = hwParams(hw);
  if (!Number.isSafeInteger(o.base) || o.base < 0 || o.base % 4096 !== 0) fail(`runIcarus: base 0x${o.base.toString(16)} must be a non-negative multiple of 4096`);
  if (o.base + o.image.length > 2 ** addrBits) fail(`runIcarus: memory [0x${o.base.toString(16)}, +${o.image.length}) does not fit the ${addrBits}-bit address space of ${hw.board}`);
  if (!Number.isInteger(o.programLen) || o.programLen < 1) fail(`runIcarus: programLen must be a positive integer, got ${o.programLen}`);
  if (!o.rtlFiles['rtl/codenet_accel.v']) fail('runIcarus: rtlFiles must be renderRtl(hw) (rtl/codenet_accel.v is missing)');
  const memBeats = Math.ceil(o.image.length / beatBytes);
  const tb = renderIcarusTestbench(hw, memBeats, o.base);
  const files: Record<string, string> = { ...o.rtlFiles, 'tb/tb_codenet.v': tb };
  const { vvp, compileSeconds } = await buildIcarus(files, o.cacheDir);

  const runDir = makeTempDir(tmpdir(), 'codenet-icarus-');
  let ok = false;
  try {
    writeFileSync(join(runDir, 'memory.hex'), toHexBeats(o.image, beatBytes, o.xRanges));
    const args = ['+memory=memory.hex', '+dump=dump.hex', `+program_len=${o.programLen}`, `+max_cycles=${o.maxCycles ?? 10_000_000}`,
      `+latency=${o.latency ?? 8}`, `+wlatency=${o.writeLatency ?? 2}`, `+ar_depth=${o.arDepth ?? 8}`, `+stall=${o.stallPercent ?? 0}`,
      `+seed=${o.seed ?? 1}`, ...(o.watchdog ? [`+watchdog=${o.watchdog}`] : []), ...(o.vcd ? [`+vcd=${resolve(o.vcd)}`] : []), ...(o.trace ? ['+trace'] : []),
      ...(o.onProgress ? [`+progress=${o.progressEvery ?? 100_000}`] : [])];
    const t0 = performance.now();
    const onLine = (l: string) => {
      const m = /^PROGRESS cycles=(\d+)/.exec(l);
      if (m && o.onProgress) o.onProgress(Number(m[1]));
    };
    const { code, out, timedOut } = await withProgress('simulating (Icarus)', undefined, () => runVvp(vvp, args, runDir, onLine, o.timeoutSeconds));
    const wallSeconds = (performance.now() - t0) / 1000;
    writeFileSync(join(runDir, 'vvp.log'), out);
    const pass = /^PASS cycles=(\d+)/m.exec(out);
    if (timedOut) throw new Error(`Icarus simulation of the accelerator was stopped after ${o.timeoutSeconds} s (timeoutSeconds); run folder ${runDir}`);
    if (code !== 0 || !pass) {
      const why = out.split('\n').filter((l) => /^(FAIL|TIMEOUT|ERROR|FATAL)|error|Error/.test(l)).slice(0, 8).join('\n') || out.split('\n').slice(-15).join('\n');
      throw new SimulationError(`Icarus simulation of the accelerator failed (vvp exit ${code}, after ${wallSeconds.toFixed(1)} s; rerun: cd ${runDir} && vvp -n ${vvp} ${args.join(' ')} +trace):\n${why}`);
    }
    const counters: number[] = [];
    for (const m of out.matchAll(/^COUNTER (\d+) (\d+)/gm)) counters[Number(m[1])] = Number(m[2]);
    const d = /^DDR read_bursts=(\d+) read_beats=(\d+) write_bursts=(\d+) write_beats=(\d+)/m.exec(out);
    const { memory, xMask } = parseHexDump(readFileSync(join(runDir, 'dump.hex'), 'utf8'), beatBytes, o.image.length);
    ok = true;
    return {
      memory, xMask, cycles: Number(pass[1]), counters,
      ddr: { readBursts: Number(d?.[1] ?? 0), readBeats: Number(d?.[2] ?? 0), writeBursts: Number(d?.[3] ?? 0), writeBeats: Number(d?.[4] ?? 0) },
      wallSeconds, compileSeconds, log: out,
    };
  } finally {
    // A failed run keeps its folder for the rerun command in the message (a later run removes it
    // once this process is gone: src/util/proc.ts).
    if (ok && !o.keepRunDir) removeTempDir(runDir);
    else keepTempDir(runDir);
  }
}
