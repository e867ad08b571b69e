// Hostile names: a model whose metadata.name, tensor names and layer names try
// to inject code into every language codenet generates (C, Python, Makefile, TCL, Verilog, HTML,
// Markdown) goes through `codenet gen`; every generated file must then compile, import, parse or
// render, the names must come back exactly where they are data (C and Python strings, the HTML
// page's text), and no injected command may run: each attempt touches a sentinel file in a
// temporary folder or sets window.__pwned, and the test checks that neither happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from './helpers/cli.ts';
import { exportZooModel } from '../src/zoo/export.ts';
import { serializeModel } from '../src/ir/save.ts';
import { CHROMIUM, haveChromium, withPage } from './helpers/chromium.ts';


let root: string;
/** Every injection attempt creates a file in here (or sets window.__pwned); it must stay empty. */
let sentinel: string;
let out: string;
let modelName: string;
let inputName: string;
let outputNames: string[];
let layerNames: string[];

/** Truncates to at most `max` UTF-16 units without splitting a surrogate pair. */
function clip(s: string, max: number): string {
  let r = '';
  for (const ch of s) {
    if (r.length + ch.length > max) break;
    r += ch;
  }
  return r;
}

/** The corpus: one attack per language and the characters each language treats specially. */
function corpus(S: string): string[] {
  return [
    `" + __import__("os").system("touch ${S}/py-corpus") * 0 + "`,
    `*/ int pwned_corpus = 1; /*`,
    '/* opens a comment',
    'line one\n#define CODENET_VERSION 0\nline three',
    'carriage\rreturn\r\n',
    'controls \x01\x07\x1b[31m red \x7f \x9b',
    `$(touch ${S}/sh-corpus)`,
    '`touch ' + S + '/backtick-corpus`',
    '</script><script>window.__pwned = "script"</script>',
    '<img src=x onerror="window.__pwned = \'img\'">',
    '"><svg onload="window.__pwned = \'svg\'">',
    '\'><iframe srcdoc="<script>parent.__pwned = \'iframe\'</script>"></iframe>',
    '</td></tr></table><script>window.__pwned = "table"</script>',
    '{{model}} {{{name}}} {{#each x}}{{/each}}',
    '"""', "'''", '%s%n%x %% %d', '# not a comment', 'a; b; rm -rf ~',
    '$@ $< $$ $(MAKE)\ttab: colon',
    `\nall:\n\t+touch ${S}/make-corpus`,
    `\n$(shell touch ${S}/make-shell-corpus)\n`,
    `[exec touch ${S}/tcl-corpus]`,
    '} { unbalanced braces {',
    '// verilog */ (* keep *) `define X 1',
    'emoji 😀 𝕏 \u{10FFFF} end',
    'line\u2028separator\u2029paragraph',
    'bidi \u202Eevil\u202C override \u2066isolate\u2069',
    'trigraph ??/',
    'ends in a backslash \\',
    '\'single\' "double" \\" \\\\',
    '| md | [link](javascript:window.__pwned=6) **bold** <b>x</b> ~~s~~',
    '&amp; &lt; &#60; &#x3c;',
    '\\u0022 \\x22 \\042 \\N{QUOTATION MARK}',
    'L'.repeat(250),
    '*/"\\\n'.repeat(60),
  ];
}

/** Renames tensors and layers of codenet-tiny and sets metadata.name; returns the model file. */
function hostileModel(dir: string, S: string): string {
  const m = JSON.parse(serializeModel(exportZooModel('codenet-tiny', { seed: 1 }))) as {
    metadata: Record<string, unknown>; inputs: string[]; outputs: string[]; tensors: Record<string, unknown>;
    layers: Array<{ name: string; inputs: string[]; outputs: string[] }>;
  };
  const c = corpus(S);
  const special: Record<string, string> = {
    // Python and C string breakers on the tensors the drivers name.
    [m.inputs[0]]: `img" + __import__("os").system("touch ${S}/py-input") * 0 + "`,
    // These two differ only in the last character (newline vs CR): their C identifiers collide.
    [m.outputs[0]]: 'hm */ int pwned_hm = 1; /*\n#undef CODENET_NUM_OUTPUTS\n',
    [m.outputs[1]]: 'hm */ int pwned_hm = 1; /*\n#undef CODENET_NUM_OUTPUTS\r',
    [m.outputs[2]]: `reg"""'''$(touch ${S}/sh-reg)\`touch ${S}/bt-reg\`;#%s%n{{x}}\t$@:[exec touch ${S}/tcl-reg]}{??/\\`,
  };
  const rename = new Map<string, string>();
  Object.keys(m.tensors).forEach((old, i) => rename.set(old, special[old] ?? clip(`${i}${c[i % c.length]}`, 200)));
  const t = (n: string) => rename.get(n)!;
  m.tensors = Object.fromEntries(Object.entries(m.tensors).map(([k, v]) => [t(k), v]));
  m.inputs = m.inputs.map(t);
  m.outputs = m.outputs.map(t);
  m.layers.forEach((l, i) => {
    l.name = clip(`L${i}${c[(i + 7) % c.length]}`, 200);
    l.inputs = l.inputs.map(t);
    l.outputs = l.outputs.map(t);
  });
  m.metadata.name = [
    'codenet-tiny */ "',
    `$(shell touch ${S}/make-name)`, // sim/Makefile: a line of its own is expanded when make reads it
    '"""',
    `__import__("os").system("touch ${S}/py-name")`, // the Python docstring closes on the line above
    '"""',
    '</title><script>window.__pwned = "title"</script>',
    `[exec touch ${S}/tcl-name] \\`,
  ].join('\n');
  modelName = m.metadata.name as string;
  inputName = m.inputs[0];
  outputNames = m.outputs;
  layerNames = m.layers.map((l) => l.name);
  const file = join(dir, 'hostile.json');
  writeFileSync(file, JSON.stringify(m));
  return file;
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', env: { ...process.env, SENTINEL: sentinel } });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const pwned = () => readdirSync(sentinel);

function listFiles(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(dir, join(d, n))]));
  return walk(dir).sort();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'codenet-hostile-'));
  sentinel = mkdtempSync(join(tmpdir(), 'codenet-pwned-'));
  const model = hostileModel(root, sentinel);
  out = join(root, 'gen');
  const r = await runCli('gen', '--target', 'zynq', '--model', model, '--no-synth', '-o', out);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(sentinel, { recursive: true, force: true });
});

