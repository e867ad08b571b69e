import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Verilator builds are cached, but a cold build of a testbench takes tens of seconds.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
