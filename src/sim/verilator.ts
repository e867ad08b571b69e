import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, mkdtempSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fail } from '../util/errors.ts';
import { PROJECT_ROOT } from '../util/paths.ts';

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
  /** Cache root; default .cache/verilator under the project. */
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
 * Builds a Verilator simulation and returns the executable. Builds are cached by a hash of every
 * input (sources, testbench, parameters, flags, Verilator version), so tests rebuild only on change.
 * A build goes to a temporary folder and is renamed into place, so an interrupted build never
 * leaves a broken cache entry.
 */
export function buildVerilated(b: VerilatorBuild): string {
  const abs = (p: string) => resolve(PROJECT_ROOT, p);
  const sources = b.sources.map(abs);
  const cpp = b.cppSources.map(abs);
  const includes = [join(PROJECT_ROOT, 'sim'), ...(b.includeDirs ?? []).map(abs)];
  const params = Object.entries(b.params ?? {}).sort(([a], [c]) => a.localeCompare(c)).map(([k, v]) => `-G${k}=${v}`);
  const defines = Object.entries(b.defines ?? {}).sort(([a], [c]) => a.localeCompare(c)).map(([k, v]) => `-D${k}=${v}`);
  const flags = ['--cc', '--exe', '--build', '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '-Wno-fatal', '--top-module', b.top,
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
  const key = h.digest('hex').slice(0, 20);
  const root = b.cacheDir ?? join(PROJECT_ROOT, '.cache', 'verilator');
  const dir = join(root, `${b.top}-${key}`);
  const exe = join(dir, `V${b.top}`);
  if (existsSync(exe)) return exe;
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.build-${b.top}-`));
  try {
    execFileSync('verilator', [...flags, '--Mdir', tmp, '-j', '2', '-o', `V${b.top}`, ...sources, ...cpp], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`verilator build of ${b.top} failed:\n${err.stderr?.toString() ?? err.message}`);
  }
  return exe;
}
