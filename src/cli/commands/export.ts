import type { Command } from 'commander';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { cachedZooModel } from '../../zoo/cache.ts';
import { serializeModel } from '../../ir/save.ts';
import { summarize } from '../../info/summary.ts';
import { intOption } from '../model-arg.ts';
import { checkOutputPath, outputError } from '../../io/atomic.ts';

export function registerExport(program: Command): void {
  program
    .command('export <name>')
    .description('write a deterministic random-weight integer model of a zoo network (calibrated S, B, n)')
    .requiredOption('-o, --out <file>', 'model file to write (JSON, docs/ir.md)')
    .option('--seed <n>', 'random seed', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--classes <n>', 'number of classes of the hm head', intOption('--classes', 1, 1000))
    .action((name: string, opts: { out: string; seed: number; classes?: number }) => {
      checkOutputPath(opts.out, 'file');
      const m = cachedZooModel(name, { seed: opts.seed, classes: opts.classes });
      const text = serializeModel(m);
      // Write beside the target and rename: a failure never leaves a truncated model file.
      const tmp = `${opts.out}.tmp-${process.pid}`;
      try {
        writeFileSync(tmp, text);
        renameSync(tmp, opts.out);
      } catch (e) {
        rmSync(tmp, { force: true });
        outputError(e, opts.out);
      }
      const t = summarize(m).totals;
      console.log(`wrote ${opts.out}: ${name}, seed ${opts.seed}, ${t.layers} layers, ${(t.macs / 1e9).toFixed(3)} GMACs, ${t.params} weights`);
    });
}
