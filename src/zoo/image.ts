import { Rng } from '../util/rng.ts';

/**
 * A seeded synthetic RGB image (uint8, HWC): smooth colour fields plus texture, so activations
 * look like those of a photograph more than white noise would.
 */
export function randomImage(seed: number, h: number, w: number): Uint8Array {
  const rng = new Rng(seed ^ 0x5eed);
  const g = 6; // coarse grid, bilinearly interpolated
  const grid = Array.from({ length: (g + 1) * (g + 1) * 3 }, () => rng.int(0, 255));
  const img = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const fy = (y / Math.max(1, h - 1)) * g, fx = (x / Math.max(1, w - 1)) * g;
      const y0 = Math.min(g - 1, Math.floor(fy)), x0 = Math.min(g - 1, Math.floor(fx));
      const ty = fy - y0, tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => grid[(yy * (g + 1) + xx) * 3 + c];
        const v = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) + ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1));
        const noise = rng.int(-24, 24);
        img[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + noise)));
      }
    }
  return img;
}

/** Image codes as the numerics define them: code = pixel - 128. */
export function imageCodes(pixels: Uint8Array): Int8Array {
  const q = new Int8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) q[i] = pixels[i] - 128;
  return q;
}
