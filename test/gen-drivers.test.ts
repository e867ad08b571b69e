import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderDrivers, type DriverContext } from '../src/gen/drivers.ts';

const CTX: DriverContext = {
  codenetVersion: '0.1.0', board: 'ultra96v2', model: 'codenet-tiny', family: 'xcup', clockMHz: 250, version: 0xc0de0100,
  counters: ['cycles', 'ddr_bytes_read', 'ddr_bytes_written', 'stall_cycles'],
  image: {
    linkBase: 0x7000_0000, bytes: 1 << 20, programOffset: 0, programLen: 122,
    input: { name: 'image', offset: 0x1000, bytes: 64 * 64 * 3, shape: [64, 64, 3] },
    outputs: [{ name: 'hm', offset: 0x20000, bytes: 16 * 16 * 20, shape: [16, 16, 20] }, { name: 'wh', offset: 0x30000, bytes: 512, shape: [16, 16, 2] }],
  },
};

describe('sw/ drivers', () => {
  const files = renderDrivers(CTX);
  const dir = mkdtempSync(join(tmpdir(), 'codenet-sw-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }

  it('the C driver and example compile with gcc -Wall -Wextra -Werror', () => {
    execFileSync('gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', join(dir, 'example'), join(dir, 'sw/example.c'), join(dir, 'sw/codenet_accel.c')], { stdio: 'pipe' });
  });

  it('the header carries the register map, control base and image layout', () => {
    const h = files['sw/codenet_accel.h'];
    expect(h).toContain('#define CODENET_CTRL_BASE   0xa0000000u');
    expect(h).toContain('#define CODENET_REG_PROGRAM_ADDR_LO 0x10u');
    expect(h).toContain('#define CODENET_COUNTER_CYCLES 0');
    expect(h).toContain('#define CODENET_OUTPUT_HM_OFFSET 0x00020000u');
    expect(h).toContain('#define CODENET_PROGRAM_LEN       122u');
  });

  it('the PYNQ driver is valid Python', () => {
    execFileSync('python3', ['-m', 'py_compile', join(dir, 'sw/codenet_accel.py')], { stdio: 'pipe' });
    expect(files['sw/codenet_accel.py']).toContain('"hm": (0x00020000, (16, 16, 20, ))');
  });
});
