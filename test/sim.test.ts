// codenet bundle / codenet sim (src/sim/): the generated accelerator runs codenet-tiny in Verilator
// bit-exact against the golden model; a corrupted weight is caught and blamed on the first layer it
// changes; user mistakes are one-paragraph errors (exit 2).
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { presetConfig } from '../src/hw/config.ts';
import type { Model } from '../src/ir/model.ts';
import { encodeNpy } from '../src/io/npy.ts';
import { runGolden } from '../src/golden/run.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { writeInput } from '../src/compiler/tensors.ts';
import { MemoryMapSchema } from '../src/compiler/memory-map.ts';
import { writeSimBundle } from '../src/gen/bundle.ts';
import { compareWithGolden } from '../src/sim/compare.ts';
import { runSimulation } from '../src/sim/run.ts';
import { SimReportSchema } from '../src/sim/report.ts';
import { verifyCases } from '../src/verify/cases.ts';
import { serializeModel } from '../src/ir/save.ts';
import { tempDir } from './helpers/temp.ts';
import { corruptFirstWeight } from './helpers/corrupt-weight.ts';

const HW = presetConfig('ultra96v2');
let root: string;
let dir: string;
let model: Model;
let codes: Int8Array;

beforeAll(() => {
  root = tempDir('codenet-sim-');
  dir = join(root, 'tiny');
  model = exportZooModel('codenet-tiny', { seed: 2 });
  codes = imageCodes(randomImage(9, 64, 64));
  writeSimBundle(dir, model, HW, codes);
});

describe('codenet bundle', () => {
  it('writes rtl/, sim/ and data/ with a consistent image', () => {
    for (const f of ['rtl/codenet_accel.v', 'rtl/cn_accel_seq.v', 'sim/tb_codenet.cpp', 'sim/axi_ddr_model.h', 'sim/Makefile',
      'data/memory.bin', 'data/relocs.bin', 'data/memory-map.json', 'data/input.bin', 'data/model.json', 'data/hw.json'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const map = MemoryMapSchema.parse(JSON.parse(readFileSync(join(dir, 'data/memory-map.json'), 'utf8')));
    expect(readFileSync(join(dir, 'data/memory.bin')).length).toBe(map.fileBytes);
    expect(JSON.parse(readFileSync(join(dir, 'data/hw.json'), 'utf8'))).toEqual(HW);
    const tb = readFileSync(join(dir, 'sim/tb_codenet.cpp'), 'utf8');
    expect(tb).toContain('constexpr unsigned kBeatBytes = 16;');
    expect(tb).toContain('"busyCycles", "bytesRead"');
    expect(readFileSync(join(dir, 'sim/Makefile'), 'utf8')).toContain(`PROGRAM_LEN  := ${map.program.descriptors}`);
  });

  it('the CLI writes the same image for the same model and seed', async () => {
    const out = join(root, 'cli-bundle');
    const r = await runCli('bundle', 'codenet-tiny', '-o', out, '--seed', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`codenet sim ${out}`);
    expect(readFileSync(join(out, 'data/memory.bin')).equals(readFileSync(join(dir, 'data/memory.bin')))).toBe(true);
    expect(readFileSync(join(out, 'sim/tb_codenet.cpp'), 'utf8')).toBe(readFileSync(join(dir, 'sim/tb_codenet.cpp'), 'utf8'));
  });
});

describe('codenet sim (Verilator)', () => {
  it('runs codenet-tiny on the ultra96v2 accelerator bit-exact against the golden model', async () => {
    const r = await runSimulation({ dir });
    console.log(`sim codenet-tiny: ${r.totalCycles} cycles, ${r.fps.toFixed(0)} FPS, ${r.compared.tensors} tensors in ${r.wallSeconds.toFixed(1)} s`);
    expect(r.firstMismatch).toBeUndefined();
    expect(r.match).toBe(true);
    // on chip, checked through their readers: the three decoder dilation maps (map_out), the 19 1x1
    // outputs fused into their dw3x3 (PWDW: pw1 of the 16 ShuffleNet units and of the 3 heads) and
    // the 25 depthwise outputs that the next 1x1 reads from the tensor buffer
    expect([r.compared.tensors, r.compared.onChip]).toEqual([model.layers.reduce((a, l) => a + l.outputs.length, 0) + 1 - 47, 47]);
    expect(r.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const layerCycles = r.layers.reduce((a, l) => a + l.cycles, 0);
    expect(layerCycles).toBeGreaterThan(0);
    expect(layerCycles).toBeLessThanOrEqual(r.totalCycles);
    for (const l of r.layers) expect(l.cycles > 0, `layer ${l.name}`).toBe(l.descriptors > 0);
    expect(r.counters.descriptorsDone).toBe(r.layers.reduce((a, l) => a + l.descriptors, 0));
    expect(r.ddr.bytesRead).toBe(r.counters.bytesRead);
    expect(r.ddr.bytesWritten).toBe(r.counters.bytesWritten);
    expect(r.fps).toBeCloseTo((HW.clockMHz * 1e6) / r.totalCycles, 6);
    expect(r.macUtilisation).toBeGreaterThan(0);
    expect(r.macUtilisation).toBeLessThan(1);
  });

  it('names the first layer a corrupted weight byte changes; the CLI exits 1 and writes no sim-report.json', async () => {
    const bad = join(root, 'corrupt');
    cpSync(dir, bad, { recursive: true });
    const { map, idx, mem } = corruptFirstWeight(bad);

    // Which layer that changes first, according to the ISA reference executor.
    const ref = new Uint8Array(map.imageBytes);
    ref.set(mem);
    writeInput(map, ref, codes, HW);
    executeProgram(ref, 0, map.program.descriptors, HW);
    const golden = runGolden(model, new Map([[model.inputs[0], codes]]), { keepAll: true });
    const want = compareWithGolden(model, map, ref, golden).firstMismatch;
    expect(want, 'the corruption must change some tensor').toBeDefined();
    expect(want!.layer).toBe(map.layers.find((l) => l.descriptors.includes(idx))!.name);

    const r = await runCli('sim', bad);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`MISMATCH: layer "${want!.layer}", tensor "${want!.tensor}" at y=${want!.y} x=${want!.x} c=${want!.c}: expected ${want!.expected}, RTL ${want!.actual}`);
    // reports only after a passing check: the mismatch is on stdout, not in sim-report.json
    expect(existsSync(join(bad, 'sim-report.json'))).toBe(false);
  });

  it('--all-in-ddr recompiles with every tensor in DDR: bit-exact with nothing left on chip', async () => {
    const r = await runCli('sim', dir, '--all-in-ddr');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = SimReportSchema.parse(JSON.parse(readFileSync(join(dir, 'sim-report.json'), 'utf8')));
    expect(report.match).toBe(true);
    expect([report.compared.tensors, report.compared.onChip]).toEqual([model.layers.reduce((a, l) => a + l.outputs.length, 0) + 1, 0]);
  });

  it('takes --input as a uint8 image and prints the layer table', async () => {
    const img = randomImage(33, 64, 64);
    const p = join(root, 'img.npy');
    writeFileSync(p, encodeNpy({ dtype: 'uint8', shape: [64, 64, 3], data: img }));
    const r = await runCli('sim', dir, '--input', p, '--layers', '--latency', '8');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stem\s+stem\s+\d+/m);
    expect(r.stdout).toMatch(/bit-exact: \d+ tensors, \d+ elements/);
    const report = SimReportSchema.parse(JSON.parse(readFileSync(join(dir, 'sim-report.json'), 'utf8')));
    expect(report.input).toBe(p);
    expect(report.ddrModel.latency).toBe(8);
  });
});

describe('codenet sim --model', () => {
  it('runs another model on the folder\'s accelerator (one bitstream, any model), bit-exact', async () => {
    const { model: other } = verifyCases(HW.dmax).find((c) => c.name === 'dwdeform-s2')!.build(HW);
    const f = join(root, 'other.json');
    writeFileSync(f, serializeModel(other));
    const r = await runCli('sim', dir, '--model', f);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`${other.name} on ultra96v2 at 250 MHz, Verilator`);
    expect(r.stdout).toMatch(/bit-exact: \d+ tensors/);
    // its own report file (sim-report-<file name>.json): the folder's sim-report.json is not overwritten
    expect(r.stdout).toContain(join(dir, 'sim-report-other.json'));
    const report = SimReportSchema.parse(JSON.parse(readFileSync(join(dir, 'sim-report-other.json'), 'utf8')));
    expect(report.model).toBe(other.name);
  });
});

