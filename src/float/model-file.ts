/**
 * What a float model file says without loading TensorFlow.js (the CLI registers every command at
 * start-up; tfjs loads only for the commands and models that need it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `path` is a float model (a model.json with modelTopology, or its folder), without loading TensorFlow.js. */
export function isFloatModelPath(path: string): boolean {
  const f = existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
  if (!existsSync(f)) return false;
  try {
    return 'modelTopology' in JSON.parse(readFileSync(f, 'utf8'));
  } catch {
    return false; // not JSON: the integer model loader names the problem
  }
}

/**
 * The input side of the float model at `path` from its model.json alone (no TensorFlow.js): the
 * first InputLayer's batch_input_shape; undefined when it cannot tell (loadFloatModel then names the problem).
 */
export function floatModelInputSize(path: string): number | undefined {
  try {
    const file = existsSync(join(path, 'model.json')) ? join(path, 'model.json') : path;
    const layers = JSON.parse(readFileSync(file, 'utf8')).modelTopology.config.layers as Array<{ class_name: string; config: { batch_input_shape?: number[] } }>;
    const side = layers.find((l) => l.class_name === 'InputLayer')?.config.batch_input_shape?.[1];
    return Number.isInteger(side) ? side : undefined;
  } catch {
    return undefined;
  }
}
