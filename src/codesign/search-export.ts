/**
 * `codenet search --export DIR --index I -o OUT`: the float network of one trial, warm-started as its
 * proxy training starts (the trial's `proxy.init` weights cropped to it, search-warm.ts; seeded
 * initialisation where none fit), written as an ordinary float model folder. The proxy only ranks
 * candidates; a chosen point is then trained like any model (`codenet train --resume`, or `codenet
 * prune`, whose fine-tune trains it from these weights), quantized, generated and simulated.
 */
import { existsSync } from 'node:fs';
import { fail } from '../util/errors.ts';
import { loadTrialSpec, trialSpecPath } from './search-trial.ts';

export interface ExportedPoint { name: string; copied: number; layers: number; init?: string }

export async function exportTrialFloat(dir: string, index: number, out: string): Promise<ExportedPoint> {
  const path = trialSpecPath(dir, index);
  if (!existsSync(path)) fail(`--export ${dir} --index ${index}: no trial ${path} (a folder written by codenet search -o or --emit)`);
  const spec = loadTrialSpec(path);
  const { initBackend } = await import('../float/model.ts');
  const { buildFloatGraph } = await import('../float/graph-builder.ts');
  const { loadFloatModel, saveFloatModel } = await import('../float/io.ts');
  const { pointGraph, pointName } = await import('./search-model.ts');
  const { warmStart } = await import('./search-warm.ts');
  await initBackend({});
  const fm = buildFloatGraph(pointGraph(spec.model, spec.classes, spec.proxy.seed));
  try {
    let copied = 0, layers = fm.layers.filter((l) => l.getWeights().length > 0).length;
    if (spec.proxy.init !== undefined) {
      const trained = await loadFloatModel(spec.proxy.init);
      try {
        ({ copied, layers } = warmStart(fm, trained));
      } finally {
        trained.dispose();
      }
    }
    await saveFloatModel(fm, out);
    return { name: pointName(spec.model), copied, layers, ...(spec.proxy.init !== undefined ? { init: spec.proxy.init } : {}) };
  } finally {
    fm.dispose();
  }
}
