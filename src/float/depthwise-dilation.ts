/**
 * tfjs-layers 4.22's DepthwiseConv2D keeps `dilationRate` in its config but ignores it (its call
 * passes no dilation to the op, and its output shape uses the undilated kernel). Imported models
 * (src/import) have dilated depthwise 3x3 convs, so this patches the layer to apply the dilation,
 * as Conv2D does. Layers with dilation 1 (every zoo layer) run tfjs's own code unchanged.
 */
import * as tf from '@tensorflow/tfjs';

interface DwLayer {
  dilationRate: number | number[];
  strides: number[];
  padding: 'valid' | 'same';
  kernelSize: number[];
  depthwiseKernel: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  useBias: boolean;
  activation?: { apply(x: tf.Tensor): tf.Tensor } | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: object): tf.Tensor;
  computeOutputShape(s: tf.Shape): tf.Shape;
}

let installed = false;

const rates = (l: DwLayer): [number, number] => (Array.isArray(l.dilationRate) ? [l.dilationRate[0], l.dilationRate[1] ?? l.dilationRate[0]] : [l.dilationRate, l.dilationRate]);

export function installDepthwiseDilation(): void {
  if (installed) return;
  installed = true;
  const proto = Object.getPrototypeOf(tf.layers.depthwiseConv2d({ kernelSize: 3 })) as DwLayer;
  const { call, computeOutputShape } = proto;
  proto.call = function (this: DwLayer, inputs, kwargs) {
    const d = rates(this);
    if (d[0] === 1 && d[1] === 1) return call.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      let y: tf.Tensor = tf.depthwiseConv2d(x, this.depthwiseKernel.read() as tf.Tensor4D, this.strides as [number, number], this.padding, 'NHWC', d);
      if (this.useBias && this.bias) y = tf.add(y, this.bias.read());
      return this.activation ? this.activation.apply(y) : y;
    });
  };
  proto.computeOutputShape = function (this: DwLayer, s) {
    const d = rates(this);
    if (d[0] === 1 && d[1] === 1 || this.padding === 'same') return computeOutputShape.call(this, s);
    const out = [...(s as number[])];
    for (const k of [0, 1]) if (out[k + 1] != null) out[k + 1] = Math.floor((out[k + 1] - ((this.kernelSize[k] - 1) * d[k] + 1)) / this.strides[k]) + 1;
    return out;
  };
}
