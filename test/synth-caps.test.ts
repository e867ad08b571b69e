import { describe, expect, it } from 'vitest';
import { checkCaps, capViolationMessage } from '../src/synth/caps.ts';
import { countResources } from '../src/synth/yosys.ts';

describe('resource caps', () => {
  const budget = { lut: 70560, ff: 141120, dsp: 360, bram36: 216 };
  it('counts Yosys cells as Vivado reports them', () => {
    const r = countResources({ LUT6: 10, LUT3: 5, LUT6_2: 1, FDRE: 40, FDSE: 2, DSP48E2: 3, RAMB36E2: 2, RAMB18E2: 3, RAM64M: 2, SRLC32E: 4, CARRY8: 9 });
    expect(r).toEqual({ lut: 16 + 8 + 4, ff: 42, dsp: 3, bram36: 3.5, lutMemory: 12 });
  });
  it('passes within the caps and names every resource over them with figures', () => {
    expect(capViolationMessage('cn_accel_top', 'ultra96v2', checkCaps({ lut: 50000, ff: 60000, dsp: 360, bram36: 190, lutMemory: 0 }, budget))).toBeUndefined();
    const msg = capViolationMessage('cn_accel_top', 'ultra96v2', checkCaps({ lut: 60000, ff: 60000, dsp: 361, bram36: 200, lutMemory: 0 }, budget));
    expect(msg).toMatch(/LUT 60000 of 70560 \(85\.0%, cap 80%\); DSP 361 of 360 \(100\.3%, cap 100%\); BRAM36 200 of 216 \(92\.6%, cap 90%\)/);
  });
});
