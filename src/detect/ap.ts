/**
 * Pascal VOC AP at IoU 0.5 ("AP50") with ALL-POINT interpolation (the VOC 2010+ definition, not
 * the 11-point one of VOC 2007): AP = sum over recall steps of (r[i] - r[i-1]) * p_interp(r[i]),
 * where p_interp(r) = max precision at any recall >= r.
 *
 * Matching, per class: detections of all images sorted by score (descending; ties keep input
 * order), greedy. A detection is a true positive when the ground-truth box of its class in its
 * image with the highest IoU has IoU >= 0.5 and is not yet matched; otherwise (no overlap, or the
 * best box already taken: a duplicate) it is a false positive. Each ground truth is matched once.
 * Boxes use continuous coordinates (x1, y1 exclusive): area = (x1 - x0) * (y1 - y0), no VOC "+1".
 * A class with no ground truth has no AP (null) and is left out of the mean; a class with ground
 * truth but no detections has AP 0. Ground truth marked `ignore` (VOC "difficult", COCO crowd) is
 * not counted, and a detection whose best box is one of them is left out (the VOC devkit's rule).
 */
import type { Box } from '../data/shapes.ts';
import type { Detection } from './decode.ts';

export const IOU_THRESHOLD = 0.5;

export function iou(a: { x0: number; y0: number; x1: number; y1: number }, b: { x0: number; y0: number; x1: number; y1: number }): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

/** All-point interpolated area under a precision/recall curve (points in detection order). */
export function allPointAP(recall: number[], precision: number[]): number {
  const mrec = [0, ...recall, 1], mpre = [0, ...precision, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  let ap = 0;
  for (let i = 1; i < mrec.length; i++) if (mrec[i] !== mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

export interface APResult {
  /** AP per class; null where the class has no ground truth. */
  perClass: Array<number | null>;
  /** Mean over classes with ground truth (NaN when none has). */
  mAP: number;
}

/** detections[i] and groundTruth[i] belong to image i. */
export function evaluateAP50(detections: Detection[][], groundTruth: Box[][], classes: number, iouThreshold = IOU_THRESHOLD): APResult {
  const perClass: Array<number | null> = [];
  for (let c = 0; c < classes; c++) {
    const gts = groundTruth.map((g) => g.filter((b) => b.cls === c));
    const nGt = gts.reduce((a, g) => a + g.filter((b) => !b.ignore).length, 0);
    if (nGt === 0) { perClass.push(null); continue; }
    const matched = gts.map((g) => new Array<boolean>(g.length).fill(false));
    const dets: Array<{ img: number; d: Detection; order: number }> = [];
    detections.forEach((ds, img) => ds.forEach((d) => { if (d.cls === c) dets.push({ img, d, order: dets.length }); }));
    dets.sort((a, b) => b.d.score - a.d.score || a.order - b.order);
    let tp = 0, fp = 0;
    const recall: number[] = [], precision: number[] = [];
    for (const { img, d } of dets) {
      let best = -1, bestIou = 0;
      (gts[img] ?? []).forEach((g, k) => { const o = iou(d, g); if (o > bestIou) { bestIou = o; best = k; } });
      if (best >= 0 && bestIou >= iouThreshold && gts[img][best].ignore) continue; // matches an ignored box: left out
      if (best >= 0 && bestIou >= iouThreshold && !matched[img][best]) { matched[img][best] = true; tp++; } else fp++;
      recall.push(tp / nGt);
      precision.push(tp / (tp + fp));
    }
    perClass.push(allPointAP(recall, precision));
  }
  const valid = perClass.filter((a): a is number => a !== null);
  return { perClass, mAP: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN };
}
