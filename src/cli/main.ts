import { main } from './program.ts';

// The `codenet` executable (bin/codenet.mjs loads this through tsx).
process.exitCode = await main(process.argv.slice(2));
