#!/usr/bin/env node
// The `codenet` executable: runs the compiled CLI (dist/, bin/dist.mjs), building it first when the
// sources changed since the last build; falls back to the TypeScript sources through tsx when it
// cannot build (no esbuild, read-only install) or when CODENET_TSX=1 asks for it.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtEntry, buildDist } from './dist.mjs';

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
  const root = fileURLToPath(new URL('..', import.meta.url));
  let entry;
  if (process.env.CODENET_TSX !== '1') {
    try {
      entry = builtEntry(root) ?? (await buildDist(root));
    } catch {
      // A source that does not compile fails the same way under tsx, with its own message.
      entry = undefined;
    }
  }
  if (entry) {
    await import(pathToFileURL(entry).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../src/cli/main.ts');
  }
}
