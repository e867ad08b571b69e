// SIGINT/SIGTERM to the codenet process: its children (the simulation binary,
// verilator and the make/g++/cc1plus under it) end with it, its temporary folders go, it exits
// 130/143; a later run removes the temporaries of a process that was killed outright.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportZooModel } from '../src/zoo/export.ts';
import { imageCodes, randomImage } from '../src/zoo/image.ts';
import { presetConfig } from '../src/hw/config.ts';
import { DESCRIPTOR_BYTES, ENGINE_PW, readDescriptor, writeDescriptor } from '../src/compiler/descriptor.ts';
import { MemoryMapSchema } from '../src/compiler/memory-map.ts';
import { cacheDir } from '../src/util/build-cache.ts';
import { writeSimBundle } from '../src/gen/bundle.ts';
import { refreshManifest } from '../src/sim/manifest.ts';
import { PROJECT_ROOT } from '../src/util/paths.ts';
import { STALE_AGE_MS, removeStaleTemps } from '../src/util/proc.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const HW = presetConfig('ultra96v2');
let root: string;
let hung: string;

interface Proc { pid: number; ppid: number; pgid: number; comm: string }
function processes(): Proc[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,comm='], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const [pid, ppid, pgid, ...comm] = l.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), comm: comm.join(' ') };
  });
}

/** Every process of group `pgid` (none once the group is gone). */
const groupMembers = (pgid: number) => processes().filter((p) => p.pgid === pgid);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `f` returns a value (each poll ~100 ms; gives up after `tries`). */
async function until<T>(f: () => T | undefined, tries: number, what: string): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = f();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Starts the real codenet executable with a private TMPDIR. */
const started: ChildProcess[] = [];
afterEach(() => {
  // a test that failed before signalling its codenet process: stop it (and its children) anyway
  for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
});

function startCli(args: string[], tmp: string): { p: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const p = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/codenet.mjs'), ...args], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(p);
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  p.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((r) => p.on('close', (code, signal) => r({ code, signal, stderr })));
  return { p, done };
}

/** A pid that no process has now (a short-lived child, reaped). */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

beforeAll(() => {
  root = tempDir('codenet-signals-');
  hung = join(root, 'hung');
  writeSimBundle(hung, exportZooModel('codenet-tiny', { seed: 2 }), HW, imageCodes(randomImage(9, 64, 64)));
  // A program that never finishes (one descriptor waits for an output row that never comes); with
  // --watchdog 0 and a huge --max-cycles the simulation runs until it is stopped.
  const mem = new Uint8Array(readFileSync(join(hung, 'data/memory.bin')));
  const map = MemoryMapSchema.parse(JSON.parse(readFileSync(join(hung, 'data/memory-map.json'), 'utf8')));
  const idx = Array.from({ length: map.program.descriptors }, (_, i) => i).find((i) => i > 4 && readDescriptor(mem, i * DESCRIPTOR_BYTES).engine === ENGINE_PW)!;
  const d = readDescriptor(mem, idx * DESCRIPTOR_BYTES);
  writeDescriptor(mem, idx * DESCRIPTOR_BYTES, { ...d, out_h: d.out_h + 1 });
  writeFileSync(join(hung, 'data/memory.bin'), mem);
  refreshManifest(hung);
});

