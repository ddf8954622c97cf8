/**
 * The sink prefix (DESIGN.md, "Names that prove a commit"; ADR 0005): the default encoding and
 * the rule for explicit prefixes. Which prefix a (restored) job uses, and the checks that
 * refuse a job before it writes, commits or aborts anything, are the runtime's
 * (runtime/sink-prefix-checks.ts).
 */
import { createHash } from "node:crypto";
import { BerthError } from "../errors.js";

/** Bytes a sink prefix may have: explicit ones, and every default. */
export const SINK_PREFIX_MAX_BYTES = 64;

/** Hex digits of SHA-256 in a default prefix (64 bits). */
const HASH_HEX_DIGITS = 16;

/** Lower case only: a prefix must name one thing on case-insensitive file systems too. */
const SINK_PREFIX_CHARSET = /^[a-z0-9][a-z0-9._-]*$/;

export type SinkPrefixErrorCode = "SINK_PREFIX_INVALID" | "SINK_PREFIX_TOO_LONG" | "SINK_PREFIX_DUPLICATE";

/** A sink prefix that cannot be used: a bad explicit prefix, names too long for the target, or one prefix for two sinks. */
export class SinkPrefixError extends BerthError {
  static override readonly marker = "berth.core/SinkPrefixError";

  constructor(
    code: SinkPrefixErrorCode,
    message: string,
    /** The sink uids concerned: one, or both sinks of a duplicate. */
    readonly uids: readonly string[],
  ) {
    super(code, message);
  }
}

/**
 * The sink prefix when the user sets none: a readable part (pipeline name and sink uid, lower
 * case, cut to fit) and 16 hex digits of SHA-256 over the JSON array `[pipeline, uid, target
 * identity]`. The hash covers the whole triple unambiguously (JSON, not a `-`-joined string),
 * so two triples get one prefix only by a 64-bit hash collision; at most 64 bytes; never a
 * per-run id. `.` joins pipeline and uid, `-` the hash.
 */
export function defaultSinkPrefix(pipeline: string, uid: string, targetIdentity: string): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([pipeline, uid, targetIdentity]))
    .digest("hex")
    .slice(0, HASH_HEX_DIGITS);
  const readable = `${pipeline}.${uid}`
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, "_")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, SINK_PREFIX_MAX_BYTES - HASH_HEX_DIGITS - 1);
  return readable ? `${readable}-${hash}` : hash;
}

/**
 * Checks an explicit sink prefix: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
 * That fits a file name, an S3 key, a Kafka transactional id and a PostgreSQL gid, and needs no
 * quoting anywhere.
 */
export function checkSinkPrefix(prefix: string, uid: string): string {
  if (
    typeof prefix !== "string" ||
    !SINK_PREFIX_CHARSET.test(prefix) ||
    prefix.length > SINK_PREFIX_MAX_BYTES
  ) {
    throw new SinkPrefixError(
      "SINK_PREFIX_INVALID",
      `sink "${uid}": sink prefix ${JSON.stringify(prefix)} is not allowed; use 1 to ${SINK_PREFIX_MAX_BYTES} characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`,
      [uid],
    );
  }
  return prefix;
}
