import { z } from 'zod';

/**
 * report.json (docs/outputs.md): everything `codenet gen` and `codenet sim` know about a design,
 * in one validated object that the Markdown and HTML renderers read. No timestamps: the same
 * inputs give the same bytes.
 */
const count = z.number().nonnegative();
export const ResourcesSchema = z.object({ lut: count, ff: count, dsp: count, bram36: count, lutMemory: count.default(0) });

export const ReportSchema = z.object({
  format: z.literal('codenet-report'),
  version: z.literal(1),
  model: z.object({ name: z.string(), layers: z.number().int(), macs: count, params: count, sizeMiB4bit: count }),
  hardware: z.object({
    board: z.string(),
    part: z.string(),
    clockMHz: z.number().positive(),
    /** Peak multiply-accumulates per cycle of all engines together. */
    peakMacsPerCycle: z.number().positive(),
    ddrBytesPerSecond: z.number().positive(),
    /** The DDR model the cycles assume: the share of that peak sustained, and the bandwidth it gives, min(port, peak x efficiency), per cycle. */
    ddrEfficiency: z.number().positive().max(1).optional(),
    ddrBytesPerCycle: z.number().positive().optional(),
    /** The roofline's ceilings: what each engine can attain (perf/model.ts engineCeilings). */
    engines: z.array(z.object({ name: z.string(), macsPerCycle: z.number().positive(), note: z.string() })).optional(),
    /** Any further generation parameters, shown as a table. */
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  }),
  resources: z.object({
    tool: z.string(),
    family: z.string(),
    /** Synthesis wall time; left out of generated reports (it differs between machines). */
    seconds: z.number().nonnegative().optional(),
    total: ResourcesSchema,
    budget: ResourcesSchema.omit({ lutMemory: true }),
    /** Utilisation caps as fractions (FINN-style), e.g. lut 0.8. */
    caps: z.object({ lut: z.number(), ff: z.number(), dsp: z.number(), bram36: z.number() }),
    /** One instance's own cells (submodules have their own rows); `instances` from the hierarchy when Yosys gave it. */
    modules: z.record(z.string(), ResourcesSchema.extend({ instances: count.optional() })).default({}),
  }).optional(),
  layers: z.array(z.object({
    name: z.string(),
    op: z.string(),
    macs: count,
    ddrBytes: count,
    predictedCycles: count,
    simulatedCycles: count.optional(),
    /** A conv1x1 computed inside this dw3x3 layer's PWDW passes: its MACs stay on its own row, its cycles are the dw3x3's. */
    fusedInto: z.string().optional(),
  })),
  simulation: z.object({ simulator: z.string(), totalCycles: count, ddrBytesRead: count, ddrBytesWritten: count, bitExact: z.boolean() }).optional(),
});
export type Report = z.infer<typeof ReportSchema>;
export type ReportResources = z.infer<typeof ResourcesSchema>;

/** Derived figures both renderers show. */
export function reportTotals(r: Report) {
  const predictedCycles = r.layers.reduce((a, l) => a + l.predictedCycles, 0);
  const simulatedCycles = r.simulation?.totalCycles;
  const hz = r.hardware.clockMHz * 1e6;
  const ddrBytes = r.layers.reduce((a, l) => a + l.ddrBytes, 0);
  const fps = (cycles: number) => (cycles > 0 ? hz / cycles : 0);
  const util = (cycles: number) => (cycles > 0 ? r.model.macs / (cycles * r.hardware.peakMacsPerCycle) : 0);
  return {
    predictedCycles,
    predictedFps: fps(predictedCycles),
    predictedUtilisation: util(predictedCycles),
    simulatedCycles,
    simulatedFps: simulatedCycles === undefined ? undefined : fps(simulatedCycles),
    simulatedUtilisation: simulatedCycles === undefined ? undefined : util(simulatedCycles),
    ddrBytes,
  };
}
