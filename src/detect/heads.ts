import { fail } from '../util/errors.ts';

export interface HeadIndex { hm: number; wh: number; reg: number }

/**
 * Which of a detector's outputs are the CenterNet heads: the outputs named hm, wh and reg, else
 * (a model whose heads are named otherwise) its three outputs in that order. `channels` holds each
 * output's channel count: wh and reg are 2-channel maps.
 */
export function centerNetHeads(outputs: string[], channels: number[], what: string): HeadIndex {
  const named = (['hm', 'wh', 'reg'] as const).map((n) => outputs.indexOf(n));
  const [hm, wh, reg] = named.every((i) => i >= 0) ? named : outputs.length === 3 ? [0, 1, 2] : fail(`${what} has the outputs [${outputs.join(', ')}]: a CenterNet detector needs the heads hm, wh and reg (named so, or its three outputs in that order)`);
  for (const [k, i] of [['wh', wh], ['reg', reg]] as const)
    if (channels[i] !== 2) fail(`${what}: the ${k} head "${outputs[i]}" has ${channels[i]} channels, a CenterNet ${k} map has 2`);
  return { hm, wh, reg };
}

/** centerNetHeads, or undefined for a model that is not a CenterNet detector. */
export function findCenterNetHeads(outputs: string[], channels: number[]): HeadIndex | undefined {
  try {
    return centerNetHeads(outputs, channels, '');
  } catch {
    return undefined;
  }
}
