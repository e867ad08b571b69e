import type { Command } from 'commander';
import { ZOO, DEFAULT_CLASSES } from '../../zoo/specs.ts';
import { buildTopology } from '../../zoo/graph.ts';
import { summarize } from '../../info/summary.ts';

export function registerZoo(program: Command): void {
  program
    .command('zoo')
    .description('list the built-in CoDeNet models')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const rows = ZOO.map((z) => {
        const t = summarize(buildTopology(z, DEFAULT_CLASSES)).totals;
        return { name: z.name, description: z.description, input: z.input, macs: t.macs, params: t.params, sizeMiB4bit: t.sizeMiB4bit };
      });
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      const nw = Math.max(...rows.map((r) => r.name.length)) + 2;
      console.log(`${'name'.padEnd(nw)}${'input'.padEnd(9)}${'GMACs'.padStart(8)}${'weights'.padStart(11)}${'MiB@4b'.padStart(9)}  description`);
      for (const r of rows)
        console.log(`${r.name.padEnd(nw)}${`${r.input}x${r.input}`.padEnd(9)}${(r.macs / 1e9).toFixed(3).padStart(8)}${String(r.params).padStart(11)}${r.sizeMiB4bit.toFixed(3).padStart(9)}  ${r.description}`);
      console.log(`\n${DEFAULT_CLASSES} classes by default (--classes N). Weights are random until a trained model is quantized.`);
    });
}
