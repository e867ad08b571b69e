import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * Seeded random source (xoroshiro128+ from pure-rand). Every random thing codenet makes goes
 * through it, so a seed names one result on every machine.
 */
export class Rng {
  private gen: RandomGenerator;
  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return uniformInt(this.gen, lo, hi);
  }
  /** Uniform float in [0, 1) with 32 random bits. */
  float(): number {
    return uniformInt(this.gen, 0, 0xffffffff) / 4294967296;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
