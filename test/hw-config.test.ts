import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHwConfig, peakMacsPerCycle, presetConfig } from '../src/hw/config.ts';
import { BOARDS } from '../src/hw/boards.ts';
import { UserError } from '../src/util/errors.ts';
import { tempDir } from './helpers/temp.ts';

describe('hardware config', () => {
  it('presets fit each board with two MACs per DSP', () => {
    const dsps = Object.fromEntries(BOARDS.map((b) => { const c = presetConfig(b.name); return [b.name, (c.lanes * c.pwOutputs) / 2 + c.pwOutputs]; }));
    expect(dsps).toEqual({ ultra96v2: 288, zcu104: 576, kv260: 576, 'pynq-z2': 160 });
    expect(presetConfig('ultra96v2')).toMatchObject({ clockMHz: 250, axiDataBits: 128, lanes: 16, pwOutputs: 32, dmax: 7 });
    expect(presetConfig('pynq-z2')).toMatchObject({ axiDataBits: 64, lanes: 8, pwOutputs: 32 });
    expect(peakMacsPerCycle(presetConfig('ultra96v2'))).toBe(16 * 32 + (9 * 16) / 2);
  });

  const dir = tempDir('codenet-hw-');
  const file = (name: string, json: unknown) => { const p = join(dir, name); writeFileSync(p, typeof json === 'string' ? json : JSON.stringify(json)); return p; };

  it('a file overrides the preset of its board', () => {
    expect(loadHwConfig(file('ok.json', { board: 'pynq-z2', clockMHz: 125, pwOutputs: 16 }))).toMatchObject({ board: 'pynq-z2', clockMHz: 125, pwOutputs: 16, axiDataBits: 64 });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['unknown board', { board: 'zedboard' }, /unknown board "zedboard"; known: ultra96v2/],
    ['clock beyond the DSP limit', { board: 'ultra96v2', clockMHz: 700 }, /bad-1\.json: clockMHz 700 exceeds 645 MHz, the DSP48 limit of xczu3eg/],
    ['array larger than the device', { board: 'pynq-z2', pwOutputs: 64 }, /needs 320 DSPs.*pynq-z2 has 220/],
    ['field out of range', { board: 'kv260', dmax: 16 }, /bad-3\.json: invalid dmax/],
    ['unknown field', { board: 'kv260', lanez: 8 }, /bad-4\.json: invalid .*lanez/],
    ['not JSON', '{"board": ', /cannot read hardware config .*bad-5\.json/],
    ['output tile not whole lane groups', { board: 'ultra96v2', pwOutputs: 36 }, /bad-6\.json: pwOutputs 36 must be a multiple of lanes 16/],
    ['lanes not one AXI beat', { board: 'ultra96v2', lanes: 8 }, /bad-7\.json: lanes 8 x 8 bits must equal axiDataBits 128/],
  ];
  bad.forEach(([name, json, msg], i) => it(`rejects: ${name}`, () => {
    const p = file(`bad-${i}.json`, json);
    expect(() => loadHwConfig(p)).toThrow(UserError);
    expect(() => loadHwConfig(p)).toThrow(msg);
  }));
});
