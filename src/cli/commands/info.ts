import type { Command } from 'commander';
import { summarize } from '../../info/summary.ts';
import { resolveModel, intOption } from '../model-arg.ts';
import { isFloatModelPath } from '../../float/model-file.ts';

/** The integer graph of a float model (TensorFlow.js loads only for float models). */
async function floatIntegerGraph(path: string) {
  const [{ initBackend }, { loadFloatModel }, { integerGraph }] = await Promise.all([import('../../float/model.ts'), import('../../float/io.ts'), import('../../quant/graph.ts')]);
  await initBackend();
  return integerGraph(await loadFloatModel(path)).model;
}

export function registerInfo(program: Command): void {
  program
    .command('info <model>')
    .description('per-layer table (op, shapes, MACs, weights) and totals of a zoo model, an integer model file or a float model (its integer graph)')
    .option('--json', 'print JSON (totals.macs, totals.params, layers[])')
    .option('--classes <n>', 'classes, for zoo models', intOption('--classes', 1, 1000))
    .action(async (model: string, opts: { json?: boolean; classes?: number }) => {
      const s = summarize(isFloatModelPath(model) ? await floatIntegerGraph(model) : resolveModel(model, { classes: opts.classes }));
      if (opts.json) return void console.log(JSON.stringify(s, null, 2));
      const shape = (v: number[]) => v.join('x');
      console.log(`${'#'.padStart(4)}  ${'layer'.padEnd(20)}${'op'.padEnd(10)}${'input'.padEnd(16)}${'output'.padEnd(14)}${'MACs'.padStart(12)}${'weights'.padStart(10)}`);
      s.layers.forEach((l, i) =>
        console.log(`${String(i).padStart(4)}  ${l.name.padEnd(20)}${l.op.padEnd(10)}${l.inputs.map(shape).join(',').padEnd(16)}${shape(l.output).padEnd(14)}${String(l.macs).padStart(12)}${String(l.weights).padStart(10)}`));
      const t = s.totals;
      console.log(`\n${s.name}: ${t.layers} layers, ${(t.macs / 1e9).toFixed(4)} GMACs, ${t.params} weights, ${t.sizeMiB4bit.toFixed(3)} MiB at 4 bits per weight`);
    });
}