describe('codenet sim --simulator icarus', () => {
  it('runs a small bundle in 4-state logic with the tensor buffers starting as X, bit-exact', async () => {
    const k = verifyCases(HW.dmax).find((c) => c.name === 'shufflenet-unit')!;
    const { model: m, input } = k.build(HW);
    const small = join(root, 'icarus');
    writeSimBundle(small, m, HW, input);
    const r = await runCli('sim', small, '--simulator', 'icarus');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Icarus Verilog');
    const report = SimReportSchema.parse(JSON.parse(readFileSync(join(small, 'sim-report.json'), 'utf8')));
    expect(report.simulator).toBe('icarus');
    expect(report.match).toBe(true);
    // on chip: the unit's pw1 output (fused with its dw3x3, PWDW) and the dw3x3 output (in the
    // tensor buffer for pw2)
    expect([report.compared.tensors, report.compared.onChip]).toEqual([m.layers.reduce((a, l) => a + l.outputs.length, 0) + 1 - 2, 2]);
  });
});

describe('codenet sim: user errors', () => {
  it('a missing folder is exit 2 naming it', async () => {
    const r = await runCli('sim', join(root, 'nope'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/simulation folder .*nope does not exist; create one with "codenet bundle/);
  });

  it('an incomplete bundle names the missing files', async () => {
    const r = await runCli('sim', root);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a complete simulation bundle: data/hw.json');
  });

  it('a malformed or misshapen --input .npy is exit 2 naming the file', async () => {
    const junk = join(root, 'junk.npy');
    writeFileSync(junk, 'not a numpy file');
    const r1 = await runCli('sim', dir, '--input', junk);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`${junk} is not a NumPy .npy file`);
    const small = join(root, 'small.npy');
    writeFileSync(small, encodeNpy({ dtype: 'uint8', shape: [32, 32, 3], data: new Uint8Array(32 * 32 * 3) }));
    const r2 = await runCli('sim', dir, '--input', small);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`input ${small} has shape (32, 32, 3)`);
    const r3 = await runCli('sim', dir, '--bandwidth', 'fast');
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('--bandwidth must be a number');
  });
});
