/**
 * Typed errors. Every error Berth raises on purpose is a {@link TypedError} with a stable
 * `code`, a message that says what is wrong and what to do, and the cause attached — the
 * core's are {@link BerthError}s, other packages extend {@link TypedError} with their own
 * codes. `instanceof` works across copies of a package through a global symbol brand.
 */
const brand = Symbol.for("berth.error");

export type BerthErrorCode =
  | "CONFIG_INVALID"
  | "PIPELINE_INVALID"
  | "CHECKPOINTING_REQUIRED"
  | "CHECKPOINT_FAILED"
  | "CHECKPOINT_DECLINED"
  | "SAVEPOINT_FAILED"
  | "STOP_REJECTED"
  | "COMMIT_DEADLINE_EXCEEDED"
  | "COMMIT_FAILED_PERMANENTLY"
  | "COMMIT_FAILED"
  | "RESTORE_FAILED"
  | "STATE_NOT_RESTORED"
  | "SAVEPOINT_NOT_FOUND"
  | "SAVEPOINT_CORRUPT"
  | "SAVEPOINT_VERSION_UNSUPPORTED"
  | "SAVEPOINT_BACKEND_MISMATCH"
  | "SAVEPOINT_PIPELINE_MISMATCH"
  | "SAVEPOINT_CLAIMED"
  | "SINK_PREFIX_IN_USE"
  | "JOB_FAILED"
  | "JOB_CANCELED"
  | "FAULT_INJECTED";

/**
 * Base of every typed error: `code` is one of the package's own union. Its `name` is the
 * class name, and the brand records the class names from the error's class up, so
 * `instanceof` matches by name and two copies of a package agree.
 */
export class TypedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    const lineage: string[] = [];
    for (let c: { name: string } = new.target; c !== Error; c = Object.getPrototypeOf(c))
      lineage.push(c.name);
    Object.defineProperty(this, brand, { value: lineage });
  }

  /** Matches by class name through the brand, so two copies of the package agree. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const lineage = (value as Record<symbol, unknown>)[brand];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested against.
    return Array.isArray(lineage) && lineage.includes(this.name);
  }
}

/** An error of the core runtime. Errors of other packages are not `BerthError`s. */
export class BerthError extends TypedError<BerthErrorCode> {}

/** A commit failed for a reason the target reported as permanent: the committed data is lost. */
export class CommitFailedPermanentlyError extends BerthError {
  readonly committable: unknown;

  constructor(message: string, committable: unknown, options?: { cause?: unknown }) {
    super("COMMIT_FAILED_PERMANENTLY", message, options);
    this.committable = committable;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
