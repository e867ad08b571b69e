import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { registerZoo } from './commands/zoo.ts';
import { registerExport } from './commands/export.ts';
import { registerInfo } from './commands/info.ts';
import { registerGolden } from './commands/golden.ts';
import { registerPerf } from './commands/perf.ts';
import { registerSim, CommandExit } from './commands/sim.ts';
import { registerBundle } from './commands/bundle.ts';
import { registerVerify } from './commands/verify.ts';
import { registerGen } from './commands/gen.ts';
import { registerSynth } from './commands/synth.ts';
import { registerQuantize } from './commands/quantize.ts';
import { registerEval } from './commands/eval.ts';
import { registerTrain } from './commands/train.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Exit codes: 0 success, 1 internal error (a bug: stack trace), 2 user error (one paragraph). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('codenet')
    .description('CoDeNet deformable-convolution detector -> W4A8 integer model -> bit-exact FPGA accelerator')
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerZoo(program);
  registerExport(program);
  registerInfo(program);
  registerGolden(program);
  registerPerf(program);
  registerBundle(program);
  registerSim(program);
  registerVerify(program);
  registerGen(program);
  registerSynth(program);
  registerQuantize(program);
  registerTrain(program);
  registerEval(program);
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommandExit) return e.code; // the command printed why
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // usage errors were printed by commander
    if (e instanceof UserError) {
      process.stderr.write(`codenet: error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

