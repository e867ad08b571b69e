import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';
import { cComment, cIdent, cString, htmlText, json, jsonScript, makeComment, mdText, pyComment, pyString, shWord, tclComment, tclString, tclText, tclWord, verilogComment, yamlString } from './escape.ts';

/**
 * Every generated text file comes from a Handlebars template under templates/. noEscape: the
 * outputs are Verilog, C, Python, TCL, Makefiles, Markdown and HTML, each with its own rules, so a
 * string that may come from the user (a model, tensor or layer name, anything read from a file) is
 * inserted through the helper of its language and place (src/util/escape.ts):
 *
 *   {{c_str x}} {{py_str x}} {{tcl_str x}}     string literals, quotes included, exact
 *   {{c_comment x}} {{v_comment x}} {{py_comment x}} {{mk_comment x}} {{tcl_comment x}}
 *                                              comment text: one line of safe printable ASCII
 *   {{cfg x}}                                  a .cfg value or comment (the mk_comment rules)
 *   {{c_ident x}}                              a C identifier (fragment): other characters as _
 *   {{tcl_word x}} {{tcl_text x}}              a TCL word (quoted only when it needs to be); the inside of "..."
 *   {{html x}} {{md x}}                        HTML text or attribute; Markdown inline text
 *   {{json x}} {{json_script x}}               JSON; JSON inside a <script> element
 *   {{sh x}} {{yaml_str x}}                    one POSIX shell word; a YAML double-quoted scalar
 *   {{sh_comment x}}                           text in a # comment of a shell script (the mk_comment rules: one line)
 *
 * A bare {{x}} is allowed only for numbers, booleans, text made with trusted() and strings of
 * plain characters (PLAIN): renderTemplate rewrites every bare insertion into a check, so an
 * insertion that forgets its helper fails (an internal error) instead of injecting anything.
 */
const hb = Handlebars.create();

/** What a bare {{x}} may insert: letters, digits, space and `_ . , : = + -`. */
const PLAIN = /^[A-Za-z0-9 _.,:=+\-]*$/;

/** Marks text built by codenet itself (an SVG chart, a TCL property list) as safe to insert bare. */
export const trusted = (s: string): Handlebars.SafeString => new hb.SafeString(s);

/** The value of a bare {{x}}, or an error when it needs an escaping helper. */
function bare(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof hb.SafeString) return v.toHTML();
  if (Array.isArray(v)) return v.map(bare).join(',');
  if (typeof v === 'string' && PLAIN.test(v)) return v;
  const shown = JSON.stringify(v) ?? String(v);
  throw new Error(`bare insertion of ${shown.length > 60 ? `${shown.slice(0, 60)}...` : shown}: use an escaping helper (c_str, py_str, html, md, ...; src/util/templates.ts)`);
}
const BARE_HELPER = 'codenet_bare';
hb.registerHelper(BARE_HELPER, (v: unknown) => bare(v));

/** An escaping helper: strings, numbers and booleans only (a missing field is an error, not "undefined"). */
const str = (f: (s: string) => string) => (v: unknown) => {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new Error(`an escaping helper got ${v === null ? 'null' : typeof v}, not a string`);
  return f(String(v));
};
hb.registerHelper('c_str', str(cString));
hb.registerHelper('c_comment', str(cComment));
hb.registerHelper('v_comment', str(verilogComment));
hb.registerHelper('py_str', str(pyString));
hb.registerHelper('py_comment', str(pyComment));
hb.registerHelper('mk_comment', str(makeComment));
hb.registerHelper('cfg', str(makeComment));
hb.registerHelper('c_ident', str(cIdent));
hb.registerHelper('tcl_str', str(tclString));
hb.registerHelper('tcl_word', str(tclWord));
hb.registerHelper('tcl_text', str(tclText));
hb.registerHelper('tcl_comment', str(tclComment));
hb.registerHelper('html', str(htmlText));
hb.registerHelper('md', str(mdText));
hb.registerHelper('sh', str(shWord));
hb.registerHelper('sh_comment', str(makeComment));
hb.registerHelper('yaml_str', str(yamlString));
hb.registerHelper('json', (v: unknown) => json(v));
hb.registerHelper('json_script', (v: unknown) => jsonScript(v));

hb.registerHelper('hex', (v: number, digits: number) => (v >>> 0).toString(16).padStart(typeof digits === 'number' ? digits : 8, '0'));
hb.registerHelper('fixed', (v: number, digits: number) => (typeof v === 'number' ? v.toFixed(typeof digits === 'number' ? digits : 2) : ''));
hb.registerHelper('pct', (v: number) => (typeof v === 'number' ? `${(100 * v).toFixed(1)}%` : ''));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('add', (a: number, b: number) => a + b);
hb.registerHelper('join', (v: unknown[], sep: unknown) => v.map(bare).join(typeof sep === 'string' ? sep : ', '));
hb.registerHelper('int', (v: number) => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : ''));

/**
 * Rewrites every bare mustache ({{x}}, {{{x}}}: a path with no parameters that is not a helper)
 * into {{codenet_bare x}}, in place.
 */
interface AstPath { type: 'PathExpression'; data: boolean; depth: number; parts: string[]; original: string; loc?: unknown; strict?: boolean }
interface AstNode { type: string; body?: AstNode[]; program?: AstNode; inverse?: AstNode; path?: AstPath | AstNode; params?: unknown[]; hash?: unknown }

function guardBareInsertions(n: AstNode): void {
  if (n.type === 'MustacheStatement') {
    const path = n.path as AstPath;
    if (!n.params?.length && !n.hash && path.type === 'PathExpression' && !(path.parts.length === 1 && !path.data && path.original in hb.helpers)) {
      // strict as the bare lookup was: a field missing from the context is an error, not ''.
      n.params = [{ ...path, strict: true }];
      n.path = { type: 'PathExpression', data: false, depth: 0, parts: [BARE_HELPER], original: BARE_HELPER, loc: path.loc };
    }
    return;
  }
  for (const s of n.body ?? []) guardBareInsertions(s);
  if (n.program) guardBareInsertions(n.program);
  if (n.inverse) guardBareInsertions(n.inverse);
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders templates/<relPath> with `context`. Templates are compiled once per process. */
export function renderTemplate(relPath: string, context: object): string {
  let t = cache.get(relPath);
  if (!t) {
    const ast = hb.parse(readFileSync(join(PROJECT_ROOT, 'templates', relPath), 'utf8'));
    guardBareInsertions(ast as unknown as AstNode);
    t = hb.compile(ast, { noEscape: true, strict: true });
    cache.set(relPath, t);
  }
  try {
    return t(context);
  } catch (e) {
    throw new Error(`templates/${relPath}: ${(e as Error).message}`);
  }
}
