import type { Model } from '../ir/model.ts';
import { validateModel } from '../ir/load.ts';
import { modelToDef } from '../ir/save.ts';
import { fail } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { progress } from '../util/progress.ts';
import { calibrate, randomWeights } from './calibrate.ts';
import { buildTopology } from './graph.ts';
import { imageCodes, randomImage } from './image.ts';
import { DEFAULT_CLASSES, ZOO, findZooSpec } from './specs.ts';

export interface ExportOptions {
  seed?: number;
  classes?: number;
}

/**
 * A deterministic random-weight integer model of a zoo network. The result goes through the
 * same validation as a model file, so the zoo can never produce a model the loader rejects.
 */
export function exportZooModel(name: string, opts: ExportOptions = {}): Model {
  const spec = findZooSpec(name) ?? fail(`unknown zoo model "${name}"; known: ${ZOO.map((z) => z.name).join(', ')}`);
  const seed = opts.seed ?? 0;
  const classes = opts.classes ?? DEFAULT_CLASSES;
  if (!Number.isInteger(classes) || classes < 1 || classes > 1000) fail(`--classes must be an integer in 1..1000, got ${classes}`);
  const m = buildTopology(spec, classes);
  m.metadata.seed = seed;
  randomWeights(m, new Rng(seed));
  // Enough calibration images that the smallest feature maps still give per-channel statistics.
  const images = Math.max(1, Math.min(16, Math.round(2 ** 16 / spec.input ** 2)));
  const bar = progress(`calibrating ${name}`);
  calibrate(m, Array.from({ length: images }, (_, i) => imageCodes(randomImage(seed * 1000 + i + 1, spec.input, spec.input))), (i, n, layer) => bar.update(i, n, layer));
  bar.finish();
  return validateModel(JSON.parse(JSON.stringify(modelToDef(m))), `zoo model ${name}`);
}
