/**
 * `codenet eval`: Pascal VOC AP50 (all-point interpolation, src/detect/ap.ts) of a float model
 * (TensorFlow.js, inference on the wasm backend) or of an integer model through the golden model
 * (exactly what the accelerator computes), on the built-in data set (docs/dataset.md).
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../ir/model.ts';
import { runGolden } from '../golden/run.ts';
import { imageCodes } from '../zoo/image.ts';
import { imagesToTensor } from '../float/model.ts';
import { CLASS_NAMES, type Sample } from '../data/shapes.ts';
import { decode, decodeQuantized, type DecodeOptions, type Detection } from './decode.ts';
import { evaluateAP50, type APResult } from './ap.ts';
import { fail } from '../util/errors.ts';
import { progress } from '../util/progress.ts';

export interface EvalResult extends APResult {
  images: number;
  classes: string[];
  seconds: number;
}

function checkSize(samples: Sample[], h: number, w: number, what: string): void {
  if (!samples.length) fail('the evaluation data set is empty');
  if (samples[0].height !== h || samples[0].width !== w) fail(`${what} takes ${h}x${w} images, the data set has ${samples[0].height}x${samples[0].width}`);
}

/** Detections of an integer model: golden model, dequantized hm / wh / reg, CenterNet decode. */
export function evalInteger(m: Model, samples: Sample[], opts: DecodeOptions = {}): EvalResult {
  const [h, w] = m.tensors.get(m.inputs[0])!.shape;
  checkSize(samples, h, w, `integer model ${m.name}`);
  const [hmT, whT, regT] = ['hm', 'wh', 'reg'].map((n) => m.tensors.get(n) ?? fail(`integer model ${m.name} has no "${n}" output (a CenterNet head is needed for detection)`));
  const t0 = performance.now();
  const bar = progress(`eval ${m.name} (golden model)`);
  const dets: Detection[][] = samples.map((s, i) => {
    const out = runGolden(m, new Map([[m.inputs[0], imageCodes(s.image)]]));
    bar.update(i + 1, samples.length);
    const q = (t: typeof hmT) => ({ data: out.get(t.name) as Int8Array, scale: t.scale, zero: t.zero });
    return decodeQuantized({ height: hmT.shape[0], width: hmT.shape[1], classes: hmT.shape[2], hm: q(hmT), wh: q(whT), reg: q(regT) }, opts);
  });
  bar.finish();
  return finish(dets, samples, hmT.shape[2], t0);
}

/** Detections of a float model (its three outputs hm, wh, reg). */
export function evalFloat(fm: tf.LayersModel, samples: Sample[], opts: DecodeOptions = {}): EvalResult {
  const shape = fm.inputs[0].shape;
  checkSize(samples, shape[1] as number, shape[2] as number, `float model ${fm.name}`);
  const t0 = performance.now();
  const bar = progress(`eval ${fm.name} (float)`);
  const dets: Detection[][] = samples.map((s, i) => {
    const x = imagesToTensor([s.image], s.height, s.width);
    const [hm, wh, reg] = fm.predict(x) as tf.Tensor[];
    const d = decode({ height: hm.shape[1]!, width: hm.shape[2]!, classes: hm.shape[3]!, hm: hm.dataSync() as Float32Array, wh: wh.dataSync() as Float32Array, reg: reg.dataSync() as Float32Array }, opts);
    tf.dispose([x, hm, wh, reg]);
    bar.update(i + 1, samples.length);
    return d;
  });
  bar.finish();
  return finish(dets, samples, fm.outputs[0].shape[3] as number, t0);
}

function finish(dets: Detection[][], samples: Sample[], classes: number, t0: number): EvalResult {
  const r = evaluateAP50(dets, samples.map((s) => s.boxes), classes);
  const names = Array.from({ length: classes }, (_, c) => CLASS_NAMES[c] ?? `class${c}`);
  return { ...r, images: samples.length, classes: names, seconds: (performance.now() - t0) / 1000 };
}
