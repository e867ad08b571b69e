// codenet sim on damaged folders and hung programs: data/manifest.json checksums
// verified before simulating (exit 2 naming the file), a watchdog that stops a program making no
// descriptor progress (exit 1 naming the descriptor and its layer) in Verilator and Icarus, run
// limits derived from the predicted cycles, and no sim-report.json from a run that failed.
import { beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli } from './helpers/cli.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { presetConfig } from '../src/hw/config.ts';
import { DESCRIPTOR_BYTES, ENGINE_PW, readDescriptor, writeDescriptor } from '../src/compiler/descriptor.ts';
import { MemoryMapSchema, type MemoryMap } from '../src/compiler/memory-map.ts';
import { writeSimBundle } from '../src/gen/bundle.ts';
import { refreshManifest, MANIFEST_FILE } from '../src/sim/manifest.ts';
import { programOf, simLimits } from '../src/sim/limits.ts';
import { ddrDefaults } from '../src/sim/testbench.ts';
import { verifyCases } from '../src/verify/cases.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { tempDir } from './helpers/temp.ts';

const HW = presetConfig('ultra96v2');
let root: string;
let good: string;

const readMap = (dir: string): MemoryMap => MemoryMapSchema.parse(JSON.parse(readFileSync(join(dir, 'data/memory-map.json'), 'utf8')));

/** A copy of the good bundle, with a stale sim-report.json as an earlier passing run would leave. */
function copy(name: string): string {
  const d = join(root, name);
  cpSync(good, d, { recursive: true });
  writeFileSync(join(d, 'sim-report.json'), '{"stale": true}\n');
  return d;
}

/**
 * Makes descriptor `idx` wait forever: one more output row than its engine produces, so the writer
 * waits for beats that never come (no AXI error, no irq). The manifest is rewritten to match, as a
 * deliberate edit would be; returns the descriptor index.
 */
function hang(dir: string, pick: (i: number, engine: number) => boolean): number {
  const mem = new Uint8Array(readFileSync(join(dir, 'data/memory.bin')));
  const map = readMap(dir);
  const idx = Array.from({ length: map.program.descriptors }, (_, i) => i).find((i) => pick(i, readDescriptor(mem, i * DESCRIPTOR_BYTES).engine))!;
  const d = readDescriptor(mem, idx * DESCRIPTOR_BYTES);
  writeDescriptor(mem, idx * DESCRIPTOR_BYTES, { ...d, out_h: d.out_h + 1 });
  writeFileSync(join(dir, 'data/memory.bin'), mem);
  refreshManifest(dir);
  return idx;
}

beforeAll(() => {
  root = tempDir('codenet-robust-');
  good = join(root, 'good');
  // Any codenet-tiny on ultra96v2 shares the cached Verilator build of test/sim.test.ts.
  writeSimBundle(good, exportZooModel('codenet-tiny', { seed: 2 }), HW, imageCodes(randomImage(9, 64, 64)));
});

