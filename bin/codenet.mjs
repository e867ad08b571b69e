#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npm ci` is the only setup step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `codenet train` keeps both cores busy with tfjs (a worker thread computes half of every batch),
// and V8's background GC threads then compete with them: with the GC on the threads that allocate,
// two-thread training ran 14-31% faster (docs/training.md, "Both cores"). The flag only works on
// the command line, so train re-runs this file with it.
const GC_FLAG = '--single-threaded-gc';
if (process.argv[2] === 'train' && !process.execArgv.includes(GC_FLAG)) {
  const child = spawn(process.execPath, [GC_FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // SIGINT/SIGTERM sent to this process alone (kill <pid>) reach the training process too.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
