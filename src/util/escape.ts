/**
 * The one escaping layer of generated text (docs/outputs.md, "Names in generated files"). Model,
 * tensor and layer names are any 1-200 characters (docs/ir.md), so every template puts a
 * user-controlled string through one of these, chosen by the language and the place
 * (templates/*.hbs, through the helpers of src/util/templates.ts):
 *
 *   - string literals (C, Python, TCL) and HTML/JSON keep the name exactly, escaped;
 *   - comments (C, Verilog, Python docstrings, Makefile, TCL) and Markdown keep it readable: one
 *     line of printable ASCII, every other character written as <U+XXXX>, and the sequences that
 *     would end the comment or splice a line (star-slash, backslash, trigraphs) broken up;
 *   - identifiers (C macros, array names) and file names are derived (cIdent, fileStem) and made
 *     unique with uniqueNames; the exact name stays beside them in a string table.
 *
 * Every function returns ASCII for ASCII-safe input unchanged where the language allows, so ordinary
 * names give byte-identical files.
 */

/** Unicode notation of a code point, as comments and Markdown show unsafe characters: `<U+000A>`. */
export const uPlus = (cp: number): string => `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`;

const PRINTABLE = (cp: number) => cp >= 0x20 && cp <= 0x7e;

/** Printable ASCII except `unsafe` kept; everything else (and `unsafe`) in <U+XXXX> notation. */
function visibleAscii(s: string, unsafe: string): string {
  let r = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    r += PRINTABLE(cp) && !unsafe.includes(ch) ? ch : uPlus(cp);
  }
  return r;
}

/**
 * Text inside a C or C++ comment (block or line): no newline, no backslash (a backslash-newline
 * would continue a line comment), no star-slash or slash-star, no `??` (trigraphs under -std=c11).
 */
export function cComment(s: string): string {
  return visibleAscii(s, '\\').replace(/\*\//g, `*${uPlus(0x2f)}`).replace(/\/\*/g, `/${uPlus(0x2a)}`).replace(/\?\?/g, `?${uPlus(0x3f)}`);
}

/** Text inside a Verilog comment: the same rules as C (block and line comments, no line splice). */
export const verilogComment = cComment;

/** Text inside a Python docstring or # comment: no quote (a docstring cannot end), no backslash. */
export function pyComment(s: string): string {
  return visibleAscii(s, '\\"');
}

/** Text inside a Makefile comment: one line, no backslash (backslash-newline continues a comment). */
export function makeComment(s: string): string {
  return visibleAscii(s, '\\');
}

/** Text inside a TCL comment: one line, no backslash, no braces (they count inside a braced body). */
export function tclComment(s: string): string {
  return visibleAscii(s, '\\{}');
}

/**
 * A C string literal, quotes included, holding the UTF-8 bytes of `s`: printable ASCII as is,
 * backslash, quote and question mark (trigraphs) escaped, every other byte as a 3-digit octal
 * escape (octal escapes stop after 3 digits; hex escapes would swallow a following digit).
 */
export function cString(s: string): string {
  let r = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x5c || b === 0x22 || b === 0x3f) r += '\\' + String.fromCharCode(b);
    else if (PRINTABLE(b)) r += String.fromCharCode(b);
    else r += '\\' + b.toString(8).padStart(3, '0');
  }
  return r + '"';
}

/** A Python string literal, quotes included, in ASCII: `\xNN`, `\uNNNN`, `\UNNNNNNNN` escapes. */
export function pyString(s: string): string {
  let r = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '"') r += '\\' + ch;
    else if (PRINTABLE(cp)) r += ch;
    else if (cp <= 0xff) r += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp <= 0xffff) r += '\\u' + cp.toString(16).padStart(4, '0');
    else r += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return r + '"';
}

/**
 * The inside of a TCL double-quoted word, in ASCII: no command or variable substitution (`[`, `$`
 * escaped), no end of the word, braces escaped (balanced inside a braced body). Characters outside
 * the BMP become a UTF-16 surrogate pair (`\uD83D\uDE00`), which is how Tcl 8.6 holds them.
 */
