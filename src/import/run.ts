/**
 * `codenet import` (src/cli/commands/import.ts loads this lazily): ONNX file -> codenet float
 * model folder (TensorFlow.js layers format, src/float/io.ts), written only when the whole graph
 * converted.
 */
import { basename, join } from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { initBackend } from '../float/model.ts';
import { saveFloatModel } from '../float/io.ts';
import { fail } from '../util/errors.ts';
import { readOnnx } from './onnx.ts';
import { lowerOnnx, type Heads, type LowerResult } from './lower.ts';
import { buildTfModel } from './graph.ts';
import { HINTS_FILE, sha256, type QuantHints } from './hints.ts';

export interface ImportOptions { out: string; heads?: string; name?: string }

/** --heads hm=NAME,wh=NAME,reg=NAME. */
export function parseHeads(arg: string): Heads {
  const heads: Heads = {};
  for (const part of arg.split(',')) {
    const m = /^(hm|wh|reg)=(.+)$/.exec(part.trim()) ?? fail(`--heads must be hm=NAME,wh=NAME,reg=NAME, got "${arg}"`);
    heads[m[1] as keyof Heads] = m[2];
  }
  if (!heads.hm || !heads.wh || !heads.reg) fail(`--heads must name all of hm, wh and reg, got "${arg}"`);
  return heads;
}

/** Reads and converts `path` (no backend needed): the float graph, notes, class count. */
export function convertOnnx(path: string, o: { heads?: string; name?: string } = {}): LowerResult {
  const heads = o.heads ? parseHeads(o.heads) : undefined;
  const name = o.name ?? basename(path).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return lowerOnnx(readOnnx(path), { name, heads });
}

export async function runImport(path: string, o: ImportOptions): Promise<void> {
  const r = convertOnnx(path, o);
  await initBackend({ log: (s) => process.stderr.isTTY && process.stderr.write(`${s}\n`) });
  const fm = buildTfModel(r.graph);
  // The graph's quantization goes beside the float model, tied to its weights (quantize checks the hash).
  const q = r.quant;
  await saveFloatModel(fm, o.out, q && ((weights) => {
    const hints: QuantHints = { format: 'codenet-quant-hints', version: 1, source: basename(path), weightsSha256: sha256(weights), ...q };
    return [{ name: HINTS_FILE, data: JSON.stringify(hints) + '\n' }];
  }));
  // An earlier import's hints would describe other weights (quantize would refuse them): a graph without quantization leaves none.
  if (!q && existsSync(join(o.out, HINTS_FILE))) rmSync(join(o.out, HINTS_FILE));
  const count = new Map<string, number>();
  for (const l of r.graph.layers) {
    const k = l.kind === 'conv' ? l.role : l.kind;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const { h, w, c } = r.graph.input;
  console.log(`imported ${path} as "${r.graph.name}": ${r.graph.layers.length} layers (${[...count].map(([k, n]) => `${n} ${k}`).join(', ')}), input ${h}x${w}x${c}${r.classes !== undefined ? `, CenterNet heads hm/wh/reg, ${r.classes} classes` : ''}`);
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`wrote ${o.out} (model.json, weights.bin${q ? `, ${HINTS_FILE}: the graph's quantization, which codenet quantize uses` : ''}); next: codenet quantize ${o.out} --calib builtin -o model.json`);
}
