import { describe, expect, it } from 'vitest';
import { CLASS_NAMES, makeDataset, makeSample, makeTargets, NUM_CLASSES, sampleSeed } from '../src/data/shapes.ts';
import { UserError } from '../src/util/errors.ts';

describe('procedural shapes data set', () => {
  it('is deterministic for a seed and differs across seeds and splits', () => {
    const a = makeDataset({ seed: 7, count: 3, size: 64 });
    const b = makeDataset({ seed: 7, count: 3, size: 64 });
    expect(a).toEqual(b);
    const c = makeDataset({ seed: 8, count: 3, size: 64 });
    expect(Buffer.from(c[0].image).equals(Buffer.from(a[0].image))).toBe(false);
    const v = makeDataset({ seed: 7, count: 3, size: 64, split: 'val' });
    expect(Buffer.from(v[0].image).equals(Buffer.from(a[0].image))).toBe(false);
    // sample i does not depend on the count asked for
    expect(makeDataset({ seed: 7, count: 1, size: 64 })[0]).toEqual(a[0]);
    expect(sampleSeed(7, 'train', 0)).not.toBe(sampleSeed(7, 'val', 0));
  });

  it('covers every class, several objects an image, any image size', () => {
    expect(NUM_CLASSES).toBeGreaterThanOrEqual(5);
    expect(CLASS_NAMES.length).toBe(NUM_CLASSES);
    const ds = makeDataset({ seed: 1, count: 40, size: [96, 128] });
    const seen = new Set<number>();
    let boxes = 0;
    for (const s of ds) {
      expect(s.height).toBe(96);
      expect(s.width).toBe(128);
      expect(s.image.length).toBe(96 * 128 * 3);
      for (const b of s.boxes) seen.add(b.cls);
      boxes += s.boxes.length;
    }
    expect(seen.size).toBe(NUM_CLASSES);
    expect(boxes / ds.length).toBeGreaterThan(2);
  });

  it('keeps boxes inside the image with positive size', () => {
    for (const s of makeDataset({ seed: 2, count: 30, size: 80 })) {
      for (const b of s.boxes) {
        expect(b.x0).toBeGreaterThanOrEqual(0);
        expect(b.y0).toBeGreaterThanOrEqual(0);
        expect(b.x1).toBeLessThanOrEqual(s.width);
        expect(b.y1).toBeLessThanOrEqual(s.height);
        expect(b.x1).toBeGreaterThan(b.x0);
        expect(b.y1).toBeGreaterThan(b.y0);
        expect(b.cls).toBeGreaterThanOrEqual(0);
        expect(b.cls).toBeLessThan(NUM_CLASSES);
      }
    }
  });

  it('drops heavily occluded objects (fewer boxes than objects painted somewhere)', () => {
    let dropped = false;
    for (let i = 0; i < 60 && !dropped; i++) {
      const s = makeSample(sampleSeed(3, 'train', i), 64, 64, [6, 6]);
      if (s.boxes.length < 6) dropped = true;
    }
    expect(dropped).toBe(true);
  });

  it('rejects bad sizes as a user error', () => {
    expect(() => makeDataset({ seed: 1, count: 1, size: 4 })).toThrow(UserError);
  });
});

describe('CenterNet targets', () => {
  it('puts a peak of 1 at each object centre cell at stride 4, with wh, reg and masks', () => {
    const boxes = [
      { x0: 10, y0: 20, x1: 30, y1: 36, cls: 2 },
      { x0: 40, y0: 4, x1: 61, y1: 30, cls: 0 },
    ];
    const t = makeTargets(boxes, 64, 64, 6);
    expect([t.height, t.width]).toEqual([16, 16]);
    // centre of box 0: (20, 28) / 4 = (5, 7)
    const p0 = 7 * 16 + 5;
    expect(t.hm[p0 * 6 + 2]).toBe(1);
    expect(t.ind[0]).toBe(p0);
    expect([t.wh[2 * p0], t.wh[2 * p0 + 1]]).toEqual([5, 4]);
    expect([t.reg[2 * p0], t.reg[2 * p0 + 1]]).toEqual([0, 0]);
    // centre of box 1: (50.5, 17) / 4 = (12.625, 4.25)
    const p1 = 4 * 16 + 12;
    expect(t.hm[p1 * 6 + 0]).toBe(1);
    expect(t.reg[2 * p1]).toBeCloseTo(0.625, 6);
    expect(t.reg[2 * p1 + 1]).toBeCloseTo(0.25, 6);
    expect(t.wh[2 * p1]).toBeCloseTo(21 / 4, 6);
    expect(Array.from(t.mask.slice(0, 3))).toEqual([1, 1, 0]);
    expect(t.regMask[p0] + t.regMask[p1]).toBe(2);
    // the peaks are the local maxima of their class channel, and values stay in [0, 1]
    let ones = 0;
    for (let i = 0; i < t.hm.length; i++) {
      expect(t.hm[i]).toBeGreaterThanOrEqual(0);
      expect(t.hm[i]).toBeLessThanOrEqual(1);
      if (t.hm[i] === 1) ones++;
    }
    expect(ones).toBe(2);
    expect(t.hm[(p0 + 1) * 6 + 2]).toBeGreaterThan(0);
    expect(t.hm[(p0 + 1) * 6 + 2]).toBeLessThan(1);
  });

  it('targets of generated samples peak at their box centres', () => {
    for (const s of makeDataset({ seed: 4, count: 5, size: 64 })) {
      const t = makeTargets(s.boxes, s.height, s.width);
      for (const b of s.boxes) {
        const cx = Math.floor((b.x0 + b.x1) / 8), cy = Math.floor((b.y0 + b.y1) / 8);
        expect(t.hm[(cy * t.width + Math.min(cx, t.width - 1)) * t.classes + b.cls]).toBe(1);
      }
    }
  });
});
