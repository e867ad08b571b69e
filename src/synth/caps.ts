import type { Resources } from './yosys.ts';

/** Device budget and FINN-style utilisation caps (fractions of the budget). */
export interface Budget {
  lut: number;
  ff: number;
  dsp: number;
  bram36: number;
}

export const DEFAULT_CAPS: Budget = { lut: 0.8, ff: 0.8, dsp: 1.0, bram36: 0.9 };

export interface CapRow {
  resource: keyof Budget;
  used: number;
  budget: number;
  cap: number;
  utilisation: number;
  over: boolean;
}

/** Compares used resources with the budget and caps; `over` rows make a design fail. */
export function checkCaps(used: Resources, budget: Budget, caps: Budget = DEFAULT_CAPS): CapRow[] {
  return (['lut', 'ff', 'dsp', 'bram36'] as const).map((resource) => {
    const utilisation = budget[resource] > 0 ? used[resource] / budget[resource] : Infinity;
    return { resource, used: used[resource], budget: budget[resource], cap: caps[resource], utilisation, over: utilisation > caps[resource] };
  });
}

/** One paragraph naming every resource over its cap, with the figures. */
export function capViolationMessage(design: string, board: string, rows: CapRow[]): string | undefined {
  const over = rows.filter((r) => r.over);
  if (!over.length) return undefined;
  const parts = over.map((r) => `${r.resource.toUpperCase()} ${r.used} of ${r.budget} (${(100 * r.utilisation).toFixed(1)}%, cap ${(100 * r.cap).toFixed(0)}%)`);
  return `${design} does not fit ${board}: ${parts.join('; ')}. Reduce the MAC array or buffer depths in the hardware config, or raise the cap with --cap-<resource> if you accept the risk.`;
}
