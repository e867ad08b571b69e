/**
 * The search space of `codenet search`: a JSON file of model knobs (over a zoo network's shape) and
 * hardware knobs (over the board's preset config), each a list of the values to try. Candidates are
 * the cartesian product of the lists, hardware points over the resource caps dropped first (the
 * analytic estimate, src/codesign/search-resources.ts), then at most `trials` of them drawn with the
 * seed (all of them when the product is that small). docs/codesign.md describes the format.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodIssues, fail } from '../util/errors.ts';
import { findZooSpec, ZOO, type ZooSpec } from '../zoo/specs.ts';
import { DMAX_LIMIT } from '../numerics/requant.ts';

const list = <T extends z.ZodTypeAny>(t: T) => z.array(t).min(1, 'must list at least one value');
const even = z.number().int().min(2).max(4096).refine((v) => v % 2 === 0, 'must be even (a ShuffleNetV2 unit splits its channels in halves)');
const pow2 = z.number().int().min(1).refine((v) => (v & (v - 1)) === 0, 'must be a power of two');

const tuple3 = <T extends z.ZodTypeAny>(t: T) => z.tuple([t, t, t]);
/** One model point of a `points` list: any of the model knobs, one value each. */
const PointKnobsSchema = z.strictObject({
  channels: z.tuple([z.number().int().min(1).max(4096), even, even, even, z.number().int().min(1).max(8192)]).optional(),
  repeats: tuple3(z.number().int().min(0).max(16)).optional(),
  input: z.number().int().min(16).max(1024).optional(),
  stem: z.enum(['s4', 's2+maxpool']).optional(),
  dmax: z.number().int().min(1).max(DMAX_LIMIT).optional(),
  deformable: tuple3(z.boolean()).optional(),
});

export const SearchSpaceSchema = z.strictObject({
  /** The zoo network whose shape the model knobs change (decoder widths and head stay its own). */
  base: z.string().refine((n) => findZooSpec(n) !== undefined, { message: `must be a zoo network: ${ZOO.map((s) => s.name).join(', ')}` }),
  /** Candidates drawn from the product (seeded); 0: every candidate. */
  trials: z.number().int().min(0).max(100000).default(0),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  model: z.strictObject({
    /** [stem, stage2, stage3, stage4, conv5] output channels. */
    channels: list(z.tuple([z.number().int().min(1).max(4096), even, even, even, z.number().int().min(1).max(8192)])).optional(),
    /** Stride-1 units after each stage's stride-2 unit. */
    repeats: list(z.tuple([z.number().int().min(0).max(16), z.number().int().min(0).max(16), z.number().int().min(0).max(16)])).optional(),
    input: list(z.number().int().min(16).max(1024)).optional(),
    stem: list(z.enum(['s4', 's2+maxpool'])).optional(),
    dmax: list(z.number().int().min(1).max(DMAX_LIMIT)).optional(),
    /** Per decoder block: true a deformable depthwise 3x3 (with its offset conv), false a plain depthwise 3x3. */
    deformable: list(z.tuple([z.boolean(), z.boolean(), z.boolean()])).optional(),
    /** Instead of the product of the lists above: these model points, each knob it leaves out the base's value. */
    points: list(PointKnobsSchema).optional(),
  }).default({}).refine((m) => m.points === undefined || Object.keys(m).length === 1, { message: 'give either "points" (a list of model points) or lists of knob values (their product), not both' }),
  hw: z.strictObject({
    lanes: list(pow2).optional(),
    pwOutputs: list(z.number().int().min(2).max(512)).optional(),
    weightBufferBytes: list(z.number().int().min(1024).max(8 << 20)).optional(),
    rowBufferBeats: list(pow2).optional(),
    lineBufferBeats: list(pow2).optional(),
    tensorBufferBeats: list(pow2).optional(),
    clockMHz: list(z.number().positive()).optional(),
  }).default({}),
});
export type SearchSpace = z.infer<typeof SearchSpaceSchema>;

/** The model side of a candidate: a zoo shape with the decoder's deformable layers chosen. */
export const ModelPointSchema = z.strictObject({
  base: z.string(),
  channels: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
  repeats: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  input: z.number().int(),
  stem: z.enum(['s4', 's2+maxpool']),
  dmax: z.number().int(),
  deformable: z.tuple([z.boolean(), z.boolean(), z.boolean()]),
});
export type ModelPoint = z.infer<typeof ModelPointSchema>;

