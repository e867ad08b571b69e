/**
 * Per-layer quantization error: the golden model's codes, dequantized (real = s (q - z)), against
 * the float model's activations on the same images, as SQNR in dB; dilation maps as the share of
 * pixels whose integer dilation equals the float layer's round(offset).
 */
import type { Model } from '../ir/model.ts';
import { runGolden } from '../golden/run.ts';
import { imageCodes } from '../zoo/image.ts';

export interface LayerError {
  tensor: string;
  op: string;
  /** Activations: 10 log10(sum f^2 / sum (f - deq)^2); Infinity when equal. */
  sqnrDb?: number;
  /** Dilation maps: share of pixels with the float model's dilation. */
  dilationAgreement?: number;
}

/** `float` holds the float activations of `images` (NHWC, batch), by IR tensor name. */
export function layerErrors(m: Model, images: Uint8Array[], float: Map<string, Float32Array>, dmaxOf: (t: string) => number): LayerError[] {
  const sig = new Map<string, number>(), err = new Map<string, number>(), agree = new Map<string, number>();
  images.forEach((img, k) => {
    const g = runGolden(m, new Map([[m.inputs[0], imageCodes(img)]]), { keepAll: true });
    for (const l of m.layers) {
      const t = l.outputs[0], tensor = m.tensors.get(t)!, f = float.get(t)!, q = g.get(t)!;
      const n = q.length, off = k * n;
      if (tensor.kind === 'dilation') {
        const dmax = dmaxOf(l.name);
        let same = 0;
        for (let i = 0; i < n; i++) same += Math.min(dmax, Math.max(0, Math.floor(f[off + i] + 0.5))) === q[i] ? 1 : 0;
        agree.set(t, (agree.get(t) ?? 0) + same / n / images.length);
        continue;
      }
      let s = 0, e = 0;
      for (let i = 0; i < n; i++) {
        const r = tensor.scale * (q[i] - tensor.zero);
        s += f[off + i] ** 2;
        e += (f[off + i] - r) ** 2;
      }
      sig.set(t, (sig.get(t) ?? 0) + s);
      err.set(t, (err.get(t) ?? 0) + e);
    }
  });
  return m.layers.map((l) => {
    const t = l.outputs[0];
    if (agree.has(t)) return { tensor: t, op: l.op, dilationAgreement: agree.get(t)! };
    const e = err.get(t)!, s = sig.get(t)!;
    return { tensor: t, op: l.op, sqnrDb: e > 0 ? 10 * Math.log10(s / e) : Infinity };
  });
}
