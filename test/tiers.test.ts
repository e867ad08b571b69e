// The test tiers (test/tiers.ts, vitest.config.ts): every test file runs in exactly one vitest
// project, the lists name files that exist, and a file left in the unit tier (the default) runs
// none of the programs that the other tiers need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createVitest, type Vitest } from 'vitest/node';
import { PROJECT_ROOT } from '../src/util/paths.ts';
import { LISTED, TIERS, tierOf, type Tier } from './tiers.ts';

/** Every file under test/ that a test runner would take for a test file. */
function testFiles(dir = join(PROJECT_ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(p);
    return /\.(test|spec)\.[cm]?[jt]sx?$/.test(e.name) ? [relative(PROJECT_ROOT, p)] : [];
  });
}

/**
 * What makes a file belong to another tier than unit: a simulator, g++ (HLS), Yosys, a native tool
 * or Chromium, or training beyond a few steps. A unit-tier file that matches one of these but does not need the tier
 * (an argument check that fails before anything runs, say) says so with a `test tier: unit` comment.
 */
const MARKERS: Array<[RegExp, Exclude<Tier, 'unit'>, string]> = [
  [/\b(runAccelerator|buildVerilated|buildVerilatedAsync|buildAccelSim|runTestbench|buildIcarus|runIcarus|buildCsim|runHlsCsim|runSimulation|runCase)\(/, 'rtl', 'runs a simulation'],
  [/runCli\(\s*'(sim|verify)'/, 'rtl', 'runs codenet sim or codenet verify'],
  [/\/compute-harness\.ts'/, 'rtl', 'runs a Verilator testbench (test/hw/compute-harness.ts)'],
  [/[([]\s*['"`](verilator|iverilog|vvp|g\+\+)['"`]/, 'rtl', 'runs Verilator, Icarus or g++'],
  [/\bsynthesi[sz]eDesign\(|@yowasp\/yosys|runCli\(\s*'synth'/, 'synth', 'runs Yosys'],
  [/runCli\(\s*'gen'(?![^)]*'--no-synth')/, 'synth', 'runs codenet gen with synthesis (Yosys)'],
  [/[([]\s*['"`](gcc|make|python3|\/usr\/bin\/python3|tclsh)['"`]|playwright-core|\/usr\/bin\/chromium/, 'tools', 'runs gcc, make, python3, tclsh or Chromium'],
  [/runCli\(\s*'train'[^)]*'--(steps',\s*'\d{2,}|minutes)'|\brunSteps\(/, 'float', 'trains for 10 steps or more, or for a time budget'],
];

describe('test tiers', () => {
  let vitest: Vitest;
  let projects: Map<string, string[]>;
  beforeAll(async () => {
    // The projects as vitest resolves them from vitest.config.ts (nothing runs).
    vitest = await createVitest('test', { watch: false, config: join(PROJECT_ROOT, 'vitest.config.ts'), root: PROJECT_ROOT }, {}, {});
    projects = new Map();
    for (const s of await vitest.globTestSpecifications()) {
      const f = relative(PROJECT_ROOT, s.moduleId);
      projects.set(f, [...(projects.get(f) ?? []), s.project.name]);
    }
  });
  afterAll(async () => { await vitest?.close(); });

  it('every test file runs in exactly one vitest project, the tier test/tiers.ts gives it', () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(40);
    for (const f of files) expect(projects.get(f) ?? [], `${f}: in no vitest project (name it *.test.ts)`).toEqual([tierOf(f)]);
    expect([...projects.keys()].filter((f) => !files.includes(f))).toEqual([]);
  });

  it('the lists name existing test files, each once', () => {
    expect(LISTED.filter((f) => !existsSync(join(PROJECT_ROOT, f))), 'listed in test/tiers.ts but missing').toEqual([]);
    expect(LISTED.filter((f, i) => LISTED.indexOf(f) !== i), 'listed twice').toEqual([]);
    expect(Object.keys(TIERS)).not.toContain('unit');
  });

  it('no unit-tier file runs a simulator, g++, Yosys, a native tool or Chromium, or trains for long', () => {
    const wrong: string[] = [];
    for (const f of testFiles().filter((x) => tierOf(x) === 'unit')) {
      const src = readFileSync(join(PROJECT_ROOT, f), 'utf8');
      if (/test tier: unit\b/.test(src)) continue;
      for (const [re, tier, what] of MARKERS) {
        const m = re.exec(src);
        if (m) wrong.push(`${f} ${what} (${JSON.stringify(m[0])}): list it under ${tier} in test/tiers.ts`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
