import type { Command } from 'commander';
import { compileModel } from '../../compiler/compile.ts';
import { explainCompiled, renderExplanation } from '../../compiler/explain.ts';
import { programPerf } from '../../perf/model.ts';
import { terminalText } from '../../util/escape.ts';
import { resolveModel } from '../model-arg.ts';
import { addHwOptions, hwFromOptions, type HwOptions } from '../hw-options.ts';

/** `codenet explain <model>`: the compiler's plan, layer by layer (docs/isa.md, "Explaining a compiled program"). */
export function registerExplain(program: Command): void {
  addHwOptions(program
    .command('explain <model>')
    .description('show how the compiler maps a model onto the accelerator: passes, fusion, on-chip choices, copy passes, buffers, DDR bytes per layer'))
    .option('--json', 'print JSON (docs/isa.md, "Explaining a compiled program")')
    .action((modelArg: string, opts: HwOptions & { json?: boolean }) => {
      const model = resolveModel(modelArg);
      const hw = hwFromOptions(opts);
      const compiled = compileModel(model, hw);
      const e = explainCompiled(compiled, programPerf(compiled));
      if (opts.json) return void console.log(JSON.stringify(e, null, 2));
      process.stdout.write(terminalText(renderExplanation(e)));
    });
}