describe('hostile names through codenet gen', () => {
  it('source files carry only printable ASCII (no raw control, line-separator or bidi characters)', () => {
    const code = listFiles(out).filter((f) => /^(sw|sim|hls|rtl|vivado)\//.test(f));
    expect(code.length).toBeGreaterThan(20);
    for (const f of code) {
      const text = readFileSync(join(out, f), 'utf8');
      const bad = /[^\t\n\x20-\x7e]/.exec(text);
      expect(bad, `${f}: ${JSON.stringify(bad?.[0])} at ${bad?.index}`).toBeNull();
    }
  });

  it('the C driver, header and example compile with -Wall -Wextra -Werror and hold the exact names', () => {
    const sw = join(out, 'sw');
    for (const f of ['codenet_accel.c', 'codenet_decode.c', 'example.c']) {
      const r = run('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', f], { cwd: sw });
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
    }
    // The header's macros: one per output, distinct, 0..n-1, and the header's other macros intact.
    const dm = run('gcc', ['-std=c11', '-dM', '-E', 'codenet_accel.h'], { cwd: sw });
    expect(dm.code, dm.stderr).toBe(0);
    const macros = new Map(dm.stdout.split('\n').map((l) => /^#define (CODENET_OUTPUT_\w+) (.*)$/.exec(l)).filter((x) => x !== null).map((x) => [x[1], x[2]]));
    expect([...macros.values()].sort()).toEqual(['0', '1', '2']);
    expect(dm.stdout).toMatch(/^#define CODENET_NUM_OUTPUTS 3$/m);
    expect(dm.stdout).toMatch(/^#define CODENET_VERSION 0x[0-9a-f]{8}u$/m);
    // Names as the C code sees them: byte for byte the UTF-8 of the model's names.
    writeFileSync(join(root, 'names.c'), `#include "codenet_accel.h"
#include <stdio.h>
static void hex(const char *s) { for (; *s; s++) printf("%02x", (unsigned char)*s); printf("\\n"); }
int main(void) { hex(codenet_input.name); for (int i = 0; i < CODENET_NUM_OUTPUTS; i++) hex(codenet_outputs[i].name); return 0; }
`);
    const exe = join(root, 'names');
    const cc = run('gcc', ['-std=c11', '-Wall', '-Werror', `-I${sw}`, '-o', exe, join(root, 'names.c'), join(sw, 'codenet_accel.c')]);
    expect(cc.code, cc.stderr).toBe(0);
    const hex = run(exe, []).stdout.trim().split('\n');
    expect(hex).toEqual([inputName, ...outputNames].map((n) => Buffer.from(n, 'utf8').toString('hex')));
    // example.c writes each output to a file named from a table of safe, distinct names.
    const ex = readFileSync(join(sw, 'example.c'), 'utf8');
    const files = /output_files\[CODENET_NUM_OUTPUTS\] = \{ (.*) \};/.exec(ex)?.[1].split(', ') ?? [];
    expect(files).toHaveLength(3);
    for (const f of files) expect(f).toMatch(/^"[A-Za-z0-9._-]+\.bin"$/);
    expect(new Set(files).size).toBe(3);
    expect(pwned()).toEqual([]);
  });

  it('the PYNQ driver parses and imports without running anything, with the exact names', () => {
    const py = join(out, 'sw', 'codenet_accel.py');
    const script = [
      'import ast, importlib.util, json, sys',
      'src = open(sys.argv[1], encoding="ascii").read()',
      'ast.parse(src)',
      'spec = importlib.util.spec_from_file_location("codenet_accel", sys.argv[1])',
      'mod = importlib.util.module_from_spec(spec)',
      'spec.loader.exec_module(mod)',
      'print(json.dumps({"tensors": list(mod.TENSORS), "input": mod.INPUT, "outputs": mod.OUTPUTS, "counters": mod.COUNTERS, "doc": mod.__doc__}))',
    ].join('\n');
    const r = run('python3', ['-c', script, py], { cwd: sentinel });
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { tensors: string[]; input: string; outputs: string[]; counters: string[]; doc: string };
    expect(got.input).toBe(inputName);
    expect(got.outputs).toEqual(outputNames);
    expect(got.tensors).toEqual([inputName, ...outputNames]);
    expect(got.counters).toContain('busy cycles');
    expect(got.doc).toMatch(/^Generated by codenet /);
    expect(pwned()).toEqual([]);
  });

  it('make -n reads every generated Makefile without running anything', () => {
    for (const d of ['sim', 'sw', 'hls']) {
      const r = run('make', ['-n'], { cwd: join(out, d) });
      expect(r.code, `${d}/Makefile: ${r.stderr}`).toBe(0);
      expect(r.stderr, `${d}/Makefile`).toBe('');
    }
    // The name is in the first comment line only: no rule or variable came from it.
    const mk = readFileSync(join(out, 'sim', 'Makefile'), 'utf8');
    expect(mk.split('\n')[1]).toBe('# templates/sim/Makefile.hbs, rendered by src/gen/bundle.ts.');
    expect(pwned()).toEqual([]);
  });

  it('the TCL scripts are complete and, evaluated with stub commands, call nothing but the tools', () => {
    const tcl = `
foreach f $argv {
  set fh [open $f]; set src [read $fh]; close $fh
  if {![info complete $src]} { puts "incomplete $f"; exit 3 }
  set i [interp create -safe]
  interp eval $i {proc unknown args { lappend ::calls [lindex $args 0]; return 0 }; set ::calls {}}
  catch {interp eval $i $src}
  puts [lsort -unique [interp eval $i {set ::calls}]]
  interp delete $i
}`;
    writeFileSync(join(root, 'check.tcl'), tcl);
    const r = run('tclsh', [join(root, 'check.tcl'), join(out, 'vivado/create_project.tcl'), join(out, 'hls/run_hls.tcl')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const calls = r.stdout.trim().split(/\s+/);
    expect(calls).toContain('create_project');
    expect(calls).not.toContain('exec');
    expect(pwned()).toEqual([]);
  });

  it('the generated RTL passes verilator --lint-only and iverilog', () => {
    // The sources; they include rtl/cn_isa.vh.
    const rtl = listFiles(out).filter((f) => f.startsWith('rtl/') && f.endsWith('.v')).map((f) => join(out, f));
    const inc = `-I${join(out, 'rtl')}`;
    const v = run('verilator', ['--lint-only', '-Wno-fatal', inc, '--top-module', 'codenet_accel', ...rtl]);
    expect(v.code, v.stderr).toBe(0);
    const i = run('iverilog', ['-g2012', inc, '-t', 'null', '-s', 'codenet_accel', ...rtl]);
    expect(i.code, i.stderr).toBe(0);
  });

  it('report.md and README.md keep their structure: one table row per layer, the title on one line', () => {
    const md = readFileSync(join(out, 'report/report.md'), 'utf8').split('\n');
    const start = md.indexOf('## Layers');
    const rows = md.slice(start + 3).filter((l) => l !== '');
    expect(rows).toHaveLength(layerNames.length);
    // Cells are separated by | not preceded by a backslash.
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length, row).toBe(8);
    const readme = readFileSync(join(out, 'README.md'), 'utf8').split('\n');
    expect(readme[0]).toMatch(/^# codenet-tiny .* on ultra96v2 at 250 MHz$/);
    expect(readme[1]).toBe('');
    expect(readme[2]).toMatch(/^Generated by codenet /);
  });

  if (!haveChromium && process.env.CI) it('chromium is installed (scripts/setup.sh)', () => expect.fail(`${CHROMIUM} missing`));
  it.skipIf(!haveChromium)('report.html renders the names as text in headless Chromium and runs no script', async () => {
    await withPage(async (page) => {
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file://')) requests.push(r.url()); });
      await page.goto(`file://${join(out, 'report/report.html')}`);
      const dom = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        scripts: document.querySelectorAll('script, iframe, img, object, embed').length,
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
        title: document.title,
        h1: document.querySelector('h1')?.textContent ?? '',
        cells: [...document.querySelectorAll('#layers tr')].slice(1).map((tr) => tr.querySelector('td')?.textContent ?? ''),
      }));
      expect(dom.pwned).toBeUndefined();
      expect(dom.scripts).toBe(0);
      expect(dom.handlers).toBe(0);
      expect(requests).toEqual([]);
      expect(dom.cells).toEqual(layerNames);
      expect(dom.h1).toBe(`codenet report: ${modelName} on ultra96v2`);
      // <title> collapses white space
      expect(dom.title).toBe(`codenet report: ${modelName} on ultra96v2`.replace(/[\t\n\f\r ]+/g, ' ').trim());
    });
    expect(pwned()).toEqual([]);
  });
});
