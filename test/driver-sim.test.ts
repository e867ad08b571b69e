// The shipped drivers tested against the RTL, as VTA's runtime drives its simulators: the
// generated C driver (sw/codenet_accel.c built with -DCODENET_SIM) and the PYNQ driver
// (sw/codenet_accel.py with a fake `pynq` package, test/helpers/pynq-shim) run a whole
// frame of codenet-tiny on the Verilator model of the generated rtl/ through the register map.
// One Verilator build, cached like the others: libcodenet_sim.so (sim/driver_sim.cpp around the
// Verilated top and the AXI4 DDR model), linked by the C test program and loaded by the shim through ctypes.
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { cacheDir, cachedBuildSync } from '../src/util/build-cache.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { runGolden, type TensorData } from '../src/golden/run.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { MemoryMapSchema } from '../src/compiler/memory-map.ts';
import { decodeQuantized } from '../src/detect/decode.ts';
import { driverHeads } from '../src/gen/drivers.ts';
import type { Model } from '../src/ir/model.ts';

const ROOT = resolve(import.meta.dirname, '..');
const root = tempDir('codenet-drvsim-');
const out = join(root, 'gen');
const work = join(root, 'work');

let model: Model;
let codes: Int8Array;
let golden: Map<string, TensorData>;
let outputs: string[];
let lib: string;

/**
 * verilator --exe with -shared: the accelerator and sim/driver_sim.cpp as one shared library, in
 * the build cache (src/util/build-cache.ts) under a hash of every input: the Verilator version,
 * the flags, the folder's rtl/ (with the .vh it includes), its sim/ headers and driver_sim.cpp.
 */
