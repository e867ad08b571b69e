import type { Layer, Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { boardOf } from '../hw/config.ts';
import { layerMacs } from '../info/summary.ts';

/**
 * Analytic performance model of the accelerator planned in docs/architecture.md: per layer,
 * cycles = max(compute, DDR) + a fixed per-job overhead. It is the design-space tool; once the
 * RTL runs, tests hold it within 5% of the simulated cycle counts.
 */
export interface LayerPerf {
  name: string;
  op: string;
  macs: number;
  computeCycles: number;
  ddrBytes: number;
  ddrCycles: number;
  cycles: number;
  /** Where the time goes. */
  bound: 'compute' | 'memory' | 'free';
}

export interface ModelPerf {
  layers: LayerPerf[];
  cycles: number;
  fps: number;
  ddrBytes: number;
  macUtilisation: number;
}

/** hw/cn_accel_dw.v v1 gathers the nine taps of a lane group serially from one line-buffer port. */
export const DW_CYCLES_PER_GROUP = 9;
/** Descriptor fetch, DMA start-up (one DDR read latency) and pipeline drain of one layer job. */
const JOB_OVERHEAD = 64;
const ceil = (a: number, b: number) => Math.ceil(a / b);

export function layerPerf(l: Layer, m: Model, hw: HwConfig): LayerPerf {
  const board = boardOf(hw);
  const bytesPerCycle = board.ddrBytesPerSecond / (hw.clockMHz * 1e6);
  const x = m.tensors.get(l.inputs[0])!;
  const y = m.tensors.get(l.outputs[0])!;
  const pad = (c: number) => ceil(c, hw.lanes) * hw.lanes; // channels are stored in whole lane groups
  const bytes = (t: { shape: number[] }) => t.shape[0] * t.shape[1] * pad(t.shape[2]);
  const [ho, wo, co] = y.shape;
  const ci = x.shape[2];
  const pixels = ho * wo;
  let compute = 0;
  let ddr = 0;
  switch (l.op) {
    case 'conv1x1':
    case 'offset': {
      const tiles = ceil(co, hw.pwOutputs);
      const weightBytes = ceil(pad(ci) * co, 2);
      compute = pixels * ceil(ci, hw.lanes) * tiles + ho * tiles * 8; // + per-row refill of the adder tree
      // Weights stay on chip when they fit, so the input is read once; otherwise once per tile.
      const reads = weightBytes <= hw.weightBufferBytes ? 1 : tiles;
      ddr = reads * bytes(x) + weightBytes + 4 * co + (l.op === 'offset' ? 0 : bytes(y));
      break;
    }
    case 'stem': // im2col of the 27 taps; int8 weights use a pair per channel, pair 0 sums the taps
      compute = pixels * ceil(27, hw.lanes) * ceil(co, hw.pwOutputs / 2 - 1);
      ddr = x.shape[0] * x.shape[1] * 4 + bytes(y) + 27 * co + 4 * co; // RGB padded to 4 bytes a pixel
      break;
    case 'dw3x3':
    case 'dwdeform': // nine taps of one lane group, input rows from the line buffer
      compute = pixels * ceil(co, hw.lanes) * DW_CYCLES_PER_GROUP;
      ddr = bytes(x) + bytes(y) + 9 * co + 4 * co + (l.op === 'dwdeform' ? pixels : 0);
      break;
    case 'maxpool':
      compute = pixels * ceil(co, hw.lanes);
      ddr = bytes(x) + bytes(y);
      break;
    default: // upsample, split, concat, shuffle: folded into the neighbours' addressing
      return { name: l.name, op: l.op, macs: 0, computeCycles: 0, ddrBytes: 0, ddrCycles: 0, cycles: 0, bound: 'free' };
  }
  const ddrCycles = Math.ceil(ddr / bytesPerCycle);
  return {
    name: l.name, op: l.op, macs: layerMacs(l, m), computeCycles: compute, ddrBytes: ddr, ddrCycles,
    cycles: Math.max(compute, ddrCycles) + JOB_OVERHEAD, bound: compute >= ddrCycles ? 'compute' : 'memory',
  };
}

export function modelPerf(m: Model, hw: HwConfig, peakMacsPerCycle: number): ModelPerf {
  const layers = m.layers.map((l) => layerPerf(l, m, hw));
  const cycles = layers.reduce((a, l) => a + l.cycles, 0);
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  return {
    layers, cycles, fps: (hw.clockMHz * 1e6) / cycles,
    ddrBytes: layers.reduce((a, l) => a + l.ddrBytes, 0),
    macUtilisation: macs / (cycles * peakMacsPerCycle),
  };
}
