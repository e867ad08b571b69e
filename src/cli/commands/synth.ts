import type { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadHwConfig } from '../../hw/config.ts';
import { readGenerated } from '../../gen/zynq.ts';
import { updateReport } from '../../report/update.ts';
import { synthesizeDesign, type SynthOutcome } from '../../synth/run.ts';
import { fail } from '../../util/errors.ts';
import { addCapOptions, capsFromOptions, type CapOptions } from './caps-options.ts';
import { CommandExit } from './sim.ts';

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export function printResources(s: SynthOutcome, modules: boolean): void {
  const r = s.result;
  if (modules) {
    // With the hierarchy: every instance's own cells (submodules in their own rows), adding up to the total.
    const all = Object.values(s.resources.modules).every((m) => m.instances !== undefined);
    console.log(`${(all ? 'module (own cells, all instances)' : 'module (one instance)').padEnd(40)}${(all ? 'inst' : '').padStart(6)}${'LUT'.padStart(8)}${'FF'.padStart(8)}${'DSP'.padStart(6)}${'BRAM36'.padStart(8)}`);
    for (const [name, m] of Object.entries(s.resources.modules)) {
      const k = all ? m.instances! : 1;
      console.log(`${name.slice(0, 39).padEnd(40)}${(all ? String(k) : '').padStart(6)}${String(k * m.lut).padStart(8)}${String(k * m.ff).padStart(8)}${String(k * m.dsp).padStart(6)}${String(k * m.bram36).padStart(8)}`);
    }
  }
  console.log(`resources (Yosys ${r.yosysVersion} synth_xilinx -family ${r.family}, ${r.cached ? `cached; ${r.seconds.toFixed(0)} s when run` : `${r.seconds.toFixed(1)} s`}): ` +
    s.rows.map((x) => `${x.resource === 'bram36' ? 'BRAM36' : x.resource.toUpperCase()} ${x.used} of ${x.budget} (${pct(x.utilisation)}${x.over ? `, OVER the ${pct(x.cap)} cap` : ''})`).join(', '));
}

/** `codenet synth <gen-dir>`: Yosys resource estimate of a generated folder against the board's caps. */
export function registerSynth(program: Command): void {
  const cmd = program
    .command('synth <dir>')
    .description('estimate the resources of a generated folder (codenet gen) with Yosys synth_xilinx, per module and against the board\'s caps');
  addCapOptions(cmd).action(async (dir: string, o: CapOptions) => {
    const hw = loadHwConfig(join(dir, 'data/hw.json'));
    readGenerated(dir, 'rtl/codenet_accel.v');
    const rtl = Object.fromEntries(readdirSync(join(dir, 'rtl')).filter((f) => /\.vh?$/.test(f)).sort().map((f) => [f, readGenerated(dir, `rtl/${f}`)]));
    if (!Object.keys(rtl).length) fail(`${dir}/rtl holds no Verilog`);
    const s = await synthesizeDesign(hw, rtl, capsFromOptions(o));
    printResources(s, true);
    if (updateReport(dir, (r) => ({ ...r, resources: s.resources }))) console.log(`updated ${join(dir, 'report')}`);
    if (s.violation) {
      process.stderr.write(`codenet: error: ${s.violation}\n`);
      throw new CommandExit(2);
    }
  });
}
