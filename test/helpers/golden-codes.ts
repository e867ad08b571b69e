import { expect } from 'vitest';
import type { Model } from '../../src/ir/model.ts';
import { runGolden } from '../../src/golden/run.ts';
import { imageCodes } from '../../src/zoo/image.ts';

/**
 * Every code of every tensor of `codes` (the QAT forward on `images`, by tensor) equals the golden
 * model's run of `exported`; at least `minPerImage` elements per image are compared.
 */
export function expectGoldenCodes(exported: Model, images: Uint8Array[], codes: Record<string, Float32Array>, minPerImage = 100_000): void {
  let elements = 0;
  const differing: string[] = [];
  images.forEach((img, i) => {
    const golden = runGolden(exported, new Map([[exported.inputs[0], imageCodes(img)]]), { keepAll: true });
    for (const [name, g] of golden) {
      const q = codes[name].subarray(i * g.length, (i + 1) * g.length);
      let diff = 0;
      for (let j = 0; j < g.length; j++) if (q[j] !== g[j]) diff++;
      elements += g.length;
      if (diff) differing.push(`${name}: ${diff} of ${g.length}`);
    }
  });
  expect(differing).toEqual([]);
  expect(elements).toBeGreaterThan(images.length * minPerImage);
}
