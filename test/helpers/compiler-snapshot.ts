/**
 * Fingerprints of the compiler's output (test/compiler-snapshot.test.ts): SHA-256 of memory.bin,
 * of the relocations, of the program (descriptors as JSON) and of data/memory-map.json, or the
 * refusal's message, for
 *
 * - zoo/<model>/<board>: every zoo model with seed-0 weights (what `codenet gen` compiles) on
 *   ultra96v2 and pynq-z2; calibrating the 256- and 512-pixel models takes seconds each, so those
 *   are `slow` (checked with CODENET_SNAPSHOT_FULL=1);
 * - zoo-raw/<model>/<board>[+option]: every zoo topology with seeded random weights, S, B, n, zero
 *   points and pad codes, not calibrated (milliseconds): the same layers, buffers and passes;
 * - verify/<case>/<board>[+option]: every verify case;
 *
 * each also without fusion (+nofuse) and without on-chip tensors (+nochip) where marked. The
 * fixture was recorded with the compiler before it was split into plan and emit. A change to the
 * compiler that is meant to change no byte keeps every fingerprint; one that changes the output on
 * purpose regenerates the fixture with
 *   node bin/run-ts.mjs test/helpers/compiler-snapshot.ts > test/fixtures/compiler-snapshot.json
 * and says why in its commit.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileModel, type CompileOptions, type Compiled } from '../../src/compiler/compile.ts';
import { presetConfig } from '../../src/hw/config.ts';
import type { HwConfig } from '../../src/hw/config.ts';
import type { Model } from '../../src/ir/model.ts';
import { relocBytes } from '../../src/compiler/tensors.ts';
import { verifyCases } from '../../src/verify/cases.ts';
import { exportZooModel } from '../../src/zoo/export.ts';
import { buildTopology } from '../../src/zoo/graph.ts';
import { randomWeights } from '../../src/zoo/calibrate.ts';
import { ZOO } from '../../src/zoo/specs.ts';
import { UserError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

export type Fingerprint = {
  imageBytes: number;
  descriptors: number;
  memoryBin: string;
  relocs: string;
  program: string;
  memoryMap: string;
} | {
  /** The model does not fit the config: the UserError's message. */
  refused: string;
};

export interface SnapshotCase {
  key: string;
  /** Calibrates a 256- or 512-pixel zoo model first: seconds. */
  slow: boolean;
  compile(): Compiled;
}

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export function fingerprint(c: Compiled): Fingerprint {
  return {
    imageBytes: c.imageBytes,
    descriptors: c.descriptors.length,
    memoryBin: sha(c.image),
    relocs: sha(relocBytes(c.relocs)),
    program: sha(JSON.stringify(c.descriptors)),
    // As the bundle writes data/memory-map.json.
    memoryMap: sha(JSON.stringify(c.map, null, 1) + '\n'),
  };
}

/** The fingerprint of a compilation, or of its refusal. */
export function fingerprintOf(compile: () => Compiled): Fingerprint {
  let c: Compiled;
  try {
    c = compile();
  } catch (e) {
    if (e instanceof UserError) return { refused: e.message };
    throw e;
  }
  return fingerprint(c);
}

/** A zoo topology with seeded random parameters everywhere the compiler reads them, without calibration. */
export function rawZooModel(name: string, seed: number): Model {
  const m = buildTopology(ZOO.find((z) => z.name === name)!, 20);
  const r = new Rng(seed);
  randomWeights(m, r);
  for (const l of m.layers) {
    if (!l.quant) continue;
    for (let i = 0; i < l.quant.S.length; i++) { l.quant.S[i] = r.int(-32768, 32767); l.quant.B[i] = r.int(-32768, 32767); }
    l.quant.n = r.int(0, 31);
  }
  for (const t of m.tensors.values()) {
    if (t.kind !== 'act') continue;
    t.zero = r.int(-128, 127);
    t.pad = Int8Array.from({ length: t.shape[2] }, () => r.int(-128, 127));
  }
  return m;
}

const BOARDS = ['ultra96v2', 'pynq-z2'];
const OPTIONS: Array<[string, CompileOptions]> = [['', {}], ['+nofuse', { fuse: false }], ['+nochip', { chip: false }]];
const compile = (m: () => Model, hw: HwConfig, opts: CompileOptions = {}) => () => compileModel(m(), hw, opts);

export function snapshotCases(): SnapshotCase[] {
  const cases: SnapshotCase[] = [];
  const memo = new Map<string, Model>();
  const once = (key: string, make: () => Model) => () => memo.get(key) ?? memo.set(key, make()).get(key)!;
  for (const board of BOARDS) {
    const hw: HwConfig = presetConfig(board);
    for (const spec of ZOO) {
      const slow = !['codenet-tiny', 'codenet-tiny-skip'].includes(spec.name);
      cases.push({ key: `zoo/${spec.name}/${board}`, slow, compile: compile(once(`zoo ${spec.name}`, () => exportZooModel(spec.name, { seed: 0 })), hw) });
    }
    for (const k of verifyCases(hw.dmax)) {
      const slow = k.name.startsWith('codenet-') && k.name !== 'codenet-tiny';
      const model = once(`verify ${k.name} ${board}`, () => k.build(hw).model);
      for (const [suffix, opts] of OPTIONS) cases.push({ key: `verify/${k.name}/${board}${suffix}`, slow, compile: compile(model, hw, opts) });
    }
  }
  for (const board of BOARDS) {
    const hw: HwConfig = presetConfig(board);
    for (const spec of ZOO)
      for (const [suffix, opts] of OPTIONS)
        cases.push({ key: `zoo-raw/${spec.name}/${board}${suffix}`, slow: false, compile: compile(once(`raw ${spec.name}`, () => rawZooModel(spec.name, 11)), hw, opts) });
  }
  return cases;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out: Record<string, Fingerprint> = {};
  for (const k of snapshotCases()) {
    out[k.key] = fingerprintOf(k.compile);
    process.stderr.write(`${k.key}\n`);
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}
