// The notebook package python/codenet/ (pure Python + NumPy): a python3 script calls golden,
// predict, trace, perf and detect on codenet-tiny through the CLI, saves what it got (np.save,
// JSON), and the test compares it with what the CLI itself writes for the same model and input:
// the same tensor names, dtypes, shapes and elements, the same perf JSON and the same boxes; a
// CLI user error (exit 2) comes back as codenet.CodenetError with the CLI's message.
// Skipped, with a message, when no python3 can import numpy.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy, readNpy } from '../src/io/npy.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

/** The first python3 that has NumPy (PATH's may be pyenv's; Debian's python3-numpy is /usr/bin's). */
const PYTHONS = ['python3', '/usr/bin/python3'];
const python = PYTHONS.find((p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0);
if (!python) console.warn('SKIPPED test/python-package.test.ts: no python3 can import numpy (Debian: apt-get install python3-numpy)');

const SCRIPT = String.raw`
import json, os, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import codenet
out, image_png, input_npy = sys.argv[2], sys.argv[3], sys.argv[4]

def save(folder, arrays):
    os.makedirs(folder)
    for k, v in arrays.items():
        np.save(os.path.join(folder, k + '.npy'), v)

x = np.load(input_npy)
save(os.path.join(out, 'golden'), codenet.golden('codenet-tiny', x))          # an array input
save(os.path.join(out, 'predict'), codenet.predict('codenet-tiny', input_npy)) # a path input
save(os.path.join(out, 'trace'), codenet.trace('codenet-tiny', input_npy))
json.dump(codenet.perf('codenet-tiny', board='pynq-z2'), open(os.path.join(out, 'perf.json'), 'w'))
json.dump(codenet.detect('codenet-tiny', image_png, top_k=5, threshold=0), open(os.path.join(out, 'detect.json'), 'w'))
try:
    codenet.golden('codenet-tiny', os.path.join(out, 'missing.npy'))
    err = None
except codenet.CodenetError as e:
    err = dict(returncode=e.returncode, message=str(e))
json.dump(err, open(os.path.join(out, 'error.json'), 'w'))
`;

function npyFolder(dir: string): Map<string, ReturnType<typeof readNpy>> {
  return new Map(readdirSync(dir).filter((f) => f.endsWith('.npy')).sort().map((f) => [f.slice(0, -4), readNpy(join(dir, f))]));
}

function expectSameArrays(got: string, want: string): number {
  const g = npyFolder(got), w = npyFolder(want);
  expect([...g.keys()]).toEqual([...w.keys()]);
  for (const [name, a] of w) {
    const b = g.get(name)!;
    expect({ name, dtype: b.dtype, shape: b.shape }).toEqual({ name, dtype: a.dtype, shape: a.shape });
    expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)), name).toBe(true);
  }
  return w.size;
}

describe.skipIf(!python)('python/codenet (notebook package) against the CLI', () => {
  it('golden, predict, trace, perf and detect return what the CLI writes; exit 2 raises CodenetError', async () => {
    const dir = tempDir('codenet-pypkg-');
    // A fixed uint8 image, as .npy (golden, trace) and through the built-in set's PNG (detect).
    const img = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 37 + (i >> 7)) % 256);
    const inputNpy = join(dir, 'input.npy');
    writeFileSync(inputNpy, encodeNpy({ dtype: 'uint8', shape: [64, 64, 3], data: img }));
    expect((await runCli('dataset', 'export', '--format', 'coco', '-o', join(dir, 'ds'), '--count', '1')).code).toBe(0);
    const png = join(dir, 'ds', 'images', 'val_000000.png');

    expect((await runCli('golden', 'codenet-tiny', '--input', inputNpy, '--out', join(dir, 'cli-golden'))).code).toBe(0);
    expect((await runCli('golden', 'codenet-tiny', '--input', inputNpy, '--out', join(dir, 'cli-trace'), '--dump-layers')).code).toBe(0);
    const perf = await runCli('perf', 'codenet-tiny', '--board', 'pynq-z2', '--json');
    expect(perf.code).toBe(0);
    const det = await runCli('detect', 'codenet-tiny', png, '-o', join(dir, 'cli-detect.json'), '--top-k', '5', '--threshold', '0', '--no-draw');
    expect(det.code).toBe(0);
    const missing = await runCli('golden', 'codenet-tiny', '--input', join(dir, 'py', 'missing.npy'), '--out', join(dir, 'cli-missing'));
    expect(missing.code).toBe(2);

    const py = spawnSync(python!, ['-c', SCRIPT, join(PROJECT_ROOT, 'python'), join(dir, 'py'), png, inputNpy], { encoding: 'utf8', cwd: dir, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(py.status, py.stderr).toBe(0);

    expect(expectSameArrays(join(dir, 'py', 'golden'), join(dir, 'cli-golden'))).toBe(3); // hm, wh, reg
    expect(npyFolder(join(dir, 'py', 'golden')).get('hm')).toMatchObject({ dtype: 'int8', shape: [16, 16, 20] });
    expectSameArrays(join(dir, 'py', 'predict'), join(dir, 'cli-golden'));
    expect(expectSameArrays(join(dir, 'py', 'trace'), join(dir, 'cli-trace'))).toBeGreaterThan(100);
    expect(JSON.parse(readFileSync(join(dir, 'py', 'perf.json'), 'utf8'))).toEqual(JSON.parse(perf.stdout));
    const cliBoxes = JSON.parse(readFileSync(join(dir, 'cli-detect.json'), 'utf8')).images[0].detections;
    expect(cliBoxes).toHaveLength(5);
    expect(JSON.parse(readFileSync(join(dir, 'py', 'detect.json'), 'utf8'))).toEqual(cliBoxes);
    const err = JSON.parse(readFileSync(join(dir, 'py', 'error.json'), 'utf8'));
    expect(err.returncode).toBe(2);
    expect(missing.stderr).toContain(err.message);
    expect(err.message).toMatch(/missing\.npy/);
  });
});
