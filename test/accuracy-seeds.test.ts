// bench:accuracy --seeds (scripts/accuracy-seeds.ts): the seeds' argument, the per-seed rows and
// their summary; the training-log comparison (scripts/train-log-compare.ts) on made-up logs. No training.
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSeeds, rowFromAccuracy, seedTable, summarize, type SeedRow } from '../scripts/accuracy-seeds.ts';
import { compareTrainLogs } from '../scripts/train-log-compare.ts';
import type { TrainInterval, TrainLog } from '../src/float/train.ts';
import { tempDir } from './helpers/temp.ts';

describe('--seeds', () => {
  it('takes a range, a list, or both, in the order given', () => {
    expect(parseSeeds('0-4')).toEqual([0, 1, 2, 3, 4]);
    expect(parseSeeds('0,3')).toEqual([0, 3]);
    expect(parseSeeds('7')).toEqual([7]);
    expect(parseSeeds('5, 0-2')).toEqual([5, 0, 1, 2]);
  });

  it.each([
    ['', /"" is not a seed or a range/],
    ['a-b', /"a-b" is not a seed or a range/],
    ['4-2', /the range 4-2 runs backwards/],
    ['1,0-2', /seed 1 is given twice/],
    ['-1', /"-1" is not a seed/],
    ['0-200', /201 seeds in 0-200; at most 100/],
  ])('refuses %j', (arg, message) => {
    expect(() => parseSeeds(arg)).toThrow(message);
  });
});

describe('the per-seed table', () => {
  // Made-up results: three seeds, one of whose calibration-only row failed.
  const rows: SeedRow[] = [
    { seed: 0, float: 63.5, ptq: 60.1, qat: 62.2, minutes: 31.2 },
    { seed: 1, float: 65.0, ptq: undefined, qat: 63.6, minutes: 30.8 },
    { seed: 3, float: 54.9, ptq: 51.0, qat: 53.3, minutes: 31.0 },
  ];

  it('mean, sample standard deviation and minimum per column, over the seeds that have it', () => {
    const s = summarize(rows);
    expect(s.float!.mean).toBeCloseTo((63.5 + 65.0 + 54.9) / 3, 10);
    const m = s.float!.mean;
    expect(s.float!.std).toBeCloseTo(Math.sqrt(((63.5 - m) ** 2 + (65.0 - m) ** 2 + (54.9 - m) ** 2) / 2), 10);
    expect(s.float!.min).toBe(54.9);
    expect(s.ptq).toMatchObject({ n: 2, mean: (60.1 + 51.0) / 2, min: 51.0 });
    expect(s.qatGap!.mean).toBeCloseTo((-1.3 - 1.4 - 1.6) / 3, 10);
    expect(s.qatGap!.min).toBeCloseTo(-1.6, 10);
    expect(s.ptqGap).toMatchObject({ n: 2 });
    expect(s.ptqGap!.min).toBeCloseTo(-3.9, 10);
    expect(summarize([rows[0]]).float).toEqual({ mean: 63.5, std: 0, min: 63.5, n: 1 });
  });

  it('prints each seed, then mean, std and min; a missing value is a dash', () => {
    const t = seedTable(rows);
    expect(t).toHaveLength(1 + 3 + 3);
    expect(t[0]).toMatch(/^seed\s+float\s+calibration only\s+QAT\s+QAT - float\s+calib\. - float\s+minutes$/);
    expect(t[1].split(/\s{2,}/)).toEqual(['0', '63.50', '60.10', '62.20', '-1.30', '-3.40', '31.2']);
    expect(t[2].split(/\s{2,}/)).toEqual(['1', '65.00', '-', '63.60', '-1.40', '-', '30.8']);
    expect(t[4].split(/\s{2,}/)[0]).toBe('mean');
    expect(t[6].split(/\s{2,}/)).toEqual(['min', '54.90', '51.00', '53.30', '-1.60', '-3.90', '30.8']);
  });

  it('reads a seed\'s row from its accuracy.json (fractions there, points here)', () => {
    const json = { rows: [{ what: 'float (tfjs)', mAP50: 0.635 }, { what: 'W4A8 calibration only (golden model)', error: 'failed: x' }, { what: 'W4A8 after QAT (golden model)', mAP50: 0.622 }] };
    expect(rowFromAccuracy(0, json, 30.5)).toEqual({ seed: 0, float: 63.5, ptq: undefined, qat: 62.2, minutes: 30.5 });
  });
});

