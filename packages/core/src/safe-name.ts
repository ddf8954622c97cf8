/**
 * The safe charset of names that become file or directory names: job ids, and the savepoint
 * and checkpoint directory names derived from them. A safe name is 1–128 characters of
 * `A–Z a–z 0–9 . _ -`, starts with a letter or digit, and holds no `..`: no path separator,
 * no `.`/`..` entry, nothing that reads as a flag — so a name joined under a directory always
 * stays inside it. {@link childPath} checks that too, for every directory Berth derives.
 */
import { relative, resolve, sep } from "node:path";
import { BerthError } from "./errors.js";

export const SAFE_NAME_MAX_LENGTH = 128;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** What a name names, for the error message. */
export type NameKind = "job id" | "savepoint name";

/** A name that is not safe to use as a file name. */
export class UnsafeNameError extends BerthError {
  static override readonly marker: string = "berth.core/UnsafeNameError";

  constructor(
    readonly kind: NameKind,
    readonly value: string,
  ) {
    const shown = value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}…` : JSON.stringify(value);
    super(
      "NAME_INVALID",
      `${kind} ${shown} is not safe: use 1–${SAFE_NAME_MAX_LENGTH} characters of A–Z a–z 0–9 . _ -, starting with a letter or digit, without ".." (it becomes a directory name)`,
    );
  }
}

export function isSafeName(value: string): boolean {
  return value.length <= SAFE_NAME_MAX_LENGTH && SAFE_NAME.test(value) && !value.includes("..");
}

/** Returns `value` when it is a safe name, else throws {@link UnsafeNameError}. */
export function assertSafeName(kind: NameKind, value: string): string {
  if (!isSafeName(value)) throw new UnsafeNameError(kind, value);
  return value;
}

/** `parent/name`, refusing a name that is unsafe or would resolve outside `parent`. */
export function childPath(parent: string, kind: NameKind, name: string): string {
  const path = resolve(parent, assertSafeName(kind, name));
  const inside = relative(resolve(parent), path);
  if (inside === "" || inside.startsWith("..") || inside.includes(sep)) throw new UnsafeNameError(kind, name);
  return path;
}
