// End to end from PyTorch: the exported fixtures (a zoo-shaped codenet-tiny-skip and a network that
// is not in the zoo: 96 px, other widths and unit counts) go codenet import -> quantize -> gen ->
// sim on the Verilator model of the accelerator, bit-exact against the golden model.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { initBackend } from '../src/float/model.ts';
import { loadModelFile } from '../src/ir/load.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const FIX = join(import.meta.dirname, 'fixtures', 'onnx');
let root: string;
beforeAll(async () => {
  await initBackend();
  root = tempDir('codenet-import-e2e-');
});

describe.each([
  { name: 'tiny-skip', layers: 72, hm: [16, 16, 6] },
  { name: 'small', layers: 62, hm: [24, 24, 3] },
])('PyTorch $name: import -> quantize -> gen -> sim', ({ name, layers, hm }) => {
  it('is bit-exact on the accelerator', async () => {
    const dir = join(root, name);
    const steps: string[][] = [
      ['import', join(FIX, `${name}.onnx`), '-o', join(dir, 'float')],
      ['quantize', join(dir, 'float'), '--calib', 'builtin:8', '-o', join(dir, 'model.json')],
      ['gen', '--target', 'zynq', '--model', join(dir, 'model.json'), '--no-synth', '-o', join(dir, 'gen')],
      ['sim', join(dir, 'gen')],
    ];
    let last = '';
    for (const s of steps) {
      const r = await runCli(...s);
      expect(r.code, `${s[0]}: ${r.stderr}`).toBe(0);
      last = r.stdout;
    }
    const m = loadModelFile(join(dir, 'model.json'));
    expect(m.layers.length).toBe(layers);
    expect(m.layers.filter((l) => l.op === 'dwdeform').length).toBe(3);
    expect(m.tensors.get('hm')!.shape).toEqual(hm);
    expect(last).toMatch(/bit-exact: \d+ tensors, \d+ elements/);
  });
});
