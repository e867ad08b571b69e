import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { presetConfig } from '../src/hw/config.ts';
import { compileModel } from '../src/compiler/compile.ts';
import { executeProgram } from '../src/compiler/reference.ts';
import { ENGINE_PWDW } from '../src/compiler/descriptor.ts';
import { writeInput } from '../src/compiler/tensors.ts';
import { checkAgainstGolden } from '../src/sim/compare.ts';
import { verifyCases } from '../src/verify/cases.ts';
import { junitXml } from '../src/verify/junit.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

// codenet verify --quick is the regression CI runs: every single-layer case and codenet-tiny,
// golden model against the Verilator simulation of the generated accelerator and against the HLS
// C-simulation of the same program.
describe('codenet verify', () => {
  it('--quick: every case is bit-exact on the RTL and in HLS C-simulation; JUnit XML lists cases and seeds', async () => {
    const dir = tempDir('codenet-verify-');
    const r = await runCli('verify', '--quick', '--simulator', 'verilator,hls', '--junit', join(dir, 'junit.xml'), '--json', join(dir, 'verify.json'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const quick = verifyCases(7).filter((k) => !k.full);
    expect(r.stdout).toContain(`${2 * quick.length} of ${2 * quick.length} bit-exact on ultra96v2`);
    expect(r.stdout).toMatch(/PASS {2}hls {7}shufflenet-unit/);
    const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
    // each simulator's build is an entry of its own, before the cases
    expect(xml).toContain(`tests="${2 * quick.length + 2}" failures="0"`);
    expect(xml).toMatch(/<testcase classname="codenet.verify.verilator" name="build"/);
    expect(xml).toMatch(/<testcase classname="codenet.verify.hls" name="build"/);
    for (const k of quick) expect(xml).toContain(`name="${k.name}"`);
    expect(xml).toContain('seed=118');
    const json = JSON.parse(readFileSync(join(dir, 'verify.json'), 'utf8')) as { results: Array<{ cycles?: number; passed: boolean; simulator: string }> };
    expect(json.results.every((x) => x.passed && (x.simulator === 'hls' || x.cycles! > 0))).toBe(true);
  });

  it('covers every compute op, strides, d = 0 and dmax, saturation and the zoo', () => {
    const names = verifyCases(7).map((k) => k.name);
    for (const p of ['conv1x1', 'offset', 'dw3x3-s2', 'dw3x3-d0', 'dw3x3-d7', 'dwdeform-s1', 'dwdeform-s2', 'maxpool', 'stem-s1', 'stem-s2', 'stem-s4', 'upsample', 'shufflenet-unit', 'saturating', 'codenet-tiny', 'codenet-a'])
      expect(names.some((n) => n.includes(p)), p).toBe(true);
  });

  it('names the first layer that differs and where', () => {
    const hw = presetConfig('ultra96v2');
    const k = verifyCases(hw.dmax).find((c) => c.name === 'shufflenet-unit')!;
    const { model, input } = k.build(hw);
    const dwName = model.layers.find((x) => x.op === 'dw3x3')!.name;
    const pw2 = model.layers.find((x) => x.op === 'conv1x1' && x.inputs[0] === model.layers.find((y) => y.name === dwName)!.outputs[0])!.name;
    // Corrupt one depthwise weight beat of the unit's dw3x3. With every tensor in DDR the dw3x3 is
    // named; by default its output stays in the tensor buffer (and its input is fused), so the
    // first layer whose output is in memory, pw2, is.
    for (const [opts, want] of [[{ fuse: false, chip: false }, dwName], [{}, pw2]] as const) {
      const c = compileModel(model, hw, opts);
      const mem = new Uint8Array(c.imageBytes);
      mem.set(c.image);
      writeInput(c.map, mem, input, hw);
      const d = c.descriptors[c.map.layers.find((l) => l.name === dwName)!.descriptors[0]];
      mem[d.engine === ENGINE_PWDW ? d.dwgt_addr : d.wgt_addr] ^= 0x77;
      executeProgram(mem, 0, c.descriptors.length, hw);
      const r = checkAgainstGolden(model, c.map, mem, input);
      expect(r.match).toBe(false);
      expect(r.firstMismatch!.layer).toBe(want);
      expect(r.firstMismatch!.count).toBeGreaterThan(0);
    }
  });

  it('--simulator reference: the ISA reference interpreter through the same Simulator interface, no build', async () => {
    const r = await runCli('verify', '--simulator', 'reference', '--case', 'conv1x1-70to33', 'dwdeform-s2', 'shufflenet-unit');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('3 of 3 bit-exact on ultra96v2');
    expect(r.stdout).not.toContain('BUILD');
  });

  it('exits 1 when a case or a build fails (here: no g++ on PATH for a cold HLS build)', () => {
    const cache = tempDir('codenet-verify-cache-');
    const junit = join(tempDir('codenet-verify-fail-'), 'junit.xml');
    const r = spawnSync(process.execPath, ['bin/codenet.mjs', 'verify', '--simulator', 'hls', '--case', 'conv1x1-70to33', '--junit', junit], {
      cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent', CODENET_CACHE: cache },
    });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}hls {7}conv1x1-70to33/);
    expect(r.stdout).toContain('0 of 1 bit-exact');
    expect(readFileSync(junit, 'utf8')).toMatch(/failures="[1-9]/);
  });

  it('rejects an unknown case and simulator with exit code 2', async () => {
    expect((await runCli('verify', '--case', 'nope')).code).toBe(2);
    expect((await runCli('verify', '--simulator', 'modelsim')).code).toBe(2);
  });

  it('JUnit XML escapes messages', () => {
    const xml = junitXml([{ name: 'a<b', seed: 1, simulator: 'verilator', passed: false, message: 'x & "y"', seconds: 0.5 }]);
    expect(xml).toContain('name="a&lt;b"');
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('message="x &amp; &quot;y&quot;"');
  });
});