describe('SIGINT / SIGTERM', () => {
  it('SIGINT to a running codenet sim ends the simulation binary, removes its temporary folders, exit 130', async () => {
    const tmp = mkdtempSync(join(root, 'tmp-'));
    const { p, done } = startCli(['sim', hung, '--watchdog', '0', '--max-cycles', '1000000000000'], tmp);
    // The simulation runs once the testbench binary is a child of codenet (a cached build).
    const sim = await until(() => processes().find((x) => x.ppid === p.pid && x.comm.startsWith('Vcodenet')), 3000, 'the simulation binary');
    expect(readdirSync(tmp).filter((n) => n.startsWith('codenet-')).length).toBeGreaterThan(0);
    p.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('codenet: stopped by SIGINT; ended 1 child process');
    expect(r.stderr).not.toContain('simulation of'); // not reported as a failed simulation
    await until(() => (groupMembers(sim.pgid).length ? undefined : true), 50, 'the simulation\'s process group to go').catch(() => undefined);
    expect(groupMembers(sim.pgid)).toEqual([]);
    expect(processes().some((x) => x.pid === sim.pid)).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.startsWith('codenet-'))).toEqual([]);
  });

  it('SIGTERM during a Verilator build ends verilator and its compilers and leaves no half-built cache folder, exit 143', async () => {
    // An RTL edit (a comment) changes the build's hash: a fresh build starts.
    const dir = join(root, 'rebuild');
    cpSync(hung, dir, { recursive: true });
    appendFileSync(join(dir, 'rtl/codenet_accel.v'), `\n// signals test ${process.pid} ${Date.now()}\n`);
    const tmp = mkdtempSync(join(root, 'tmp-'));
    const { p, done } = startCli(['sim', dir], tmp);
    const cache = cacheDir('verilator');
    const building = () => existsSync(cache) ? readdirSync(cache).filter((n) => n.startsWith(`.build-codenet_accel-${p.pid}-`)) : [];
    // the build (in a process group of its own: pgid = pid), not the `verilator --version` before it
    const verilator = await until(() => processes().find((x) => x.ppid === p.pid && x.comm.startsWith('verilator') && x.pgid === x.pid), 600, 'verilator');
    // Wait until the C++ compile of the verilated model runs under it (make, g++, cc1plus: grandchildren).
    await until(() => (groupMembers(verilator.pgid).some((x) => /^(make|g\+\+|cc1plus)/.test(x.comm)) ? true : undefined), 1200, 'the compilers');
    expect(building().length).toBe(1);
    p.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('codenet: stopped by SIGTERM');
    // killed processes may linger for a moment until they are reaped
    await until(() => (groupMembers(verilator.pgid).length ? undefined : true), 50, 'the build\'s process group to go').catch(() => undefined);
    expect(groupMembers(verilator.pgid)).toEqual([]);
    expect(building()).toEqual([]);
    expect(readdirSync(tmp).filter((n) => n.startsWith('codenet-'))).toEqual([]);
  });
});

describe('stale temporaries', () => {
  it('a later run removes temporaries of a process that no longer exists (once old enough), and nothing else', async () => {
    const tmp = mkdtempSync(join(root, 'tmp-'));
    const dead = deadPid();
    const old = new Date(Date.now() - 2 * STALE_AGE_MS);
    const mk = (name: string, mtime?: Date) => {
      const p = join(tmp, name);
      mkdirSync(p);
      writeFileSync(join(p, 'dump.bin'), 'x');
      if (mtime) utimesSync(p, mtime, mtime);
      return p;
    };
    const stale = mk(`codenet-sim-${dead}-AbC123`, old);
    const staleModel = mk(`codenet-model-${dead}-xYz789`, old);
    const recent = mk(`codenet-sim-${dead}-Recent`); // its process is gone, but it is new: left alone
    const live = mk(`codenet-sim-${process.ppid}-LiveOn`, old); // a live process
    const foreign = mk('codenet-sim-Qw12Er', old); // not named by codenet with a pid (e.g. a test's own folder)
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const r = await runCli('sim', join(root, 'hung'), '--watchdog', '2000');
      expect(r.code).toBe(1); // the hung program, stopped by the watchdog
    } finally {
      process.env.TMPDIR = saved;
    }
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(staleModel)).toBe(false);
    for (const p of [recent, live, foreign]) expect(existsSync(p), p).toBe(true);
    expect(readdirSync(tmp).sort()).toEqual([`codenet-sim-${dead}-Recent`, 'codenet-sim-Qw12Er', `codenet-sim-${process.ppid}-LiveOn`].sort());
  });

  it('the staging folder of a killed gen/bundle is removed by the next write beside it', async () => {
    const parent = mkdtempSync(join(root, 'out-'));
    const dead = deadPid();
    const leftover = join(parent, `.tiny.tmp-${dead}-Kil1ed`);
    mkdirSync(join(leftover, 'new'), { recursive: true });
    writeFileSync(join(leftover, 'new', 'half-written.bin'), 'x');
    const old = new Date(Date.now() - 2 * STALE_AGE_MS);
    utimesSync(leftover, old, old);
    const r = await runCli('bundle', 'codenet-tiny', '-o', join(parent, 'tiny'));
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(parent)).toEqual(['tiny']);
  });

  it('removeStaleTemps: only <prefix><pid>-XXXXXX of dead processes, older than the limit', () => {
    const dir = mkdtempSync(join(root, 'unit-'));
    const dead = deadPid();
    for (const n of [`.build-codenet_accel-${dead}-aaaaaa`, `.build-codenet_accel-${process.pid}-bbbbbb`, '.build-codenet_accel-cccccc', `.build-other-${dead}-dddddd`])
      mkdirSync(join(dir, n));
    expect(removeStaleTemps(dir, '.build-codenet_accel-', 0)).toEqual([join(dir, `.build-codenet_accel-${dead}-aaaaaa`)]);
    expect(readdirSync(dir).sort()).toEqual([`.build-codenet_accel-${process.pid}-bbbbbb`, '.build-codenet_accel-cccccc', `.build-other-${dead}-dddddd`].sort());
  });
});
