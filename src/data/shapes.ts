/**
 * A deterministic procedural detection data set (docs/dataset.md): RGB uint8 images of coloured
 * shapes of six classes on textured, cluttered backgrounds, several objects an image, later objects
 * occluding earlier ones. Every sample is a pure function of (seed, split, index, size), so it is
 * made offline, the same on every machine, and sample i does not depend on how many were asked for.
 *
 * Boxes are the visible extent of each object in continuous pixel coordinates: x0 = first
 * visible column, x1 = last visible column + 1 (exclusive), same for rows; width = x1 - x0.
 * An object with less than MIN_VISIBLE (30 %) of its pixels visible (occluded by later objects or
 * cut by the image border) is dropped from the ground truth, though it stays painted.
 */
import { Rng } from '../util/rng.ts';
import { fail } from '../util/errors.ts';

export const CLASS_NAMES = ['disc', 'square', 'triangle', 'cross', 'ring', 'star'] as const;
export const NUM_CLASSES: number = CLASS_NAMES.length;
/** Objects with a smaller visible fraction are dropped from the ground truth. */
export const MIN_VISIBLE = 0.3;

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  cls: number;
  /**
   * A ground-truth box evaluation neither rewards nor penalises (VOC "difficult", COCO "iscrowd";
   * docs/dataset.md): not counted, and a detection matching it is left out. Never set by this set.
   */
  ignore?: boolean;
}

export interface Sample {
  /** HWC, RGB, uint8. */
  image: Uint8Array;
  height: number;
  width: number;
  boxes: Box[];
}

export type Split = 'train' | 'val';

export interface DatasetOptions {
  seed: number;
  count: number;
  /** Square side or [height, width]. */
  size: number | [number, number];
  split?: Split;
  /** Objects painted per image (before occlusion drops), inclusive range. Default [2, 6]. */
  objects?: [number, number];
}

/** 32-bit mix (murmur3 finaliser) so neighbouring seeds give unrelated streams. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** The Rng seed of one sample: train and val of the same seed never share a sample. */
export function sampleSeed(seed: number, split: Split, index: number): number {
  return mix(mix(mix(seed | 0) ^ (split === 'train' ? 0x1234567 : 0x7654321)) + (index | 0));
}

export function makeDataset(opts: DatasetOptions): Sample[] {
  const [h, w] = typeof opts.size === 'number' ? [opts.size, opts.size] : opts.size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 16 || w < 16) fail(`data set image size must be whole numbers >= 16, got ${h}x${w}`);
  if (!Number.isInteger(opts.count) || opts.count < 0) fail(`data set count must be a whole number >= 0, got ${opts.count}`);
  const split = opts.split ?? 'train';
  const out: Sample[] = [];
  for (let i = 0; i < opts.count; i++) out.push(makeSample(sampleSeed(opts.seed, split, i), h, w, opts.objects ?? [2, 6]));
  return out;
}

/** Membership of a point (u, v) in local, rotated object coordinates; r is the outer radius. */
type Inside = (u: number, v: number, r: number) => boolean;

function polygon(vertices: Array<[number, number]>): Inside {
  return (u, v, r) => {
    let inside = false;
    for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
      const [xi, yi] = vertices[i], [xj, yj] = vertices[j];
      const a = xi * r, b = yi * r, c = xj * r, d = yj * r;
      if ((b > v) !== (d > v) && u < ((c - a) * (v - b)) / (d - b) + a) inside = !inside;
    }
    return inside;
  };
}

const polar = (n: number, radius: (k: number) => number, phase = -Math.PI / 2): Array<[number, number]> =>
  Array.from({ length: n }, (_, k) => {
    const a = phase + (2 * Math.PI * k) / n;
    return [radius(k) * Math.cos(a), radius(k) * Math.sin(a)];
  });

const SHAPES: Inside[] = [
  (u, v, r) => u * u + v * v <= r * r, // disc
  (u, v, r) => Math.abs(u) <= 0.75 * r && Math.abs(v) <= 0.75 * r, // square
  polygon(polar(3, () => 1)), // triangle
  (u, v, r) => (Math.abs(u) <= 0.3 * r && Math.abs(v) <= r) || (Math.abs(v) <= 0.3 * r && Math.abs(u) <= r), // cross
  (u, v, r) => { const q = u * u + v * v; return q <= r * r && q >= 0.3 * r * r; }, // ring
  polygon(polar(10, (k) => (k % 2 === 0 ? 1 : 0.42))), // star
];

function randomColour(rng: Rng, avoid: [number, number, number]): [number, number, number] {
  for (;;) {
    const c: [number, number, number] = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    if (Math.abs(c[0] - avoid[0]) + Math.abs(c[1] - avoid[1]) + Math.abs(c[2] - avoid[2]) >= 150) return c;
  }
}

