/**
 * Headless Debian Chromium through playwright-core, for the tests that render generated HTML
 * (report, hostile names, the search's Pareto page). Offline flags; every console error or warning,
 * page error and failed request is collected so a test can assert there were none.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Runs `use` on a fresh page (with the problems seen so far) and closes the browser afterwards. */
export async function withPage<T>(use: (page: Page, problems: string[]) => Promise<T>, viewport?: { width: number; height: number }): Promise<T> {
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage(viewport ? { viewport } : {});
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()}`));
    return await use(page, problems);
  } finally {
    await browser.close();
  }
}

/** Every <text> of every <svg> on the page that lies outside its SVG's box (a cut label), described. */
export function textOutsideSvgs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const svg of Array.from(document.querySelectorAll('svg'))) {
      const box = svg.getBoundingClientRect();
      for (const t of Array.from(svg.querySelectorAll('text'))) {
        const b = t.getBoundingClientRect();
        if (b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5)
          bad.push(`${svg.getAttribute('aria-label')}: "${t.textContent}" at ${b.left.toFixed(0)}..${b.right.toFixed(0)} x ${b.top.toFixed(0)}..${b.bottom.toFixed(0)} outside ${box.left.toFixed(0)}..${box.right.toFixed(0)} x ${box.top.toFixed(0)}..${box.bottom.toFixed(0)}`);
      }
    }
    return bad;
  });
}
