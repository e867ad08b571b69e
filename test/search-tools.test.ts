// codenet search's generated text through real tools: the shell and YAML escaping (src/util/escape.ts
// shWord, yamlString) read back by sh and python3's YAML parser for awkward strings, the emitted
// Kubernetes manifest parsed as YAML, and the Pareto page in headless Chromium.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shWord, yamlString } from '../src/util/escape.ts';
import { renderTemplate } from '../src/util/templates.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';
import { CHROMIUM, haveChromium, withPage, textOutsideSvgs } from './helpers/chromium.ts';

const ROOT = resolve(import.meta.dirname, '..');
const base = tempDir('cn-search-tools-');

const CORPUS = [
  'plain', 'dec1.deform', '', ' ', '"', "'", "''", '\\', '\\\\', '\n', '\r\n', '\t', '\x01\x07\x1b\x7f', 'é', 'ü日本', '😀', '\u{10FFFF}', '\u2028\u2029', '\u202Eevil\u202C',
  '$(touch pwned)', '`touch pwned`', '$@', '$$', '#', ';', '&&', '|', '>x', '*', '~', '-n', '--', '{a,b}', '!x', 'a b', "it's", '%s', 'key: value', '- item', '[a]', '{a: 1}',
  '&anchor', '*alias', '!!str', '? q', '@x', 'null', 'true', '0x10', 'x'.repeat(300),
];

function run(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { cwd: base, input, encoding: 'utf8', env: env ?? process.env });
  if (r.error) throw r.error;
  expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('escaping of shell words and YAML scalars', () => {
  it('shWord: sh reads back every string exactly as one word and runs nothing', () => {
    for (const s of CORPUS) {
      // printf '%s\0' prints each argument NUL-terminated: exactly one, equal to s.
      const out = run('sh', ['-c', `printf '%s\\0' ${shWord(s)}`]);
      expect(out, JSON.stringify(s)).toBe(`${s}\0`);
    }
    expect(existsSync(join(base, 'pwned'))).toBe(false);
    expect(shWord('a/b-c_d.e:1=2+3@4%5,6')).toBe('a/b-c_d.e:1=2+3@4%5,6');
    expect(shWord("it's")).toBe(`'it'\\''s'`);
    expect(() => shWord('a\0b')).toThrow(/NUL/);
  });

  it('yamlString: python3\'s YAML parser reads back every string exactly; the value is one line of ASCII', () => {
    const doc = CORPUS.map((s, i) => `k${i}: ${yamlString(s)}`).join('\n') + '\n';
    for (const line of doc.split('\n').filter(Boolean)) expect(line).toMatch(/^k\d+: "[\x20-\x7e]*"$/);
    writeFileSync(join(base, 'corpus.yaml'), doc);
    const out = run('python3', ['-c', 'import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1],encoding="utf-8")); print(json.dumps([d["k%d"%i] for i in range(len(d))]))', join(base, 'corpus.yaml')]);
    expect(JSON.parse(out)).toEqual(CORPUS);
    expect(yamlString('😀')).toBe('"\\U0001f600"');
  });

  it('the Slurm script keeps a hostile folder name as data, in its command and its comments', () => {
    const hostile = "x'; touch pwned #\n$(touch pwned2)\ntouch pwned3";
    // printf as the codenet executable: running the script prints the arguments the task would get.
    const slurm = renderTemplate('codesign/search.slurm.hbs', { trials: 2, last: 1, jobName: 'codenet-search-x', codenet: '/usr/bin/printf', dir: hostile, script: hostile });
    expect(slurm).toContain(`--run-trial ${shWord(hostile)} --index "$SLURM_ARRAY_TASK_ID"`);
    writeFileSync(join(base, 'task.sh'), slurm.replace('/usr/bin/printf search --run-trial', "/usr/bin/printf '%s\\0' search --run-trial"));
    const out = run('bash', [join(base, 'task.sh')], undefined, { ...process.env, SLURM_ARRAY_TASK_ID: '1' });
    expect(out.split('\0')).toEqual(['search', '--run-trial', hostile, '--index', '1', '']);
    for (const f of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(base, f))).toBe(false);
  });
});

