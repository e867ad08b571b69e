/**
 * The CoDeNet networks (FPGA 2021): CenterNet on a ShuffleNetV2 backbone with concatenation
 * instead of residual adds, square deformable depthwise convs in the decoder.
 */
export interface ZooSpec {
  name: string;
  description: string;
  /** Input height = width. */
  input: number;
  /** Stem: stride-4 conv, or stride-2 conv then maxpool 3x3 s2. */
  stem: 's4' | 's2+maxpool';
  /** [stem, stage2, stage3, stage4, conv5] output channels. */
  channels: [number, number, number, number, number];
  /** Stride-1 units after the stride-2 unit of each stage. */
  repeats: [number, number, number];
  /** Decoder block output channels (three blocks, each upsampling x2). */
  decoder: [number, number, number];
  /** Hidden channels of each head. */
  head: number;
  /** Largest dilation of the deformable convs. */
  dmax: number;
  /**
   * Decoder skip connections: after each decoder block's upsample, concatenate the backbone tensor
   * of the same stride (stage3 out at 16, stage2 out at 8, the stem at 4) as `deci.cat`. Small
   * inputs need them to place peaks at stride 4 (docs/training.md). Default false.
   */
  skips?: boolean;
}

const X1: ZooSpec['channels'] = [24, 116, 232, 464, 1024];
const X2: ZooSpec['channels'] = [24, 244, 488, 976, 2153];
const common = { repeats: [3, 7, 3] as ZooSpec['repeats'], decoder: [256, 128, 64] as ZooSpec['decoder'], head: 64, dmax: 7 };

export const ZOO: readonly ZooSpec[] = [
  { name: 'codenet-a', description: 'ShuffleNetV2 1x, 256x256, stem stride 4', input: 256, stem: 's4', channels: X1, ...common },
  { name: 'codenet-b', description: 'ShuffleNetV2 1x, 256x256, stem stride 2 + maxpool', input: 256, stem: 's2+maxpool', channels: X1, ...common },
  { name: 'codenet-c', description: 'ShuffleNetV2 1x, 512x512, stem stride 4', input: 512, stem: 's4', channels: X1, ...common },
  { name: 'codenet-d', description: 'ShuffleNetV2 2x, 512x512, stem stride 4', input: 512, stem: 's4', channels: X2, ...common },
  { name: 'codenet-e', description: 'ShuffleNetV2 2x, 512x512, stem stride 2 + maxpool', input: 512, stem: 's2+maxpool', channels: X2, ...common },
  {
    name: 'codenet-tiny', description: 'ShuffleNetV2 0.25x, 64x64, stem stride 4 (fast tests)', input: 64, stem: 's4',
    channels: [8, 28, 56, 116, 256], repeats: [3, 7, 3], decoder: [64, 32, 16], head: 16, dmax: 7,
  },
  {
    name: 'codenet-tiny-skip', description: 'ShuffleNetV2 0.5x, 64x64, stem stride 2 + maxpool, decoder skips (accuracy benchmark)', input: 64, stem: 's2+maxpool',
    channels: [24, 48, 96, 192, 128], repeats: [1, 2, 1], decoder: [64, 48, 32], head: 32, dmax: 7, skips: true,
  },
];

export const DEFAULT_CLASSES = 20;
export const DEFAULT_MODEL = 'codenet-a';

export function findZooSpec(name: string): ZooSpec | undefined {
  return ZOO.find((z) => z.name === name);
}
