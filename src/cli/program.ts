import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { relative, resolve, sep } from 'node:path';
import { UserError, fsErrorReason } from '../util/errors.ts';
import { terminalText } from '../util/escape.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { setQuiet } from '../util/progress.ts';
import { registerZoo } from './commands/zoo.ts';
import { registerExport } from './commands/export.ts';
import { registerInfo } from './commands/info.ts';
import { registerGolden } from './commands/golden.ts';
import { registerPerf } from './commands/perf.ts';
import { registerExplain } from './commands/explain.ts';
import { registerSim, CommandExit } from './commands/sim.ts';
import { registerBundle } from './commands/bundle.ts';
import { registerVerify } from './commands/verify.ts';
import { registerGen } from './commands/gen.ts';
import { registerSynth } from './commands/synth.ts';
import { registerQuantize } from './commands/quantize.ts';
import { registerEval } from './commands/eval.ts';
import { registerImport } from './commands/import.ts';
import { registerTrain } from './commands/train.ts';
import { registerDataset } from './commands/dataset.ts';
import { registerDetect } from './commands/detect.ts';
import { registerPrune } from './commands/prune.ts';
import { registerSearch } from './commands/search.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Exit codes: 0 success, 1 internal error (a bug: stack trace), 2 user error (one paragraph). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('codenet')
    .description('CoDeNet deformable-convolution detector -> W4A8 integer model -> bit-exact FPGA accelerator')
    .version(pkg.version)
    .option('-q, --quiet', 'no progress bars (terminal) or progress lines (pipe) on stderr')
    .hook('preAction', (cmd) => setQuiet(cmd.opts().quiet === true))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerZoo(program);
  registerExport(program);
  registerInfo(program);
  registerGolden(program);
  registerPerf(program);
  registerExplain(program);
  registerBundle(program);
  registerSim(program);
  registerVerify(program);
  registerGen(program);
  registerSynth(program);
  registerQuantize(program);
  registerTrain(program);
  registerEval(program);
  registerImport(program);
  registerDetect(program);
  registerDataset(program);
  registerPrune(program);
  registerSearch(program);
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommandExit) return e.code; // the command printed why
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // usage errors were printed by commander
    if (e instanceof UserError) {
      process.stderr.write(`codenet: error: ${terminalText(e.message)}\n`);
      return 2;
    }
    // A file-system error on a path the user gave (missing, a file where a folder should be, no
    // permission, read-only, full) that no command turned into a message: still exit 2, naming it.
    const message = userFsErrorMessage(e);
    if (message !== undefined) {
      process.stderr.write(`codenet: error: ${terminalText(message)}\n`);
      return 2;
    }
    throw e;
  }
}


/** The exit-2 message of a file-system error on a path the user chose (isUserPath), else undefined. */
export function userFsErrorMessage(e: unknown): string | undefined {
  const reason = fsErrorReason(e);
  const path = (e as NodeJS.ErrnoException | undefined)?.path;
  return reason !== undefined && isUserPath(path) ? `cannot use ${path}: ${reason}` : undefined;
}

/**
 * Whether a path in a file-system error is one the user chose rather than codenet's own files:
 * not the sources, templates, hardware library, simulator sources, dependencies or caches of the
 * checkout, nor codenet's temporary folders. An error on those stays a bug (exit 1, stack trace).
 */
function isUserPath(p: string | undefined): boolean {
  if (!p) return false;
  const inside = (root: string) => {
    const r = relative(root, resolve(p));
    return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && !/^[a-zA-Z]:/.test(r));
  };
  const own = ['src', 'templates', 'hw', 'sim', 'node_modules', '.cache', 'bin', 'package.json'].map((d) => resolve(PROJECT_ROOT, d));
  if (own.some(inside)) return false;
  const t = relative(tmpdir(), resolve(p));
  return !/^codenet-(sim|model|csim|icarus)-/.test(t);
}
