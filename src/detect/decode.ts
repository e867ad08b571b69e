/**
 * CenterNet decode (docs/dataset.md): sigmoid heat map, 3x3 max-pool peak keeping, top-K over
 * all (cell, class) pairs, boxes from wh and reg at the output stride, score threshold.
 *
 * Tensors are HWC Float32Arrays like the network's outputs: hm [H][W][C] holds logits, wh [H][W][2]
 * the box (width, height) in output-grid units, reg [H][W][2] the sub-cell centre offset (x, y).
 * A detection at cell (x, y) is centred at ((x + regx) * stride, (y + regy) * stride) input pixels,
 * the same convention as data/shapes.ts makeTargets, so decoding the targets gives the boxes back.
 */
import { fail } from '../util/errors.ts';

export interface Detection {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  cls: number;
  score: number;
}

export interface DecodeOptions {
  /** Output stride of the maps (4 for CoDeNet). */
  stride?: number;
  /** Largest number of detections kept before the threshold. Default 100. */
  topK?: number;
  /** Smallest score (after sigmoid) kept. Default 0.1. */
  threshold?: number;
  /** The heat map already holds probabilities (e.g. targets): skip the sigmoid. */
  probabilities?: boolean;
}

export interface HeadMaps {
  height: number;
  width: number;
  classes: number;
  hm: Float32Array;
  wh: Float32Array;
  reg: Float32Array;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function decode(maps: HeadMaps, opts: DecodeOptions = {}): Detection[] {
  const { height: H, width: W, classes: C } = maps;
  const stride = opts.stride ?? 4, topK = opts.topK ?? 100, threshold = opts.threshold ?? 0.1;
  if (maps.hm.length !== H * W * C) fail(`heat map holds ${maps.hm.length} values, expected ${H}x${W}x${C}`);
  if (maps.wh.length !== H * W * 2 || maps.reg.length !== H * W * 2) fail(`wh and reg maps must hold ${H}x${W}x2 values`);
  const p = opts.probabilities ? maps.hm : maps.hm.map(sigmoid);
  // Peak keeping: a cell survives when it equals the max of its 3x3 neighbourhood (in-image cells)
  // and no neighbour before it in raster order holds the same value. Without the second rule two
  // equal neighbours are both kept, one detection twice: rare in float, but an int8 heat map's
  // codes tie at about one peak in ten (0.5 AP50 on two W4A8 models, docs/dataset.md).
  const cand: Array<{ i: number; s: number }> = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const v = p[(y * W + x) * C + c];
        let keep = true;
        for (let dy = -1; dy <= 1 && keep; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            const u = p[(yy * W + xx) * C + c];
            if (u > v || (u === v && (dy < 0 || (dy === 0 && dx < 0)))) { keep = false; break; }
          }
        if (keep && v >= threshold) cand.push({ i: (y * W + x) * C + c, s: v });
      }
  // Top-K by score; ties keep the lower flat index first (deterministic).
  cand.sort((a, b) => b.s - a.s || a.i - b.i);
  return cand.slice(0, topK).map(({ i, s }) => {
    const cell = Math.floor(i / C), cls = i % C, y = Math.floor(cell / W), x = cell % W;
    const cx = (x + maps.reg[2 * cell]) * stride, cy = (y + maps.reg[2 * cell + 1]) * stride;
    const hw = (maps.wh[2 * cell] * stride) / 2, hh = (maps.wh[2 * cell + 1] * stride) / 2;
    return { x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh, cls, score: s };
  });
}

/** An int8 output tensor of the integer model with its real-value scale and zero code. */
export interface QuantTensor {
  data: Int8Array;
  scale: number;
  zero: number;
}

/** real = scale * (q - zero), element-wise. */
export function dequantize(t: QuantTensor): Float32Array {
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = t.scale * (t.data[i] - t.zero);
  return out;
}

/**
 * Scores of the 256 int8 heat-map codes: sigmoid(scale * (q - zero)), rounded as decode() rounds
 * them (the dequantized logit to float32, then the sigmoid, in double, to float32). Index q + 128.
 */
export function codeScores(scale: number, zero: number): Float32Array {
  const logit = new Float32Array(256);
  for (let i = 0; i < 256; i++) logit[i] = scale * (i - 128 - zero);
  return logit.map(sigmoid);
}

/**
 * Decodes the int8 hm / wh / reg outputs of an integer model (docs/dataset.md, "Decode of an
 * integer model"). The same as dequantizing and calling decode(), but peaks and the top-K order are
 * taken on the heat map's integer codes (the sigmoid is monotone: a higher code is a higher score),
 * so two different codes never tie, whatever float32 makes of their scores; ties of equal codes
 * break as in decode (the first in raster order survives a 3x3 plateau; the lower flat index comes
 * first in the top K). The score of code q is codeScores[q + 128]; the box is centred at
 * (x + reg_x) * stride with size wh * stride, reg and wh dequantized to float32 and the rest in
 * double. The generated C and Python drivers (templates/drivers) implement exactly this.
 */
export function decodeQuantized(
  maps: { height: number; width: number; classes: number; hm: QuantTensor; wh: QuantTensor; reg: QuantTensor },
  opts: DecodeOptions = {},
): Detection[] {
  const { height: H, width: W, classes: C } = maps;
  const stride = opts.stride ?? 4, topK = opts.topK ?? 100, threshold = opts.threshold ?? 0.1;
  if (maps.hm.data.length !== H * W * C) fail(`heat map holds ${maps.hm.data.length} values, expected ${H}x${W}x${C}`);
  if (maps.wh.data.length !== H * W * 2 || maps.reg.data.length !== H * W * 2) fail(`wh and reg maps must hold ${H}x${W}x2 values`);
  if (!(maps.hm.scale > 0)) fail(`the heat map's scale must be > 0, got ${maps.hm.scale}`);
  const q = maps.hm.data, score = codeScores(maps.hm.scale, maps.hm.zero);
  const cand: Array<{ i: number; q: number }> = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const i = (y * W + x) * C + c, v = q[i];
        if (score[v + 128] < threshold) continue;
        let keep = true;
        for (let dy = -1; dy <= 1 && keep; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            const u = q[(yy * W + xx) * C + c];
            if (u > v || (u === v && (dy < 0 || (dy === 0 && dx < 0)))) { keep = false; break; }
          }
        if (keep) cand.push({ i, q: v });
      }
  cand.sort((a, b) => b.q - a.q || a.i - b.i);
  const wh = dequantize(maps.wh), reg = dequantize(maps.reg);
  return cand.slice(0, topK).map(({ i, q: v }) => {
    const cell = Math.floor(i / C), cls = i % C, y = Math.floor(cell / W), x = cell % W;
    const cx = (x + reg[2 * cell]) * stride, cy = (y + reg[2 * cell + 1]) * stride;
    const hw = (wh[2 * cell] * stride) / 2, hh = (wh[2 * cell + 1] * stride) / 2;
    return { x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh, cls, score: score[v + 128] };
  });
}
