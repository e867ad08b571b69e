import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../util/paths.ts';
import { cacheDir as buildCacheDir, writeCachedFile } from '../util/build-cache.ts';
import { progress } from '../util/progress.ts';
import { splitRtlil } from './rtlil.ts';
import { runYosysJobs } from './worker.ts';

/**
 * Resource estimates before Vivado: Yosys `synth_xilinx` (the @yowasp/yosys WebAssembly build,
 * no system install) and a count of the mapped cells, per module and in total.
 */
export type XilinxFamily = 'xcup' | 'xc7';

export interface Resources {
  lut: number;
  ff: number;
  dsp: number;
  /** BRAM36 equivalents (a RAMB18 counts one half). */
  bram36: number;
  /** LUTs used as distributed RAM or shift registers (included in `lut`, as Vivado reports). */
  lutMemory: number;
}

export interface SynthResult {
  top: string;
  family: XilinxFamily;
  yosysVersion: string;
  seconds: number;
  total: Resources;
  modules: Record<string, Resources>;
  /**
   * Submodule instances of each module (module -> submodule -> count), Yosys names; with it the
   * report counts each module's instances from the top. Absent in results cached before it existed.
   */
  hierarchy?: Record<string, Record<string, number>>;
  /** Read from the cache (seconds is then the original run's). */
  cached?: boolean;
  /** Modules synthesized by this call and modules found in the module cache (absent when the whole result was cached). */
  units?: { synthesized: string[]; cached: string[] };
}

// LUTs per distributed-memory primitive (UG574/UG474).
const LUTRAM: Record<string, number> = {
  RAM32X1S: 1, RAM32X1D: 2, RAM32M: 4, RAM32M16: 8, RAM64X1S: 1, RAM64X1D: 2, RAM64M: 4, RAM64M8: 8,
  RAM128X1S: 2, RAM128X1D: 4, RAM256X1S: 4, RAM256X1D: 8, RAM512X1S: 8, SRL16E: 1, SRLC32E: 1, SRLC16E: 1,
};

export function countResources(cells: Record<string, number>): Resources {
  const r: Resources = { lut: 0, ff: 0, dsp: 0, bram36: 0, lutMemory: 0 };
  for (const [type, n] of Object.entries(cells)) {
    if (/^LUT[1-6](_2)?$/.test(type)) r.lut += n;
    else if (/^FD[RSCP]E(_1)?$/.test(type) || /^LD[CP]E?$/.test(type)) r.ff += n;
    else if (/^DSP48E[12]$/.test(type)) r.dsp += n;
    else if (/^RAMB36E[12]$/.test(type)) r.bram36 += n;
    else if (/^RAMB18E[12]$/.test(type)) r.bram36 += n / 2;
    else if (type in LUTRAM) {
      r.lut += n * LUTRAM[type];
      r.lutMemory += n * LUTRAM[type];
    }
  }
  return r;
}

/** How many times each module is instantiated under `top` (top itself once). */
export function instanceCounts(hierarchy: Record<string, Record<string, number>>, top: string): Map<string, number> {
  const n = new Map<string, number>();
  const visit = (m: string, k: number, depth: number) => {
    if (depth > 64) throw new Error(`instanceCounts: the module hierarchy under ${top} is deeper than 64 (a cycle?)`);
    n.set(m, (n.get(m) ?? 0) + k);
    for (const [sub, c] of Object.entries(hierarchy[m] ?? {})) visit(sub, k * c, depth + 1);
  };
  visit(top, 1, 0);
  return n;
}

// Bump when the synthesis scripts below change meaning: it is part of every cache key.
const SCRIPT_VERSION = 'per-module-1';

/** Cache entry of one module: its own cells by type (submodule instances included, by Yosys name). */
interface ModuleEntry {
  module: string;
  cells: Record<string, number>;
  yosysVersion: string;
}

const own = (n: string) => n.replace(/^\\/, '');
/** A file-name-safe short name of a Yosys module name (`$paramod$<hash>\cn_x` -> `cn_x`). */
const shortName = (n: string) => (/\\([A-Za-z0-9_]+)(?:\\|$)/.exec(n)?.[1] ?? own(n)).replace(/[^A-Za-z0-9_]/g, '_');

function yosysPackageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/@yowasp/yosys/package.json'), 'utf8')) as { version: string }).version;
}

/** Splits `items` into at most `n` groups of similar total weight (longest first, each to the lightest group). */
export function balance<T>(items: T[], weight: (t: T) => number, n: number): T[][] {
  const groups: { items: T[]; w: number }[] = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, () => ({ items: [], w: 0 }));
  for (const it of [...items].sort((a, b) => weight(b) - weight(a))) {
    const g = groups.reduce((a, b) => (b.w < a.w ? b : a));
    g.items.push(it);
    g.w += weight(it);
  }
  return groups.filter((g) => g.items.length).map((g) => g.items);
}

