/**
 * Float models in the standard TensorFlow.js layers format: a folder with model.json (topology and
 * weights manifest) and weights.bin, as tfjs-node's `file://` handler writes them, so a model
 * trained elsewhere (tfjs-node on a GPU, or converted from Keras) can be brought in. Plain tfjs has
 * no file system handler; these read and write the same two files.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFilesAtomically, type OutputFile } from '../io/atomic.ts';
import { fail } from '../util/errors.ts';
import './model.ts'; // registers the custom layers (DeformDepthwise, ChannelSlice, ChannelShuffle)

/** `extra`: more files for the folder, written in the same all-or-nothing step, given the weights.bin bytes. */
export async function saveFloatModel(fm: tf.LayersModel, dir: string, extra?: (weights: Buffer) => OutputFile[]): Promise<void> {
  await fm.save(tf.io.withSaveHandler(async (a) => {
    const weightsManifest = [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }];
    const json = { modelTopology: a.modelTopology, format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`, convertedBy: null, weightsManifest };
    const data = Buffer.from(a.weightData as ArrayBuffer);
    writeFilesAtomically(dir, [
      { name: 'model.json', data: JSON.stringify(json) },
      { name: 'weights.bin', data },
      ...(extra?.(data) ?? []),
    ]);
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
}

/** `path`: a model.json, or the folder holding it; weights from the manifest's paths beside it. */
export async function loadFloatModel(path: string): Promise<tf.LayersModel> {
  const file = existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
  if (!existsSync(file)) fail(`float model ${path} not found (give a tfjs model.json or its folder)`);
  let json: { modelTopology?: object; weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file} is not a TensorFlow.js model.json: ${(e as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) fail(`${file}: fields "modelTopology" and "weightsManifest" are required (TensorFlow.js layers format)`);
  const dir = join(file, '..');
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => {
    const wp = join(dir, p);
    if (!existsSync(wp)) fail(`${file}: weights file ${p} is missing beside it`);
    return readFileSync(wp);
  }));
  const all = Buffer.concat(buffers);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) }));
  } catch (e) {
    fail(`${file} does not load as a TensorFlow.js layers model: ${(e as Error).message}`);
  }
}