/** The hardware knobs a candidate sets (the rest of the config is the board preset's). */
export type HwKnobs = { lanes: number; pwOutputs: number; weightBufferBytes: number; rowBufferBeats: number; lineBufferBeats: number; tensorBufferBeats: number; clockMHz: number };

/** The default space (docs/codesign.md): around codenet-tiny-skip, the preset's buffers. */
export const DEFAULT_SPACE: SearchSpace = SearchSpaceSchema.parse({
  base: 'codenet-tiny-skip',
  trials: 24,
  model: {
    channels: [[24, 48, 96, 192, 128], [16, 32, 64, 128, 96], [24, 64, 128, 256, 128]],
    repeats: [[1, 2, 1], [1, 1, 1], [2, 3, 2]],
    stem: ['s2+maxpool', 's4'],
    deformable: [[true, true, true], [false, false, true], [false, false, false]],
  },
  hw: { pwOutputs: [16, 32, 48], clockMHz: [200, 250, 300] },
});

export function parseSearchSpace(json: unknown, where: string): SearchSpace {
  const r = SearchSpaceSchema.safeParse(json);
  if (!r.success) fail(describeZodIssues(`search space ${where}`, r.error.issues));
  return r.data;
}

export function loadSearchSpace(path: string): SearchSpace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`cannot read search space ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`search space ${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseSearchSpace(json, path);
}

/** Every model point of the space, in a fixed order (the base's value where a knob is not listed). */
export function modelPoints(s: SearchSpace): ModelPoint[] {
  const b: ZooSpec = findZooSpec(s.base)!;
  // a listed point is the product of one value per knob it gives
  const one = <T>(v: T | undefined) => (v === undefined ? undefined : [v]);
  if (s.model.points)
    return s.model.points.flatMap((q) => knobProduct(b, { channels: one(q.channels), repeats: one(q.repeats), input: one(q.input), stem: one(q.stem), dmax: one(q.dmax), deformable: one(q.deformable) }));
  return knobProduct(b, s.model);
}

/** The product of the knob lists, the base's value where a knob is not listed. */
function knobProduct(b: ZooSpec, m: Omit<SearchSpace['model'], 'points'>): ModelPoint[] {
  const out: ModelPoint[] = [];
  for (const channels of m.channels ?? [b.channels])
    for (const repeats of m.repeats ?? [b.repeats])
      for (const input of m.input ?? [b.input])
        for (const stem of m.stem ?? [b.stem])
          for (const dmax of m.dmax ?? [b.dmax])
            for (const deformable of m.deformable ?? [[true, true, true] as [boolean, boolean, boolean]])
              out.push({ base: b.name, channels: [...channels], repeats: [...repeats], input, stem, dmax, deformable: [...deformable] });
  return out;
}

/** Every hardware point of the space (`preset` fills knobs not listed). */
export function hwPoints(s: SearchSpace, preset: HwKnobs): HwKnobs[] {
  const h = s.hw;
  const out: HwKnobs[] = [];
  for (const lanes of h.lanes ?? [preset.lanes])
    for (const pwOutputs of h.pwOutputs ?? [preset.pwOutputs])
      for (const weightBufferBytes of h.weightBufferBytes ?? [preset.weightBufferBytes])
        for (const rowBufferBeats of h.rowBufferBeats ?? [preset.rowBufferBeats])
          for (const lineBufferBeats of h.lineBufferBeats ?? [preset.lineBufferBeats])
            for (const tensorBufferBeats of h.tensorBufferBeats ?? [preset.tensorBufferBeats])
              for (const clockMHz of h.clockMHz ?? [preset.clockMHz])
                out.push({ lanes, pwOutputs, weightBufferBytes, rowBufferBeats, lineBufferBeats, tensorBufferBeats, clockMHz });
  return out;
}

/** `k` distinct indices of [0, n) drawn with `seed` (a seeded Fisher-Yates prefix), sorted; all when k = 0 or k >= n. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (k === 0 || k >= n) return all;
  let x = (seed ^ 0x9e3779b9) >>> 0;
  const next = () => {
    // xorshift32: small, seeded and the same on every machine.
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  for (let i = 0; i < k; i++) {
    const j = i + (next() % (n - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}
