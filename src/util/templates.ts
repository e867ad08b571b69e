import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.ts';

/**
 * Every generated text file comes from a Handlebars template under templates/. noEscape: the
 * outputs are Verilog, C++, TCL and HTML we build ourselves, not user text to be escaped.
 */
const hb = Handlebars.create();
hb.registerHelper('hex', (v: number, digits: number) => (v >>> 0).toString(16).padStart(typeof digits === 'number' ? digits : 8, '0'));
hb.registerHelper('fixed', (v: number, digits: number) => (typeof v === 'number' ? v.toFixed(typeof digits === 'number' ? digits : 2) : ''));
hb.registerHelper('pct', (v: number) => (typeof v === 'number' ? `${(100 * v).toFixed(1)}%` : ''));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('add', (a: number, b: number) => a + b);
hb.registerHelper('join', (v: unknown[], sep: unknown) => v.join(typeof sep === 'string' ? sep : ', '));
hb.registerHelper('int', (v: number) => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : ''));

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders templates/<relPath> with `context`. Templates are compiled once per process. */
export function renderTemplate(relPath: string, context: object): string {
  let t = cache.get(relPath);
  if (!t) {
    t = hb.compile(readFileSync(join(PROJECT_ROOT, 'templates', relPath), 'utf8'), { noEscape: true, strict: true });
    cache.set(relPath, t);
  }
  return t(context);
}
