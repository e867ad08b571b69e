/**
 * `codenet sim`: runs a simulation bundle (src/gen/bundle.ts) in Verilator and checks that the RTL
 * computed exactly what the golden model computes. The testbench is built from the bundle's own
 * rtl/ and sim/ (cached by a hash of every input, src/sim/verilator.ts), runs the driver's
 * sequence on the image and dumps the memory; every tensor is then read back through the memory
 * map and compared element by element with runGolden, in layer order.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Model } from '../ir/model.ts';
import { loadModelFile } from '../ir/load.ts';
import { loadHwConfig, peakMacsPerCycle, type HwConfig } from '../hw/config.ts';
import { MemoryMapSchema, type MemoryMap } from '../compiler/memory-map.ts';
import { bufferBytes, inputBuffer, inputBufferBytes, readTensor, relocBytes, relocate } from '../compiler/tensors.ts';
import { compileModel, type CompileOptions } from '../compiler/compile.ts';
import { runGolden } from '../golden/run.ts';
import { layerMacs } from '../info/summary.ts';
import { LINK_BASE, TOP_MODULE, hwParams } from '../hw/params.ts';
import { C_HEADER, VERILOG_HEADER } from '../isa/render.ts';
import { describeZodIssues, fail } from '../util/errors.ts';
import { COUNTER_KEYS, DDR_MODEL_HEADER, EXPECT_HEADER, buildTestbench, ddrDefaults, runTestbench, type TbOutput } from './testbench.ts';
import { runIcarus } from './icarus.ts';
import { buildCsim, runCsimFiles } from './hls.ts';
import { executeProgram } from '../compiler/reference.ts';
import { compareWithGolden } from './compare.ts';
import type { SimReport } from './report.ts';
import { verifyManifest } from './manifest.ts';
import { describeDescriptor, programOf, simLimits, type SimLimits } from './limits.ts';
import { VerilatorBuildError } from './verilator.ts';
import { SimulationError } from './testbench.ts';
import { makeTempDir, removeTempDir } from '../util/proc.ts';

export { SimulationError } from './testbench.ts';

export interface SimOptions {
  /** The bundle folder (rtl/, sim/, data/). */
  dir: string;
  /**
   * verilator and icarus run rtl/; hls C-simulates hls/ (or, in a bundle without it, the kernel
   * renderHls renders from data/hw.json); reference runs the ISA reference interpreter (untimed, no build).
   */
  simulator?: 'reference' | 'verilator' | 'icarus' | 'hls';
  /** The C-simulation sources for a folder without hls/ (src/gen/hls.ts renderCsimSources; src/sim/ renders nothing). */
  renderHls?: (hw: HwConfig) => Record<string, string>;
  /** Input image codes (HWC int8); default: the bundle's data/input.bin. */
  inputCodes?: Int8Array;
  /** Where inputCodes came from, for the report. */
  inputName?: string;
  /** Write an FST waveform here (a separate, slower build with trace support). */
  trace?: string;
  /** The trace window and depth (docs/waveforms.md): cycles after START ("5000") or a descriptor index ("d3"). */
  traceFrom?: string;
  traceTo?: string;
  traceDepth?: number;
  /** DDR model read latency in cycles; default: the board's, scaled to the clock. */
  latency?: number;
  /** DDR model bandwidth in bytes per cycle (0 = unlimited); default: the board's DDR at the clock. */
  bytesPerCycle?: number;
  /** Physical address the image is linked at; default LINK_BASE. */
  base?: number;
  /** Cycle limit from START to irq; default from the program's predicted cycles (src/sim/limits.ts). */
  maxCycles?: number;
  /** Stop when no new descriptor is fetched for this many cycles (0: never); default from the longest predicted descriptor. */
  watchdog?: number;
  /** The bundle already loaded by loadBundle(dir) (saves reading it twice). */
  bundle?: Bundle;
  /** Called with the memory the run left (before the comparison): `codenet detect --backend sim` reads the heads from it. */
  onDump?: (dump: Uint8Array, map: MemoryMap) => void;
}

