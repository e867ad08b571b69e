/**
 * `codenet sim`: runs a simulation bundle (src/gen/bundle.ts) on one of the simulators of
 * src/sim/simulator.ts (chosen there by name, as for `codenet verify`) and checks that it computed
 * exactly what the golden model computes. The simulator builds from the bundle's own rtl/, sim/ or
 * hls/ (cached by a hash of every input, src/util/build-cache.ts), runs the driver's sequence on
 * the image and dumps the memory; every tensor is then read back through the memory map and
 * compared element by element with runGolden, in layer order.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Model } from '../ir/model.ts';
import { loadModelFile } from '../ir/load.ts';
import { loadHwConfig, peakMacsPerCycle, type HwConfig } from '../hw/config.ts';
import { MemoryMapSchema, type MemoryMap } from '../compiler/memory-map.ts';
import { bufferBytes, inputBuffer, inputBufferBytes, readTensor, relocBytes } from '../compiler/tensors.ts';
import { compileModel, type CompileOptions } from '../compiler/compile.ts';
import { runGolden } from '../golden/run.ts';
import { layerMacs } from '../info/summary.ts';
import { TOP_MODULE, hwParams } from '../hw/params.ts';
import { C_HEADER, VERILOG_HEADER } from '../isa/render.ts';
import { describeZodIssues, fail } from '../util/errors.ts';
import { DDR_MODEL_HEADER, EXPECT_HEADER, SimulationError } from './testbench.ts';
import { compareWithGolden } from './compare.ts';
import type { SimReport } from './report.ts';
import { verifyManifest } from './manifest.ts';
import { describeDescriptor } from './limits.ts';
import { DEFAULT_SIMULATOR, SIMULATORS, SIMULATOR_NAMES, simulatorNamed, type SimProgram, type SimSources, type SimulatorName, type SimulatorRun } from './simulator.ts';

export { SimulationError } from './testbench.ts';

export interface SimOptions {
  /** The bundle folder (rtl/, sim/, data/). */
  dir: string;
  /**
   * verilator and icarus run rtl/; hls C-simulates hls/ (or, in a bundle without it, the kernel
   * renderHls renders from data/hw.json); reference runs the ISA reference interpreter (untimed, no build).
   */
  simulator?: SimulatorName;
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
  /** Stop when no descriptor is fetched or completed for this many cycles (0: never); default from the longest predicted descriptor. */
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

function checkNumber(what: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= min && v <= max)) fail(`${what} must be a number in ${min}..${max}, got ${v}`);
}

/** A build failure of a folder's own sources is the user's when they edited them since generation. */
function blameEdits(b: Bundle, e: unknown, dirs: RegExp): never {
  const edited = b.edited.filter((f) => dirs.test(f));
  if (edited.length && e instanceof Error)
    fail(`${edited.map((f) => join(b.dir, f)).join(', ')} ${edited.length > 1 ? 'differ' : 'differs'} from what ${b.writtenBy} wrote (data/manifest.json) and the build fails: ${e.message.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' ') || e.message.slice(0, 400)}; regenerate the folder with "${b.writtenBy} -o ${b.dir}"`);
  throw e;
}

/**
 * Puts the cached build where the folder's sim/Makefile looks for it (`target`, relative to the
 * folder), newer than its sources: `make -C sim` then runs it instead of building the same RTL
 * again. Best effort: a read-only folder only costs make its own build.
 */
function shareWithMake(b: Bundle, exe: string, target: string): void {
  const to = join(b.dir, target);
  const tmp = `${to}.${process.pid}.tmp`;
  try {
    if (existsSync(to) && statSync(to).size === statSync(exe).size && readFileSync(to).equals(readFileSync(exe))) {
      const now = new Date();
      utimesSync(to, now, now);
      return;
    }
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(exe, tmp);
    renameSync(tmp, to);
  } catch {
    rmSync(tmp, { force: true }); // make builds it itself
  }
}

/** The files of folder `sub` of the bundle whose names match `re`, sorted, name -> text. */
function readFolder(b: Bundle, sub: string, re: RegExp, prefix = ''): Record<string, string> {
  const dir = join(b.dir, sub);
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => [`${prefix}${f}`, readFileSync(join(dir, f), 'utf8')]));
}

/** HLS C-simulation sources a generated folder's hls/ holds. */
const HLS_SOURCES = ['codenet_kernel.h', 'codenet_kernel.cpp', 'cn_ap_int.h', 'tb_codenet_hls.cpp', EXPECT_HEADER, C_HEADER];