export function tclText(s: string): string {
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i], cu = s.charCodeAt(i);
    if ('\\"$[]{}'.includes(ch)) r += '\\' + ch;
    else if (PRINTABLE(cu)) r += ch;
    else r += '\\u' + cu.toString(16).padStart(4, '0');
  }
  return r;
}

/** A TCL double-quoted word, quotes included (tclText inside). */
export const tclString = (s: string): string => `"${tclText(s)}"`;

/** A TCL word: `s` itself when it is a plain word (letters, digits, `_ . : / + -`), else tclString. */
export function tclWord(s: string): string {
  return /^[A-Za-z0-9_.:/+-]+$/.test(s) ? s : tclString(s);
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\r': '&#13;' };

/**
 * HTML text or a quoted attribute value (also SVG and XML text): `& < > " '` as entities, and CR as
 * a character reference so that it survives the parser's newline normalisation.
 */
export function htmlText(s: string): string {
  return s.replace(/[&<>"'\r]/g, (c) => HTML[c]);
}

/** JSON, with U+2028 and U+2029 escaped so that the text is also a JavaScript literal. */
export function json(v: unknown): string {
  return JSON.stringify(v).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** JSON for a <script> element: also `<`, `>`, `&` escaped, so `</script>` or `<!--` cannot appear. */
export function jsonScript(v: unknown): string {
  return json(v).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Code points that change how text around them reads: controls, line/paragraph separators, bidi controls. */
const INVISIBLE = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Markdown inline text (a heading or a table cell): one line (controls, separators and bidi
 * controls as <U+XXXX>), and the punctuation Markdown or GitHub's renderer would interpret
 * backslash-escaped. `.` and `-` stay (they are only special at the start of a line).
 */
export function mdText(s: string): string {
  let r = '';
  for (const ch of s) r += INVISIBLE.test(ch) ? uPlus(ch.codePointAt(0)!) : ch;
  return r.replace(/[\\`*_[\]<>|&~$!]/g, (c) => '\\' + c);
}

/** A C identifier fragment: every code point outside `[A-Za-z0-9_]` becomes `_`. */
export function cIdent(s: string): string {
  let r = '';
  for (const ch of s) r += /[A-Za-z0-9_]/.test(ch) ? ch : '_';
  return r;
}

/** A file name stem: every code point outside `[A-Za-z0-9._-]` becomes `_` (docs/ir.md section 11). */
export function fileStem(s: string): string {
  let r = '';
  for (const ch of s) r += /[A-Za-z0-9._-]/.test(ch) ? ch : '_';
  return r;
}

/**
 * Derived names made unique, in order: the first keeps its name, a later one that collides (after
 * `key`, e.g. case-folding for file systems or macros) gets `_2`, `_3`, ... (deterministic).
 */
export function uniqueNames(derived: readonly string[], key: (s: string) => string = (s) => s): string[] {
  const used = new Set<string>();
  return derived.map((d) => {
    let name = d;
    for (let k = 2; used.has(key(name)); k++) name = `${d}_${k}`;
    used.add(key(name));
    return name;
  });
}

/**
 * Text for a terminal: control characters (ESC sequences could move the cursor, recolour or
 * retitle the user's terminal) and bidi overrides from user names are shown as <U+XXXX>;
 * newlines and tabs stay.
 */
export function terminalText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => uPlus(c.codePointAt(0)!));
}

/**
 * One POSIX shell word (sh, bash, a Slurm batch script): `s` itself when every character is plain
 * (letters, digits, `_ . , : / = + @ % -`), else single-quoted with each `'` as `'\''`, so no character (`$`, backquote, `;`, newline, ...) is
 * interpreted. A NUL cannot be in a shell word at all: an error, not a silent cut.
 */
export function shWord(s: string): string {
  if (s.includes('\0')) throw new Error('a shell word cannot hold a NUL character');
  return /^[A-Za-z0-9_.,:/=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A YAML double-quoted scalar (also valid JSON): `\` and `"` escaped, every character outside
 * printable ASCII as \uXXXX or, above U+FFFF, \UXXXXXXXX, so the value stays one line and exact
 * (YAML reads no tags, anchors, comments or line breaks inside it).
 */
export function yamlString(s: string): string {
  let r = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') r += `\\${ch}`;
    else if (PRINTABLE(cp)) r += ch;
    else r += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return r + '"';
}
