/**
 * One-line progress on stderr when it is a terminal; silent otherwise (CI logs stay clean).
 */
export interface Progress {
  update(done: number, total: number, what?: string): void;
  finish(): void;
}

export function progress(label: string): Progress {
  const tty = process.stderr.isTTY === true && !process.env.CI;
  let last = 0;
  return {
    update(done, total, what) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const pct = total ? Math.floor((100 * done) / total) : 100;
      process.stderr.write(`\r${label} ${pct}%${what ? ` ${what}` : ''}`.slice(0, (process.stderr.columns ?? 80) - 1).padEnd(Math.min(79, (process.stderr.columns ?? 80) - 1)));
    },
    finish() {
      if (tty) process.stderr.write('\r'.padEnd(Math.min(80, process.stderr.columns ?? 80)) + '\r');
    },
  };
}
