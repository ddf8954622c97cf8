/**
 * Typed errors. Every error Berth raises on purpose is a {@link TypedError} with a stable
 * `code`, a message that says what is wrong and what to do, and the cause attached — the
 * core's are {@link BerthError}s, other packages extend {@link TypedError} with their own
 * codes.
 *
 * `instanceof` goes by an explicit marker, never by class name: every class declares its own
 * namespaced `static readonly marker` (`"<package>/<Class>"`), and each error carries, under a
 * global symbol, the markers of its class chain. So two copies of a package agree (the same
 * marker), two unrelated classes that share a name never match (different namespaces), and
 * renaming or minifying a class changes nothing.
 */

/** Global (`Symbol.for`), so every copy of every package reads the same property. */
const MARKERS = Symbol.for("berth.error.markers");

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
  /** A committable or writer state a sink stored cannot be read by its codec. */
  | "SINK_STATE_UNREADABLE"
  /** A lineage record of a job cannot be read (checkpoint/lineage.ts). */
  | "LINEAGE_CORRUPT"
  /** The checkpoint storage of a location cannot be used: its package is not installed, or its server does not answer or lacks a feature Berth needs. */
  | "CHECKPOINT_STORAGE_UNAVAILABLE"
  /** Another process took over this job's lease (it was paused past the lease's expiry): this one stops. */
  | "JOB_LEASE_LOST"
  | "SINK_PREFIX_IN_USE"
  | "SINK_PREFIX_INVALID"
  | "SINK_PREFIX_TOO_LONG"
  | "SINK_PREFIX_DUPLICATE"
  | "JOB_ID_IN_USE"
  | "NAME_INVALID"
  | "JOB_FAILED"
  /** A writer cannot take one record (its format or serializer failed): a bad record. */
  | "RECORD_REJECTED"
  /** A sink rejected a record and its badRecords policy is "fail": the job fails without restarting. */
  | "BAD_RECORD"
  | "JOB_CANCELED"
  | "FAULT_INJECTED"
  /** Something was pushed into a channel after the job tore it down. */
  | "CHANNEL_CLOSED"
  /** An error class without its own `static readonly marker` was constructed or tested against. */
  | "ERROR_CLASS_UNMARKED"
  /** A failure of the `berth` CLI; its exit code (docs/cli.md) says which. */
  | "CLI_FAILED"
  /** A control-plane request the job refuses (bad body, too large); its HTTP status says which. */
  | "REQUEST_INVALID";

type ErrorClass = abstract new (...args: never[]) => unknown;

/** The marker `cls` declares itself; a class that inherits its base's marker would match the base's errors. */
function ownMarker(cls: ErrorClass): string {
  const marker: unknown = Object.hasOwn(cls, "marker") ? (cls as { marker?: unknown }).marker : undefined;
  if (typeof marker === "string" && marker.includes("/")) return marker;
  throw new BerthError(
    "ERROR_CLASS_UNMARKED",
    `error class ${cls.name || "(anonymous)"} declares no marker of its own; add \`static override readonly marker = "<package>/<Class>"\` to it`,
  );
}

/**
 * Base of every typed error: `code` is one of the package's own union, `name` is the last part
 * of the class's marker.
 */
export class TypedError<Code extends string> extends Error {
  /** Namespaced and unique per class, e.g. `"berth.core/CommitFailedPermanentlyError"`; every subclass declares its own. */
  static readonly marker: string = "berth.core/TypedError";

  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    const markers: string[] = [];
    for (let c: ErrorClass = new.target; c !== Error; c = Object.getPrototypeOf(c))
      markers.push(ownMarker(c));
    this.name = (markers[0] as string).slice((markers[0] as string).lastIndexOf("/") + 1);
    Object.defineProperty(this, MARKERS, { value: Object.freeze(markers) });
  }

  /** Matches when the value's class chain holds this class's marker, whichever copy of the package made it. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    const markers = (value as Record<symbol, unknown>)[MARKERS];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested against.
    return Array.isArray(markers) && markers.includes(ownMarker(this));
  }
}

/** An error of the core runtime. Errors of other packages are not `BerthError`s. */
export class BerthError extends TypedError<BerthErrorCode> {
  static override readonly marker: string = "berth.core/BerthError";
}

/** A commit failed for a reason the target reported as permanent: the committed data is lost. */
export class CommitFailedPermanentlyError extends BerthError {
  static override readonly marker: string = "berth.core/CommitFailedPermanentlyError";
  readonly committable: unknown;
  /** The committer's stable code for the reason (the `failedKnown` outcome's `code`). */
  readonly reasonCode: string;

  constructor(message: string, committable: unknown, options?: { cause?: unknown; reasonCode?: string }) {
    super("COMMIT_FAILED_PERMANENTLY", message, options);
    this.committable = committable;
    this.reasonCode = options?.reasonCode ?? "UNSPECIFIED";
  }
}

/** The message DESIGN.md fixes for a stop whose commits missed their deadline. */
export const PENDING_COMMITS_MESSAGE = "savepoint is consistent; restart from it to complete pending commits";

/**
 * A stop's commits did not all finish by the stop's deadline — whatever retries were under way
 * when it began: the job ends FAILED, its savepoint is consistent, and a restore from it
 * completes the pending commits.
 */
export class StopCommitsPendingError extends BerthError {
  static override readonly marker: string = "berth.core/StopCommitsPendingError";
  /** The stop's savepoint (or final checkpoint) to restart from. */
  readonly savepoint: string;

  constructor(savepoint: string, deadlineMs: number, options?: { cause?: unknown }) {
    super(
      "COMMIT_DEADLINE_EXCEEDED",
      `the commits of ${savepoint} did not finish within the stop's deadline of ${deadlineMs} ms; ${PENDING_COMMITS_MESSAGE}`,
      options,
    );
    this.savepoint = savepoint;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
