/**
 * Operating-system errors in words: `ENOTDIR: not a directory, mkdir '/a/b'` becomes "a
 * component of /a/b is a regular file, not a directory (ENOTDIR)" plus what to do, so every
 * one-line failure names the path and the fix instead of a bare errno.
 */
import { errorMessage } from "./errors.js";

const REASONS: Record<string, { reason: string; fix: string }> = {
  ENOTDIR: {
    reason: "a component of the path is a regular file, not a directory",
    fix: "choose a directory path",
  },
  ENOENT: {
    reason: "it does not exist, or its file system cannot create it (as /proc)",
    fix: "choose a directory on a writable file system",
  },
  EACCES: { reason: "permission denied", fix: "choose a directory you may write, or fix its permissions" },
  EPERM: {
    reason: "operation not permitted",
    fix: "choose a directory you may write, or fix its permissions",
  },
  EROFS: { reason: "the file system is read-only", fix: "choose a directory on a writable file system" },
  ENOSPC: { reason: "no space left on the device", fix: "free space or choose another directory" },
  EDQUOT: { reason: "the disk quota is exhausted", fix: "free space or choose another directory" },
  EISDIR: { reason: "it is a directory, not a file", fix: "give the path of a file" },
  EEXIST: { reason: "it already exists", fix: "choose another path or remove it" },
  EMFILE: { reason: "too many open files", fix: "raise the open-file limit (ulimit -n)" },
  EADDRINUSE: {
    reason: "the port is already in use",
    fix: "choose another port, or omit it for a random one",
  },
};

/** A short text for an OS error (`<reason> (<CODE>); <fix>`), or undefined for any other error. */
export function describeOsError(error: unknown): string | undefined {
  const { code, path, port } = (error ?? {}) as NodeJS.ErrnoException & { port?: number };
  const known = code ? REASONS[code] : undefined;
  if (!known) return undefined;
  const where = path ? `${path}: ` : port !== undefined ? `port ${port}: ` : "";
  return `${where}${known.reason} (${code}); ${known.fix}`;
}

/** {@link describeOsError} when it applies, else the error's own message. */
export function osErrorMessage(error: unknown): string {
  return describeOsError(error) ?? errorMessage(error);
}
