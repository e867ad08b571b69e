/**
 * Test tiers: one vitest project each (vitest.config.ts); `npm test` runs them all, `npm run
 * test:<tier>` one of them (README, "Tests and benchmarks").
 *
 * - unit:  every test file not listed below. TypeScript only: no simulator, compiler, Yosys,
 *          browser or python, no training beyond a step or two. Under 2 minutes on 2 cores.
 * - float: float models trained with tfjs (training, QAT, quantizing trained models, PyTorch imports).
 * - tools: other programs on generated text: gcc/make, python3, tclsh, verilator --lint-only, Chromium.
 * - rtl:   Verilator, Icarus and HLS g++ simulations of the generated hardware.
 * - synth: Yosys synthesis.
 *
 * A new test file is in the unit tier until it is listed here; test/tiers.test.ts fails when a
 * unit-tier file runs one of the programs above (or trains), naming the tier it belongs in.
 */
export const TIERS = {
  float: [
    'test/float-parallel.test.ts',
    'test/import-onnx.test.ts',
    'test/prune.test.ts',
    'test/qat.test.ts',
    'test/quant-generic.test.ts',
    'test/quantize.test.ts',
    'test/search.test.ts',
    'test/startup-workers.test.ts',
    'test/train-log.test.ts',
  ],
  tools: [
    'test/escape.test.ts',
    'test/hostile-names.test.ts',
    'test/python-package.test.ts',
    'test/report.test.ts',
    'test/search-tools.test.ts',
  ],
  rtl: [
    'test/build-share.test.ts',
    'test/compiler-property-rtl.test.ts',
    'test/detect-drivers.test.ts',
    'test/driver-sim.test.ts',
    'test/gen-zynq.test.ts',
    'test/hls.test.ts',
    'test/icarus.test.ts',
    'test/import-e2e.test.ts',
    'test/isa-override.test.ts',
    'test/perf-rtl.test.ts',
    'test/pwdw-tiles-rtl.test.ts',
    'test/signals.test.ts',
    'test/sim-reference.test.ts',
    'test/sim-robust.test.ts',
    'test/sim.test.ts',
    'test/stem-tiles-rtl.test.ts',
    'test/verify.test.ts',
    'test/waveforms.test.ts',
    'test/verify-ci.test.ts',
    'test/hw/accel_dw.test.ts',
    'test/hw/accel_pw.test.ts',
    'test/hw/axi_dma.test.ts',
    'test/hw/axil_regs.test.ts',
    'test/hw/dot2.test.ts',
    'test/hw/dw3x3_pe.test.ts',
    'test/hw/lint-axi.test.ts',
    'test/hw/lint-compute.test.ts',
    'test/hw/requant.test.ts',
  ],
  synth: [
    'test/progress-pipe.test.ts',
    'test/synth-accel.test.ts',
    'test/synth-modules.test.ts',
    'test/synth-signals.test.ts',
    'test/hw/synth-axi.test.ts',
    'test/hw/synth-compute.test.ts',
  ],
} as const satisfies Record<string, readonly string[]>;

export type Tier = 'unit' | keyof typeof TIERS;

/** Every test file (vitest's include pattern). */
export const TEST_FILES = 'test/**/*.test.ts';

/** The files of every tier but unit. */
export const LISTED: string[] = Object.values(TIERS).flat();

/** The tier of a test file (path relative to the repository, with forward slashes). */
export function tierOf(file: string): Tier {
  for (const [tier, files] of Object.entries(TIERS)) if ((files as readonly string[]).includes(file)) return tier as Tier;
  return 'unit';
}
