import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail } from '../util/errors.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { runProcess } from '../util/proc.ts';
import { cacheDir, cachedBuild, cachedBuildSync, type CacheEntry } from '../util/build-cache.ts';

// Tests import the root from here beside buildVerilated.
export { PROJECT_ROOT };

export interface VerilatorBuild {
  /** Top module name. */
  top: string;
  /** Verilog sources (absolute paths or relative to the project root). */
  sources: string[];
  /** C++ testbench sources with main(). */
  cppSources: string[];
  /** Extra include directories for the C++ (sim/ is always on the path). */
  includeDirs?: string[];
  /** -G parameter overrides, e.g. { LANES: 16 }. */
  params?: Record<string, number>;
  /** C++ preprocessor defines for the testbench, e.g. { LANES: 16 }. */
  defines?: Record<string, number | string>;
  /** Enable FST tracing support (--trace-fst). */
  trace?: boolean;
  /** Cache root; default the verilator/ folder of the build cache (src/util/build-cache.ts). */
  cacheDir?: string;
}

function verilatorVersion(): string {
  try {
    return execFileSync('verilator', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    fail('verilator was not found on PATH; run scripts/setup.sh (it installs Debian\'s verilator and iverilog)');
  }
}

/**
 * C++ optimisation of the verilated model, passed to Verilator's make (it compiles the `Fast`
 * files with OPT_FAST, the `Slow` ones, run once at start-up, with OPT_SLOW, its runtime with
 * OPT_GLOBAL; -CFLAGS come before them). Measured on codenet-a's RTL, 2 cores (docs/architecture.md,
 * "Builds and caching"): against Verilator's default (-Os, and the -O2 of -CFLAGS on the Slow
 * files) this halves the compile's CPU time and leaves the simulation as fast. The generated
 * sim/Makefile (templates/sim/Makefile.hbs) uses the same flags.
 */
export const VERILATOR_MAKEFLAGS = 'OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1';

/** Parallel jobs of the C++ compile (and of Verilator itself): the available cores. */
export const buildJobs = (): number => availableParallelism();

interface BuildPlan {
  top: string;
  args: (mdir: string) => string[];
  root: string;
  /** The cache entry's name: `<top>-<hash>`. */
  name: string;
}

function planBuild(b: VerilatorBuild): BuildPlan {
  const abs = (p: string) => resolve(PROJECT_ROOT, p);
  const sources = b.sources.map(abs);
  const cpp = b.cppSources.map(abs);
  const includes = [join(PROJECT_ROOT, 'sim'), ...(b.includeDirs ?? []).map(abs)];
  // Verilog `include folders: the sources' own (hw/cn_accel_seq.v includes cn_isa.vh beside it).
  const vIncludes = [...new Set(sources.map((f) => dirname(f)))];
  const params = Object.entries(b.params ?? {}).sort(([a], [c]) => a.localeCompare(c)).map(([k, v]) => `-G${k}=${v}`);
  const defines = Object.entries(b.defines ?? {}).sort(([a], [c]) => a.localeCompare(c)).map(([k, v]) => `-D${k}=${v}`);
  const flags = ['--cc', '--exe', '--build', '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '-Wno-fatal', '--top-module', b.top, '-MAKEFLAGS', VERILATOR_MAKEFLAGS,
    ...(b.trace ? ['--trace-fst'] : []), ...params, '-CFLAGS', `-O2 ${[...includes.map((i) => `-I${i}`), ...defines].join(' ')}`];
  const h = createHash('sha256');
  h.update(verilatorVersion());
  // Include folders enter the hash by their headers' contents (below), not their paths: the same
  // sources in another generated folder reuse the build.
  h.update(JSON.stringify(flags.map((f) => (f.startsWith('-O2 ') ? [...defines].join(' ') : f))));
  for (const f of [...sources, ...cpp]) {
    h.update(basename(f));
    h.update(readFileSync(f));
  }
  // Headers the testbench may include: every .h/.hpp in the include folders.
  for (const dir of includes) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => /\.(h|hpp)$/.test(n)).sort()) {
      h.update(f);
      h.update(readFileSync(join(dir, f)));
    }
  }
  // Verilog headers the sources `include, found beside them.
  const included = new Set(sources.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/`include\s+"([^"]+)"/g)].map((m) => m[1])));
  for (const name of [...included].sort()) {
    const at = vIncludes.map((d) => join(d, name)).find((p) => existsSync(p));
    h.update(name);
    if (at) h.update(readFileSync(at));
  }
  const key = h.digest('hex').slice(0, 20);
  const root = b.cacheDir ?? cacheDir('verilator');
  return { top: b.top, root, name: `${b.top}-${key}`, args: (mdir) => [...flags, ...vIncludes.map((d) => `-I${d}`), '--Mdir', mdir, '-j', String(buildJobs()), '-o', `V${b.top}`, ...sources, ...cpp] };
}

/**
 * Builds a Verilator simulation and returns the executable. Builds are cached by a hash of every
 * input (sources, testbench, parameters, flags, Verilator version), so tests rebuild only on change.
 * A build goes to a temporary folder and is renamed into place, so an interrupted build never
 * leaves a broken cache entry (and its folder, named with the pid, is removed by a later build).
 * Synchronous (tests); codenet itself uses buildVerilatedAsync, which a signal can interrupt.
 */
export function buildVerilated(b: VerilatorBuild): string {
  const plan = planBuild(b);
  return cachedBuildSync(plan.root, plan.name, `V${plan.top}`, (tmp) => {
    try {
      execFileSync('verilator', plan.args(tmp), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new VerilatorBuildError(`verilator build of ${b.top} failed:\n${err.stderr?.toString() ?? err.message}`);
    }
  }, `.build-${plan.top}-`).path;
}

/** Verilator (or the C++ compiler under it) rejected the sources. */
export class VerilatorBuildError extends Error {
  override readonly name = 'VerilatorBuildError';
}

/** buildVerilated in a child process group (src/util/proc.ts): SIGINT/SIGTERM end it and remove its folder. */
export async function buildVerilatedAsync(b: VerilatorBuild): Promise<string> {
  return (await buildVerilatedEntry(b)).path;
}

/** buildVerilatedAsync with the cache entry: whether this call built it and how long it took. */
export async function buildVerilatedEntry(b: VerilatorBuild): Promise<CacheEntry> {
  const plan = planBuild(b);
  return cachedBuild(plan.root, plan.name, `V${plan.top}`, async (tmp) => {
    const r = await runProcess('verilator', plan.args(tmp), { maxBuffer: 64 << 20 });
    if (r.code !== 0) throw new VerilatorBuildError(`verilator build of ${b.top} failed (${r.signal ? `killed by ${r.signal}` : `exit ${r.code}`}):\n${r.stderr || r.stdout}`);
  }, `.build-${plan.top}-`);
}
