/**
 * Warm start of a search trial's proxy training from a trained float model (`--proxy-init`): a
 * candidate's layer takes the weights of the layer of the same name in the trained model, cropped
 * to the candidate's shape (the leading channels on every axis) where the candidate is no wider;
 * a layer with no such partner (another width upwards, an offset conv the candidate drops) keeps
 * its seeded initialisation. From scratch, the bench's short proxy left every candidate at the AP50
 * floor (nothing ranked); warm-started, the short training measures how far each candidate falls
 * from the trained network and how fast it recovers (docs/codesign.md, "The accuracy proxy").
 */
import * as tf from '@tensorflow/tfjs';

/** The first `shape` entries of `t` on every axis, or undefined when `t` is smaller on some axis. */
function crop(t: tf.Tensor, shape: number[]): tf.Tensor | undefined {
  if (t.rank !== shape.length || shape.some((d, i) => d > t.shape[i]!)) return undefined;
  return shape.every((d, i) => d === t.shape[i]) ? t.clone() : tf.slice(t, shape.map(() => 0), shape);
}

/**
 * The trained layer of the same name; for a decoder block made plain (search-model.ts: `decN.dw`,
 * `decN.dw.bn`) the deformable block's depthwise kernel and batch norm (`decN.deform`,
 * `decN.deform.bn`), the same shapes: the plain 3x3 samples the deformable one's grid at dilation 1,
 * a start that the proxy measured as good as the trained deformable block (docs/codesign.md).
 */
function partner(from: tf.LayersModel, name: string): tf.layers.Layer | undefined {
  const alias = /^(dec\d+)\.dw(\.bn)?$/.exec(name);
  for (const n of alias ? [name, `${alias[1]}.deform${alias[2] ?? ''}`] : [name]) {
    try {
      return from.getLayer(n);
    } catch {
      // not in the trained model: the next candidate name
    }
  }
  return undefined;
}

/** Copies `from`'s weights into `to` where names match and shapes crop; returns the layers copied and the layers with weights. */
export function warmStart(to: tf.LayersModel, from: tf.LayersModel): { copied: number; layers: number } {
  let copied = 0, layers = 0;
  for (const l of to.layers) {
    const mine = l.getWeights();
    if (!mine.length) continue;
    layers++;
    const src = partner(from, l.name);
    if (!src) continue; // no layer of that name in the trained model
    const theirs = src.getWeights();
    if (theirs.length !== mine.length) continue;
    const cropped = theirs.map((t, i) => crop(t, mine[i].shape));
    if (cropped.every((t): t is tf.Tensor => t !== undefined)) {
      l.setWeights(cropped);
      copied++;
    }
    tf.dispose(cropped.filter((t): t is tf.Tensor => t !== undefined));
  }
  return { copied, layers };
}
