/**
 * Splits an elaborated design (Yosys `write_rtlil` after `hierarchy -top`) into one synthesis unit
 * per module, so that each module is synthesized (and cached) on its own: src/synth/yosys.ts.
 *
 * A unit is the module's own RTLIL, normalised so that it depends on that module's source alone:
 * `\src` attributes (file:line) are dropped and the frontend's automatic names
 * (`$add$cn_x.v:12$345`, numbered across the whole design in reading order) are renumbered per
 * module. Its submodules enter as blackboxes (their ports only): synth_xilinx keeps the hierarchy,
 * so a module's netlist does not depend on the inside of its submodules.
 */

export interface RtlilModule {
  /** The Yosys name (`\cn_mul2`, `$paramod$<hash>\cn_requant`). */
  name: string;
  /** Normalised RTLIL of the module (see above). */
  text: string;
  /** Blackbox RTLIL of the module: attributes blackbox, parameters and ports. */
  stub: string;
  /** Cell types this module instantiates that are modules of the design (not primitives). */
  submodules: string[];
  /**
   * Bits of all its wires: the estimate of its synthesis time that groups modules into Yosys runs
   * of similar length (on codenet's RTL it tracks the time better than the text's length, which
   * the unrolled loops of the depthwise PEs inflate).
   */
  bits: number;
}

/** The modules of a `write_rtlil` text by name; throws on text it does not recognise. */
export function splitRtlil(rtlil: string): Map<string, RtlilModule> {
  const raw: { name: string; lines: string[] }[] = [];
  let cur: { name: string; lines: string[] } | undefined;
  for (const line of rtlil.split('\n')) {
    if (cur) {
      if (line === 'end') {
        raw.push(cur);
        cur = undefined;
      } else cur.lines.push(line);
      continue;
    }
    const m = /^module (\S+)$/.exec(line);
    if (m) cur = { name: m[1], lines: [] };
    else if (line && !/^(#|autoidx |attribute )/.test(line)) throw new Error(`splitRtlil: unexpected line outside a module: ${line.slice(0, 120)}`);
  }
  if (cur) throw new Error(`splitRtlil: module ${cur.name} has no end`);
  const names = new Set(raw.map((r) => r.name));
  const out = new Map<string, RtlilModule>();
  for (const r of raw) {
    const submodules = new Set<string>();
    let bits = 0;
    for (const l of r.lines) {
      const c = /^\s+cell (\S+) /.exec(l);
      if (c && names.has(c[1])) submodules.add(c[1]);
      const w = /^ {2}wire (?:width (\d+) )?/.exec(l);
      if (w) bits += w[1] ? Number(w[1]) : 1;
    }
    out.set(r.name, { name: r.name, text: normalise(r.name, r.lines, names), stub: stubOf(r.name, r.lines), submodules: [...submodules].sort(), bits });
  }
  return out;
}

/** The module's body without `\src` attributes and with its automatic names renumbered in order of appearance. */
function normalise(name: string, lines: string[], modules: Set<string>): string {
  const ids = new Map<string, string>();
  const pub = new Map<string, string>();
  const rename = (tok: string) => {
    if (modules.has(tok)) return tok;
    let id: string | undefined;
    if (tok.startsWith('$')) {
      if (!(id = ids.get(tok))) ids.set(tok, (id = `$cn$${ids.size + 1}`));
    } else if (tok.startsWith('\\') && /\$\d/.test(tok)) {
      // Public names with a design-wide counter in them (`\\f$func$cn_x.v:481$12541.$result`) stay public.
      if (!(id = pub.get(tok))) pub.set(tok, (id = `\\cn$${pub.size + 1}`));
    }
    return id ?? tok;
  };
  const body: string[] = [];
  for (const l of lines) {
    if (/^\s*attribute \\src /.test(l)) continue;
    const indent = /^\s*/.exec(l)![0];
    const toks = l.slice(indent.length).split(' ');
    // Strings (attribute and parameter values) are kept as they are; a `$` token elsewhere is a
    // name unless it is a cell's type (`cell $add <name>`: the type stays, the name is renumbered).
    if (toks.some((t) => t.startsWith('"'))) {
      body.push(l);
      continue;
    }
    body.push(indent + toks.map((t, i) => (i === 0 || (toks[0] === 'cell' && i === 1) ? t : rename(t))).join(' '));
  }
  return `module ${name}\n${sortAssigns(body).join('\n')}\nend\n`;
}

/**
 * The frontend writes a process's assignments and updates in an order that depends on the rest of the design
 * (the history of Yosys's name table), so they are put in one order: each run of consecutive
 * `assign` (or of a sync rule's `update`) lines whose targets are whole wires is sorted by target
 * (assignments to different wires do not depend on each other's order).
 */
function sortAssigns(body: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; ) {
    const m = /^(\s+)(assign|update) /.exec(body[i]);
    if (!m) {
      out.push(body[i++]);
      continue;
    }
    let j = i;
    while (j < body.length && body[j].startsWith(`${m[1]}${m[2]} `)) j++;
    const run = body.slice(i, j);
    const targets = run.map((l) => l.slice(m[1].length).split(' '));
    // By target only, and stable: two assignments to one wire keep their order (the last one counts).
    const whole = targets.every((t) => !t[2]?.startsWith('['));
    const order = run.map((l, k) => ({ l, t: targets[k][1] })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    out.push(...(whole ? order.map((o) => o.l) : run));
    i = j;
  }
  return out;
}

/** A blackbox with the module's parameters and ports, for the units that instantiate it. */
function stubOf(name: string, lines: string[]): string {
  const keep = lines.filter((l) => /^ {2}parameter /.test(l) || /^ {2}wire .*\b(input|output|inout) \d+ /.test(l));
  return `attribute \\blackbox 1\nmodule ${name}\n${keep.join('\n')}${keep.length ? '\n' : ''}end\n`;
}
