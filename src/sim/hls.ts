/**
 * C-simulation of the HLS accelerator with g++: build the sources src/gen/hls.ts renders (cached
 * by a hash of the sources and flags, src/util/build-cache.ts) and run the testbench on a memory
 * image; the caller compares the dump with the golden model.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { HwConfig } from '../hw/config.ts';
import type { Compiled } from '../compiler/compile.ts';
import { inputBuffer, inputBufferBytes } from '../compiler/tensors.ts';
import { fail } from '../util/errors.ts';
import { makeTempDir, removeTempDir, runProcess } from '../util/proc.ts';
import { cacheDir, cachedBuild } from '../util/build-cache.ts';
import { withProgress } from '../util/progress.ts';
import { SimulationError } from './testbench.ts';

/** Flags of the C-simulation build: warnings are errors, except the two that the HLS idiom causes: loop labels (named in Vitis reports and pragmas) and #pragma HLS (g++ ignores them). */
export const CSIM_FLAGS = ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-Wno-unused-label', '-Wno-unknown-pragmas'];

function gxxVersion(): string {
  try {
    return execFileSync('g++', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    fail('g++ was not found on PATH; install it with apt-get install g++ (scripts/setup.sh does)');
  }
}

/** Builds (or finds in the cache) the C-simulation of `sources` (file name -> text); g++ runs in its own process group (src/util/proc.ts). */
export async function buildCsim(sources: Record<string, string>): Promise<{ exe: string; seconds: number }> {
  const h = createHash('sha256').update(gxxVersion()).update(JSON.stringify(CSIM_FLAGS));
  for (const n of Object.keys(sources).sort()) h.update(n).update(sources[n]);
  const e = await cachedBuild(cacheDir('hls'), h.digest('hex').slice(0, 20), 'csim', async (tmp) => {
    for (const [n, text] of Object.entries(sources)) writeFileSync(join(tmp, n), text);
    const r = await runProcess('g++', [...CSIM_FLAGS, `-I${tmp}`, '-o', join(tmp, 'csim'), join(tmp, 'codenet_kernel.cpp'), join(tmp, 'tb_codenet_hls.cpp')]);
    if (r.code !== 0) throw new Error(`g++ build of the HLS C-simulation failed:\n${r.stderr || `exit ${r.code ?? r.signal}`}`);
  });
  return { exe: e.path, seconds: e.seconds };
}

const OutSchema = z.object({ status: z.number().int(), descriptors: z.number().int(), wallSeconds: z.number() });

export interface CsimRun {
  /** The memory after the run (the image at offset 0, imageBytes long). */
  memory: Uint8Array;
  wallSeconds: number;
  buildSeconds: number;
}

/** Runs a built C-simulation on files: memory.bin, the input buffer bytes at their offset. */
export async function runCsimFiles(exe: string, f: { image: string; imageBytes: number; input: string; inputOffset: number; programLen: number; dump: string }): Promise<number> {
  const r = await withProgress('simulating (HLS C-simulation)', undefined, () => runProcess(exe, ['--image', f.image, '--image-bytes', String(f.imageBytes), '--input', f.input, '--input-offset', String(f.inputOffset),
    '--program-len', String(f.programLen), '--dump', f.dump]));
  if (r.code !== 0) throw new SimulationError(`HLS C-simulation failed (${r.signal ? `killed by ${r.signal}` : `exit ${r.code}`}): ${r.stderr.trim()}`);
  return OutSchema.parse(JSON.parse(r.stdout.trim().split('\n').pop()!)).wallSeconds;
}

/** C-simulates `compiled` for `hw` with graph input `input` (HWC codes) on the C-simulation built from `sources` (renderCsimSources). */
export async function runCsim(sources: Record<string, string>, hw: HwConfig, compiled: Compiled, input: Int8Array): Promise<CsimRun> {
  const { exe, seconds: buildSeconds } = await buildCsim(sources);
  const work = makeTempDir(tmpdir(), 'codenet-csim-');
  try {
    const p = (n: string) => join(work, n);
    writeFileSync(p('memory.bin'), compiled.image);
    writeFileSync(p('input.bin'), inputBufferBytes(compiled.map, hw, input));
    const wallSeconds = await runCsimFiles(exe, {
      image: p('memory.bin'), imageBytes: compiled.imageBytes, input: p('input.bin'), inputOffset: inputBuffer(compiled.map).offset,
      programLen: compiled.descriptors.length, dump: p('dump.bin'),
    });
    return { memory: new Uint8Array(readFileSync(p('dump.bin'))), wallSeconds, buildSeconds };
  } finally {
    removeTempDir(work);
  }
}
