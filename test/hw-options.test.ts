// --board, --hw and --clock are one definition (src/cli/hw-options.ts): every command that takes
// them refuses the same bad value with exit 2 and the same message, and documents them alike.
// test tier: unit -- every call here fails in option parsing or config resolution, before anything runs.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Command } from 'commander';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { BOARDS } from '../src/hw/boards.ts';
import { CLOCK_OPTION_MAX, addHwOptions } from '../src/cli/hw-options.ts';
import { registerPerf } from '../src/cli/commands/perf.ts';
import { registerExplain } from '../src/cli/commands/explain.ts';
import { registerBundle } from '../src/cli/commands/bundle.ts';
import { registerGen } from '../src/cli/commands/gen.ts';
import { registerVerify } from '../src/cli/commands/verify.ts';

const root = tempDir('codenet-hwopt-');

/** Each command that takes the options, with the arguments it needs to get as far as them. */
const COMMANDS: Array<[string, string[]]> = [
  ['perf', ['codenet-tiny']],
  ['explain', ['codenet-tiny']],
  ['bundle', ['codenet-tiny', '-o', join(root, 'bundle')]],
  ['gen', ['--target', 'zynq', '--model', 'codenet-tiny', '--no-synth', '-o', join(root, 'gen')]],
  ['verify', ['--simulator', 'reference']],
];

const ultra96 = BOARDS.find((b) => b.name === 'ultra96v2')!;

const BAD: Array<[string, string[], RegExp]> = [
  ['--clock 0', ['--clock', '0'], new RegExp(`^codenet: error: --clock must be an integer in 1\\.\\.${CLOCK_OPTION_MAX}, got "0"\n$`)],
  ['--clock 5000', ['--clock', '5000'], new RegExp(`^codenet: error: --clock must be an integer in 1\\.\\.${CLOCK_OPTION_MAX}, got "5000"\n$`)],
  ['--board nosuch', ['--board', 'nosuch'], new RegExp(`^codenet: error: --board: unknown board "nosuch"; known: ${BOARDS.map((b) => b.name).join(', ')}\n$`)],
  // Within the parser's range, above the board's DSP48 limit: checked where every config is checked.
  [`--clock ${ultra96.maxClockMHz + 1} (ultra96v2)`, ['--board', 'ultra96v2', '--clock', String(ultra96.maxClockMHz + 1)],
    new RegExp(`^codenet: error: hardware config preset ultra96v2 with --clock ${ultra96.maxClockMHz + 1}: clockMHz ${ultra96.maxClockMHz + 1} exceeds ${ultra96.maxClockMHz} MHz`)],
];

describe('--board, --hw, --clock: one definition for every command', () => {
  it('the parser\'s --clock range is the fastest board\'s DSP48 limit', () => {
    expect(CLOCK_OPTION_MAX).toBe(Math.max(...BOARDS.map((b) => b.maxClockMHz)));
    expect(ultra96.maxClockMHz + 1).toBeLessThanOrEqual(CLOCK_OPTION_MAX);
  });

  for (const [what, args, want] of BAD)
    it(`${what}: exit 2 and the same message from ${COMMANDS.map(([c]) => c).join(', ')}`, async () => {
      const seen = new Set<string>();
      for (const [cmd, rest] of COMMANDS) {
        const r = await runCli(cmd, ...rest, ...args);
        expect(r.code, `${cmd}: ${r.stdout}${r.stderr}`).toBe(2);
        expect(r.stderr, cmd).toMatch(want);
        seen.add(r.stderr);
      }
      expect([...seen]).toHaveLength(1);
    });

  it('each command documents the three options with the same flags, descriptions and default', () => {
    const program = new Command();
    for (const register of [registerPerf, registerExplain, registerBundle, registerGen, registerVerify]) register(program);
    const want = addHwOptions(new Command('x')).options.map((o) => [o.flags, o.description, o.defaultValue]);
    expect(want.map(([f]) => f)).toEqual(['--board <name>', '--hw <config.json>', '--clock <MHz>']);
    for (const c of program.commands) {
      const got = c.options.filter((o) => ['--board', '--hw', '--clock'].includes(o.long!)).map((o) => [o.flags, o.description, o.defaultValue]);
      expect(got, c.name()).toEqual(want);
    }
  });
});
