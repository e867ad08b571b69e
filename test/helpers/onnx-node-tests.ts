// The ONNX project's node tests (Debian's libonnx-testdata) of the ops codenet imports: each is
// imported with `codenet import` and either matches the stored outputs or is refused with exit 2.
// Used by test/import-onnx-node.test.ts and scripts/onnx-node-table.ts (the table in docs/import.md).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { main } from '../../src/cli/program.ts';
import { loadFloatModel } from '../../src/float/io.ts';
import { tensorValues } from '../../src/import/onnx.ts';
import { relError, toNchw, toNhwc } from './onnx-compare.ts';

const { onnx } = onnxProto;
export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
/** The ops codenet imports (docs/import.md): a node test is run when its graph holds only these. */
export const IMPORTED_OPS = new Set(['Conv', 'BatchNormalization', 'Relu', 'Clip', 'MaxPool', 'Concat', 'Split', 'Slice', 'Reshape', 'Transpose', 'Resize', 'Upsample', 'Identity', 'Dropout', 'DeformConv', 'Pad', 'QuantizeLinear', 'DequantizeLinear']);

export interface NodeResult { test: string; ops: string; result: 'pass' | 'refused' | 'mismatch' | 'crash'; detail: string }

/** `codenet import` in-process: exit code and what it printed on stderr. */
async function cliImport(file: string, out: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const [err, log] = [process.stderr.write, console.log];
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
  console.log = () => {};
  try {
    return { code: await main(['import', file, '-o', out]), stderr };
  } catch (e) {
    return { code: 1, stderr: stderr + String((e as Error).stack) };
  } finally {
    process.stderr.write = err;
    console.log = log;
  }
}

const readPb = (p: string) => tensorValues(onnx.TensorProto.decode(readFileSync(p)), p);

/** Runs every node test of an imported op; graph inputs after the first are bound to the test's values. */
export async function runNodeTests(): Promise<NodeResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'codenet-node-tests-'));
  const results: NodeResult[] = [];
  try {
    for (const test of readdirSync(NODE_TESTS).sort()) {
      const dir = join(NODE_TESTS, test), data = join(dir, 'test_data_set_0');
      if (!existsSync(join(dir, 'model.onnx')) || !existsSync(data)) continue;
      const m = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
      const ops = [...new Set((m.graph?.node ?? []).map((n) => `${n.domain ? `${n.domain}.` : ''}${n.opType}`))];
      if (!ops.length || !ops.every((o) => IMPORTED_OPS.has(o))) continue;
      // The data input stays an input; the others (weights, scales, bounds) become initializers.
      const inits = new Set((m.graph!.initializer ?? []).map((t) => t.name));
      const inputs = (m.graph!.input ?? []).filter((i) => !inits.has(i.name));
      inputs.slice(1).forEach((inp, k) => {
        const t = onnx.TensorProto.decode(readFileSync(join(data, `input_${k + 1}.pb`)));
        t.name = inp.name ?? '';
        m.graph!.initializer!.push(t);
      });
      m.graph!.input = inputs.slice(0, 1);
      const file = join(work, `${test}.onnx`), out = join(work, test);
      writeFileSync(file, onnx.ModelProto.encode(m).finish());
      const r = await cliImport(file, out);
      const row = { test, ops: ops.join(', ') };
      if (r.code === 2) {
        results.push({ ...row, result: 'refused', detail: r.stderr.replace(/^codenet: error: /, '').replace(file, 'model.onnx').replace(/\. codenet imports: .*/s, '').trim() });
        continue;
      }
      if (r.code !== 0) { results.push({ ...row, result: 'crash', detail: r.stderr.trim() }); continue; }
      const x = readPb(join(data, 'input_0.pb'));
      const [, c, h, w] = x.dims;
      const fm = await loadFloatModel(out);
      const ys = [fm.predict(tf.tensor4d(toNhwc(Float32Array.from(x.data), c, h, w), [1, h, w, c]))].flat() as tf.Tensor[];
      const errs = ys.map((y, k) => {
        const [, oh, ow, oc] = y.shape;
        return relError(toNchw(y.dataSync() as Float32Array, oc, oh, ow), Float32Array.from(readPb(join(data, `output_${k}.pb`)).data));
      });
      tf.dispose(ys);
      const worst = Math.max(...errs);
      results.push({ ...row, result: worst < 1e-4 ? 'pass' : 'mismatch', detail: worst < 1e-4 ? 'outputs match (< 1e-4 of their range)' : `error ${worst.toExponential(2)} of the output range` });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}

/** The Markdown table of docs/import.md. */
export function nodeTable(rows: NodeResult[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return ['| node test | ops | result | why |', '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.test} | ${r.ops} | ${r.result} | ${esc(r.detail)} |`)].join('\n');
}
