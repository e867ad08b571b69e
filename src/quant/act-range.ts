/**
 * Activation range search (`--act-range mse`, the default of `codenet quantize`): each int8
 * activation quantizer's clipping range [lo, hi] is the one whose quantize-dequantize error over
 * the calibration activations is least. The min/max range spends most of the 255 steps on rare
 * far-out values; a percentile clips a fixed share whatever the distribution. The values are
 * binned once (count, sum and sum of squares per bin over [min, max]), so a candidate range costs
 * one pass over the bins, not over the activations.
 */

/** Bins of the histogram: about eight per int8 step of the widest range. */
const BINS = 2048;
/** Candidate ends: the observed end times 2^(-k/16), k = 0..STEPS (down to 3% of it). */
const STEPS = 80;

/** A histogram of one quantizer's calibration values over [lo, hi] (lo <= 0 <= hi). */
export class RangeHistogram {
  readonly count = new Float64Array(BINS);
  readonly sum = new Float64Array(BINS);
  readonly sumSq = new Float64Array(BINS);
  constructor(readonly lo: number, readonly hi: number) {}

  add(v: Float32Array): void {
    this.used = undefined;
    const { lo, hi } = this, k = hi > lo ? BINS / (hi - lo) : 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const b = Math.min(BINS - 1, Math.max(0, Math.floor((x - lo) * k)));
      this.count[b]++;
      this.sum[b] += x;
      this.sumSq[b] += x * x;
    }
  }

  /**
   * The squared error of quantizing the values with the int8 quantizer of range [lo, hi] (scale
   * and zero as the quantizer sets them): per bin, every value takes the code of the bin's mean.
   */
  error(lo: number, hi: number): number {
    const { scale: s, zero: z } = actQuantParams(lo, hi);
    const used = this.used ??= Int32Array.from(Array.from(this.count).flatMap((n, b) => (n ? [b] : [])));
    let e = 0;
    for (const b of used) {
      const n = this.count[b];
      const c = Math.round(this.sum[b] / n / s) + z, q = c < -128 ? -128 : c > 127 ? 127 : c;
      const r = s * (q - z);
      e += this.sumSq[b] - 2 * r * this.sum[b] + n * r * r;
    }
    return e;
  }

  /** The bins holding values (set by the first error(); add() before it). */
  private used?: Int32Array;
}

/** The int8 activation quantizer of range [lo, hi] (docs/numerics.md section 10). */
export function actQuantParams(lo: number, hi: number): { scale: number; zero: number } {
  const scale = hi > lo ? (hi - lo) / 255 : 1 / 255;
  return { scale, zero: Math.max(-128, Math.min(127, Math.round(-128 - lo / scale))) };
}

/**
 * The range of least squared error among [lo * f_a, hi * f_b] for the candidate factors
 * f_k = 2^(-k/16): every fourth factor first, then every factor within four of the best pair. An
 * end at 0 stays there (a ReLU's output), so a one-sided tensor searches its top alone. Ties keep
 * the wider range; the search is deterministic.
 */
export function mseRange(h: RangeHistogram): [number, number] {
  const f = (k: number) => 2 ** (-k / 16);
  const ends = (end: number, ks: number[]) => (end === 0 ? [[0, 0]] : ks.map((k) => [k, end * f(k)]));
  let best: [number, number] = [h.lo, h.hi], bestErr = Infinity, bestK = [0, 0];
  const search = (kLo: number[], kHi: number[]) => {
    for (const [a, lo] of ends(h.lo, kLo))
      for (const [b, hi] of ends(h.hi, kHi)) {
        const e = h.error(lo, hi);
        if (e < bestErr) [best, bestErr, bestK] = [[lo, hi], e, [a, b]];
      }
  };
  const coarse = Array.from({ length: STEPS / 4 + 1 }, (_, i) => 4 * i);
  search(coarse, coarse);
  const near = (k: number) => Array.from({ length: 9 }, (_, i) => k - 4 + i).filter((j) => j >= 0 && j <= STEPS);
  const [ka, kb] = bestK;
  search(near(ka), near(kb));
  return best;
}
