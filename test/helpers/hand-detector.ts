import type { Model } from '../../src/ir/model.ts';
import { validateModel } from '../../src/ir/load.ts';
import { modelToDef } from '../../src/ir/save.ts';
import { ModelBuilder } from '../../src/verify/builder.ts';

/**
 * A detector whose heads are known without running it: three stride-4 stems on a size x size RGB
 * image (pad code 0 = pixel 128, the letterbox grey):
 *   - hm (1 class): the centre tap of the red channel, so hm code at cell (x, y) = red code at pixel
 *     (4x, 4y); hm scale 0.1, zero 40: logit = 0.1 * (code - 40) (grey 128 -> 0.018, red 255 -> 0.9998);
 *   - wh: constant code 20 at scale 0.25: 5 cells, 20 pixels, both sides;
 *   - reg: constant code 2 at scale 0.25: 0.5 cell.
 * So a red pixel (255) at (4x, 4y) on grey gives one box centred at ((x + 0.5) * 4, (y + 0.5) * 4),
 * 20 x 20 pixels, score sigmoid(8.7).
 */
export function handDetector(size = 32): Model {
  const b = new ModelBuilder('hand-detector', size, size);
  const hm = b.stem('image', 1, 4, false), wh = b.stem('image', 2, 4, false), reg = b.stem('image', 2, 4, false);
  const m = b.build([hm, wh, reg]);
  const image = m.tensors.get('image')!;
  image.pad = new Int8Array(3);
  const set = (name: string, out: string, w: (co: number, ky: number, kx: number, ci: number) => number, B: number[], scale: number, zero: number) => {
    const l = m.layers.find((x) => x.outputs[0] === name)!;
    const cout = B.length;
    const weights = new Int8Array(cout * 27);
    for (let co = 0; co < cout; co++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let ci = 0; ci < 3; ci++) weights[((co * 3 + ky) * 3 + kx) * 3 + ci] = w(co, ky, kx, ci);
    l.quant = { weights, weightDtype: 'int8', S: Int16Array.from(B, () => 2), B: Int16Array.from(B), n: 1 };
    l.relu = false;
    const t = m.tensors.get(name)!;
    Object.assign(t, { scale, zero, pad: new Int8Array(cout) });
    m.tensors.delete(name);
    m.tensors.set(out, { ...t, name: out });
    l.outputs = [out];
  };
  // t = ((acc * 2 + 1) >> 1) + B = acc + B; q = t - 128.
  set(hm, 'hm', (_co, ky, kx, ci) => (ky === 1 && kx === 1 && ci === 0 ? 1 : 0), [128], 0.1, 40);
  set(wh, 'wh', () => 0, [148, 148], 0.25, 0);
  set(reg, 'reg', () => 0, [130, 130], 0.25, 0);
  const out: Model = { ...m, name: 'hand-detector', outputs: ['hm', 'wh', 'reg'] };
  return validateModel(JSON.parse(JSON.stringify(modelToDef(out))), 'hand detector');
}

/** A grey (128) RGB image with pure red pixels (255, 128, 128) at the given (x, y). */
export function greyWithRed(width: number, height: number, reds: Array<[number, number]>): Uint8Array {
  const img = new Uint8Array(width * height * 3).fill(128);
  for (const [x, y] of reds) img[(y * width + x) * 3] = 255;
  return img;
}
