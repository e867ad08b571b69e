import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../util/paths.ts';
import { cacheDir as buildCacheDir, writeCachedFile } from '../util/build-cache.ts';
import { progress } from '../util/progress.ts';

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

/**
 * Synthesizes `files` (name -> Verilog text) with top `top` for a Xilinx family. Results are cached
 * in the yosys/ folder of the build cache (src/util/build-cache.ts) by a hash of the sources, top, family and Yosys version.
 */
export async function synthesize(files: Record<string, string>, top: string, family: XilinxFamily, cacheDir = buildCacheDir('yosys')): Promise<SynthResult> {
  const { runYosys } = await import('@yowasp/yosys');
  const names = Object.keys(files).sort();
  const script = [
    // Headers (cn_isa.vh) are read through the sources' `include, from the same folder.
    ...names.filter((n) => !n.endsWith('.vh')).map((n) => `read_verilog -sv ${n}`),
    // -noiopad/-noclkbuf: the accelerator sits inside a block design, not on device pins.
    `synth_xilinx -family ${family} -top ${top} -noiopad -noclkbuf`,
    'tee -q -o stat.json stat -json',
  ].join('; ');
  const h = createHash('sha256').update(script);
  for (const n of names) h.update(n).update(files[n]);
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/@yowasp/yosys/package.json'), 'utf8')) as { version: string };
  h.update(pkg.version);
  const cacheFile = join(cacheDir, `${top}-${family}-${h.digest('hex').slice(0, 20)}.json`);
  if (existsSync(cacheFile)) return { ...(JSON.parse(readFileSync(cacheFile, 'utf8')) as SynthResult), cached: true };

  const t0 = performance.now();
  let log = '';
  // -v 2: quiet but for the pass headers ("2.4. Executing PROC pass (...)"), which name the stage
  // in the progress lines; everything else (warnings, errors) is kept for the error message.
  const bar = progress(`yosys synth_xilinx of ${top}`, 'reading the sources');
  let partial = '';
  const sink = (b: Uint8Array | null) => {
    if (!b) return;
    const lines = (partial + new TextDecoder().decode(b)).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      const m = /^(\d+(?:\.\d+)*)\. (?:Executing )?(.*?)(?: \(.*\))?\.?$/.exec(l);
      if (m) bar.stage(`${m[2]} (${m[1]})`);
      else log += `${l}\n`;
    }
  };
  let out: Record<string, unknown>;
  try {
    out = (await runYosys(['-v', '2', '-p', script], files, { stdout: sink, stderr: sink })) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`yosys synth_xilinx of ${top} failed: ${(e as Error).message}\n${(log + partial).slice(-4000)}`);
  } finally {
    bar.finish();
  }
  const raw = out['stat.json'];
  const stat = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array)) as {
    creator: string;
    modules: Record<string, { num_cells_by_type?: Record<string, number> }>;
    design: { num_cells_by_type?: Record<string, number> };
  };
  const modules: Record<string, Resources> = {};
  for (const [name, m] of Object.entries(stat.modules)) modules[name.replace(/^\\/, '')] = countResources(m.num_cells_by_type ?? {});
  const hierarchy: Record<string, Record<string, number>> = {};
  const own = (n: string) => n.replace(/^\\/, '');
  for (const [name, m] of Object.entries(stat.modules)) {
    const subs = Object.entries(m.num_cells_by_type ?? {}).filter(([t]) => own(t) in modules).map(([t, n]) => [own(t), n] as const);
    if (subs.length) hierarchy[own(name)] = Object.fromEntries(subs);
  }
  const result: SynthResult = {
    top, family,
    yosysVersion: stat.creator.replace(/^Yosys /, '').replace(/ \(.*$/, ''),
    seconds: (performance.now() - t0) / 1000,
    total: countResources(stat.design.num_cells_by_type ?? {}),
    modules,
    hierarchy,
  };
  writeCachedFile(cacheFile, JSON.stringify(result, null, 2));
  return result;
}