describe('the training-log comparison', () => {
  const interval = (k: number, scale: number): TrainInterval => ({
    from: 50 * k, to: 50 * (k + 1), lr: 0.04, loss: { total: 3 - k * scale, hm: 2 - k * scale, wh: 5, reg: 0.5 }, gradNorm: { mean: 1 + k, max: 2 + k },
    batchNorm: [{ layer: 'stem.bn', mean: 1, min: 0.5 * scale, max: 2, low: k }, { layer: 'dec1.bn', mean: 1, min: 0.8, max: 9 * scale, low: 0 }],
    dilation: [{ layer: 'dec1.deform', mean: 2 + k, share: [0, 0.2, 0.5, 0.3] }],
  });
  const log = (intervals: TrainInterval[] | undefined): TrainLog => ({ backend: 'wasm', threads: 2, steps: 200, batch: 32, input: 64, seconds: 1500, imagesPerSecond: 40, loss: Array.from({ length: 200 }, (_, i) => 3 - i / 100), ...(intervals ? { intervals } : {}) });

  it('one column per run: loss terms, gradient norms, batch-norm variances and dilations', () => {
    const d = tempDir('cn-logs-');
    const dirs = [0, 1].map((s) => join(d, `seed-${s}`));
    dirs.forEach((dir, s) => { mkdirSync(dir); writeFileSync(join(dir, 'train-log.json'), JSON.stringify(log([0, 1, 2, 3].map((k) => interval(k, s + 1))))); });
    const lines = compareTrainLogs(dirs, ['seed 0', 'seed 1']);
    expect(lines[0]).toMatch(/seed 0\s+seed 1$/);
    const row = (label: string) => lines.find((l) => l.startsWith(label))!.slice(label.length).trim().split(/\s{2,}/);
    expect(row('steps')).toEqual(['200', '200']);
    expect(row('loss hm at 100%')).toEqual(['-1.00', '-4.00']); // the last interval (k = 3)
    expect(row('loss hm at 50%')).toEqual(['1.00', '0.00']); // interval 2 of 4
    expect(row('grad norm at 100% (mean/max)')).toEqual(['4.00/5.00', '4.00/5.00']);
    expect(row('BN: smallest moving variance (layer)')).toEqual(['0.500 (stem.bn)', '0.800 (dec1.bn)']);
    expect(row('BN: largest moving variance (layer)')).toEqual(['9.00 (dec1.bn)', '18.0 (dec1.bn)']);
    expect(row('BN: channels with variance < 1e-4')).toEqual(['3', '3']);
    expect(row('BN: such channels at step 300 / 50%')).toEqual(['- / 1', '- / 1']); // these runs stop at step 200
    // a longer run: counted in the interval that reaches step 300 (k = 5, steps 250-300)
    writeFileSync(join(dirs[0], 'train-log.json'), JSON.stringify(log([0, 1, 2, 3, 4, 5, 6, 7].map((k) => interval(k, 1)))));
    const long = compareTrainLogs([dirs[0]], ['long']).find((l) => l.startsWith('BN: such channels'))!;
    expect(long).toMatch(/5 \/ 3$/);
    expect(row('dilation dec1.deform at 100% (mean, mode)')).toEqual(['5.00, 2 (50%)', '5.00, 2 (50%)']);
  });

  it('logs without intervals (older runs) still compare by their losses; a missing log is a user error', () => {
    const d = tempDir('cn-logs-');
    writeFileSync(join(d, 'old.json'), JSON.stringify(log(undefined)));
    const lines = compareTrainLogs([join(d, 'old.json')], ['old']);
    expect(lines.some((l) => /^final loss \(mean of last 50\)\s+1\.25$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/no intervals/);
    expect(() => compareTrainLogs([join(d, 'nope')])).toThrow(/no training log at .*nope/);
  });
});
