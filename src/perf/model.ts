import { fanIn, type Model } from '../ir/model.ts';
import type { HwConfig } from '../hw/config.ts';
import { hwParams } from '../hw/params.ts';
import { compileModel, type Compiled } from '../compiler/compile.ts';
import { descriptorCycles, type DescriptorCycles } from './program.ts';

/**
 * Analytic performance model of the accelerator (docs/architecture.md): it reads a compiled
 * program (the descriptors of each layer, the layer's MACs from the plan) and takes every
 * descriptor's cycles from perf/program.ts, so design-space exploration needs no simulation;
 * tests hold it within 5% of the RTL's cycle counts. A caller that compiles anyway (gen, perf)
 * passes its program to programPerf; modelPerf compiles a model (or a topology) first.
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

function bytesPerCycle(hw: HwConfig): number {
  return hwParams(hw).ddrBytesPerCycle;
}

/** Cycles depend on shapes only, so a topology without weights (zoo/graph.ts) gets zero parameters. */
function withPlaceholderParams(m: Model): Model {
  if (m.layers.every((l) => l.quant || fanIn(l, m) === 0)) return m;
  const layers = m.layers.map((l) => {
    if (l.quant || fanIn(l, m) === 0) return l;
    const cout = m.tensors.get(l.outputs[0])!.shape[2];
    const weights = new Int8Array(cout * fanIn(l, m));
    return { ...l, quant: { weights, weightDtype: l.op === 'stem' ? 'int8' as const : 'int4' as const, S: new Int16Array(cout), B: new Int16Array(cout), n: 16 } };
  });
  return { ...m, layers };
}

/** Sums the descriptor model (perf/program.ts) over the descriptors that implement each layer of a compiled program. */
export function programPerf(compiled: Compiled, peak: number = hwParams(compiled.plan.hw).peakMacsPerCycle): ModelPerf {
  const { hw } = compiled.plan;
  const layers = compiled.plan.layers.map((l, li): LayerPerf => {
    const ds = compiled.map.layers[li].descriptors.map((i) => compiled.descriptors[i]);
    if (ds.length === 0) return { name: l.name, op: l.op, macs: 0, computeCycles: 0, ddrBytes: 0, ddrCycles: 0, cycles: 0, bound: 'free' };
    const c = ds.map((d) => descriptorCycles(d, hw));
    const sum = (f: (x: DescriptorCycles) => number) => c.reduce((a, x) => a + f(x), 0);
    const computeCycles = Math.round(sum((x) => x.engine));
    const ddrCycles = Math.round(sum((x) => x.ddr));
    return {
      name: l.name, op: l.op, macs: l.macs, computeCycles, ddrCycles,
      ddrBytes: Math.round(ddrCycles * bytesPerCycle(hw)), cycles: sum((x) => x.total), bound: computeCycles >= ddrCycles ? 'compute' : 'memory',
    };
  });
  const cycles = layers.reduce((a, l) => a + l.cycles, 0);
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  return {
    layers, cycles, fps: (hw.clockMHz * 1e6) / cycles,
    ddrBytes: layers.reduce((a, l) => a + l.ddrBytes, 0),
    macUtilisation: macs / (cycles * peak),
  };
}

/** Compiles `m` (a topology without weights gets zero parameters) and models the program. */
export function modelPerf(m: Model, hw: HwConfig, peak: number = hwParams(hw).peakMacsPerCycle): ModelPerf {
  return programPerf(compileModel(withPlaceholderParams(m), hw), peak);
}
