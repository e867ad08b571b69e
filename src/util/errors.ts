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
  /** Extra text after a field path, e.g. ' (layer "dw")' for a path inside layers[i]. */
  label: (path: ReadonlyArray<PropertyKey>) => string = () => '',
): string {
  const lines = issues.slice(0, 5).map((i) => {
    const field = i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)';
    return `${field}${label(i.path)}: ${i.message}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `${where}: invalid ${lines.join('; ')}${more}`;
}

/**
 * File-system error codes that mean "the path the user gave cannot be used" (missing, not a folder,
 * no permission, read-only, full, ...), not a bug in codenet. Each maps to a short reason.
 */
export const FS_USER_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder, or the file system does not allow creating one there',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'a file is in the way',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMLINK: 'too many links',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
  EBUSY: 'the file or device is busy',
  ETXTBSY: 'the file is busy',
  EXDEV: 'cannot move files across file systems',
  EINVAL: 'the file system refused the operation (invalid argument)',
};

/** A Node file-system error (it has a string `code`, usually `syscall` and `path`). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * "reason (CODE: syscall path)" for a file-system error whose code is in FS_USER_ERRORS, else
 * undefined (the error is then a bug and keeps its stack trace).
 */
export function fsErrorReason(e: unknown): string | undefined {
  if (!isFsError(e) || !(e.code! in FS_USER_ERRORS)) return undefined;
  const dest = (e as { dest?: unknown }).dest;
  const where = e.path ? ` ${e.path}${typeof dest === 'string' ? ` -> ${dest}` : ''}` : '';
  return `${FS_USER_ERRORS[e.code!]} (${e.code}: ${e.syscall}${where})`;
}
