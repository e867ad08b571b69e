// The escaping layer of generated text (src/util/escape.ts) and its use by the templates
// (src/util/templates.ts): exact outputs, and round trips through the real tools (gcc, python3,
// tclsh, make, iverilog) for a corpus of awkward strings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Handlebars from 'handlebars';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import {
  cComment, cIdent, cString, fileStem, htmlText, json, jsonScript, makeComment, mdText, pyComment, pyString, tclComment, tclString, tclText, tclWord,
  uniqueNames, uPlus, verilogComment,
} from '../src/util/escape.ts';
import { renderTemplate } from '../src/util/templates.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Strings every escaper must survive. */
const CORPUS = [
  'plain', 'dec1.deform', '', ' ', '"', "'", '\\', '\\\\', '"\\"', '*/', '/*', '*/*/', '/*/', '//', '??/', '??=', '???/', '?', 'a?',
  '\n', '\r', '\r\n', '\t', '\x01\x07\x1b\x7f', '\x80\x9f', 'é', 'ü日本', '😀', '𝕏\u{10FFFF}', '\u2028\u2029', '\u202Eevil\u202C', '\uFEFF',
  '$(touch x)', '`x`', '$@', '$$', '#', ';', '%s%n', '{{x}}', '}{', '[exec x]', '$x', '"""', "'''", '</script>', '<!--', '&amp;', '\\u0041',
  'ends with backslash \\', 'x'.repeat(200), '1\\\n2', '\\x41\\101\\N{DIGIT ONE}',
];

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'codenet-escape-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { cwd: dir, input, encoding: 'utf8' });
  if (r.error) throw r.error;
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe('string literals keep the exact text', () => {
  it('cString: quotes, backslashes, trigraphs and non-ASCII bytes; gcc -std=c11 reads back the UTF-8 bytes', () => {
    expect(cString('dec1.deform')).toBe('"dec1.deform"');
    expect(cString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(cString('??/')).toBe('"\\?\\?/"');
    expect(cString('\n1')).toBe('"\\0121"'); // octal escapes stop after 3 digits: the 1 stays a 1
    expect(cString('é')).toBe('"\\303\\251"');
    for (const s of CORPUS) expect(cString(s)).toMatch(/^"[\x20-\x7e]*"$/);
    const src = `#include <stdio.h>
static const char *const s[] = { ${CORPUS.map(cString).join(',\n')} };
int main(void) {
  for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++) { for (const char *p = s[i]; *p; p++) printf("%02x", (unsigned char)*p); printf("\\n"); }
  return 0;
}
`;
    writeFileSync(join(dir, 'str.c'), src);
    run('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-o', 'str', 'str.c']); // -std=c11 turns trigraphs on
    expect(run(join(dir, 'str'), []).split('\n').slice(0, -1)).toEqual(CORPUS.map(hex));
  });

  it('pyString: ASCII with \\x, \\u, \\U escapes; Python reads back the same string', () => {
    expect(pyString('hm')).toBe('"hm"');
    expect(pyString('a"b\\')).toBe('"a\\"b\\\\"');
    expect(pyString('\n\u2028😀')).toBe('"\\x0a\\u2028\\U0001f600"');
    for (const s of CORPUS) expect(pyString(s)).toMatch(/^"[\x20-\x7e]*"$/);
    writeFileSync(join(dir, 'str.py'), `import json\nprint(json.dumps([${CORPUS.map(pyString).join(', ')}]))\n`);
    expect(JSON.parse(run('python3', ['str.py']))).toEqual(CORPUS);
  });

  it('tclString / tclText / tclWord: no substitution; tclsh reads back the same string', () => {
    expect(tclWord('xczu3eg-sbva484-1-i')).toBe('xczu3eg-sbva484-1-i');
    expect(tclWord('avnet.com:ultra96v2:part0:1.2')).toBe('avnet.com:ultra96v2:part0:1.2');
    expect(tclWord('a b')).toBe('"a b"');
    expect(tclWord('[exec x]')).toBe('"\\[exec x\\]"');
    expect(tclString('$x{}"')).toBe('"\\$x\\{\\}\\""');
    expect(tclString('😀')).toBe('"\\ud83d\\ude00"'); // Tcl 8.6 holds it as a surrogate pair
    expect(tclText('a"b')).toBe('a\\"b');
    const bmp = CORPUS.filter((s) => ![...s].some((c) => c.codePointAt(0)! > 0xffff));
    // Each string as a quoted word, a tcl_word, and inside a quoted string; written back as hex of its UTF-8.
    const lines = bmp.flatMap((s) => [`emit ${tclString(s)}`, `emit ${tclWord(s || 'x')}`, `emit "<${tclText(s)}>"`]);
    const script = `proc emit s { binary scan [encoding convertto utf-8 $s] H* h; puts "h$h" }\n${lines.join('\n')}\n`;
    writeFileSync(join(dir, 'str.tcl'), script);
    const got = run('tclsh', ['str.tcl']).split('\n').slice(0, -1).map((l) => l.slice(1));
    expect(got).toEqual(bmp.flatMap((s) => [hex(s), hex(s || 'x'), hex(`<${s}>`)]));
  });

  it('htmlText: the five HTML characters and CR as references, everything else as is', () => {
    expect(htmlText('dec1.deform')).toBe('dec1.deform');
    expect(htmlText(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(htmlText('a\rb\nc')).toBe('a&#13;b\nc');
    for (const s of CORPUS) expect(htmlText(s)).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|#39|#13);)/);
  });

  it('json / jsonScript: JSON that parses back; no U+2028/9, and in a script no < > &', () => {
    for (const s of CORPUS) {
      expect(JSON.parse(json(s))).toBe(s);
      expect(JSON.parse(jsonScript({ [s]: s }))).toEqual({ [s]: s });
      expect(json(s)).not.toMatch(/[\u2028\u2029]/);
      expect(jsonScript(s)).not.toMatch(/[<>&\u2028\u2029]/);
    }
    expect(jsonScript('</script><!--')).toBe('"\\u003c/script\\u003e\\u003c!--"');
  });
});

describe('comments and Markdown: one line of safe text', () => {
  it('cComment / verilogComment: printable ASCII, no comment ends, no splices, no trigraphs', () => {
    expect(cComment('hm')).toBe('hm');
    expect(cComment('a */ b /* c')).toBe('a *<U+002F> b /<U+002A> c');
    expect(cComment('/*/')).toBe('/<U+002A><U+002F>');
    expect(cComment('x\\\ny')).toBe('x<U+005C><U+000A>y');
    expect(cComment('??/')).toBe('?<U+003F>/');
    expect(cComment('😀')).toBe('<U+1F600>');
    expect(uPlus(0x10ffff)).toBe('<U+10FFFF>');
    expect(verilogComment).toBe(cComment);
    for (const s of CORPUS) expect(cComment(s)).toMatch(/^[\x20-\x7e]*$/);
    for (const s of CORPUS) expect(cComment(s)).not.toMatch(/\*\/|\/\*|\\|\?\?/);
    // Each in a block comment and a line comment right before code that must still be there.
    const body = CORPUS.map((s, i) => `/* ${cComment(s)} */ int b${i} = ${i};\n// ${cComment(s)}\nint l${i} = ${i};`).join('\n');
    writeFileSync(join(dir, 'comments.c'), `${body}\nint main(void) { return ${CORPUS.map((_, i) => `b${i} + l${i}`).join(' + ')} - ${CORPUS.length * (CORPUS.length - 1)}; }\n`);
    run('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-o', 'comments', 'comments.c']);
    run(join(dir, 'comments'), []);
    const v = `module m(output [31:0] y);\n${CORPUS.map((s, i) => `  /* ${verilogComment(s)} */ wire [31:0] b${i} = ${i};\n  // ${verilogComment(s)}\n  wire [31:0] l${i} = ${i};`).join('\n')}\n  assign y = ${CORPUS.map((_, i) => `b${i} + l${i}`).join(' + ')};\nendmodule\n`;
    writeFileSync(join(dir, 'comments.v'), v);
    run('iverilog', ['-g2012', '-t', 'null', 'comments.v']);
  });

  it('pyComment: a docstring that stays one docstring', () => {
    expect(pyComment('a """ b \\')).toBe('a <U+0022><U+0022><U+0022> b <U+005C>');
    for (const s of CORPUS) expect(pyComment(s)).toMatch(/^[^"\\]*$/);
    const src = `"""Doc ${CORPUS.map(pyComment).join(' | ')} end."""\n# ${CORPUS.map(pyComment).join(' ')}\nX = 1\n`;
    writeFileSync(join(dir, 'doc.py'), src);
    const out = run('python3', ['-c', 'import importlib.util as u, json; s = u.spec_from_file_location("doc", "doc.py"); m = u.module_from_spec(s); s.loader.exec_module(m); print(json.dumps([m.__doc__, m.X]))']);
    const [doc, x] = JSON.parse(out) as [string, number];
    expect(x).toBe(1);
    expect(doc.split('\n')).toHaveLength(1);
    expect(doc).toMatch(/^Doc .* end\.$/);
  });

  it('makeComment: a comment line that neither continues nor expands', () => {
    expect(makeComment('a\\')).toBe('a<U+005C>');
    expect(makeComment('$(shell x)\nall:')).toBe('$(shell x)<U+000A>all:');
    const mk = `${CORPUS.map((s) => `# ${makeComment(s)}\nV += ok`).join('\n')}\nall:\n\t@echo $(words $(V))\n`;
    writeFileSync(join(dir, 'Makefile'), mk);
    expect(run('make', ['-s', '-f', 'Makefile']).trim()).toBe(String(CORPUS.length));
  });

  it('tclComment: a comment line, also inside a braced body', () => {
    expect(tclComment('} { \\')).toBe('<U+007D> <U+007B> <U+005C>');
    const script = `set n 0\nif 1 {\n${CORPUS.map((s) => `  # ${tclComment(s)}\n  incr n`).join('\n')}\n}\n${CORPUS.map((s) => `# ${tclComment(s)}\nincr n`).join('\n')}\nputs $n\n`;
    writeFileSync(join(dir, 'comments.tcl'), script);
    expect(run('tclsh', ['comments.tcl']).trim()).toBe(String(2 * CORPUS.length));
  });

  it('mdText: one line, Markdown punctuation escaped, ordinary names unchanged', () => {
    expect(mdText('stage2.0.b1.dw')).toBe('stage2.0.b1.dw');
    expect(mdText('codenet-a')).toBe('codenet-a');
    expect(mdText('a|b')).toBe('a\\|b');
    expect(mdText('<b>*x*</b>')).toBe('\\<b\\>\\*x\\*\\</b\\>');
    expect(mdText('[l](javascript:x)')).toBe('\\[l\\](javascript:x)');
    expect(mdText('a\nb\u2028c\u202Ed')).toBe('a\\<U+000A\\>b\\<U+2028\\>c\\<U+202E\\>d');
    expect(mdText('😀 é')).toBe('😀 é');
    for (const s of CORPUS) expect(mdText(s)).not.toMatch(/[\n\r\u2028\u2029]|(?<!\\)[|<>`*[\]]/);
  });
});

describe('derived identifiers and file names', () => {
  it('cIdent and fileStem replace every other code point with _', () => {
    expect(cIdent('stage2.0.b1-dw')).toBe('stage2_0_b1_dw');
    expect(cIdent('😀x')).toBe('_x'); // one _ per character, not per UTF-16 unit
    expect(fileStem('../etc/passwd')).toBe('.._etc_passwd');
    expect(fileStem('a b😀.c')).toBe('a_b_.c');
    for (const s of CORPUS) {
      expect(cIdent(s)).toMatch(/^[A-Za-z0-9_]*$/);
      expect(fileStem(s)).toMatch(/^[A-Za-z0-9._-]*$/);
    }
  });

  it('uniqueNames resolves collisions in order with _2, _3, ... (also under a key)', () => {
    expect(uniqueNames(['a', 'b', 'a', 'a', 'a_2'])).toEqual(['a', 'b', 'a_2', 'a_3', 'a_2_2']);
    expect(uniqueNames(['A', 'a', 'b'], (s) => s.toLowerCase())).toEqual(['A', 'a_2', 'b']);
    expect(uniqueNames([])).toEqual([]);
  });
});

describe('templates', () => {
  const readme = { codenetVersion: '0', model: 'm', board: 'b', description: 'd', part: 'p', clockMHz: 1, top: 'codenet_accel', hls: false, descriptors: 1, imageBytes: 1, beatBits: 128 };

  it('a bare {{x}} of a string with special characters fails instead of being inserted', () => {
    expect(renderTemplate('gen/README.md.hbs', readme)).toContain('top `codenet_accel`');
    expect(() => renderTemplate('gen/README.md.hbs', { ...readme, top: 'x`\n# injected' })).toThrow(/templates\/gen\/README\.md\.hbs: bare insertion of "x`\\n# injected": use an escaping helper/);
    // through a helper it is fine
    expect(renderTemplate('gen/README.md.hbs', { ...readme, model: 'x`\n# injected' }).split('\n')[0]).toBe('# x\\`\\<U+000A\\># injected on b at 1 MHz');
    // a missing field is an error, bare or through a helper
    const { top: _top, ...noTop } = readme;
    expect(() => renderTemplate('gen/README.md.hbs', noTop)).toThrow(/"top" not defined/);
    expect(() => renderTemplate('gen/README.md.hbs', { ...readme, model: undefined })).toThrow(/an escaping helper got undefined/);
  });

  it('no template inserts a name-like field without a helper', () => {
    // Fields that hold names or text from models, hardware configs or report.json.
    const NAMEY = new Set(['name', 'model', 'board', 'part', 'boardPart', 'description', 'text', 'doc', 'label', 'k', 'v', 'op', 'tool', 'family', 'simulator', 'this', 'file']);
    const bare: string[] = [];
    type N = { type: string; body?: N[]; program?: N; inverse?: N; path?: { type: string; parts?: string[]; original?: string }; params?: unknown[]; hash?: unknown; loc?: { start: { line: number } } };
    const walk = (n: N, file: string) => {
      if (n.type === 'MustacheStatement' && !n.params?.length && !n.hash && n.path?.type === 'PathExpression') {
        const last = n.path.parts?.at(-1) ?? 'this';
        if (NAMEY.has(last) || n.path.original === 'this') bare.push(`${file}:${n.loc?.start.line}: {{${n.path.original}}}`);
      }
      for (const s of n.body ?? []) walk(s, file);
      if (n.program) walk(n.program, file);
      if (n.inverse) walk(n.inverse, file);
    };
    const tdir = join(ROOT, 'templates');
    const files = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
    const all = files(tdir).filter((f) => f.endsWith('.hbs'));
    expect(all.length).toBeGreaterThan(15);
    for (const f of all) walk(Handlebars.parse(readFileSync(f, 'utf8')) as unknown as N, relative(tdir, f));
    // The TCL property list and the Vivado file list are codenet's own words (trusted in src/gen/vivado.ts).
    expect(bare.filter((b) => !/^vivado\/create_project\.tcl\.hbs:\d+: \{\{this\}\}$/.test(b))).toEqual([]);
  });
});
