// codenet gen --target zynq (src/gen/zynq.ts): the folder's contents, determinism, the rules for
// existing folders, user errors (exit 2, nothing written), the drivers' address tables against the
// compiler, the Vivado project against the driver header, and make sim without codenet.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { loadHwConfig, presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { MemoryMapSchema } from '../src/compiler/memory-map.ts';
import { readTensor, writeInput } from '../src/compiler/tensors.ts';
import { runGolden } from '../src/golden/run.ts';
import { ReportSchema } from '../src/report/schema.ts';
import { GEN_MARKER } from '../src/gen/zynq.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
let root: string;
let out: string;

function listFiles(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(dir, join(d, n))]));
  return walk(dir).sort();
}

beforeAll(async () => {
  root = tempDir('codenet-gen-');
  out = join(root, 'tiny');
  const r = await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', out);
  expect(r.code, r.stderr).toBe(0);
});

describe('codenet gen --target zynq', () => {
  it('writes rtl/, sim/, data/, vivado/, sw/ and report/ and prints the next commands', async () => {
    const files = listFiles(out);
    for (const f of ['rtl/codenet_accel.v', 'rtl/cn_accel_seq.v', 'sim/tb_codenet.cpp', 'sim/Makefile', 'sim/axi_ddr_model.h', 'sim/codenet_expect.h',
      'hls/codenet_kernel.cpp', 'hls/codenet_kernel.h', 'hls/cn_ap_int.h', 'hls/tb_codenet_hls.cpp', 'hls/codenet_expect.h', 'hls/run_hls.tcl', 'hls/hls_config.cfg', 'hls/Makefile',
      'data/expected.bin', 'data/memory.bin', 'data/memory.hex', 'data/relocs.bin', 'data/memory-map.json', 'data/input.bin', 'data/model.json', 'data/hw.json',
      'vivado/create_project.tcl', 'sw/codenet_accel.h', 'sw/codenet_accel.c', 'sw/example.c', 'sw/Makefile', 'sw/codenet_accel.py',
      'report/report.json', 'report/report.md', 'report/report.html', 'README.md', GEN_MARKER]) expect(files, f).toContain(f);
    const map = MemoryMapSchema.parse(JSON.parse(readFileSync(join(out, 'data/memory-map.json'), 'utf8')));
    // $readmemh: one beat per line, most significant byte first
    const hex = readFileSync(join(out, 'data/memory.hex'), 'utf8').trim().split('\n');
    const bin = readFileSync(join(out, 'data/memory.bin'));
    expect(hex.length).toBe(map.fileBytes / map.beatBytes);
    expect(hex[1]).toBe(Array.from(bin.subarray(map.beatBytes, 2 * map.beatBytes)).reverse().map((b) => b.toString(16).padStart(2, '0')).join(''));
    const report = ReportSchema.parse(JSON.parse(readFileSync(join(out, 'report/report.json'), 'utf8')));
    expect(report.model.name).toBe('codenet-tiny');
    expect(report.resources).toBeUndefined(); // --no-synth
  });

  it('is deterministic, replaces its own folder, refuses a foreign one unless --force', async () => {
    const again = join(root, 'again');
    expect((await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', again)).code).toBe(0);
    const files = listFiles(out);
    expect(listFiles(again)).toEqual(files);
    for (const f of files) expect(readFileSync(join(again, f)).equals(readFileSync(join(out, f))), f).toBe(true);

    writeFileSync(join(again, 'stale.txt'), 'x');
    expect((await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', again)).code).toBe(0);
    expect(existsSync(join(again, 'stale.txt'))).toBe(false);

    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const r = await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', foreign);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not empty and was not made by codenet gen');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
    expect((await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', foreign, '--force')).code).toBe(0);
    expect(existsSync(join(foreign, 'rtl/codenet_accel.v'))).toBe(true);
  });

  it('user errors are exit 2 with figures, and write nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--board', 'zedboard'], /unknown board "zedboard"; known: ultra96v2/],
      [['--clock', '700'], /clockMHz 700 exceeds 645 MHz, the DSP48 limit of xczu3eg/],
      [['--board', 'pynq-z2', '--model', 'codenet-d'], /layer .* rowBufferBeats|rowBufferBeats/],
      [['--target', 'versal'], /argument 'versal' is invalid/],
    ];
    const bigHw = join(root, 'big.json');
    writeFileSync(bigHw, JSON.stringify({ ...presetConfig('pynq-z2'), pwOutputs: 64 }));
    cases.push([['--hw', bigHw], /needs \d+ DSPs .* pynq-z2 has 220/]);
    for (const [args, msg] of cases) {
      const dir = join(root, `bad-${args.join('-').replace(/[^a-z0-9]/gi, '')}`);
      const r = await runCli('gen', '--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', ...args, '-o', dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(dir), `${dir} must not be written`).toBe(false);
    }
  });
});

describe('sw/: drivers', () => {
  it('the C driver and example compile with gcc -Wall -Wextra -Werror; the PYNQ driver is valid Python', () => {
    execFileSync('make', ['-C', join(out, 'sw'), 'CFLAGS=-O2 -Wall -Wextra -Werror -std=c11'], { stdio: 'pipe' });
    expect(existsSync(join(out, 'sw/codenet_example'))).toBe(true);
    execFileSync('python3', ['-m', 'py_compile', join(out, 'sw/codenet_accel.py')], { stdio: 'pipe' });
  });

  it('load, relocation, input and output tables agree with the compiler (host harness on a plain buffer)', () => {
    const model = loadModelFile(join(out, 'data/model.json'));
    const hw = loadHwConfig(join(out, 'data/hw.json'));
    const c = compileModel(model, hw);
    const work = mkdtempSync(join(root, 'host-'));
    const exe = join(work, 'host');
    execFileSync('gcc', ['-std=c11', '-O2', '-Wall', '-Werror', `-I${join(out, 'sw')}`, '-o', exe, join(ROOT, 'test/helpers/driver_host.c'), join(out, 'sw/codenet_accel.c')], { stdio: 'pipe' });
    const [h, w] = model.tensors.get(model.inputs[0])!.shape;
    const codes = imageCodes(randomImage(77, h, w));
    writeFileSync(join(work, 'codes.bin'), codes);
    // The memory after a run, from the ISA reference interpreter (bit-exact with the RTL elsewhere).
    const after = new Uint8Array(c.imageBytes);
    after.set(c.image);
    writeInput(c.map, after, codes, hw);
    executeProgram(after, 0, c.descriptors.length, hw);
    writeFileSync(join(work, 'after.bin'), after);
    execFileSync(exe, [join(out, 'data/memory.bin'), join(out, 'data/relocs.bin'), join(work, 'codes.bin'), join(work, 'after.bin'), work], { stdio: 'pipe' });

    const want = new Uint8Array(c.imageBytes);
    want.set(c.image);
    const dv = new DataView(want.buffer);
    for (const off of c.relocs) dv.setBigUint64(off, dv.getBigUint64(off, true) + BigInt(0x2000_0000), true);
    writeInput(c.map, want, codes, hw);
    expect(Buffer.from(readFileSync(join(work, 'loaded.bin'))).equals(Buffer.from(want))).toBe(true);

    const golden = runGolden(model, new Map([[model.inputs[0], codes]]), { keepAll: true });
    for (const name of c.map.outputs) {
      const raw = readFileSync(join(work, `${name}.bin`));
      const got = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
      expect(Array.from(got)).toEqual(Array.from(readTensor(c.map, after, name)));
      expect(Array.from(got)).toEqual(Array.from(golden.get(name)!));
    }
  });
});

describe('vivado/create_project.tcl of a generated folder', () => {
  it('adds every rtl/ file, sets the control address the driver header uses, and the board\'s part and clock', () => {
    const tcl = readFileSync(join(out, 'vivado/create_project.tcl'), 'utf8');
    const header = readFileSync(join(out, 'sw/codenet_accel.h'), 'utf8');
    for (const f of readdirSync(join(out, 'rtl'))) expect(tcl).toContain(`[file join $root rtl ${f}]`);
    const base = /#define CODENET_CTRL_BASE\s+0x([0-9a-f]+)u/.exec(header)![1];
    expect(tcl.toLowerCase()).toContain(`set_property offset 0x${base}`);
    expect(tcl).toContain('-part xczu3eg-sbva484-1-i');
    expect(tcl).toContain('CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {250}');
    expect(tcl).toContain('create_bd_cell -type module -reference codenet_accel accel');
    expect(readFileSync(join(out, 'rtl/codenet_accel.v'), 'utf8')).toContain('X_INTERFACE_PARAMETER = "ASSOCIATED_BUSIF s_axil:m_axi');
  });
});

describe('make sim / make -C hls without codenet: self-checking testbenches', () => {
  const make = (sub: string) => spawnSync('make', ['-s', '-C', join(out, sub), `BUILD=${join(root, `make-${sub}`)}`], { encoding: 'utf8', maxBuffer: 64 << 20 });

  it('sim/: builds with Verilator, runs to the interrupt and checks every output element against the golden model', () => {
    const r = make('sim');
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { cycles: number; status: number; counters: Record<string, number> };
    expect(line.cycles).toBeGreaterThan(1000);
    expect(line.status & 2).toBe(2); // DONE
    const map = MemoryMapSchema.parse(JSON.parse(readFileSync(join(out, 'data/memory-map.json'), 'utf8')));
    expect(line.counters.descriptorsDone).toBe(map.program.descriptors);
    const elements = map.outputs.reduce((a, t) => a + map.tensors.find((x) => x.name === t)!.shape.reduce((p, v) => p * v, 1), 0);
    expect(readFileSync(join(out, 'data/expected.bin')).length).toBe(5 * elements);
    expect(r.stderr).toContain(`bit-exact: ${elements} output elements equal the golden model`);
  }, 300_000);

  it('hls/: builds with g++ -Werror, runs and checks; both fail (exit 1) when one expected element differs', () => {
    expect(make('hls').status).toBe(0);
    const exp = join(out, 'data/expected.bin');
    const good = readFileSync(exp);
    const bad = Buffer.from(good);
    bad[4 + 5 * 17] ^= 1; // the value of element 17
    writeFileSync(exp, bad);
    try {
      for (const sub of ['hls', 'sim']) {
        const r = make(sub);
        expect(r.status, sub).not.toBe(0);
        expect(r.stderr).toContain('MISMATCH: output element 17');
        expect(r.stderr).toMatch(/1 of \d+ output elements differ from the golden model/);
      }
    } finally {
      writeFileSync(exp, good);
    }
  }, 300_000);
});
