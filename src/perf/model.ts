import { fanIn, type Model } from '../ir/model.ts';
import { DW_TAP_CYCLES, validateHwConfig, type HwConfig } from '../hw/config.ts';
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
  /** Bytes moved over AXI by the layer's runs (read plus written beats). */
  ddrBytes: number;
  /** DRAM bytes they are charged: every AXI burst in whole DRAM bursts (perf/dram.ts). */
  dramBytes: number;
  ddrCycles: number;
  cycles: number;
  /** Where the time goes; 'fused' for a conv1x1 computed inside its dw3x3 reader's passes (cycles counted there). */
  bound: 'compute' | 'memory' | 'free' | 'fused';
  /** A fused conv1x1: the dw3x3 layer whose PWDW passes compute it (its MACs stay here). */
  fusedInto?: string;
}

export interface ModelPerf {
  layers: LayerPerf[];
  cycles: number;
  fps: number;
  ddrBytes: number;
  dramBytes: number;
  /** The DDR model: the share of the DRAM peak (the config's ddrEfficiency) and the bandwidth it gives, min(port, peak x efficiency). */
  ddrEfficiency: number;
  ddrBytesPerCycle: number;
  /** macs / (cycles x peakMacsPerCycle): every layer's MACs, fused ones included (docs/architecture.md). */
  macUtilisation: number;
  /** Model MACs (the sum over layers, fused 1x1 layers included). */
  macs: number;
  /** The peak the utilisation is relative to. */
  peakMacsPerCycle: number;
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
    const ds = compiled.map.layers[li].descriptors;
    if (l.fusedInto !== undefined) return { name: l.name, op: l.op, macs: l.macs, computeCycles: 0, ddrBytes: 0, dramBytes: 0, ddrCycles: 0, cycles: 0, bound: 'fused', fusedInto: compiled.plan.layers[l.fusedInto].name };
    if (ds.length === 0) return { name: l.name, op: l.op, macs: l.macs, computeCycles: 0, ddrBytes: 0, dramBytes: 0, ddrCycles: 0, cycles: 0, bound: 'free' };
    const c = ds.map((i) => descriptorCycles(compiled.descriptors[i], hw, i === 0));
    const sum = (f: (x: DescriptorCycles) => number) => c.reduce((a, x) => a + f(x), 0);
    const computeCycles = Math.round(sum((x) => x.engine));
    const ddrCycles = Math.round(sum((x) => x.ddr));
    return {
      name: l.name, op: l.op, macs: l.macs, computeCycles, ddrCycles,
      ddrBytes: sum((x) => x.ddrBytes), dramBytes: sum((x) => x.dramBytes), cycles: sum((x) => x.total), bound: computeCycles >= ddrCycles ? 'compute' : 'memory',
    };
  });
  const cycles = layers.reduce((a, l) => a + l.cycles, 0);
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  return {
    layers, cycles, fps: (hw.clockMHz * 1e6) / cycles,
    ddrBytes: layers.reduce((a, l) => a + l.ddrBytes, 0),
    dramBytes: layers.reduce((a, l) => a + l.dramBytes, 0),
    ddrEfficiency: hw.ddrEfficiency, ddrBytesPerCycle: hwParams(hw).ddrBytesPerCycle,
    macUtilisation: macUtilisation(macs, cycles, peak), macs, peakMacsPerCycle: peak,
  };
}

/**
 * The one MAC-utilisation definition of every output (perf, gen, sim, report, README): the model's
 * MACs (every layer, a fused 1x1 layer's included) over cycles x the peak MACs per cycle of both
 * engines (hw/config.ts peakMacsPerCycle: lanes x pwOutputs of the 1x1 array + 9 x lanes / DW_TAP_CYCLES of the depthwise engine).
 */
export function macUtilisation(macs: number, cycles: number, peak: number): number {
  return cycles > 0 ? macs / (cycles * peak) : 0;
}

export interface EngineCeiling {
  name: string;
  macsPerCycle: number;
  note: string;
}

/**
 * What each engine attains at best, the roofline's ceilings (docs/architecture.md): the 1x1 array
 * lanes x pwOutputs MACs a cycle; the depthwise engine reads two tap columns (three rows each) of a
 * lane group a cycle, so a group in DW_TAP_CYCLES = 2 cycles: 4.5 x lanes MACs a cycle (9 x lanes of
 * multipliers); the stem runs on the 1x1 array in im2col mode, 27 taps x (pwOutputs/2 - 1) channels
 * per output pixel in max(2, stemGroups) cycles (the column is gathered in 2, sent as stemGroups beats).
 */
export function engineCeilings(hw: HwConfig): EngineCeiling[] {
  const stemCycles = Math.max(DW_TAP_CYCLES, hwParams(hw).stemGroups);
  return [
    { name: '1x1 array', macsPerCycle: hw.lanes * hw.pwOutputs, note: `${hw.lanes} lanes x ${hw.pwOutputs} outputs` },
    { name: 'depthwise engine', macsPerCycle: (9 * hw.lanes) / DW_TAP_CYCLES, note: `${hw.lanes} lanes, a lane group's nine taps in ${DW_TAP_CYCLES} cycles` },
    { name: 'stem', macsPerCycle: (27 * (hw.pwOutputs / 2 - 1)) / stemCycles, note: `27 taps x ${hw.pwOutputs / 2 - 1} channels per ${stemCycles} cycles` },
  ];
}

/** The DDR efficiencies perf and bench:hw report FPS at: the DRAM peak, the default, a pessimistic controller. */
export const DDR_EFFICIENCY_SWEEP = [1, 0.8, 0.6] as const;

/** The config with another DDR efficiency (validated: a user's value is checked like a config file's). */
export function withDdrEfficiency(hw: HwConfig, efficiency: number, where = 'ddr efficiency'): HwConfig {
  return validateHwConfig({ ...hw, ddrEfficiency: efficiency }, where);
}

/** Predicted cycles and FPS of a compiled program at each DDR efficiency (the program does not depend on it). */
export function efficiencySweep(compiled: Compiled, efficiencies: readonly number[] = DDR_EFFICIENCY_SWEEP): Array<{ efficiency: number; bytesPerCycle: number; cycles: number; fps: number }> {
  return efficiencies.map((e) => {
    const hw = withDdrEfficiency(compiled.plan.hw, e);
    const cycles = compiled.descriptors.reduce((a, d, i) => a + descriptorCycles(d, hw, i === 0).total, 0);
    return { efficiency: e, bytesPerCycle: hwParams(hw).ddrBytesPerCycle, cycles, fps: (hw.clockMHz * 1e6) / cycles };
  });
}

/** Compiles `m` (a topology without weights gets zero parameters) and models the program. */
export function modelPerf(m: Model, hw: HwConfig, peak: number = hwParams(hw).peakMacsPerCycle): ModelPerf {
  return programPerf(compileModel(withPlaceholderParams(m), hw), peak);
}
