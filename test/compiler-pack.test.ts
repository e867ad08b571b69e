import { describe, expect, it } from 'vitest';
import { packPwTile, packStemTile, toBeats } from '../src/compiler/pack.ts';

const nib = (b: number, high: boolean) => { const v = high ? b >> 4 : b & 15; return v >= 8 ? v - 16 : v; };

describe('engine parameter packing', () => {
  it('the stem split reconstructs every int8 weight: 16*hi + (lo - 8) + 8 * 1 = w', () => {
    const w = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    // 256 "channels" of one tap each is not a stem; use cout = 256 rows of 27 with the weight at tap 0.
    const wts = new Int8Array(256 * 27);
    w.forEach((v, co) => { wts[co * 27] = v; });
    for (let c0 = 0; c0 < 256; c0 += 3) {
      const words = packStemTile(wts, 256, c0, 4, 8); // 3 channels a tile
      const sumPair = words.find((x) => x.pair === 0 && x.group === 0)!;
      expect(nib(sumPair.bytes[0], false)).toBe(1);
      expect(nib(sumPair.bytes[0], true)).toBe(0);
      for (let p = 1; p < 4 && c0 + p - 1 < 256; p++) {
        const b = words.find((x) => x.pair === p && x.group === 0)!.bytes[0];
        expect(16 * nib(b, true) + nib(b, false) + 8).toBe(w[c0 + p - 1]);
      }
    }
  });

  it('1x1 tiles put channel 2p in the low nibble, 2p+1 in the high one, zero-padded', () => {
    const w = Int8Array.from([1, 2, 3, -4, -5, 6, 7, -8, 0, 1]); // [5][2]
    const words = packPwTile(w, 2, 5, 4, 4, 4);
    expect(words).toHaveLength(2);
    expect(words[0].bytes.map((b) => [nib(b, false), nib(b, true)])).toEqual([[0, 0], [1, 0], [0, 0], [0, 0]]);
    expect(toBeats([1, 2, 3, 4, 5, 6], 2, 3, 2)).toEqual([[1, 2], [3, 0], [4, 5], [6, 0]]);
  });
});
