import { vi } from 'vitest';
import { main } from '../../src/cli/program.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process (no tsx start-up per call) and captures what it prints. */
export async function runCli(...argv: string[]): Promise<CliResult> {
  let stdout = '', stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { stdout += String(s); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { stderr += String(s); return true; });
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { stdout += a.join(' ') + '\n'; });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}