/** The report without its format header. */
export type SimResult = Omit<SimReport, 'format' | 'version'>;

export interface Bundle {
  dir: string;
  /** Folder of memory.bin, relocs.bin and input.bin: the bundle's data/, or a model compiled for --model. */
  data: string;
  hw: HwConfig;
  model: Model;
  map: MemoryMap;
  rtl: string[];
  testbench: string;
  /** rtl/, sim/ and hls/ files that differ from data/manifest.json (edited after generation). */
  edited: string[];
  /** The command that wrote the folder (data/manifest.json), for "regenerate with" hints. */
  writtenBy: string;
}

const REQUIRED = ['data/hw.json', 'data/model.json', 'data/memory-map.json', 'data/memory.bin', 'data/relocs.bin', 'data/input.bin',
  `rtl/${TOP_MODULE}.v`, `rtl/${VERILOG_HEADER}`, 'sim/tb_codenet.cpp', `sim/${DDR_MODEL_HEADER}`, `sim/${EXPECT_HEADER}`, `sim/${C_HEADER}`];

/** Reads and cross-checks a bundle's data/ files; every problem names the file. */
export function loadBundle(dirArg: string): Bundle {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    fail(`simulation folder ${dirArg} does not exist; create one with "codenet bundle <model> -o ${dirArg}"`);
  const missing = REQUIRED.filter((f) => !existsSync(join(dir, f)));
  if (missing.length)
    fail(`${dirArg} is not a complete simulation bundle: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing; (re)create it with "codenet bundle <model> -o ${dirArg}"`);
  // Every file the folder was written with is there, and data/ (program, image, relocations,
  // input, map, model, config) is byte for byte what was written (src/sim/manifest.ts).
  const { manifest, edited } = verifyManifest(dir, dirArg);
  const hw = loadHwConfig(join(dir, 'data/hw.json'));
  const model = loadModelFile(join(dir, 'data/model.json'));
  const mapPath = join(dirArg, 'data/memory-map.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, 'data/memory-map.json'), 'utf8'));
  } catch (e) {
    fail(`${mapPath} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = MemoryMapSchema.safeParse(json);
  if (!parsed.success) fail(describeZodIssues(mapPath, parsed.error.issues));
  const map = parsed.data;
  if (map.model !== model.name) fail(`${mapPath}: field "model" is "${map.model}" but data/model.json is "${model.name}"; regenerate the bundle`);
  const beatBytes = hwParams(hw).beatBytes;
  if (map.lanes !== hw.lanes || map.beatBytes !== beatBytes || map.pwOutputs !== hw.pwOutputs)
    fail(`${mapPath}: lanes ${map.lanes}, beatBytes ${map.beatBytes}, pwOutputs ${map.pwOutputs} do not match data/hw.json (${hw.lanes}, ${beatBytes}, ${hw.pwOutputs}); regenerate the bundle`);
  const size = (f: string) => statSync(join(dir, f)).size;
  if (size('data/memory.bin') !== map.fileBytes) fail(`${join(dirArg, 'data/memory.bin')} holds ${size('data/memory.bin')} bytes, field "fileBytes" of data/memory-map.json says ${map.fileBytes}; regenerate the bundle`);
  if (size('data/relocs.bin') % 4) fail(`${join(dirArg, 'data/relocs.bin')} holds ${size('data/relocs.bin')} bytes, not a whole number of uint32 offsets`);
  const inBytes = bufferBytes(map, inputBuffer(map));
  if (size('data/input.bin') !== inBytes) fail(`${join(dirArg, 'data/input.bin')} holds ${size('data/input.bin')} bytes, the input buffer "${map.input.buffer}" of data/memory-map.json needs ${inBytes}`);
  const rtl = readdirSync(join(dir, 'rtl')).filter((f) => f.endsWith('.v')).sort().map((f) => join(dir, 'rtl', f));
  return { dir, data: join(dir, 'data'), hw, model, map, rtl, testbench: join(dir, 'sim/tb_codenet.cpp'), edited, writtenBy: manifest.writtenBy };
}

/**
 * The bundle's accelerator running another model (one bitstream, any model), or its own model
 * compiled with other options: `model` compiled for the bundle's hardware config, its image and
 * `inputCodes` written into `tmp`.
 */
export function withModel(b: Bundle, model: Model, tmp: string, inputCodes: Int8Array, opts: CompileOptions = {}): Bundle {
  const c = compileModel(model, b.hw, opts);
  writeFileSync(join(tmp, 'memory.bin'), c.image);
  writeFileSync(join(tmp, 'relocs.bin'), relocBytes(c.relocs));
  writeFileSync(join(tmp, 'input.bin'), inputBufferBytes(c.map, b.hw, inputCodes));
  return { ...b, data: tmp, model, map: c.map };
}

/** The input codes of data/input.bin (the inverse of writeInput). */
export function bundleInputCodes(b: Bundle): Int8Array {
  const mem = new Uint8Array(b.map.imageBytes);
  mem.set(readFileSync(join(b.data, 'input.bin')), inputBuffer(b.map).offset);
  return readTensor(b.map, mem, b.map.input.tensor) as Int8Array;
}

/** The Icarus DDR model's read latency unless --latency says otherwise. */
const ICARUS_LATENCY = 8;

function checkNumber(what: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= min && v <= max)) fail(`${what} must be a number in ${min}..${max}, got ${v}`);
}

/** What one simulator run left behind, whichever simulator ran it. */
interface RawRun {
  dump: Uint8Array;
  /** 4-state simulators: 1 for each byte of the dump that was X. */
  xMask?: Uint8Array;
  cycles: number;
  counters: Record<string, number>;
  ddr: { bytesRead: number; bytesWritten: number };
  ddrModel: { latency: number; bytesPerCycle: number; base: string };
  wallSeconds: number;
  simCycles: number;
}

/** A build failure of a folder's own sources is the user's when they edited them since generation. */
function blameEdits(b: Bundle, e: unknown, dirs: RegExp): never {
  const edited = b.edited.filter((f) => dirs.test(f));
  if (edited.length && e instanceof Error)
    fail(`${edited.map((f) => join(b.dir, f)).join(', ')} ${edited.length > 1 ? 'differ' : 'differs'} from what ${b.writtenBy} wrote (data/manifest.json) and the build fails: ${e.message.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' ') || e.message.slice(0, 400)}; regenerate the folder with "${b.writtenBy} -o ${b.dir}"`);
  throw e;
}

/**
 * Puts the cached build where the folder's sim/Makefile looks for it (sim/build/obj/Vcodenet_accel,
 * obj-trace with a trace), newer than its sources: `make -C sim` then runs it instead of building
 * the same RTL again. Best effort: a read-only folder only costs make its own build.
 */
function shareWithMake(b: Bundle, exe: string, trace: boolean): void {
  const target = join(b.dir, 'sim', 'build', trace ? 'obj-trace' : 'obj', basename(exe));
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    if (existsSync(target) && statSync(target).size === statSync(exe).size && readFileSync(target).equals(readFileSync(exe))) {
      const now = new Date();
      utimesSync(target, now, now);
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(exe, tmp);
    renameSync(tmp, target);
  } catch {
    rmSync(tmp, { force: true }); // make builds it itself
  }
}

async function runVerilator(b: Bundle, o: SimOptions, run: string, base: number, limits: SimLimits): Promise<RawRun> {
  const { hw, map } = b;
  const ddr = ddrDefaults(hw);
  const tty = process.stderr.isTTY === true && !process.env.CI;
  if (tty) process.stderr.write(`building the Verilator model of ${o.dir}/rtl (cached after the first build)...\r`);
  let exe: string;
  try {
    exe = await buildTestbench(b.rtl, b.testbench, join(b.dir, 'sim'), !!o.trace);
  } catch (e) {
    if (tty) process.stderr.write('\x1b[2K\r');
    if (e instanceof VerilatorBuildError) blameEdits(b, e, /^(rtl|sim)\//);
    throw e;
  }
  if (tty) process.stderr.write('\x1b[2K\r');
  shareWithMake(b, exe, !!o.trace);
  let input = join(b.data, 'input.bin');
  if (o.inputCodes) writeFileSync((input = join(run, 'input.bin')), inputBufferBytes(map, hw, o.inputCodes));
  const dumpPath = join(run, 'dump.bin');
  const tb: TbOutput = await runTestbench(exe, {
    image: join(b.data, 'memory.bin'), relocs: join(b.data, 'relocs.bin'), imageBytes: map.imageBytes, input,
    inputOffset: inputBuffer(map).offset, statsOffset: map.stats.offset, programLen: map.program.descriptors, dump: dumpPath, base,
    latency: o.latency ?? ddr.latency, bytesPerCycle: o.bytesPerCycle ?? ddr.bytesPerCycle, maxCycles: limits.maxCycles, watchdog: limits.watchdog, trace: o.trace && resolve(o.trace),
    traceFrom: o.traceFrom, traceTo: o.traceTo, traceDepth: o.traceDepth,
  });
  return {
    dump: new Uint8Array(readFileSync(dumpPath)), cycles: tb.cycles, counters: tb.counters, ddr: { bytesRead: tb.ddr.bytesRead, bytesWritten: tb.ddr.bytesWritten },
    ddrModel: { latency: tb.latency, bytesPerCycle: tb.bytesPerCycle, base: tb.base }, wallSeconds: tb.wallSeconds, simCycles: tb.simCycles,
  };
}

/**
 * Icarus runs the same RTL (the bundle's rtl/) in 4-state logic. Memory nobody has written (the
 * tensor buffers) starts as X, so a read of it or an uninitialised register shows up in the dump.
 * Its DDR model has latency but no bandwidth limit; it is slow (~500 cycles/s): small models only.
 */
async function runIcarusBundle(b: Bundle, o: SimOptions, base: number, codes: Int8Array, limits: SimLimits): Promise<RawRun> {
  if (o.trace) fail('--trace needs --simulator verilator (Icarus writes VCD only through the test API)');
  const { hw, map } = b;
  const image = new Uint8Array(map.imageBytes);
  image.set(readFileSync(join(b.data, 'memory.bin')));
  const relocs = readFileSync(join(b.data, 'relocs.bin'));
  relocate(image, Array.from({ length: relocs.length / 4 }, (_, i) => relocs.readUInt32LE(4 * i)), base);
  const inBuf = inputBuffer(map);
  image.set(inputBufferBytes(map, hw, codes), inBuf.offset);
  // The sources and the contract header they include (rtl/cn_isa.vh).
  const rtlDir = join(b.dir, 'rtl');
  const rtlFiles = Object.fromEntries(readdirSync(rtlDir).filter((f) => /\.vh?$/.test(f)).sort().map((f) => [`rtl/${f}`, readFileSync(join(rtlDir, f), 'utf8')]));
  const latency = o.latency ?? ICARUS_LATENCY;
  let r: Awaited<ReturnType<typeof runIcarus>>;
  try {
    r = await runIcarus({
      hw, rtlFiles, image, base, programLen: map.program.descriptors, latency, maxCycles: limits.maxCycles, watchdog: limits.watchdog,
      xRanges: [[map.fileBytes, inBuf.offset], [inBuf.offset + bufferBytes(map, inBuf), map.imageBytes]],
    });
  } catch (e) {
    if (e instanceof Error && /^iverilog compilation/.test(e.message)) blameEdits(b, e, /^rtl\//);
    throw e;
  }
  const counters = Object.fromEntries(COUNTER_KEYS.map((k, i) => [k, r.counters[i]]));
  return {
    dump: r.memory, xMask: r.xMask, cycles: r.cycles, counters, ddr: { bytesRead: counters.bytesRead, bytesWritten: counters.bytesWritten },
    ddrModel: { latency, bytesPerCycle: 0, base: `0x${base.toString(16)}` }, wallSeconds: r.wallSeconds, simCycles: r.cycles,
  };
}

/**
 * The HLS C-simulation (g++) of the folder's hls/ sources, or of the kernel rendered from its
 * hardware config when the folder has none (a plain bundle). Untimed: no cycles.
 */
async function runHlsBundle(b: Bundle, o: SimOptions, run: string, codes: Int8Array): Promise<RawRun> {
  if (o.trace) fail('--trace needs an RTL simulator (--simulator verilator)');
  const { hw, map } = b;
  const own = join(b.dir, 'hls');
  const names = ['codenet_kernel.h', 'codenet_kernel.cpp', 'cn_ap_int.h', 'tb_codenet_hls.cpp', EXPECT_HEADER, C_HEADER];
  const sources = existsSync(join(own, names[0])) ? Object.fromEntries(names.map((n) => [n, readFileSync(join(own, n), 'utf8')]))
    : o.renderHls?.(hw) ?? fail(`${o.dir} has no hls/ folder; generate one with "codenet gen --target hls"`);
  let exe: string;
  try {
    ({ exe } = await buildCsim(sources));
  } catch (e) {
    if (e instanceof Error && /^g\+\+ build/.test(e.message)) blameEdits(b, e, /^hls\//);
    throw e;
  }
  const input = join(run, 'input.bin');
  writeFileSync(input, inputBufferBytes(map, hw, codes));
  const dump = join(run, 'dump.bin');
  const wallSeconds = await runCsimFiles(exe, {
    image: join(b.data, 'memory.bin'), imageBytes: map.imageBytes, input, inputOffset: inputBuffer(map).offset, programLen: map.program.descriptors, dump,
  });
  return {
    dump: new Uint8Array(readFileSync(dump)), cycles: 0, counters: {}, ddr: { bytesRead: 0, bytesWritten: 0 },
    ddrModel: { latency: 0, bytesPerCycle: 0, base: '0x0' }, wallSeconds, simCycles: 0,
  };
}

/**
 * The ISA reference interpreter (src/compiler/reference.ts) on the folder's data/: no build, untimed,
 * seconds even for the zoo; the fast check that the program and image are right before an RTL run.
 */
async function runReferenceBundle(b: Bundle, o: SimOptions, codes: Int8Array): Promise<RawRun> {
  if (o.trace) fail('--trace needs an RTL simulator (--simulator verilator)');
  const { hw, map } = b;
  const t0 = performance.now();
  const memory = new Uint8Array(map.imageBytes);
  memory.set(readFileSync(join(b.data, 'memory.bin')));
  memory.set(inputBufferBytes(map, hw, codes), inputBuffer(map).offset);
  try {
    executeProgram(memory, map.program.offset, map.program.descriptors, hw);
  } catch (e) {
    throw new SimulationError(`the reference interpreter stopped at ${(e as Error).message}`);
  }
  return {
    dump: memory, cycles: 0, counters: {}, ddr: { bytesRead: 0, bytesWritten: 0 },
    ddrModel: { latency: 0, bytesPerCycle: 0, base: '0x0' }, wallSeconds: (performance.now() - t0) / 1000, simCycles: 0,
  };
}

/** Builds (cached), runs and checks one simulation of a bundle. */
export async function runSimulation(o: SimOptions): Promise<SimResult> {
  const simulator = o.simulator ?? 'verilator';
  checkNumber('latency', o.latency, 0, 100_000);
  checkNumber('bytes per cycle', o.bytesPerCycle, 0, 1e6);
  checkNumber('max cycles', o.maxCycles, 1, Number.MAX_SAFE_INTEGER);
  const b = o.bundle ?? loadBundle(o.dir);
  const { hw, model, map } = b;
  const codes = o.inputCodes ?? bundleInputCodes(b);
  const inT = model.tensors.get(model.inputs[0])!;
  if (codes.length !== inT.shape.reduce((a, v) => a * v, 1)) fail(`input holds ${codes.length} codes, model input "${inT.name}" of shape [${inT.shape}] needs ${inT.shape.reduce((a, v) => a * v, 1)}`);
  const base = o.base ?? LINK_BASE;
  checkNumber('watchdog', o.watchdog, 0, Number.MAX_SAFE_INTEGER);
  // Run limits from the program's predicted cycles, under the DDR model the run uses.
  const image = new Uint8Array(readFileSync(join(b.data, 'memory.bin')));
  const ddr = simulator === 'icarus' ? { latency: o.latency ?? ICARUS_LATENCY, bytesPerCycle: 0 }
    : { latency: o.latency ?? ddrDefaults(hw).latency, bytesPerCycle: o.bytesPerCycle ?? ddrDefaults(hw).bytesPerCycle };
  const predicted = simLimits(programOf(image, map), hw, ddr);
  const limits = { ...predicted, maxCycles: o.maxCycles ?? predicted.maxCycles, watchdog: o.watchdog ?? predicted.watchdog };

  const run = makeTempDir(tmpdir(), 'codenet-sim-');
  try {
    let raw: RawRun;
    try {
      raw = simulator === 'reference' ? await runReferenceBundle(b, o, codes)
        : simulator === 'icarus' ? await runIcarusBundle(b, o, base, codes, limits)
        : simulator === 'hls' ? await runHlsBundle(b, o, run, codes) : await runVerilator(b, o, run, base, limits);
    } catch (e) {
      // Name the layer and engine of the descriptor a hung or timed-out run stopped at.
      const m = e instanceof SimulationError && /descriptor (\d+) of \d+/.exec(e.message);
      if (m) throw new SimulationError(e.message.replace(m[0], `${describeDescriptor(Number(m[1]), map, image)} of ${map.program.descriptors}`));
      throw e;
    }
    if (raw.dump.length !== map.imageBytes) throw new Error(`the simulation dumped ${raw.dump.length} bytes, expected ${map.imageBytes}`);
    o.onDump?.(raw.dump, map);
    const golden = runGolden(model, new Map([[model.inputs[0], codes]]), { keepAll: true });
    const cmp = compareWithGolden(model, map, raw.dump, golden, raw.xMask);
    const stats = new DataView(raw.dump.buffer, raw.dump.byteOffset + map.stats.offset, map.stats.bytes);
    const word = (i: number, w: number) => stats.getUint32(i * map.beatBytes + 4 * w, true);
    const mapLayers = new Map(map.layers.map((l) => [l.name, l.descriptors]));
    const layers = model.layers.map((l) => {
      const ds = mapLayers.get(l.name) ?? [];
      return {
        name: l.name, op: l.op, descriptors: ds.length,
        cycles: ds.reduce((a, i) => a + word(i, 0), 0), loaderWaitCycles: ds.reduce((a, i) => a + word(i, 1), 0),
        macs: layerMacs(l, model), match: !cmp.badLayers.has(l.name),
      };
    });
    const macs = layers.reduce((a, l) => a + l.macs, 0);
    const cycles = raw.cycles;
    return {
      model: model.name, board: hw.board, clockMHz: hw.clockMHz, simulator,
      input: o.inputCodes ? (o.inputName ?? '(given codes)') : b.data === join(b.dir, 'data') ? 'data/input.bin' : `${b.model.name} sample input`,
      ddrModel: raw.ddrModel,
      match: !cmp.firstMismatch,
      compared: { tensors: cmp.tensors, elements: cmp.elements, onChip: cmp.onChip },
      ...(cmp.firstMismatch ? { firstMismatch: cmp.firstMismatch } : {}),
      layers, totalCycles: cycles,
      fps: cycles ? (hw.clockMHz * 1e6) / cycles : 0,
      macUtilisation: cycles ? macs / (cycles * peakMacsPerCycle(hw)) : 0,
      ddr: raw.ddr,
      counters: raw.counters,
      wallSeconds: raw.wallSeconds,
      cyclesPerSecond: raw.wallSeconds > 0 ? raw.simCycles / raw.wallSeconds : 0,
    };
  } finally {
    removeTempDir(run);
  }
}
