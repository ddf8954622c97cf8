/**
 * Names that prove a commit (DESIGN.md): the one place that builds and parses them, so no
 * sink hand-rolls a name or a pattern. Every name is the sink prefix, a `-`, then a fixed
 * number of fields that never hold a `-`:
 *
 * - an **attempt name** `<prefix>-<subtask>-<attempt id>-<checkpoint id>`, unique per
 *   transaction attempt (file names, PostgreSQL gids, S3 object keys);
 * - a **pooled name** `<prefix>-<subtask>-<slot>`, Kafka's small pool of transactional ids.
 *
 * Because the field count is fixed and fields hold no `-`, a name parses under exactly one
 * prefix: prefix `a` never claims a name of prefix `a-b`, nor `a-b` one of `a`.
 */
import { randomBytes } from "node:crypto";
import { BerthError } from "../errors.js";

/** The fields of an attempt name. */
export type AttemptName = {
  readonly subtask: number;
  /** {@link ATTEMPT_ID_LENGTH} lowercase hex digits, new at every start ({@link newAttemptId}). */
  readonly attemptId: string;
  readonly checkpointId: number;
};

/** The fields of a pooled name. */
export type PooledName = {
  readonly subtask: number;
  readonly slot: number;
};

/** Length of an attempt id: 8 hex digits (32 random bits). */
export const ATTEMPT_ID_LENGTH = 8;

/** Digits of the largest checkpoint id a name may carry (ids are below 2^63). */
export const MAX_CHECKPOINT_ID_DIGITS = 19;

const DECIMAL = "(0|[1-9][0-9]*)";
const ATTEMPT_NAME = new RegExp(`^${DECIMAL}-([0-9a-f]{${ATTEMPT_ID_LENGTH}})-([1-9][0-9]*)$`);
const POOLED_NAME = new RegExp(`^${DECIMAL}-${DECIMAL}$`);
const ATTEMPT_ID = new RegExp(`^[0-9a-f]{${ATTEMPT_ID_LENGTH}}$`);

/** A new attempt id: the core calls it at every start and in-process restart. */
export function newAttemptId(): string {
  return randomBytes(ATTEMPT_ID_LENGTH / 2).toString("hex");
}

function decimal(what: string, value: number, min: number): string {
  if (!Number.isSafeInteger(value) || value < min)
    throw new BerthError("CONFIG_INVALID", `${what} ${value} must be an integer ≥ ${min}`);
  return String(value);
}

/** Builds and parses the names of one sink prefix. */
export class SinkNames {
  constructor(readonly prefix: string) {
    if (prefix.length === 0) throw new BerthError("CONFIG_INVALID", "a sink prefix cannot be empty");
  }

  /** `<prefix>-<subtask>-<attempt id>-<checkpoint id>`. */
  attempt(name: AttemptName): string {
    if (!ATTEMPT_ID.test(name.attemptId))
      throw new BerthError(
        "CONFIG_INVALID",
        `attempt id "${name.attemptId}" must be ${ATTEMPT_ID_LENGTH} lowercase hex digits (newAttemptId())`,
      );
    return `${this.prefix}-${decimal("subtask", name.subtask, 0)}-${name.attemptId}-${decimal("checkpoint id", name.checkpointId, 1)}`;
  }

  /** `<prefix>-<subtask>-<slot>`. */
  pooled(name: PooledName): string {
    return `${this.prefix}-${decimal("subtask", name.subtask, 0)}-${decimal("slot", name.slot, 0)}`;
  }

  /** The fields of an attempt name of this prefix; undefined for any other string. */
  parseAttempt(name: string): AttemptName | undefined {
    const match = ATTEMPT_NAME.exec(this.rest(name) ?? "");
    if (!match) return undefined;
    const subtask = Number(match[1]);
    const checkpointId = Number(match[3]);
    if (!Number.isSafeInteger(subtask) || !Number.isSafeInteger(checkpointId)) return undefined;
    return { subtask, attemptId: match[2] as string, checkpointId };
  }

  /** The fields of a pooled name of this prefix; undefined for any other string. */
  parsePooled(name: string): PooledName | undefined {
    const match = POOLED_NAME.exec(this.rest(name) ?? "");
    if (!match) return undefined;
    const subtask = Number(match[1]);
    const slot = Number(match[2]);
    if (!Number.isSafeInteger(subtask) || !Number.isSafeInteger(slot)) return undefined;
    return { subtask, slot };
  }

  /**
   * A SQL `LIKE` pattern (escape character `\`, PostgreSQL's default) matching every string
   * that starts with `<prefix>-`: `_`, `%` and `\` of the prefix are escaped, so `a_b` never
   * matches `aXb-…`. It narrows a listing; a name of a longer prefix (`a-b-…` for prefix `a`)
   * still matches, so parse each row before aborting or rolling it back.
   */
  likePattern(): string {
    return `${this.prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`;
  }

  /** What follows `<prefix>-`, or undefined when the name does not start with it. */
  private rest(name: string): string | undefined {
    return name.startsWith(`${this.prefix}-`) ? name.slice(this.prefix.length + 1) : undefined;
  }
}
