// `codenet sim` (src/sim/run.ts) and `codenet verify` (src/verify/run.ts) choose and run their
// simulator only through the one Simulator interface (src/sim/simulator.ts): with every entry of
// the registry replaced by a fake, the fake is what both run, for all four names, and what it
// returns is what they report.
// test tier: unit -- every simulator's build and run are fakes here: no Verilator, Icarus or g++ runs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './helpers/temp.ts';
import { SIMULATORS, SIMULATOR_NAMES, simulatorNamed, type SimProgram, type SimSources, type SimulatorName, type SimulatorRun } from '../src/sim/simulator.ts';
import { bundleInputCodes, bundleSources, loadBundle, runSimulation } from '../src/sim/run.ts';
import { buildSimulator, runCase } from '../src/verify/run.ts';
import { renderedSources } from '../src/verify/simulators.ts';
import { verifyCases } from '../src/verify/cases.ts';
import { writeSimBundle } from '../src/gen/bundle.ts';
import { presetConfig } from '../src/hw/config.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { inputBuffer, inputBufferBytes } from '../src/compiler/tensors.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';

const hw = presetConfig('ultra96v2');
const kase = verifyCases(hw.dmax).find((k) => !k.full)!;
const { model, input } = kase.build(hw);
const root = tempDir('codenet-simif-');
const dir = join(root, 'b');
writeSimBundle(dir, model, hw, input);
const fakeExe = join(root, 'fake-exe');
writeFileSync(fakeExe, 'not an executable: the fake build of this test');

/** Distinct figures per simulator, so a report shows whose run it took. */
const CYCLES: Record<SimulatorName, number> = { reference: 1001, verilator: 2002, icarus: 3003, hls: 4004 };

/** The program's right answer (the reference interpreter run directly, not through the registry). */
function computed(p: SimProgram): Uint8Array {
  const memory = new Uint8Array(p.map.imageBytes);
  memory.set(p.image);
  memory.set(inputBufferBytes(p.map, p.hw, p.input), inputBuffer(p.map).offset);
  executeProgram(memory, p.map.program.offset, p.map.program.descriptors, p.hw);
  return memory;
}

let corrupt = false;
const calls: Array<{ name: SimulatorName; what: 'build' | 'run'; program?: SimProgram; sources: SimSources }> = [];

