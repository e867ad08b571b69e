/**
 * --board, --hw and --clock: one definition (names, descriptions, default, range) for every
 * command that compiles for, models or generates the accelerator, resolved to a HwConfig the same
 * way everywhere (hwFromOptions), so the same bad value gets the same exit-2 message from each.
 */
import type { Command } from 'commander';
import { BOARDS, findBoard } from '../hw/boards.ts';
import { loadHwConfig, presetConfig, validateHwConfig, type HwConfig } from '../hw/config.ts';
import { fail } from '../util/errors.ts';
import { intOption } from './model-arg.ts';

export const DEFAULT_BOARD = 'ultra96v2';

/**
 * The parser's range of --clock: 1 MHz up to the fastest board's DSP48 limit. The chosen board's
 * own limit (maxClockMHz) is checked where every config is checked, validateHwConfig.
 */
export const CLOCK_OPTION_MAX = Math.max(...BOARDS.map((b) => b.maxClockMHz));

export interface HwOptions {
  board: string;
  hw?: string;
  clock?: number;
}

/** Adds --board, --hw and --clock to `c`. */
export function addHwOptions(c: Command): Command {
  return c
    .option('--board <name>', `board preset: ${BOARDS.map((b) => b.name).join(', ')}`, DEFAULT_BOARD)
    .option('--hw <config.json>', 'hardware config file (fields not given come from its board preset)')
    .option('--clock <MHz>', `fabric clock (default: the config's or board's; at most the board's DSP48 limit: ${BOARDS.map((b) => `${b.name} ${b.maxClockMHz}`).join(', ')})`,
      intOption('--clock', 1, CLOCK_OPTION_MAX));
}

/** The hardware config of --hw (a file) or --board (a preset), with --clock applied and checked against the board. */
export function hwFromOptions(opts: HwOptions): HwConfig {
  if (!opts.hw && !findBoard(opts.board)) fail(`--board: unknown board "${opts.board}"; known: ${BOARDS.map((b) => b.name).join(', ')}`);
  const hw = opts.hw ? loadHwConfig(opts.hw) : presetConfig(opts.board);
  if (opts.clock === undefined) return hw;
  return validateHwConfig({ ...hw, clockMHz: opts.clock }, `${opts.hw ?? `preset ${hw.board}`} with --clock ${opts.clock}`);
}
