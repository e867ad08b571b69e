import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { BOARDS, findBoard } from '../../hw/boards.ts';
import { checkOutputPath } from '../../io/atomic.ts';
import { fail } from '../../util/errors.ts';
import { intOption } from '../model-arg.ts';
import { MAX_STEPS } from '../../float/defaults.ts';
import { addCapOptions, capsFromOptions, type CapOptions } from './caps-options.ts';
import { DEFAULT_BOARD } from '../hw-options.ts';

interface SearchCli extends CapOptions {
  board: string; space?: string; out?: string; jobs: number; emit?: 'slurm' | 'k8s'; runTrial?: string; index?: string; collect?: string; export?: string;
  proxy: 'train' | 'capacity'; proxySteps: number; proxyInit?: string; batch: number; lr: number; seed: number; evalImages: number; calibImages: number; classes: number;
  materialize: number; synth: boolean; codenet: string; image: string; claim: string;
}

const num = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) fail(`${flag} must be a number, got "${v}"`);
  return n;
};

export function registerSearch(program: Command): void {
  const cmd = program
    .command('search')
    .description('joint model + hardware search for a board: trials as JSON jobs (local or Slurm / Kubernetes), latency from the cycle model, accuracy from a short proxy training through the golden model; the Pareto front as JSON and HTML, chosen points generated as codenet gen --target zynq (docs/codesign.md)')
    .option('--board <name>', `board: ${BOARDS.map((b) => b.name).join(', ')}`, DEFAULT_BOARD)
    .option('--space <file.json>', 'search space file (default: the built-in space, docs/codesign.md)')
    .option('-o, --out <dir>', 'search folder: plan, trials/, results/, models/, pareto.json, pareto.html, points/')
    .option('--jobs <n>', 'trials run at once (1: in this process; more: child processes of the CLI)', intOption('--jobs', 1, 256), 1)
    .addOption(new Option('--emit <kind>', 'write the trials and a cluster job (slurm: a job-array script; k8s: an Indexed Job manifest) instead of running them').choices(['slurm', 'k8s']))
    .option('--run-trial <dir>', 'run one trial of a search folder (the task command of --emit)')
    .option('--index <i>', 'with --run-trial or --export: the trial index (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)')
    .option('--export <dir>', 'write the float network of trial --index of a search folder to -o, warm-started as its proxy training starts (from --proxy-init\'s weights), to train fully with codenet train --resume or codenet prune')
    .option('--collect <dir>', 'merge the results of a search folder into pareto.json and pareto.html (and --materialize)')
    .addOption(new Option('--proxy <kind>', 'accuracy proxy: train (AP50 through the golden model after --proxy-steps) or capacity (no training: log2 of the MACs; for tests)').choices(['train', 'capacity']).default('train'))
    .option('--proxy-steps <n>', 'training steps of each trial (seeded)', intOption('--proxy-steps', 0, MAX_STEPS), 200)
    .option('--proxy-init <float-model>', 'start each trial\'s proxy training from this trained float model\'s weights, cropped to the candidate where shapes allow (default: from scratch)')
    .option('--batch <n>', 'proxy training images per step', intOption('--batch', 1, 1024), 16)
    .option('--lr <rate>', 'proxy training Adam learning rate', num('--lr'), 2e-3)
    .option('--seed <n>', 'seed of the proxy training, its data and the sample input of materialized points', intOption('--seed', 0, 2 ** 31 - 1), 0)
    .option('--eval-images <n>', 'built-in validation images of each trial\'s AP50', intOption('--eval-images', 1, 100000), 64)
    .option('--calib-images <n>', 'built-in training images that calibrate each trial\'s quantizer', intOption('--calib-images', 1, 10000), 16)
    .option('--classes <n>', 'classes of the candidate networks (the built-in set has 6)', intOption('--classes', 1, 1000), 6)
    .option('--materialize <k>', 'generate the k best points of the front (accuracy, then FPS) as codenet gen --target zynq folders in points/', intOption('--materialize', 0, 1000), 0)
    .option('--no-synth', 'materialize without the Yosys resource estimate (and its caps)')
    .option('--codenet <path>', 'with --emit: the codenet executable the cluster tasks run', 'codenet')
    .option('--image <ref>', 'with --emit k8s: the container image holding codenet', 'codenet:latest')
    .option('--claim <name>', 'with --emit k8s: the persistent volume claim holding the search folder', 'codenet-search');
  addCapOptions(cmd).action(async (o: SearchCli) => {
    const s = await import('../../codesign/search.ts');
    const log = (m: string) => process.stderr.isTTY && process.stderr.write(`${m}\n`);
    const caps = capsFromOptions(o);
    if (o.runTrial !== undefined) {
      if (o.index === undefined) fail('--run-trial needs --index <i> (the trial to run)');
      if (!/^\d+$/.test(o.index.trim())) fail(`--index must be a whole number >= 0, got "${o.index}"`);
      const r = await s.runTrialIndex(o.runTrial, Number(o.index), log);
      console.log(r.infeasible !== undefined ? `trial ${r.index} (${r.name}): does not compile for its config: ${r.infeasible}` : `trial ${r.index} (${r.name}): ${r.fps.toFixed(1)} FPS, ${r.accuracy.metric} ${r.accuracy.value.toFixed(4)}`);
      return;
    }
    if (o.export !== undefined) {
      if (o.index === undefined || !/^\d+$/.test(o.index.trim())) fail('--export needs --index <i>, a whole number >= 0 (the trial whose network to write)');
      if (!o.out) fail('--export needs -o <dir> (the float model folder to write)');
      checkOutputPath(o.out, 'folder');
      const { exportTrialFloat } = await import('../../codesign/search-export.ts');
      const e = await exportTrialFloat(o.export, Number(o.index), o.out);
      console.log(`wrote ${o.out}: ${e.name}, ${e.init !== undefined ? `${e.copied} of ${e.layers} layers from ${e.init}` : `seeded initialisation (the trial has no --proxy-init)`}`);
      return;
    }
    if (o.index !== undefined) fail('--index goes with --run-trial <dir> or --export <dir>');
    const finish = async (dir: string) => {
      const p = s.collect(dir, o.materialize);
      const bad = p.results.filter((r) => r.infeasible !== undefined);
      console.log(`${p.trials} trials on ${p.board}: ${p.front.length} on the Pareto front${bad.length ? `, ${bad.length} whose program does not compile for its config (pareto.json says why)` : ''}; wrote ${dir}/pareto.json and ${dir}/pareto.html`);
      for (const r of p.front) console.log(`  #${r.index} ${r.name} lanes ${r.hw.lanes} pwOutputs ${r.hw.pwOutputs} ${r.hw.clockMHz} MHz: ${r.accuracy.metric} ${r.accuracy.value.toFixed(4)}, ${r.fps.toFixed(1)} FPS, ${r.resources.lut} LUT, ${r.resources.dsp} DSP, ${r.resources.bram36} BRAM36 (estimate)`);
      if (p.chosen.length) {
        for (const m of await s.materializePoints(dir, p, { synth: o.synth, caps, seed: o.seed }))
          console.log(m.fits ? `materialized #${m.index}: ${m.dir} (${m.message})` : `#${m.index} not materialized: ${m.message}`);
      }
    };
    if (o.collect !== undefined) return void (await finish(o.collect));
    if (!findBoard(o.board)) fail(`--board: unknown board "${o.board}"; known: ${BOARDS.map((b) => b.name).join(', ')}`);
    if (!o.out) fail('-o <dir> is required (the search folder), unless --run-trial or --collect');
    checkOutputPath(o.out, 'folder');
    const { DEFAULT_SPACE, loadSearchSpace } = await import('../../codesign/search-space.ts');
    const space = o.space ? loadSearchSpace(o.space) : DEFAULT_SPACE;
    if (o.proxyInit !== undefined) {
      const { isFloatModelPath } = await import('../../float/model-file.ts');
      if (o.proxy !== 'train') fail('--proxy-init goes with --proxy train (the capacity proxy trains nothing)');
      if (!isFloatModelPath(o.proxyInit)) fail(`--proxy-init ${o.proxyInit}: not a float model (a TensorFlow.js model.json or its folder, what codenet train writes)`);
    }
    const proxy = { kind: o.proxy, steps: o.proxySteps, batch: o.batch, lr: o.lr, seed: o.seed, evalImages: o.evalImages, calibImages: o.calibImages, ...(o.proxyInit !== undefined ? { init: resolve(o.proxyInit) } : {}) };
    const { plan, trials } = s.planTrials(space, o.space ?? '(built-in)', o.board, caps, proxy, o.classes);
    if (o.emit) {
      s.writeSearchDir(o.out, plan, trials, { kind: o.emit, codenet: o.codenet, image: o.image, claim: o.claim, parallelism: o.jobs });
      const file = o.emit === 'slurm' ? s.SLURM_SCRIPT : s.K8S_MANIFEST;
      console.log(`wrote ${trials.length} trials (of ${plan.candidates} candidates) and ${o.out}/${file}`);
      console.log(o.emit === 'slurm' ? `next: sbatch ${o.out}/${file}; then codenet search --collect ${o.out}` : `next: kubectl apply -f ${o.out}/${file}; then codenet search --collect ${o.out}`);
      return;
    }
    s.writeSearchDir(o.out, plan, trials);
    console.log(`running ${trials.length} trials (of ${plan.candidates} candidates) on ${o.board}, ${o.jobs} at a time`);
    await s.runTrials(o.out, trials.length, o.jobs, log);
    await finish(o.out);
  });
}
