// The progress module (src/util/progress.ts): the heartbeat logic its worker thread runs, driven
// here with a fake clock. On a pipe, one plain line per interval while anything runs, with the
// elapsed time and the current stage; on a terminal, a bar redrawn in place; silent when idle.
import { describe, expect, it } from 'vitest';
import { heartbeat, progressInterval } from '../src/util/progress.ts';

function pipe(interval = 15) {
  const out: string[] = [];
  const hb = heartbeat.makeHeartbeat({ tty: false, interval, write: (s) => out.push(s) });
  return { hb, out };
}

describe('progress heartbeat (fake clock)', () => {
  it('formats elapsed time', () => {
    expect(heartbeat.formatElapsed(9_999)).toBe('9s');
    expect(heartbeat.formatElapsed(130_000)).toBe('2m10s');
    expect(heartbeat.formatElapsed(3_725_000)).toBe('1h02m');
  });

  it('on a pipe prints one line per interval while a task runs, with stage and elapsed time', () => {
    const { hb, out } = pipe(15);
    hb.message({ type: 'start', id: 1, label: 'yosys synth_xilinx of codenet_accel', what: 'reading the sources' }, 0);
    // The worker ticks several times per interval; lines come once per interval.
    for (let t = 0; t <= 60_000; t += 1000) {
      if (t === 20_000) hb.message({ type: 'update', id: 1, what: 'ABC pass (2.41)' }, t);
      hb.tick(t);
    }
    expect(out).toEqual([
      'codenet: yosys synth_xilinx of codenet_accel: reading the sources, 15s\n',
      'codenet: yosys synth_xilinx of codenet_accel: ABC pass (2.41), 30s\n',
      'codenet: yosys synth_xilinx of codenet_accel: ABC pass (2.41), 45s\n',
      'codenet: yosys synth_xilinx of codenet_accel: ABC pass (2.41), 1m00s\n',
    ]);
  });

  it('names the innermost task with its count, and is silent when nothing runs', () => {
    const { hb, out } = pipe(10);
    for (let t = 0; t < 30_000; t += 1000) hb.tick(t);
    expect(out).toEqual([]);
    hb.message({ type: 'start', id: 1, label: 'verify' }, 30_000);
    hb.message({ type: 'update', id: 1, done: 3, total: 12, what: 'case conv3x3' }, 31_000);
    hb.message({ type: 'start', id: 2, label: 'verilator build of codenet_accel-abc' }, 32_000);
    for (let t = 30_000; t <= 40_000; t += 1000) hb.tick(t);
    hb.message({ type: 'end', id: 2, closed: false }, 41_000);
    for (let t = 41_000; t <= 50_000; t += 1000) hb.tick(t);
    hb.message({ type: 'end', id: 1, closed: true }, 51_000);
    for (let t = 51_000; t <= 90_000; t += 1000) hb.tick(t);
    expect(out).toEqual([
      'codenet: verilator build of codenet_accel-abc, 8s\n',
      'codenet: verify: case conv3x3 25% (3/12), 20s\n',
    ]);
    expect(hb.active()).toBe(0);
  });

  it('on a terminal redraws one bar in place and clears it at the end', () => {
    const out: string[] = [];
    const hb = heartbeat.makeHeartbeat({ tty: true, interval: 15, columns: 100, write: (s) => out.push(s) });
    hb.message({ type: 'start', id: 1, label: 'training', what: undefined }, 0);
    hb.message({ type: 'update', id: 1, done: 5, total: 10, what: 'loss 1.234' }, 500);
    hb.tick(1000);
    hb.message({ type: 'end', id: 1 }, 2000);
    expect(out.every((s) => s.startsWith('\r') && !s.includes('\n'))).toBe(true);
    expect(out.some((s) => s.includes('training 50% (5/10) 1s: loss 1.234'))).toBe(true);
    expect(out.at(-1)!.trim()).toBe('');
  });

  it('the interval comes from CODENET_PROGRESS_INTERVAL, at most 30 s', () => {
    const saved = process.env.CODENET_PROGRESS_INTERVAL;
    try {
      delete process.env.CODENET_PROGRESS_INTERVAL;
      expect(progressInterval()).toBe(15);
      process.env.CODENET_PROGRESS_INTERVAL = '2';
      expect(progressInterval()).toBe(2);
      process.env.CODENET_PROGRESS_INTERVAL = '600';
      expect(progressInterval()).toBe(30);
    } finally {
      if (saved === undefined) delete process.env.CODENET_PROGRESS_INTERVAL;
      else process.env.CODENET_PROGRESS_INTERVAL = saved;
    }
  });
});