function buildSimLibrary(): string {
  const rtlDir = join(out, 'rtl');
  const simDir = join(out, 'sim');
  const rtl = readdirSync(rtlDir).filter((f) => /\.vh?$/.test(f)).sort();
  const headers = readdirSync(simDir).filter((f) => /\.(h|hpp)$/.test(f)).sort();
  const flags = ['--cc', '--exe', '--build', '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '-Wno-fatal', '--top-module', 'codenet_accel', '-LDFLAGS', '-shared'];
  const cflags = '-fPIC -O2';
  const h = createHash('sha256').update(execFileSync('verilator', ['--version'], { encoding: 'utf8' })).update(JSON.stringify([flags, cflags]));
  const inputs: Array<[string, string[]]> = [[rtlDir, rtl], [simDir, headers], [join(ROOT, 'sim'), ['driver_sim.cpp']]];
  for (const [dir, names] of inputs) for (const n of names) h.update(n).update(readFileSync(join(dir, n)));
  return cachedBuildSync(cacheDir('verilator'), `libcodenet_sim-${h.digest('hex').slice(0, 20)}`, 'libcodenet_sim.so', (tmp) => {
    execFileSync('verilator', [
      // cn_isa.h and axi_ddr_model.h as generated into the folder's sim/
      ...flags, '-CFLAGS', `${cflags} -I${simDir}`, `-I${rtlDir}`, '--Mdir', tmp, '-j', '2', '-o', 'libcodenet_sim.so',
      ...rtl.filter((f) => f.endsWith('.v')).map((f) => join(rtlDir, f)), join(ROOT, 'sim/driver_sim.cpp'),
    ], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  }, '.build-libcodenet_sim-').path;
}

beforeAll(async () => {
  const r = await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', out);
  expect(r.code, r.stderr).toBe(0);
  mkdirSync(work);
  model = loadModelFile(join(out, 'data/model.json'));
  outputs = MemoryMapSchema.parse(JSON.parse(readFileSync(join(out, 'data/memory-map.json'), 'utf8'))).outputs;
  expect(outputs).toEqual(model.outputs);
  const [h, w] = model.tensors.get(model.inputs[0])!.shape;
  codes = imageCodes(randomImage(123, h, w));
  writeFileSync(join(work, 'codes.bin'), codes);
  golden = runGolden(model, new Map([[model.inputs[0], codes]]));
  lib = buildSimLibrary();
});

/** Output i as the driver wrote it, against the golden model's tensor: the number of differing elements. */
function differing(file: string, name: string): number {
  const raw = readFileSync(file);
  const want = golden.get(name)!;
  expect(raw.length, name).toBe(want.length);
  const got = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
  let d = 0;
  for (let j = 0; j < got.length; j++) if (got[j] !== want[j]) d++;
  return d;
}

/** The golden outputs' boxes (TypeScript decode), as [x0, y0, x1, y1, cls, score] rows. */
function goldenBoxes(): number[][] | undefined {
  const heads = driverHeads(model);
  if (!heads) return undefined;
  const q = (t: { name: string; scale: number; zero: number }) => ({ data: golden.get(t.name) as Int8Array, scale: t.scale, zero: t.zero });
  return decodeQuantized({ height: heads.height, width: heads.width, classes: heads.classes, hm: q(heads.hm), wh: q(heads.wh), reg: q(heads.reg) }, { stride: heads.stride, topK: 100, threshold: 0.1 })
    .map((d) => [d.x0, d.y0, d.x1, d.y1, d.cls, d.score]);
}

let cCounters: number[] = [];

describe('the generated C driver on the Verilator model (-DCODENET_SIM, libcodenet_sim.so)', () => {
  it('runs a whole frame through codenet_open/load_image/write_input/run/read_tensor: every output bit-exact with the golden model', () => {
    const exe = join(work, 'driver_sim');
    const cDir = join(work, 'c');
    mkdirSync(cDir);
    execFileSync('gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-DCODENET_SIM', `-I${join(out, 'sw')}`, '-o', exe,
      join(ROOT, 'test/helpers/driver_sim_main.c'), join(out, 'sw/codenet_accel.c'), join(out, 'sw/codenet_decode.c'), lib, `-Wl,-rpath,${resolve(lib, '..')}`, '-lm'], { stdio: 'pipe' });
    const r = spawnSync(exe, [join(out, 'data/memory.bin'), join(out, 'data/relocs.bin'), join(work, 'codes.bin'), cDir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { counters: number[]; sinceStart: number; ddrBytesRead: number; ddrBytesWritten: number };
    let elements = 0;
    outputs.forEach((name, i) => {
      expect(differing(join(cDir, `out${i}.bin`), name), name).toBe(0);
      elements += golden.get(name)!.length;
    });
    expect(elements).toBeGreaterThan(1000);

    // codenet_counter: busy cycles within the time the simulation ran since START (a STATUS poll
    // advances it by a batch of cycles), the DDR model's byte counts, every descriptor done.
    const header = readFileSync(join(out, 'sw/codenet_accel.h'), 'utf8');
    const def = (n: string) => Number(new RegExp(`#define ${n}\\s+(\\d+)`).exec(header)![1]);
    const k = (n: string) => def(`CODENET_COUNTER_${n}`);
    const c = res.counters;
    expect(c.length).toBe(def('CODENET_NUM_COUNTERS'));
    expect(c[k('BUSY_CYCLES')]).toBeGreaterThan(0);
    expect(c[k('BUSY_CYCLES')]).toBeLessThanOrEqual(res.sinceStart);
    expect(c[k('BYTES_READ')]).toBe(res.ddrBytesRead);
    expect(c[k('BYTES_WRITTEN')]).toBe(res.ddrBytesWritten);
    expect(c[k('DESCRIPTORS_DONE')]).toBe(def('CODENET_PROGRAM_LEN'));
    cCounters = c;

    // codenet_decode of the outputs read through the driver: the TypeScript decode's boxes of the golden outputs
    const want = goldenBoxes();
    if (want) {
      expect(want.length).toBeGreaterThan(0);
      const got = readFileSync(join(cDir, 'boxes.txt'), 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ').map(Number));
      expect(got).toEqual(want);
    }
  });
});

describe('the generated PYNQ driver on the Verilator model (fake pynq package over the same library)', () => {
  it('CodenetAccel(...).run(codes): every output bit-exact with the golden model, the same counters as the C driver', (ctx) => {
    if (spawnSync('python3', ['-c', 'import numpy'], { stdio: 'pipe' }).status !== 0) {
      console.warn('SKIPPED: the PYNQ driver on the Verilator model needs python3 with NumPy (python3 -c "import numpy" fails)');
      ctx.skip();
      return;
    }
    const pyDir = join(work, 'py');
    mkdirSync(pyDir);
    const imageBytes = Number(/#define CODENET_IMAGE_BYTES\s+(\d+)u/.exec(readFileSync(join(out, 'sw/codenet_accel.h'), 'utf8'))![1]);
    const r = spawnSync('python3', [join(ROOT, 'test/helpers/pynq_run.py'), join(out, 'sw'), join(out, 'data/memory.bin'), join(out, 'data/relocs.bin'), join(work, 'codes.bin'), pyDir], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(ROOT, 'test/helpers/pynq-shim'), PYTHONDONTWRITEBYTECODE: '1', CODENET_SIM_LIB: lib, CODENET_SIM_BYTES: String(imageBytes), CODENET_SIM_BASE: '0x40000000' },
    });
    expect(r.status, r.stderr).toBe(0);
    outputs.forEach((name, i) => expect(differing(join(pyDir, `py${i}.bin`), name), name).toBe(0));
    // the same hardware, image and input: the same counters (polling does not disturb the run)
    const counters = JSON.parse(r.stdout) as number[];
    expect(counters.length).toBe(cCounters.length);
    if (cCounters.length) expect(counters).toEqual(cCounters);
    const want = goldenBoxes();
    if (want) {
      const got = JSON.parse(readFileSync(join(pyDir, 'py_boxes.json'), 'utf8')) as number[][];
      expect(got).toEqual(want);
    }
  });
});