beforeEach(() => {
  calls.length = 0;
  corrupt = false;
  for (const name of SIMULATOR_NAMES) {
    vi.spyOn(SIMULATORS[name], 'build').mockImplementation(async (_hw, sources) => {
      calls.push({ name, what: 'build', sources });
      return { exe: fakeExe, seconds: 0.5, built: true };
    });
    vi.spyOn(SIMULATORS[name], 'run').mockImplementation(async (program, sources): Promise<SimulatorRun> => {
      calls.push({ name, what: 'run', program, sources });
      // corrupt: computed on an input one code away from the one given, so some tensor differs.
      const given = Int8Array.from(program.input);
      if (corrupt) given[0] ^= 0x40;
      const memory = computed({ ...program, input: given });
      return {
        memory, cycles: CYCLES[name], counters: { busyCycles: CYCLES[name] - 1 }, ddr: { bytesRead: 11, bytesWritten: 22 },
        ddrModel: { latency: 7, bytesPerCycle: 3, base: '0x40000000' }, wallSeconds: 2, simCycles: CYCLES[name],
      };
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('one Simulator interface for codenet sim and codenet verify', () => {
  it('simulatorNamed is the registry, and refuses other names', () => {
    for (const n of SIMULATOR_NAMES) expect(simulatorNamed(n)).toBe(SIMULATORS[n]);
    expect(() => simulatorNamed('modelsim')).toThrow(/unknown simulator "modelsim"; simulators: reference, verilator, icarus, hls/);
  });

  for (const name of SIMULATOR_NAMES) {
    it(`codenet sim --simulator ${name} runs the registry's ${name} on the folder's program and sources`, async () => {
      const r = await runSimulation({ dir, simulator: name });
      expect(calls.map((c) => `${c.name}:${c.what}`)).toEqual([`${name}:build`, `${name}:run`]);
      const p = calls[1].program!;
      expect(Buffer.from(p.image).equals(readFileSync(join(dir, 'data/memory.bin')))).toBe(true);
      expect([...p.input]).toEqual([...bundleInputCodes(loadBundle(dir))]);
      const relocs = readFileSync(join(dir, 'data/relocs.bin'));
      expect([...p.relocs]).toEqual(Array.from({ length: relocs.length / 4 }, (_, i) => relocs.readUInt32LE(4 * i)));
      // The sources are the folder's own files.
      expect(calls[1].sources.rtl()['rtl/codenet_accel.v']).toBe(readFileSync(join(dir, 'rtl/codenet_accel.v'), 'utf8'));
      expect(calls[1].sources.verilator()['tb_codenet.cpp']).toBe(readFileSync(join(dir, 'sim/tb_codenet.cpp'), 'utf8'));
      // The report is the fake's run, checked against the golden model.
      expect([r.simulator, r.match, r.totalCycles, r.counters, r.ddr, r.ddrModel]).toEqual([name, true, CYCLES[name], { busyCycles: CYCLES[name] - 1 }, { bytesRead: 11, bytesWritten: 22 }, { latency: 7, bytesPerCycle: 3, base: '0x40000000' }]);
      expect(r.compared.elements).toBeGreaterThan(0);
      // Only a simulator with a place in the folder's sim/Makefile gets its build put there.
      const product = SIMULATORS[name].makeProduct?.(false);
      if (product) expect(readFileSync(join(dir, product), 'utf8')).toBe(readFileSync(fakeExe, 'utf8'));
    });

    it(`codenet verify --simulator ${name} builds and runs the registry's ${name}`, async () => {
      const b = await buildSimulator(name, hw);
      expect(b).toMatchObject({ name: 'build', simulator: name, passed: true, message: 'built' });
      const r = await runCase(kase, hw, name);
      expect(calls.map((c) => `${c.name}:${c.what}`)).toEqual([`${name}:build`, `${name}:run`]);
      expect(r).toMatchObject({ name: kase.name, simulator: name, passed: true, cycles: CYCLES[name] });
      expect(r.elements).toBeGreaterThan(0);
      expect([...calls[1].program!.input]).toEqual([...input]);
    });
  }

  it('what the fake computes is what both compare: a wrong element fails sim and verify', async () => {
    corrupt = true;
    const r = await runSimulation({ dir, simulator: 'icarus' });
    expect(r.match).toBe(false);
    expect(r.firstMismatch?.count).toBeGreaterThan(0);
    const v = await runCase(kase, hw, 'hls');
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(/differ|expected/);
  });

  it('a folder gives a simulator the files verify renders for its config: the same sources, so one cached build serves both', () => {
    const folder = bundleSources(loadBundle(dir));
    const rendered = renderedSources(hw);
    expect(folder.verilator()).toEqual(rendered.verilator());
    expect(folder.rtl()).toEqual(rendered.rtl());
    expect(Object.keys(folder.rtl())).toContain('rtl/codenet_accel.v');
    // A bundle has no hls/: its kernel comes from the renderer sim is given, else a clear error.
    expect(() => folder.hls()).toThrow(/has no hls\/ folder/);
    expect(bundleSources(loadBundle(dir), () => rendered.hls()).hls()).toEqual(rendered.hls());
  });

  it('src/sim/run.ts names no simulator and calls none directly', () => {
    const src = readFileSync(resolve(PROJECT_ROOT, 'src/sim/run.ts'), 'utf8');
    expect(src).not.toMatch(/(===|!==|case)\s*'(reference|verilator|icarus|hls)'/);
    expect(src).not.toMatch(/simulator\s*\?\?\s*'/);
    expect(src).not.toMatch(/\b(runIcarus|buildCsim|runCsimFiles|executeProgram|runTestbench|buildTestbench|buildAccelSim)\b/);
    expect(src).toMatch(/simulatorNamed\(/);
    expect(existsSync(resolve(PROJECT_ROOT, 'src/sim/simulator.ts'))).toBe(true);
  });
});
