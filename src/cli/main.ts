import { main } from './program.ts';
import { installSignalCleanup } from '../util/proc.ts';

// The `codenet` executable: bin/codenet.mjs loads this compiled (dist/, bin/dist.mjs) or through tsx.
// A reader that goes away (`codenet info ... | head -1`) makes writes fail with EPIPE: drop the
// rest of the output quietly and let the command finish with its usual exit code.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stream.write = (() => true) as typeof stream.write;
  });
}
// SIGINT/SIGTERM end the child processes and remove the temporary folders, then exit 130/143.
installSignalCleanup();
process.exitCode = await main(process.argv.slice(2));
