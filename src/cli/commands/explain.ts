import type { Command } from 'commander';
import { compileModel } from '../../compiler/compile.ts';
import { explainCompiled, renderExplanation } from '../../compiler/explain.ts';
import { programPerf } from '../../perf/model.ts';
import { terminalText } from '../../util/escape.ts';
import { intOption, resolveModel } from '../model-arg.ts';
import { hwFromOptions } from './perf.ts';

/** `codenet explain <model>`: the compiler's plan, layer by layer (docs/isa.md, "Explaining a compiled program"). */
export function registerExplain(program: Command): void {
  program
    .command('explain <model>')
    .description('show how the compiler maps a model onto the accelerator: passes, fusion, on-chip choices, copy passes, buffers, DDR bytes per layer')
    .option('--board <name>', 'board preset: ultra96v2, zcu104, kv260, pynq-z2', 'ultra96v2')
    .option('--hw <config.json>', 'hardware config file (fields not given come from its board preset)')
    .option('--clock <MHz>', 'fabric clock (default: the board\'s)', intOption('--clock', 1, 2000))
    .option('--json', 'print JSON (docs/isa.md, "Explaining a compiled program")')
    .action((modelArg: string, opts: { board: string; hw?: string; clock?: number; json?: boolean }) => {
      const model = resolveModel(modelArg);
      const hw = hwFromOptions(opts);
      const compiled = compileModel(model, hw);
      const e = explainCompiled(compiled, programPerf(compiled));
      if (opts.json) return void console.log(JSON.stringify(e, null, 2));
      process.stdout.write(terminalText(renderExplanation(e)));
    });
}