export interface SynthOptions {
  /** Cache folder; default the yosys/ folder of the build cache (src/util/build-cache.ts). */
  cacheDir?: string;
  /** Yosys instances run at once; default the available cores. */
  parallel?: number;
}

/**
 * Synthesizes `files` (name -> Verilog text) with top `top` for a Xilinx family, module by module
 * (docs/architecture.md, "Builds and caching"):
 * 1. the design is read and elaborated once (`hierarchy -top`: parameters resolved, one module
 *    per parameter set) and split into modules (src/synth/rtlil.ts);
 * 2. each module is keyed by a hash of its normalised RTLIL, its submodules' ports, the scripts,
 *    the family and the Yosys version, and looked up in the yosys/modules/ folder of the cache;
 * 3. the modules not found are synthesized with synth_xilinx keeping the hierarchy (submodules as
 *    blackboxes), in up to `parallel` worker threads, each running a group of modules of similar
 *    size in one Yosys instance (its start-up, the Xilinx cell library, costs as much as a small
 *    module's synthesis);
 * 4. the design's figures are each module's own cells times its instances under the top.
 * The whole result is also cached by a hash of the sources, so an unchanged design skips step 1.
 */
export async function synthesize(files: Record<string, string>, top: string, family: XilinxFamily, o: SynthOptions = {}): Promise<SynthResult> {
  const cacheDir = o.cacheDir ?? buildCacheDir('yosys');
  const names = Object.keys(files).sort();
  // Headers (cn_isa.vh) are read through the sources' `include, from the same folder.
  const elaborate = [...names.filter((n) => !n.endsWith('.vh')).map((n) => `read_verilog -sv ${n}`), `hierarchy -top ${top}`, 'write_rtlil design.il'].join('; ');
  const pkg = yosysPackageVersion();
  const h = createHash('sha256').update(SCRIPT_VERSION).update(elaborate).update(SYNTH_SCRIPT(family)).update(pkg);
  for (const n of names) h.update(n).update(files[n]);
  const cacheFile = join(cacheDir, `${top}-${family}-${h.digest('hex').slice(0, 20)}.json`);
  if (existsSync(cacheFile)) return { ...(JSON.parse(readFileSync(cacheFile, 'utf8')) as SynthResult), cached: true };

  const t0 = performance.now();
  const bar = progress(`yosys synth_xilinx of ${top}`, 'reading the sources');
  try {
    const log = new Tail();
    const [elab] = await runYosysJobs([{ args: ['-v', '2', '-p', elaborate], files, outputs: ['design.il'], onLine: (l) => stageOrLog(l, (s) => bar.stage(`elaborating: ${s}`), log) }], 1)
      .catch((e: unknown) => { throw new Error(`yosys synth_xilinx of ${top} failed reading the sources: ${(e as Error).message}\n${log.text()}`); });
    const modules = splitRtlil(elab['design.il']);
    const units = [...modules.values()].map((m) => {
      const text = [...m.submodules.map((s) => modules.get(s)!.stub), m.text].join('');
      const key = createHash('sha256').update(SCRIPT_VERSION).update(SYNTH_SCRIPT(family)).update(pkg).update(text).digest('hex').slice(0, 20);
      return { m, file: join(cacheDir, 'modules', `${shortName(m.name)}-${family}-${key}.json`) };
    });
    const entries = new Map<string, ModuleEntry>();
    for (const u of units) if (existsSync(u.file)) entries.set(u.m.name, JSON.parse(readFileSync(u.file, 'utf8')) as ModuleEntry);
    const missing = units.filter((u) => !entries.has(u.m.name));
    const cached = units.filter((u) => entries.has(u.m.name)).map((u) => own(u.m.name));

    if (missing.length) {
      const groups = balance(missing, (u) => u.m.bits, o.parallel ?? availableParallelism());
      let done = 0;
      const count = missing.length;
      bar.stage(`0/${count} modules synthesized (${units.length - count} cached)`);
      const jobs = groups.map((g) => {
        const members = new Set(g.map((u) => u.m.name));
        const stubs = [...new Set(g.flatMap((u) => u.m.submodules))].filter((s) => !members.has(s)).sort();
        const label = shortName(g[0].m.name) + (g.length > 1 ? ` and ${g.length - 1} more` : '');
        const glog = new Tail();
        return {
          args: ['-v', '2', '-p', SYNTH_SCRIPT(family)],
          files: { 'group.il': [...stubs.map((s) => modules.get(s)!.stub), ...g.map((u) => u.m.text)].join('') },
          outputs: ['stat.json'],
          onLine: (l: string) => stageOrLog(l, (s) => bar.stage(`${done}/${count} modules synthesized; ${label}: ${s}`), glog),
          log: glog,
          // Each module's entry is cached as soon as its group is done (an interrupted run keeps them).
          onDone: (out: Record<string, string>) => {
            const stat = JSON.parse(out['stat.json']) as { creator: string; modules: Record<string, { num_cells_by_type?: Record<string, number> }> };
            const yosysVersion = stat.creator.replace(/^Yosys /, '').replace(/ \(.*$/s, '');
            for (const u of g) {
              const s = stat.modules[u.m.name];
              if (!s) throw new Error(`yosys synth_xilinx of ${top}: no statistics for module ${own(u.m.name)}`);
              const e: ModuleEntry = { module: u.m.name, cells: s.num_cells_by_type ?? {}, yosysVersion };
              writeCachedFile(u.file, JSON.stringify(e, null, 2));
              entries.set(u.m.name, e);
              done++;
            }
          },
        };
      });
      await runYosysJobs(jobs, jobs.length).catch((e: unknown) => {
        throw new Error(`yosys synth_xilinx of ${top} failed: ${(e as Error).message}\n${jobs.map((j) => j.log.text()).join('')}`);
      });
    }

    // Yosys's own version string, as its statistics name it (every module entry has it).
    // In the design's module order, whatever came from the cache: the result does not depend on what was cached.
    const ordered = new Map(units.map((u) => [u.m.name, entries.get(u.m.name)!]));
    const yosysVersion = ordered.values().next().value!.yosysVersion;
    const result: SynthResult = { top, family, yosysVersion, seconds: (performance.now() - t0) / 1000, ...combine(ordered, top) };
    writeCachedFile(cacheFile, JSON.stringify(result, null, 2));
    return { ...result, units: { synthesized: missing.map((u) => own(u.m.name)).sort(), cached: cached.sort() } };
  } finally {
    bar.finish();
  }
}

/**
 * Synthesis of a group of elaborated modules (group.il: the modules and their submodules'
 * blackboxes): synth_xilinx's own script with its `begin` step's `hierarchy -auto-top` replaced
 * by `hierarchy -check`, which keeps every module of the group.
 * -noiopad/-noclkbuf: the accelerator sits inside a block design, not on device pins.
 */
const SYNTH_SCRIPT = (family: XilinxFamily) => [
  'read_rtlil group.il',
  'read_verilog -lib -specify +/xilinx/cells_sim.v',
  'read_verilog -lib +/xilinx/cells_xtra.v',
  'hierarchy -check',
  `synth_xilinx -family ${family} -noiopad -noclkbuf -run prepare:`,
  'tee -q -o stat.json stat -json',
].join('; ');

/** The design's figures from its modules' own cells: per module, the hierarchy, and the total (own cells x instances). */
function combine(entries: Map<string, ModuleEntry>, top: string): Pick<SynthResult, 'modules' | 'hierarchy' | 'total'> {
  const modules: Record<string, Resources> = {};
  const hierarchy: Record<string, Record<string, number>> = {};
  // Statistics name a cell type without the backslash of a public name (`cn_mul2`), as SynthResult does.
  for (const [name, e] of entries) modules[own(name)] = countResources(e.cells);
  for (const [name, e] of entries) {
    const subs = Object.entries(e.cells).filter(([t]) => own(t) in modules).map(([t, n]) => [own(t), n] as const);
    if (subs.length) hierarchy[own(name)] = Object.fromEntries(subs);
  }
  const n = instanceCounts(hierarchy, top);
  const total: Resources = { lut: 0, ff: 0, dsp: 0, bram36: 0, lutMemory: 0 };
  for (const [m, r] of Object.entries(modules)) for (const k of Object.keys(total) as (keyof Resources)[]) total[k] += (n.get(m) ?? 0) * r[k];
  return { modules, hierarchy, total };
}

/** Yosys -v 2 prints the pass headers ("2.4. Executing PROC pass (...)"): they name the stage; the rest is kept for errors. */
function stageOrLog(l: string, stage: (s: string) => void, log: Tail): void {
  const m = /^(\d+(?:\.\d+)*)\. (?:Executing )?(.*?)(?: \(.*\))?\.?$/.exec(l);
  if (m) stage(`${m[2]} (${m[1]})`);
  else log.add(l);
}

/** The last few thousand characters of a log. */
class Tail {
  private s = '';
  add(l: string): void {
    this.s = `${this.s}${l}\n`.slice(-4000);
  }
  text(): string {
    return this.s;
  }
}
