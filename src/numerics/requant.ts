/**
 * The integer arithmetic of codenet (docs/numerics.md). Every backend must agree with these
 * functions bit for bit; they are written to be exact, not approximately fast.
 */

export const INT8_MIN = -128;
export const INT8_MAX = 127;
export const INT4_MIN = -8;
export const INT4_MAX = 7;
export const INT16_MIN = -32768;
export const INT16_MAX = 32767;
/** The accumulator is a signed 24-bit register: |acc| < 2^23 is proven per layer at load time. */
export const ACC_BITS = 24;
export const ACC_LIMIT = 2 ** (ACC_BITS - 1);
export const SHIFT_MIN = 1;
export const SHIFT_MAX = 31;
/** Largest dilation any model may ask for (line buffers are sized from the model's own dmax). */
export const DMAX_LIMIT = 15;

/**
 * t = ((acc * S + 2^(n-1)) >> n) + B with an arithmetic (floor) shift of the exact product.
 * |acc| < 2^23 and |S| <= 2^15 keep |acc*S + 2^30| below 2^53, so float64 holds it exactly and
 * dividing by 2^n is exact before the floor.
 */
export function requantT(acc: number, S: number, B: number, n: number): number {
  return Math.floor((acc * S + 2 ** (n - 1)) / 2 ** n) + B;
}

/**
 * requantT for a loop over one layer's elements: 2^(n-1) and 2^n computed once instead of per
 * element (the same value, bit for bit: the numerator is exact, and so is dividing it by 2^n).
 */
export function requantTFor(n: number): (acc: number, S: number, B: number) => number {
  const half = 2 ** (n - 1), div = 2 ** n;
  return (acc, S, B) => Math.floor((acc * S + half) / div) + B;
}

/** Output code: clamp(t - 128, lo, 127); lo is -128, or the output zero code when the layer has ReLU. */
export function outputCode(t: number, lo: number): number {
  const q = t - 128;
  return q < lo ? lo : q > INT8_MAX ? INT8_MAX : q;
}

/** Dilation of the offset conv: clamp(t, 0, dmax) on the requantized value before the -128. */
export function dilationFromT(t: number, dmax: number): number {
  return t < 0 ? 0 : t > dmax ? dmax : t;
}

/** The bound the loader proves for every layer: fan_in * 128 * max|w| < 2^23. */
export function accumulatorBound(fanIn: number, maxAbsW: number): number {
  return fanIn * 128 * maxAbsW;
}
