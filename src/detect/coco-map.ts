/**
 * COCO box mAP@[.5:.95] as pycocotools' COCOeval computes it (iouType "bbox", area range "all",
 * maxDets 100; docs/dataset.md "COCO mAP"):
 *
 *   - IoU thresholds 0.50, 0.55, ..., 0.95 (numpy linspace(.5, .95, 10));
 *   - per image and class: ground truth with `ignore` (COCO iscrowd) sorted last, detections by
 *     score (stable) and cut to the best 100; each detection, in score order, takes the unmatched
 *     box of highest IoU >= t (a crowd box may take several, and its IoU is intersection / detection
 *     area); once a normal box is found, crowd boxes are not tried; a detection matching a crowd
 *     box is ignored, an unmatched one is a false positive;
 *   - per class: detections of all images sorted by score (stable), precision made monotone from
 *     the end, then read at the 101 recall points 0, 0.01, ..., 1 (the first detection whose recall
 *     reaches the point; 0 past the last), averaged: 101-point interpolated AP;
 *   - mAP: the mean over classes with (non-ignored) ground truth and over the 10 thresholds.
 *
 * Areas and IoU are continuous ((x1 - x0) * (y1 - y0)), as in pycocotools and in src/detect/ap.ts.
 */
import type { Box } from '../data/shapes.ts';
import type { Detection } from './decode.ts';

/** numpy.linspace(.5, .95, 10): start + i * step, the last exactly 0.95. */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5));
/** numpy.linspace(0, 1, 101). */
export const COCO_RECALL_POINTS: readonly number[] = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01));
export const COCO_MAX_DETS = 100;
const EPS = 2.220446049250313e-16; // np.spacing(1)

export interface CocoResult {
  /** mAP@[.5:.95]: mean over classes with ground truth and the 10 IoU thresholds (NaN when no class has any). */
  mAP: number;
  /** The same at IoU 0.5 and 0.75 only (COCO's AP50 and AP75, 101-point). */
  ap50: number;
  ap75: number;
  /** Per class, averaged over the thresholds; null for a class without ground truth. */
  perClass: Array<number | null>;
}

function cocoIou(d: Detection, g: Box): number {
  const iw = Math.min(d.x1, g.x1) - Math.max(d.x0, g.x0), ih = Math.min(d.y1, g.y1) - Math.max(d.y0, g.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const i = iw * ih, da = (d.x1 - d.x0) * (d.y1 - d.y0);
  return i / (g.ignore ? da : da + (g.x1 - g.x0) * (g.y1 - g.y0) - i);
}

/** Stable sort of indices by descending score (numpy argsort(-score, kind='mergesort')). */
const byScore = <T extends { score: number }>(xs: T[]): T[] => xs.map((x, i) => ({ x, i })).sort((a, b) => b.x.score - a.x.score || a.i - b.i).map((e) => e.x);

/** detections[i] and groundTruth[i] belong to image i. */
export function evaluateCocoMAP(detections: Detection[][], groundTruth: Box[][], classes: number): CocoResult {
  const T = COCO_IOU_THRESHOLDS.length;
  const precision: Array<number[] | null> = []; // [class] -> mean precision per threshold
  for (let c = 0; c < classes; c++) {
    const scores: number[] = [];
    const matched: boolean[][] = Array.from({ length: T }, () => []), ignored: boolean[][] = Array.from({ length: T }, () => []);
    let npig = 0;
    for (let img = 0; img < groundTruth.length; img++) {
      const g0 = (groundTruth[img] ?? []).filter((b) => b.cls === c);
      const gts = [...g0.filter((b) => !b.ignore), ...g0.filter((b) => b.ignore)];
      npig += g0.filter((b) => !b.ignore).length;
      const dts = byScore((detections[img] ?? []).filter((d) => d.cls === c)).slice(0, COCO_MAX_DETS);
      const ious = dts.map((d) => gts.map((g) => cocoIou(d, g)));
      for (let t = 0; t < T; t++) {
        const gtm = new Array<boolean>(gts.length).fill(false);
        dts.forEach((_, di) => {
          let iou = Math.min(COCO_IOU_THRESHOLDS[t], 1 - 1e-10), m = -1;
          for (let gi = 0; gi < gts.length; gi++) {
            if (gtm[gi] && !gts[gi].ignore) continue;
            if (m > -1 && !gts[m].ignore && gts[gi].ignore) break;
            if (ious[di][gi] < iou) continue;
            iou = ious[di][gi];
            m = gi;
          }
          if (m >= 0) gtm[m] = true;
          matched[t].push(m >= 0);
          ignored[t].push(m >= 0 && !!gts[m].ignore);
        });
      }
      scores.push(...dts.map((d) => d.score));
    }
    if (npig === 0) { precision.push(null); continue; }
    const order = scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s || a.i - b.i).map((e) => e.i);
    precision.push(COCO_IOU_THRESHOLDS.map((_, t) => {
      let tp = 0, fp = 0;
      const rc: number[] = [], pr: number[] = [];
      for (const i of order) {
        if (!ignored[t][i]) { if (matched[t][i]) tp++; else fp++; }
        rc.push(tp / npig);
        pr.push(tp / (fp + tp + EPS));
      }
      for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
      let sum = 0, pi = 0;
      for (const r of COCO_RECALL_POINTS) {
        while (pi < rc.length && rc[pi] < r) pi++; // searchsorted(rc, r, 'left')
        if (pi === rc.length) break;
        sum += pr[pi];
      }
      return sum / COCO_RECALL_POINTS.length;
    }));
  }
  const valid = precision.filter((p): p is number[] => p !== null);
  const mean = (f: (p: number[]) => number) => (valid.length ? valid.reduce((a, p) => a + f(p), 0) / valid.length : NaN);
  return {
    mAP: mean((p) => p.reduce((a, v) => a + v, 0) / T),
    ap50: mean((p) => p[0]),
    ap75: mean((p) => p[5]),
    perClass: precision.map((p) => (p === null ? null : p.reduce((a, v) => a + v, 0) / T)),
  };
}