describe('the emitted Kubernetes manifest', () => {
  it('is a YAML Indexed Job whose command runs one trial by JOB_COMPLETION_INDEX', async () => {
    const space = join(base, 'space.json');
    writeFileSync(space, JSON.stringify({ base: 'codenet-tiny-skip', model: { channels: [[16, 32, 64, 128, 96]] }, hw: { pwOutputs: [16, 32, 48] } }));
    const dir = join(base, "odd 'name' $HOME");
    mkdirSync(dir);
    const r = await runCli('search', '--space', space, '-o', dir, '--proxy', 'capacity', '--emit', 'k8s', '--image', 'registry.example/codenet:1 "x"', '--claim', 'my-claim');
    expect(r.code, r.stderr).toBe(0);
    const out = run('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(dir, 'job.yaml')]);
    const job = JSON.parse(out);
    expect(job.kind).toBe('Job');
    expect(job.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(job.spec.completionMode).toBe('Indexed');
    // pwOutputs 48 needs 432 DSPs for the 1x1 engine: not a valid ultra96v2 config, left out.
    expect(job.spec.completions).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8')).excluded.join('\n')).toMatch(/pwOutputs 48.*432 DSPs/);
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toBe('registry.example/codenet:1 "x"');
    expect(c.command).toEqual(['sh', '-c']);
    expect(c.args[0]).toBe(`codenet search --run-trial ${shWord(resolve(dir))} --index "$JOB_COMPLETION_INDEX"`);
    expect(c.volumeMounts[0].mountPath).toBe(resolve(dir));
    expect(job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('my-claim');
  });
});

describe('the Pareto page', () => {
  if (!haveChromium && process.env.CI) it('chromium is installed (scripts/setup.sh)', () => expect.fail(`${CHROMIUM} missing`));
  it.skipIf(!haveChromium)('opens in headless Chromium without console errors, four plots, the front marked', async () => {
    const space = join(base, 'page.json');
    writeFileSync(space, JSON.stringify({ base: 'codenet-tiny-skip', model: { channels: [[24, 48, 96, 192, 128], [16, 32, 64, 128, 96]], deformable: [[true, true, true], [false, false, true]] }, hw: { pwOutputs: [16, 32] } }));
    const dir = join(base, 'page');
    const r = await runCli('search', '--space', space, '-o', dir, '--proxy', 'capacity');
    expect(r.code, r.stderr).toBe(0);
    const pareto = JSON.parse(readFileSync(join(dir, 'pareto.json'), 'utf8'));
    const html = readFileSync(join(dir, 'pareto.html'), 'utf8');
    expect(html).not.toMatch(/src="http|href="http|<script/);
    await withPage(async (page, problems) => {
      await page.goto(`file://${join(dir, 'pareto.html')}`);
      expect(await page.locator('svg').count()).toBe(4);
      expect(await page.locator('#results tr').count()).toBe(1 + pareto.results.length);
      expect(await page.locator('#front-table tr').count()).toBe(1 + pareto.front.length);
      // Every plot has one circle a trial, front points filled.
      for (const svg of await page.locator('svg').all()) {
        expect(await svg.locator('circle').count()).toBe(pareto.results.length);
        expect(await svg.locator('circle[fill="#e45756"]').count()).toBe(pareto.front.length);
      }
      // No text of any chart lies outside its SVG.
      const outside = await textOutsideSvgs(page);
      expect(outside).toEqual([]);
      const shots = join(ROOT, '.cache', 'test-artifacts');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'pareto.png'), fullPage: true });
      expect(problems).toEqual([]);
    }, { width: 1200, height: 900 });
  }, 60_000);
});
