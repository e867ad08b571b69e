/**
 * `codenet gen --target zynq`: the whole deliverable for one model on one board (docs/outputs.md).
 *
 *   rtl/     accelerator Verilog (renderRtl)                  vivado/  create_project.tcl
 *   hls/     the same accelerator in HLS C++, C-sim, TCL      sw/      C and PYNQ drivers, header
 *   sim/     Verilator testbench + Makefile (make sim)        report/  report.json, .md, .html
 *   data/    memory image (.bin, .hex), relocations, map
 *
 * Everything is rendered in memory first (and synthesized, unless told not to), so a failure
 * writes nothing; the folder is then replaced in one step.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { compileModel, type Compiled } from '../compiler/compile.ts';
import { programPerf, type ModelPerf } from '../perf/model.ts';
import type { OutputFile } from '../io/atomic.ts';
import { buildReport } from '../report/build.ts';
import { reportFiles } from '../report/update.ts';
import type { Report } from '../report/schema.ts';
import { renderSimBundle } from './bundle.ts';
import { MANIFEST_FILE, renderManifest } from '../sim/manifest.ts';
import { toHexBeats } from '../sim/icarus.ts';
import type { Budget } from '../synth/caps.ts';
import { synthesizeDesign, type SynthOutcome } from '../synth/run.ts';
import { fail } from '../util/errors.ts';
import { renderTemplate } from '../util/templates.ts';
import { driverHeads, renderDrivers } from './drivers.ts';
import { CODENET_VERSION, TOP_MODULE, hwParams } from '../hw/params.ts';
import { renderVivadoProject, vivadoTarget, type Backend } from './vivado.ts';
import { renderHls } from './hls.ts';
import { inputBuffer } from '../compiler/tensors.ts';

/** Written into every generated folder: gen replaces a folder without --force only if it holds this. */
export const GEN_MARKER = '.codenet-gen';

export interface GenOptions {
  model: Model;
  hw: HwConfig;
  /** Input image codes written to data/input.bin (what `make sim` and `codenet sim` run). */
  inputCodes: Int8Array;
  /** Run Yosys and enforce the caps (default true). */
  synth?: boolean;
  caps?: Budget;
  /** Which accelerator the Vivado project builds: rtl/ (default) or the HLS IP of hls/. */
  backend?: Backend;
}

export interface GenResult {
  files: OutputFile[];
  compiled: Compiled;
  /** The analytic performance model of `compiled` (the report's predicted cycles). */
  perf: ModelPerf;
  report: Report;
  synth?: SynthOutcome;
}

/** RTL sources keyed by bare file name, as Yosys reads them. */
export const rtlByName = (files: Record<string, string | Uint8Array>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).filter(([k]) => k.startsWith('rtl/')).map(([k, v]) => [k.slice(4), String(v)]));

export async function generateZynq(o: GenOptions): Promise<GenResult> {
  const { model, hw } = o;
  // The only compilation: the bundle, the drivers, the report and the predicted cycles all read it.
  const compiled = compileModel(model, hw);
  const perf = programPerf(compiled);
  const bundle = renderSimBundle(model, hw, o.inputCodes, compiled);
  const rtl = rtlByName(bundle);
  const synth = o.synth === false ? undefined : await synthesizeDesign(hw, rtl, o.caps);
  if (synth?.violation) fail(`${synth.violation} Nothing was written.`);
  const report = buildReport(model, hw, { resources: synth?.resources, perf });
  const board = boardOf(hw);
  const texts: Record<string, string | Uint8Array> = {
    ...bundle,
    'data/memory.hex': toHexBeats(compiled.image, hwParams(hw).beatBytes),
    ...renderHls(hw, { imageBytes: compiled.imageBytes, inputOffset: inputBuffer(compiled.map).offset, programLen: compiled.descriptors.length }),
    'vivado/create_project.tcl': renderVivadoProject(vivadoTarget(hw), Object.keys(rtl), CODENET_VERSION, o.backend ?? 'rtl'),
    ...renderDrivers(model.name, hw, compiled.map, driverHeads(model)),
    ...Object.fromEntries(reportFiles(report).map((f) => [f.name, f.data])),
    'README.md': renderTemplate('gen/README.md.hbs', {
      codenetVersion: CODENET_VERSION, model: model.name, board: board.name, description: board.description, part: board.part,
      clockMHz: hw.clockMHz, top: TOP_MODULE, hls: o.backend === 'hls', descriptors: compiled.descriptors.length, imageBytes: compiled.imageBytes, beatBits: hw.axiDataBits,
    }),
    [GEN_MARKER]: `codenet ${CODENET_VERSION} gen --target zynq: this folder is generated and is replaced by the next codenet gen\n`,
  };
  // The bundle's manifest again, now over hls/ and data/memory.hex too (checked by codenet sim).
  texts[MANIFEST_FILE] = renderManifest(texts, 'codenet gen --target zynq --model <model>');
  const files = Object.entries(texts).sort(([a], [b]) => a.localeCompare(b))
    .map(([name, data]) => ({ name, data: typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength) }));
  return { files, compiled, perf, report, synth };
}

/** Refuses to replace a non-empty folder that codenet gen did not create, unless forced. */
export function checkOutputDir(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) fail(`output ${dir} exists and is not a folder`);
  const entries = readdirSync(dir);
  if (!entries.length || force || entries.includes(GEN_MARKER)) return;
  fail(`output folder ${dir} is not empty and was not made by codenet gen (no ${GEN_MARKER} in it); choose another folder with -o, or pass --force to replace its contents`);
}

/** Reads a file of a generated folder, naming the folder when it is missing. */
export function readGenerated(dir: string, rel: string): string {
  const p = join(dir, rel);
  if (!existsSync(p)) fail(`${dir} is not a folder written by codenet gen: ${rel} is missing`);
  return readFileSync(p, 'utf8');
}