describe('data/manifest.json', () => {
  it('bundle and gen write the checksums of every file sim consumes; they verify', async () => {
    const m = JSON.parse(readFileSync(join(good, MANIFEST_FILE), 'utf8'));
    expect(m.format).toBe('codenet-manifest');
    for (const f of ['data/memory.bin', 'data/relocs.bin', 'data/input.bin', 'data/memory-map.json', 'data/model.json', 'data/hw.json', 'data/expected.bin', 'rtl/codenet_accel.v', 'rtl/cn_dot2.v', 'sim/tb_codenet.cpp'])
      expect(m.files[f]?.sha256, f).toMatch(/^[0-9a-f]{64}$/);
    expect(m.files['data/memory.bin'].bytes).toBe(readFileSync(join(good, 'data/memory.bin')).length);
    const gen = join(root, 'gen');
    const r = await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', gen);
    expect(r.code, r.stderr).toBe(0);
    const g = JSON.parse(readFileSync(join(gen, MANIFEST_FILE), 'utf8'));
    for (const f of ['hls/codenet_kernel.cpp', 'data/memory.hex', 'data/memory.bin']) expect(g.files[f]?.sha256, f).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(g.files).some((f) => f.startsWith('report/') || f.startsWith('sw/'))).toBe(false);
  });

  it('a corrupted data/memory.bin is exit 2 naming it, before anything runs; sim-report.json is not written', async () => {
    const dir = copy('corrupt');
    rmSync(join(dir, 'sim-report.json'));
    const mem = readFileSync(join(dir, 'data/memory.bin'));
    mem[300] ^= 0x55; // a descriptor byte of the program
    writeFileSync(join(dir, 'data/memory.bin'), mem);
    const r = await runCli('sim', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'data/memory.bin')}: checksum mismatch`);
    expect(r.stderr).toContain('regenerate the folder with "codenet bundle <model>');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'sim-report.json'))).toBe(false);
  });

  it('a truncated input, a missing or damaged manifest are exit 2 naming the file', async () => {
    const dir = copy('damaged');
    const input = readFileSync(join(dir, 'data/input.bin'));
    writeFileSync(join(dir, 'data/input.bin'), input.subarray(0, input.length - 16));
    const r1 = await runCli('sim', dir);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`${join(dir, 'data/input.bin')}: checksum mismatch: it holds ${input.length - 16} bytes`);
    writeFileSync(join(dir, MANIFEST_FILE), '{"format": "codenet-manifest", "ver');
    const r2 = await runCli('sim', dir);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${join(dir, MANIFEST_FILE)} is not valid JSON`);
    rmSync(join(dir, MANIFEST_FILE));
    const r3 = await runCli('sim', dir);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain(`${join(dir, MANIFEST_FILE)} is missing`);
    for (const r of [r1, r2, r3]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing rtl/ library file is exit 2 naming it (not a Verilator stack trace)', async () => {
    const dir = copy('no-rtl');
    rmSync(join(dir, 'rtl/cn_dot2.v'));
    const r = await runCli('sim', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'rtl/cn_dot2.v')} is missing (data/manifest.json lists it)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an edited rtl/ file that no longer builds is exit 2 naming it', async () => {
    const dir = copy('bad-rtl');
    appendFileSync(join(dir, 'rtl/cn_dot2.v'), '\nthis is not verilog (\n');
    const r = await runCli('sim', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'rtl/cn_dot2.v')} differs from what codenet bundle <model> wrote (data/manifest.json) and the build fails`);
    expect(r.stderr).toContain('cn_dot2.v');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('watchdog and run limits', () => {
  it('default limits come from the predicted cycles: a few times the simulated run, far below 2e9', async () => {
    const map = readMap(good);
    const limits = simLimits(programOf(new Uint8Array(readFileSync(join(good, 'data/memory.bin'))), map), HW, ddrDefaults(HW));
    const r = await runCli('sim', good);
    expect(r.code, r.stderr).toBe(0);
    const cycles = Number(/total cycles (\d+)/.exec(r.stdout)![1]);
    // the analytic model is within 5% of the RTL (test/perf-rtl.test.ts)
    expect(Math.abs(limits.predicted - cycles) / cycles).toBeLessThan(0.1);
    expect(limits.maxCycles).toBeGreaterThan(3 * cycles);
    expect(limits.maxCycles).toBeLessThan(1e8);
    expect(limits.watchdog).toBeGreaterThan(limits.longest.cycles);
    expect(limits.watchdog).toBeLessThan(cycles * 10);
    // the generated Makefile runs with the same limits
    const mk = readFileSync(join(good, 'sim/Makefile'), 'utf8');
    expect(mk).toContain(`MAX_CYCLES      ?= ${limits.maxCycles}`);
    expect(mk).toContain(`WATCHDOG        ?= ${limits.watchdog}`);
    // slower DDR, higher limits
    expect(simLimits(programOf(new Uint8Array(readFileSync(join(good, 'data/memory.bin'))), map), HW, { latency: 400, bytesPerCycle: 1 }).watchdog).toBeGreaterThan(limits.watchdog);
  });

  it('a hung program stops at the watchdog: exit 1 naming the descriptor, its layer and engine; no sim-report.json', async () => {
    const dir = copy('hang');
    const idx = hang(dir, (i, engine) => i > 4 && engine === ENGINE_PW);
    const map = readMap(dir);
    const layer = map.layers.find((l) => l.descriptors.includes(idx))!;
    const limits = simLimits(programOf(new Uint8Array(readFileSync(join(dir, 'data/memory.bin'))), map), HW, ddrDefaults(HW));
    const r = await runCli('sim', dir);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`watchdog: descriptor ${idx} (layer "${layer.name}", ${layer.op}, engine PW) of ${map.program.descriptors} made no progress for ${limits.watchdog} cycles`);
    expect(r.stderr).toContain(`${idx} descriptors have written their statistics beat`);
    // the earlier run's report no longer describes the folder; report/ and sim-report.json only after a passing check
    expect(existsSync(join(dir, 'sim-report.json'))).toBe(false);
  });

  it('with the watchdog off, the derived --max-cycles default stops it (exit 1), not 2e9', async () => {
    const dir = copy('hang-timeout');
    hang(dir, (i, engine) => i > 4 && engine === ENGINE_PW);
    const map = readMap(dir);
    const limits = simLimits(programOf(new Uint8Array(readFileSync(join(dir, 'data/memory.bin'))), map), HW, ddrDefaults(HW));
    const r = await runCli('sim', dir, '--watchdog', '0');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`no irq after --max-cycles ${limits.maxCycles} cycles`);
    expect(existsSync(join(dir, 'sim-report.json'))).toBe(false);
  });

  it('Icarus: the same watchdog stops a hung program, naming the descriptor', async () => {
    const k = verifyCases(HW.dmax).find((c) => c.name === 'shufflenet-unit')!;
    const { model, input } = k.build(HW);
    const dir = join(root, 'icarus-hang');
    writeSimBundle(dir, model, HW, input);
    const idx = hang(dir, (i, engine) => i > 0 && engine === ENGINE_PW);
    const map = readMap(dir);
    // every descriptor of this unit is far shorter than the watchdog below
    expect(simLimits(compileModel(model, HW).descriptors, HW, { latency: 8, bytesPerCycle: 0 }).longest.cycles).toBeLessThan(3000);
    const layer = map.layers.find((l) => l.descriptors.includes(idx))!;
    // Icarus is slow (~500 cycles/s): a watchdog shorter than the default, still longer than any descriptor of this unit
    const r = await runCli('sim', dir, '--simulator', 'icarus', '--watchdog', '6000');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`watchdog: descriptor ${idx} (layer "${layer.name}", ${layer.op}, engine PW) of ${map.program.descriptors} made no progress for 6000 cycles`);
    expect(existsSync(join(dir, 'sim-report.json'))).toBe(false);
    // A failed Icarus run keeps its run folder for the rerun command in its message: remove it.
    for (const n of readdirSync(tmpdir())) if (n.startsWith(`codenet-icarus-${process.pid}-`)) rmSync(join(tmpdir(), n), { recursive: true, force: true });
  });

  it('--watchdog must be a non-negative integer', async () => {
    const r = await runCli('sim', good, '--watchdog', '-5');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--watchdog');
  });
});
