import { htmlText as esc } from '../util/escape.ts';

/**
 * JUnit XML (the subset Jenkins, GitLab and GitHub test reporters read): one <testsuite> per
 * simulator, one <testcase> per verify case, a <failure> with the first mismatch.
 */
export interface CaseResult {
  name: string;
  seed: number;
  simulator: string;
  passed: boolean;
  /** First mismatch or error, one paragraph. */
  message?: string;
  seconds: number;
  cycles?: number;
  elements?: number;
}

/** `name`: the <testsuites> name; `classPrefix`: classname = prefix.simulator; `seeds`: false leaves seed= out (codenet sim). */
export function junitXml(results: CaseResult[], name = 'codenet verify', classPrefix = 'codenet.verify', seeds = true): string {
  const suites = [...new Set(results.map((r) => r.simulator))];
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = results.filter((r) => !r.passed).length;
  const total = results.reduce((a, r) => a + r.seconds, 0);
  lines.push(`<testsuites name="${esc(name)}" tests="${results.length}" failures="${failures}" time="${total.toFixed(3)}">`);
  for (const s of suites) {
    const rs = results.filter((r) => r.simulator === s);
    const t = rs.reduce((a, r) => a + r.seconds, 0);
    lines.push(`  <testsuite name="${esc(s)}" tests="${rs.length}" failures="${rs.filter((r) => !r.passed).length}" time="${t.toFixed(3)}">`);
    for (const r of rs) {
      const props = `${seeds ? `seed=${r.seed}` : ''}${r.cycles !== undefined ? ` cycles=${r.cycles}` : ''}${r.elements !== undefined ? ` elements=${r.elements}` : ''}`.trim();
      lines.push(`    <testcase classname="${esc(classPrefix)}.${esc(s)}" name="${esc(r.name)}" time="${r.seconds.toFixed(3)}">`);
      if (props) lines.push(`      <system-out>${esc(props)}</system-out>`);
      if (!r.passed) lines.push(`      <failure message="${esc(r.message ?? 'mismatch')}">${esc(r.message ?? '')}</failure>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
