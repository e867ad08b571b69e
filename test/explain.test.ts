// `codenet explain` (src/compiler/explain.ts): the plan of the compiler, per layer, in text and in
// JSON (ExplanationSchema, docs/isa.md "Explaining a compiled program"), consistent with the
// program the compiler emits.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModel } from '../src/compiler/compile.ts';
import { ExplanationSchema, explainCompiled, type Explanation } from '../src/compiler/explain.ts';
import { ENGINE_DW, ENGINE_PW, ENGINE_PWDW, ENGINE_STEM } from '../src/compiler/descriptor.ts';
import { presetConfig } from '../src/hw/config.ts';
import { serializeModel } from '../src/ir/save.ts';
import { programPerf } from '../src/perf/model.ts';
import { ModelBuilder } from '../src/verify/builder.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const U96 = presetConfig('ultra96v2');
const ENGINES = { pw: ENGINE_PW, pwdw: ENGINE_PWDW, dw: ENGINE_DW, stem: ENGINE_STEM };

/** A 1x1 whose output a concat takes twice, read by another 1x1: the repeat must be copied. */
function repeatedConcatModel() {
  const b = new ModelBuilder('repeated-concat', 6, 5, 12);
  const x = b.pw('image', 20);
  const out = b.pw(b.concat([x, b.pw('image', 8), x]), 10);
  return b.build([out], { seed: 7 });
}