export function makeSample(seed: number, h: number, w: number, objects: [number, number] = [2, 6]): Sample {
  const rng = new Rng(seed);
  const rgb = new Float32Array(h * w * 3);
  // Background: a linear colour gradient plus a low-frequency sinusoidal texture.
  const bgA: [number, number, number] = [rng.int(30, 225), rng.int(30, 225), rng.int(30, 225)];
  const bgB = bgA.map((v) => Math.min(255, Math.max(0, v + rng.int(-60, 60))));
  const fx = (2 * Math.PI * rng.int(1, 6)) / w, fy = (2 * Math.PI * rng.int(1, 6)) / h, amp = rng.int(4, 20);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const t = (x + y) / (w + h), tex = amp * Math.sin(fx * x + 1.3) * Math.sin(fy * y + 0.7);
      for (let c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = bgA[c] * (1 - t) + bgB[c] * t + tex;
    }
  // Clutter: thin line segments and small speckle blobs (not one of the classes).
  const scale = Math.min(h, w);
  const clutter = rng.int(3, 10);
  for (let k = 0; k < clutter; k++) {
    const col = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    if (rng.float() < 0.6) {
      const x0 = rng.float() * w, y0 = rng.float() * h, a = rng.float() * Math.PI, len = (0.1 + 0.4 * rng.float()) * scale;
      const steps = Math.ceil(len * 2);
      for (let s = 0; s <= steps; s++) {
        const px = Math.round(x0 + (Math.cos(a) * len * s) / steps), py = Math.round(y0 + (Math.sin(a) * len * s) / steps);
        if (px >= 0 && px < w && py >= 0 && py < h) for (let c = 0; c < 3; c++) rgb[(py * w + px) * 3 + c] = col[c];
      }
    } else {
      const cx = rng.float() * w, cy = rng.float() * h, rad = 1 + rng.float() * Math.max(1, scale * 0.02);
      for (let y = Math.max(0, Math.floor(cy - rad)); y <= Math.min(h - 1, Math.ceil(cy + rad)); y++)
        for (let x = Math.max(0, Math.floor(cx - rad)); x <= Math.min(w - 1, Math.ceil(cx + rad)); x++)
          if ((x - cx) ** 2 + (y - cy) ** 2 <= rad * rad) for (let c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = col[c];
    }
  }
  // Objects, painted in order; owner[] keeps the object index that is visible at each pixel.
  const owner = new Int16Array(h * w).fill(-1);
  const n = rng.int(objects[0], objects[1]);
  const painted: Array<{ cls: number; area: number }> = [];
  const bgMean: [number, number, number] = [0, 1, 2].map((c) => (bgA[c] + bgB[c]) / 2) as [number, number, number];
  for (let k = 0; k < n; k++) {
    const cls = rng.int(0, NUM_CLASSES - 1);
    const r = (0.06 + 0.2 * rng.float()) * scale;
    const cx = rng.float() * w, cy = rng.float() * h;
    const rot = rng.float() * 2 * Math.PI, cr = Math.cos(rot), sr = Math.sin(rot);
    const col = randomColour(rng, bgMean);
    const shade = (rng.float() - 0.5) * 0.6; // a linear shading across the object
    const inside = SHAPES[cls];
    let area = 0;
    for (let y = Math.floor(cy - r) - 1; y <= Math.ceil(cy + r) + 1; y++)
      for (let x = Math.floor(cx - r) - 1; x <= Math.ceil(cx + r) + 1; x++) {
        const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        const u = cr * dx + sr * dy, v = -sr * dx + cr * dy;
        if (!inside(u, v, r)) continue;
        area++; // counted inside or outside the image: a shape cut by the border is partly invisible
        if (x < 0 || x >= w || y < 0 || y >= h) continue;
        const p = y * w + x, f = 1 + (shade * u) / r;
        owner[p] = k;
        for (let c = 0; c < 3; c++) rgb[p * 3 + c] = col[c] * f;
      }
    painted.push({ cls, area });
  }
  // Pixel noise over everything.
  const noise = rng.int(2, 12);
  const image = new Uint8Array(h * w * 3);
  for (let i = 0; i < image.length; i++) {
    const v = Math.round(rgb[i] + (rng.float() * 2 - 1) * noise);
    image[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  // Visible extents.
  const ext = painted.map(() => ({ x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity, vis: 0 }));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = owner[y * w + x];
      if (o < 0) continue;
      const e = ext[o];
      e.vis++;
      if (x < e.x0) e.x0 = x;
      if (x + 1 > e.x1) e.x1 = x + 1;
      if (y < e.y0) e.y0 = y;
      if (y + 1 > e.y1) e.y1 = y + 1;
    }
  const boxes: Box[] = [];
  painted.forEach((p, k) => {
    const e = ext[k];
    if (p.area > 0 && e.vis / p.area >= MIN_VISIBLE) boxes.push({ x0: e.x0, y0: e.y0, x1: e.x1, y1: e.y1, cls: p.cls });
  });
  return { image, height: h, width: w, boxes };
}

// ---------------------------------------------------------------------------------------------
// CenterNet training targets.

export interface Targets {
  /** Output grid (input / stride, rounded up like the network's stride-4 tensors). */
  height: number;
  width: number;
  classes: number;
  stride: number;
  /** HWC [height][width][classes]: Gaussian peaks (1 at each object's centre cell). */
  hm: Float32Array;
  /** HWC [height][width][2]: box (w, h) in output-grid units at centre cells, 0 elsewhere. */
  wh: Float32Array;
  /** HWC [height][width][2]: sub-cell offset of the centre (cx - floor(cx), cy - floor(cy)). */
  reg: Float32Array;
  /** [height][width]: 1 at centre cells. */
  regMask: Uint8Array;
  /**
   * [height][width]: weight of the wh and reg targets of each cell: 1 at centre cells; with
   * dense regression also the object's Gaussian at the cells around its centre (0 elsewhere).
   */
  regWeight: Float32Array;
  /** [maxObjects]: flat centre cell index y*width + x of object k (0 unused). */
  ind: Int32Array;
  /** [maxObjects]: 1 for used entries of ind. */
  mask: Uint8Array;
}

/** CenterNet's gaussian_radius (min over its three overlap cases, IoU 0.7). */
export function gaussianRadius(h: number, w: number, minOverlap = 0.7): number {
  const b1 = h + w, c1 = (w * h * (1 - minOverlap)) / (1 + minOverlap);
  const r1 = (b1 + Math.sqrt(b1 * b1 - 4 * c1)) / 2;
  const b2 = 2 * (h + w), c2 = (1 - minOverlap) * w * h;
  const r2 = (b2 + Math.sqrt(b2 * b2 - 16 * c2)) / 2;
  const a3 = 4 * minOverlap, b3 = -2 * minOverlap * (h + w), c3 = (minOverlap - 1) * w * h;
  const r3 = (b3 + Math.sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
  return Math.min(r1, r2, r3);
}

export interface TargetOptions {
  /**
   * Dense regression (as TTFNet trains its box head): wh and reg targets also at the cells around
   * each centre, within the heat-map Gaussian's radius (at least 1), weighted by the Gaussian; reg
   * there points from the cell to the centre, so a peak one cell off still decodes the right box.
   * A cell near two objects takes the one of larger weight.
   */
  dense?: boolean;
}

export function makeTargets(boxes: Box[], inputH: number, inputW: number, classes = NUM_CLASSES, stride = 4, maxObjects = 128, opts: TargetOptions = {}): Targets {
  const H = Math.floor((inputH - 1) / stride) + 1, W = Math.floor((inputW - 1) / stride) + 1;
  const hm = new Float32Array(H * W * classes), wh = new Float32Array(H * W * 2), reg = new Float32Array(H * W * 2);
  const regMask = new Uint8Array(H * W), ind = new Int32Array(maxObjects), mask = new Uint8Array(maxObjects);
  const regWeight = new Float32Array(H * W);
  const setBox = (p: number, weight: number, bw: number, bh: number, dx: number, dy: number) => {
    if (weight <= regWeight[p]) return;
    regWeight[p] = weight;
    wh[2 * p] = bw;
    wh[2 * p + 1] = bh;
    reg[2 * p] = dx;
    reg[2 * p + 1] = dy;
  };
  let k = 0;
  for (const b of boxes) {
    if (b.cls < 0 || b.cls >= classes) fail(`box class ${b.cls} outside 0..${classes - 1}`);
    const bw = (b.x1 - b.x0) / stride, bh = (b.y1 - b.y0) / stride;
    if (bw <= 0 || bh <= 0 || k >= maxObjects) continue;
    const cx = (b.x0 + b.x1) / 2 / stride, cy = (b.y0 + b.y1) / 2 / stride;
    const ix = Math.min(W - 1, Math.floor(cx)), iy = Math.min(H - 1, Math.floor(cy));
    const radius = Math.max(0, Math.floor(gaussianRadius(Math.ceil(bh), Math.ceil(bw))));
    const sigma = (2 * radius + 1) / 6;
    for (let y = Math.max(0, iy - radius); y <= Math.min(H - 1, iy + radius); y++)
      for (let x = Math.max(0, ix - radius); x <= Math.min(W - 1, ix + radius); x++) {
        const g = Math.exp(-((x - ix) ** 2 + (y - iy) ** 2) / (2 * sigma * sigma));
        const p = (y * W + x) * classes + b.cls;
        if (g > hm[p]) hm[p] = g;
      }
    if (opts.dense) {
      const R = Math.max(1, radius), sd = (2 * R + 1) / 6;
      for (let y = Math.max(0, iy - R); y <= Math.min(H - 1, iy + R); y++)
        for (let x = Math.max(0, ix - R); x <= Math.min(W - 1, ix + R); x++)
          if (x !== ix || y !== iy) setBox(y * W + x, Math.exp(-((x - ix) ** 2 + (y - iy) ** 2) / (2 * sd * sd)), bw, bh, cx - x, cy - y);
    }
    const p = iy * W + ix;
    regWeight[p] = 0; // the centre cell always holds its own object
    setBox(p, 1, bw, bh, cx - ix, cy - iy);
    regMask[p] = 1;
    ind[k] = p;
    mask[k] = 1;
    k++;
  }
  return { height: H, width: W, classes, stride, hm, wh, reg, regMask, regWeight, ind, mask };
}
