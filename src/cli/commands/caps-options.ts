import type { Command } from 'commander';
import { DEFAULT_CAPS, type Budget } from '../../synth/caps.ts';
import { intOption } from '../model-arg.ts';

/** --cap-lut/--cap-ff/--cap-dsp/--cap-bram in percent of the board's budget (FINN-style caps). */
export function addCapOptions(c: Command): Command {
  return c
    .option('--cap-lut <percent>', `LUT utilisation cap (default ${100 * DEFAULT_CAPS.lut})`, intOption('--cap-lut', 1, 100))
    .option('--cap-ff <percent>', `FF utilisation cap (default ${100 * DEFAULT_CAPS.ff})`, intOption('--cap-ff', 1, 100))
    .option('--cap-dsp <percent>', `DSP utilisation cap (default ${100 * DEFAULT_CAPS.dsp})`, intOption('--cap-dsp', 1, 100))
    .option('--cap-bram <percent>', `BRAM36 utilisation cap (default ${100 * DEFAULT_CAPS.bram36})`, intOption('--cap-bram', 1, 100));
}

export interface CapOptions { capLut?: number; capFf?: number; capDsp?: number; capBram?: number }

export function capsFromOptions(o: CapOptions): Budget {
  const f = (v: number | undefined, d: number) => (v === undefined ? d : v / 100);
  return { lut: f(o.capLut, DEFAULT_CAPS.lut), ff: f(o.capFf, DEFAULT_CAPS.ff), dsp: f(o.capDsp, DEFAULT_CAPS.dsp), bram36: f(o.capBram, DEFAULT_CAPS.bram36) };
}