describe('codenet explain', () => {
  it('codenet-tiny: every pass, decision and buffer, consistent with the emitted program', async () => {
    const r = await runCli('explain', 'codenet-tiny', '--json');
    expect(r.code, r.stderr).toBe(0);
    const e: Explanation = ExplanationSchema.parse(JSON.parse(r.stdout));
    // The same model (seed 0, as the CLI resolves a zoo name) compiled here.
    const model = exportZooModel('codenet-tiny', { seed: 0 });
    const c = compileModel(model, U96);
    expect(e.layers.map((l) => [l.name, l.op])).toEqual(model.layers.map((l) => [l.name, l.op]));
    expect(e.totals.descriptors).toBe(c.descriptors.length);
    // Every descriptor belongs to exactly one pass, in program order, of the layer and engine it names.
    const ids = e.layers.flatMap((l) => l.passes.flatMap((p) => p.descriptors)).sort((a, b) => a - b);
    expect(ids).toEqual(c.descriptors.map((_, i) => i));
    for (const l of e.layers) {
      expect(l.passes.flatMap((p) => p.descriptors)).toEqual(c.map.layers[l.index].descriptors);
      for (const p of l.passes) for (const i of p.descriptors) {
        expect(c.descriptors[i].layer).toBe(l.index);
        expect(c.descriptors[i].engine).toBe(ENGINES[p.engine]);
        expect(c.descriptors[i].src.length).toBe(p.sources.length);
      }
    }
    // Fusion: each ShuffleNet branch's first 1x1 and each head's 1x1 runs inside its dw3x3's PWDW passes.
    const fused = e.layers.filter((l) => l.fusedInto);
    expect(fused.length).toBe(e.totals.fused);
    expect(fused.length).toBeGreaterThan(10);
    for (const l of fused) {
      expect(l.op).toBe('conv1x1');
      expect(l.passes).toEqual([]);
      expect(l.outputs[0].placement).toBe('fused');
      const dw = e.layers.find((d) => d.name === l.fusedInto)!;
      expect(dw.fuses).toBe(l.name);
      expect(dw.passes.map((p) => [p.engine, p.fuses])).toEqual([['pwdw', l.name]]);
      expect(l.notes.join(' ')).toMatch(/fused into .* never stored/);
    }
    // On chip: the three decoder dilation maps go into the depthwise engine's map ...
    const maps = e.layers.filter((l) => l.op === 'offset');
    expect(maps.length).toBe(3);
    for (const l of maps) {
      expect(l.outputs[0]).toMatchObject({ placement: 'dilation-map' });
      expect(l.passes.map((p) => p.writes)).toEqual([{ dilationMap: true }]);
      expect(l.ddr.tensorWritten).toBe(0);
    }
    // ... and the tensor-buffer tensors are depthwise outputs read by the next layer, a 1x1, from the tensor buffer.
    const tb = e.layers.flatMap((l) => l.outputs.filter((o) => o.placement === 'tensor-buffer').map((o) => [l, o] as const));
    expect(tb.length).toBe(e.totals.tensorBuffer);
    expect(tb.length).toBeGreaterThan(10);
    for (const [l, o] of tb) {
      expect(['dw3x3', 'dwdeform']).toContain(l.op);
      const reader = e.layers[l.index + 1];
      expect(o.reader).toBe(reader.name);
      expect(reader.op).toBe('conv1x1');
      expect(reader.passes[0].sources).toEqual([{ buffer: o.buffers![0], where: 'tensor-buffer', g0: 0, ng: expect.any(Number) }]);
      expect(reader.ddr.tensorRead).toBe(0);
      expect(e.buffers.find((b) => b.name === o.buffers![0])!.where).toBe('tensor-buffer');
    }
    // Buffers: the memory map's DDR buffers (name, offset), then sizes that cover h x w x groups beats.
    const ddr = e.buffers.filter((b) => b.where === 'ddr');
    expect(ddr.map((b) => [b.name, b.offset])).toEqual(c.map.buffers.map((b) => [b.name, b.offset]));
    for (const b of e.buffers) expect(b.bytes).toBe((b.h * b.w * (b.pixelsPerBeat ? 1 / b.pixelsPerBeat : b.gstride)) * U96.lanes);
    expect(ddr[0]).toMatchObject({ name: 'image', role: 'input', pixelsPerBeat: U96.lanes / 4 }); // only the stem reads it: packed
    expect(ddr[0].writtenBy).toBeUndefined();
    // Totals: the layers' DDR bytes and the analytic model's cycles add up; the program and stats are counted.
    const sum = (f: (l: Explanation['layers'][number]) => number) => e.layers.reduce((a, l) => a + f(l), 0);
    expect(e.totals.ddr.read).toBe(sum((l) => l.ddr.read));
    expect(e.totals.ddr.written).toBe(sum((l) => l.ddr.written));
    expect(e.totals.ddr.read).toBe(e.totals.ddr.tensorRead + e.totals.ddr.params + 256 * c.descriptors.length);
    expect(e.totals.ddr.written).toBe(e.totals.ddr.tensorWritten + U96.lanes * c.descriptors.length);
    expect(e.totals.cycles).toBe(programPerf(c).cycles);
    expect(e.totals.imageBytes).toBe(c.imageBytes);
    // Text: the same facts, readable.
    const t = await runCli('explain', 'codenet-tiny');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain(`codenet-tiny on ultra96v2 (16 lanes x 32 outputs, 250 MHz; fusion on, on-chip tensors on, packed input on)`);
    expect(t.stdout).toContain(`${model.layers.length} layers -> ${e.totals.passes} passes, ${c.descriptors.length} descriptors (0 copy passes); ${e.totals.fused} 1x1 fused into their dw3x3, 3 dilation maps and ${e.totals.tensorBuffer} tensors kept on chip`);
    expect(t.stdout).toMatch(/\[\d+\] stage2\.0\.b2\.pw1 \(conv1x1\).*\n {4}fused into "stage2\.0\.b2\.dw"/);
    expect(t.stdout).toMatch(/pass pwdw \(computes stage2\.0\.b2\.pw1\): 1 descriptor #\d+/);
    expect(t.stdout).toMatch(/dilation map "dec1\.offset" written into the depthwise engine's on-chip map for "dec1\.deform"/);
    expect(t.stdout).toMatch(/\n {2}image +ddr +0x[0-9a-f]+ +16,384 +64x64x1\/4 +input +\(graph input\)\n/);
  });

  it('a repeated concat input: the copy pass, and why, in the explanation', async () => {
    const model = repeatedConcatModel();
    const dir = tempDir('codenet-explain-');
    const file = join(dir, 'model.json');
    writeFileSync(file, serializeModel(model));
    const r = await runCli('explain', file, '--board', 'pynq-z2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const e = ExplanationSchema.parse(JSON.parse(r.stdout));
    expect(e.board).toBe('pynq-z2');
    const concat = e.layers.find((l) => l.op === 'concat')!;
    const [x] = concat.inputs;
    // The third input repeats the first one's lanes: one PW copy pass stores it, attributed to the concat.
    expect(concat.passes).toHaveLength(1);
    const [p] = concat.passes;
    expect(p).toMatchObject({ engine: 'pw', purpose: 'copy', reads: x, sources: [{ buffer: x, where: 'ddr', g0: 0 }] });
    expect(p.why).toMatch(new RegExp(`input 2 "${x}" repeats lanes of an earlier input`));
    expect(e.totals.copyPasses).toBe(1);
    const copy = e.buffers.find((b) => 'buffer' in p.writes && b.name === p.writes.buffer)!;
    expect(copy).toMatchObject({ where: 'ddr', role: 'copy', writtenBy: concat.name, gstride: Math.ceil(20 / 8) });
    expect(copy.name).not.toBe(x);
    // The concat's output reads the original and the copy: three buffers, no lane twice.
    expect(concat.outputs[0]).toMatchObject({ placement: 'ddr', buffers: [x, expect.any(String), copy.name] });
    expect(concat.ddr.tensorWritten).toBe(6 * 5 * copy.gstride * 8);
    // The compiled program agrees.
    const c = compileModel(model, presetConfig('pynq-z2'));
    expect(explainCompiled(c, programPerf(c))).toEqual(e);
    const t = await runCli('explain', file, '--board', 'pynq-z2');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/copy pass pw: 1 descriptor #\d+, 6x5x\d+ -> 6x5x3 \(h x w x groups\)\n.*\n {6}why: input 2 ".*" repeats lanes of an earlier input/);
    expect(t.stdout).toContain('4 layers -> 4 passes, 4 descriptors (1 copy pass);');
  });

  it('refuses what does not fit, naming the layer, and unknown boards', async () => {
    const dir = tempDir('codenet-explain-');
    writeFileSync(join(dir, 'hw.json'), JSON.stringify({ board: 'ultra96v2', mapEntries: 8 }));
    const bad = await runCli('explain', 'codenet-tiny', '--hw', join(dir, 'hw.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/layer "dec2\.deform" \(dwdeform\): the dilation map has 4x4 = 16 entries, more than mapEntries 8/);
    expect(bad.stdout).toBe('');
    const board = await runCli('explain', 'codenet-tiny', '--board', 'nope');
    expect(board.code).toBe(2);
    expect(board.stderr).toMatch(/unknown board "nope"/);
  });
});