/**
 * The simulators' sources as the folder holds them: rtl/ (with the .vh it includes), sim/'s
 * testbench and headers (the same files, so the same build, as verify's rendered ones and the
 * folder's sim/Makefile), and hls/ or, in a bundle without it, the kernel `renderHls` renders
 * from data/hw.json.
 */
export function bundleSources(b: Bundle, renderHls?: (hw: HwConfig) => Record<string, string>): SimSources {
  const rtl = () => readFolder(b, 'rtl', /\.vh?$/, 'rtl/');
  return {
    rtl,
    verilator: () => ({ ...rtl(), ...readFolder(b, 'sim', /\.(h|hpp)$/), 'tb_codenet.cpp': readFileSync(b.testbench, 'utf8') }),
    hls: () => existsSync(join(b.dir, 'hls', HLS_SOURCES[0])) ? Object.fromEntries(HLS_SOURCES.map((n) => [n, readFileSync(join(b.dir, 'hls', n), 'utf8')]))
      : renderHls?.(b.hw) ?? fail(`${b.dir} has no hls/ folder; generate one with "codenet gen --target zynq"`),
  };
}

/** Builds (cached), runs and checks one simulation of a bundle. */
export async function runSimulation(o: SimOptions): Promise<SimResult> {
  const sim = simulatorNamed(o.simulator ?? DEFAULT_SIMULATOR);
  const simulator = sim.name;
  checkNumber('latency', o.latency, 0, 100_000);
  checkNumber('bytes per cycle', o.bytesPerCycle, 0, 1e6);
  checkNumber('max cycles', o.maxCycles, 1, Number.MAX_SAFE_INTEGER);
  checkNumber('watchdog', o.watchdog, 0, Number.MAX_SAFE_INTEGER);
  const b = o.bundle ?? loadBundle(o.dir);
  const { hw, model, map } = b;
  if (o.trace && !sim.traces) fail(`--trace needs a simulator that writes waveforms (${SIMULATOR_NAMES.filter((n) => SIMULATORS[n].traces).map((n) => `--simulator ${n}`).join(', ')}), not ${simulator}`);
  const codes = o.inputCodes ?? bundleInputCodes(b);
  const inT = model.tensors.get(model.inputs[0])!;
  if (codes.length !== inT.shape.reduce((a, v) => a * v, 1)) fail(`input holds ${codes.length} codes, model input "${inT.name}" of shape [${inT.shape}] needs ${inT.shape.reduce((a, v) => a * v, 1)}`);
  const image = new Uint8Array(readFileSync(join(b.data, 'memory.bin')));
  const relocsFile = readFileSync(join(b.data, 'relocs.bin'));
  const program: SimProgram = { hw, map, image, input: codes, relocs: Array.from({ length: relocsFile.length / 4 }, (_, i) => relocsFile.readUInt32LE(4 * i)) };
  const sources = bundleSources(b, o.renderHls);
  let raw: SimulatorRun;
  try {
    const built = await sim.build(hw, sources, { trace: !!o.trace });
    if (built && sim.makeProduct) shareWithMake(b, built.exe, sim.makeProduct(!!o.trace));
    raw = await sim.run(program, sources, {
      base: o.base, latency: o.latency, bytesPerCycle: o.bytesPerCycle, maxCycles: o.maxCycles, watchdog: o.watchdog,
      trace: o.trace && resolve(o.trace), traceFrom: o.traceFrom, traceTo: o.traceTo, traceDepth: o.traceDepth,
    });
  } catch (e) {
    if (sim.isBuildError(e)) blameEdits(b, e, sim.sourceFolders);
    // Name the layer and engine of the descriptor a hung or timed-out run stopped at.
    const m = e instanceof SimulationError && /descriptor (\d+) of \d+/.exec(e.message);
    if (m) throw new SimulationError(e.message.replace(m[0], `${describeDescriptor(Number(m[1]), map, image)} of ${map.program.descriptors}`));
    throw e;
  }
  if (raw.memory.length !== map.imageBytes) throw new Error(`the simulation dumped ${raw.memory.length} bytes, expected ${map.imageBytes}`);
  o.onDump?.(raw.memory, map);
  const golden = runGolden(model, new Map([[model.inputs[0], codes]]), { keepAll: true });
  const cmp = compareWithGolden(model, map, raw.memory, golden, raw.xMask);
  const stats = new DataView(raw.memory.buffer, raw.memory.byteOffset + map.stats.offset, map.stats.bytes);
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
  const cycles = raw.cycles ?? 0;
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
}
