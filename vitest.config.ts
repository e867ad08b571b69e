import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { LISTED, TEST_FILES, TIERS } from './test/tiers.ts';

// One project per test tier (test/tiers.ts): `vitest run` runs them all, `--project unit` one.
export default defineConfig({
  test: {
    // Verilator builds are cached, but a cold build of a testbench takes tens of seconds; the
    // limits are generous so that a loaded machine is slow, not failing.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One build cache (src/util/build-cache.ts) for every test file and the CLI runs they start:
    // the checkout's .cache/ unless CODENET_CACHE says otherwise.
    env: { CODENET_CACHE: process.env.CODENET_CACHE ?? fileURLToPath(new URL('./.cache', import.meta.url)) },
    // A private TMPDIR for the run; what a test leaves in it is reported (and fails the run).
    globalSetup: ['test/helpers/global-tmpdir.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: [TEST_FILES], exclude: [...configDefaults.exclude, ...LISTED] } },
      ...Object.entries(TIERS).map(([name, files]) => ({ extends: true, test: { name, include: [...files] } })),
    ],
  },
});
