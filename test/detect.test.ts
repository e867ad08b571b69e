import { describe, expect, it } from 'vitest';
import { decode, decodeQuantized, dequantize } from '../src/detect/decode.ts';
import { allPointAP, evaluateAP50, iou } from '../src/detect/ap.ts';
import { makeDataset, makeTargets } from '../src/data/shapes.ts';
import type { Detection } from '../src/detect/decode.ts';

const logit = (p: number) => Math.log(p / (1 - p));

describe('CenterNet decode', () => {
  it('recovers the ground-truth boxes from their own targets', () => {
    for (const s of makeDataset({ seed: 11, count: 4, size: 64 })) {
      const t = makeTargets(s.boxes, s.height, s.width);
      const dets = decode({ height: t.height, width: t.width, classes: t.classes, hm: t.hm, wh: t.wh, reg: t.reg }, { probabilities: true, threshold: 0.999 });
      // two objects of one class may share a centre cell; count distinct cells/classes
      const want = new Set(s.boxes.map((b) => `${Math.floor((b.x0 + b.x1) / 8)},${Math.floor((b.y0 + b.y1) / 8)},${b.cls}`));
      expect(dets.length).toBe(want.size);
      for (const d of dets) expect(s.boxes.some((b) => b.cls === d.cls && iou(b, d) > 0.999)).toBe(true);
    }
  });

  it('applies sigmoid, keeps only 3x3 peaks, thresholds, and keeps the top K', () => {
    const H = 4, W = 5, C = 2;
    const hm = new Float32Array(H * W * C).fill(logit(0.01));
    const set = (y: number, x: number, c: number, p: number) => { hm[(y * W + x) * C + c] = logit(p); };
    set(1, 1, 0, 0.9); // peak
    set(1, 2, 0, 0.8); // neighbour of a higher peak: suppressed
    set(3, 4, 0, 0.7); // peak
    set(1, 2, 1, 0.6); // other class at the same cell: its own peak
    set(0, 4, 1, 0.05); // below threshold
    const wh = new Float32Array(H * W * 2), reg = new Float32Array(H * W * 2);
    const cell = 1 * W + 1;
    wh[2 * cell] = 2; wh[2 * cell + 1] = 3; reg[2 * cell] = 0.5; reg[2 * cell + 1] = 0.25;
    const dets = decode({ height: H, width: W, classes: C, hm, wh, reg }, { threshold: 0.1 });
    expect(dets.map((d) => [d.cls, +d.score.toFixed(6)])).toEqual([[0, 0.9], [0, 0.7], [1, 0.6]]);
    // centre (1.5, 1.25) * 4 = (6, 5); size (8, 12)
    expect([dets[0].x0, dets[0].y0, dets[0].x1, dets[0].y1].map((v) => +v.toFixed(5))).toEqual([2, -1, 10, 11]);
    expect(decode({ height: H, width: W, classes: C, hm, wh, reg }, { topK: 2 }).length).toBe(2);
  });

  it('keeps one cell of a tie: the first in raster order (an int8 heat map ties often)', () => {
    const H = 4, W = 4, C = 1;
    const hm = new Float32Array(H * W * C).fill(logit(0.01));
    hm[1 * W + 1] = hm[1 * W + 2] = hm[2 * W + 1] = logit(0.8); // a plateau of three equal cells
    hm[3 * W + 3] = logit(0.5); // a lone peak
    const z = new Float32Array(H * W * 2);
    const dets = decode({ height: H, width: W, classes: C, hm, wh: z, reg: z }, { threshold: 0.1 });
    expect(dets.map((d) => [d.x0, d.y0, +d.score.toFixed(6)])).toEqual([[4, 4, 0.8], [12, 12, 0.5]]);
  });

  it('dequantizes int8 outputs as s*(q - z) before decoding', () => {
    expect(Array.from(dequantize({ data: Int8Array.from([-128, 0, 5, 127]), scale: 0.5, zero: -2 }))).toEqual([-63, 1, 3.5, 64.5]);
    const H = 3, W = 3, C = 1;
    const hmQ = new Int8Array(9).fill(-100); hmQ[4] = 40;
    const whQ = new Int8Array(18).fill(8), regQ = new Int8Array(18).fill(4);
    const q = { height: H, width: W, classes: C, hm: { data: hmQ, scale: 0.1, zero: 10 }, wh: { data: whQ, scale: 0.25, zero: 0 }, reg: { data: regQ, scale: 0.125, zero: 0 } };
    const dets = decodeQuantized(q);
    expect(dets.length).toBe(1);
    expect(dets[0].score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    // cell (1,1), reg 0.5, wh 2 -> centre 6, half size 4
    expect([dets[0].x0, dets[0].y0, dets[0].x1, dets[0].y1]).toEqual([2, 2, 10, 10]);
  });
});

const box = (i: number, cls = 0) => ({ x0: 20 * i, y0: 0, x1: 20 * i + 10, y1: 10, cls });
const det = (i: number, score: number, cls = 0): Detection => ({ ...box(i, cls), score });

describe('Pascal VOC AP50 (all-point interpolation)', () => {
  it('perfect detections give AP 1', () => {
    const gt = [[box(0), box(1, 1)], [box(2)]];
    const r = evaluateAP50([[det(0, 0.9), det(1, 0.8, 1)], [det(2, 0.7)]], gt, 2);
    expect(r.perClass).toEqual([1, 1]);
    expect(r.mAP).toBe(1);
  });

  it('a known precision/recall curve gives the exact all-point AP', () => {
    // 4 GT; by score: TP FP TP FP TP -> recall .25 .25 .5 .5 .75, precision 1 .5 2/3 .5 .6
    // AP = .25*1 + .25*(2/3) + .25*.6 = 17/30
    const gt = [[box(0), box(1), box(2), box(3)]];
    const dets = [[det(0, 0.9), det(10, 0.8), det(1, 0.7), det(11, 0.6), det(2, 0.5)]];
    expect(evaluateAP50(dets, gt, 1).perClass[0]).toBeCloseTo(17 / 30, 12);
    expect(allPointAP([0.25, 0.25, 0.5, 0.5, 0.75], [1, 0.5, 2 / 3, 0.5, 0.6])).toBeCloseTo(17 / 30, 12);
    // the input order of detections does not matter, only their scores
    expect(evaluateAP50([[...dets[0]].reverse()], gt, 1).perClass[0]).toBeCloseTo(17 / 30, 12);
  });

  it('counts duplicates of a matched ground truth as false positives', () => {
    // 2 GT; TP, duplicate (FP), TP -> recall .5 .5 1, precision 1 .5 2/3 -> AP = .5 + .5*(2/3)
    const gt = [[box(0), box(1)]];
    const r = evaluateAP50([[det(0, 0.9), det(0, 0.8), det(1, 0.7)]], gt, 1);
    expect(r.perClass[0]).toBeCloseTo(5 / 6, 12);
  });

  it('uses IoU >= 0.5 and matches within the same image and class only', () => {
    expect(iou({ x0: 0, y0: 0, x1: 10, y1: 10 }, { x0: 0, y0: 0, x1: 10, y1: 5 })).toBe(0.5);
    const gt = [[box(0)], [box(1)]];
    const half: Detection = { x0: 0, y0: 0, x1: 10, y1: 5, cls: 0, score: 0.9 };
    expect(evaluateAP50([[half], []], gt, 1).perClass[0]).toBe(0.5);
    expect(evaluateAP50([[det(1, 0.9)], []], gt, 1).perClass[0]).toBe(0); // right box, wrong image
    expect(evaluateAP50([[det(0, 0.9, 1)], [det(1, 0.9)]], gt, 2).perClass).toEqual([0.5, null]);
  });

  it('leaves a class with no ground truth out of the mean', () => {
    const gt = [[box(0, 0), box(1, 1)]];
    const r = evaluateAP50([[det(0, 0.9, 0), det(3, 0.9, 2)]], gt, 3);
    expect(r.perClass).toEqual([1, 0, null]);
    expect(r.mAP).toBe(0.5);
  });
});
