/**
 * A mistake in what the user gave us (file, flag, model). The CLI prints the message as one
 * paragraph and exits with code 2; anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

export function fail(message: string): never {
  throw new UserError(message);
}

/** Formats a zod error as "field: problem" lines, naming the file it came from. */
export function describeZodIssues(
  where: string,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string {
  const lines = issues.slice(0, 5).map((i) => {
    const field = i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)';
    return `${field}: ${i.message}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `${where}: invalid ${lines.join('; ')}${more}`;
}
