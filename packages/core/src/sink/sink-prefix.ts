/**
 * The sink prefix (DESIGN.md, "Names that prove a commit"; ADR 0005): the default encoding,
 * the rule for explicit prefixes, which prefix a (restored) job uses, and the checks that
 * refuse a job before it writes, commits or aborts anything.
 */
import { createHash } from "node:crypto";
import { BerthError } from "../errors.js";
import { ATTEMPT_ID_LENGTH, MAX_CHECKPOINT_ID_DIGITS } from "./names.js";

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

/** A sink as the prefix checks see it. */
export interface PrefixedSink {
  readonly uid: string;
  readonly kind: string;
  readonly prefix: string;
}

/**
 * Refuses two sinks of one kind under one prefix: their lingering cleanup would abort each
 * other's transactions. Sinks of one kind are compared whatever their target identity, since
 * names may be shared more widely than the identity says (Kafka transactional ids are per
 * cluster, the identity names a topic).
 */
export function checkDistinctPrefixes(sinks: readonly PrefixedSink[]): void {
  const seen = new Map<string, PrefixedSink>();
  for (const sink of sinks) {
    const key = JSON.stringify([sink.kind, sink.prefix]);
    const other = seen.get(key);
    if (other) {
      throw new SinkPrefixError(
        "SINK_PREFIX_DUPLICATE",
        `sinks "${other.uid}" and "${sink.uid}" (${sink.kind}) share the sink prefix "${sink.prefix}"; each would abort the other's transactions as lingering — give one of them another sinkPrefix`,
        [other.uid, sink.uid],
      );
    }
    seen.set(key, sink);
  }
}

/**
 * Bytes of the longest attempt name a job can build under `prefix`: the highest subtask the
 * max parallelism allows, an attempt id and a 19-digit checkpoint id. Pooled names are shorter.
 */
export function longestNameBytes(prefix: string, maxParallelism: number): number {
  const fields = [String(maxParallelism - 1).length, ATTEMPT_ID_LENGTH, MAX_CHECKPOINT_ID_DIGITS];
  return Buffer.byteLength(prefix) + fields.reduce((sum, digits) => sum + 1 + digits, 0);
}

/** Refuses a prefix whose longest name would not fit the target (`Sink.maxNameBytes`). */
export function checkNamesFit(
  sink: PrefixedSink,
  maxNameBytes: number | undefined,
  maxParallelism: number,
): void {
  if (maxNameBytes === undefined) return;
  const longest = longestNameBytes(sink.prefix, maxParallelism);
  if (longest <= maxNameBytes) return;
  const room = maxNameBytes - (longest - Buffer.byteLength(sink.prefix));
  throw new SinkPrefixError(
    "SINK_PREFIX_TOO_LONG",
    `sink "${sink.uid}": with sink prefix "${sink.prefix}" its longest ${sink.kind} name is ${longest} bytes (subtask ${maxParallelism - 1}, an attempt id, a ${MAX_CHECKPOINT_ID_DIGITS}-digit checkpoint id), over the target's limit of ${maxNameBytes}; ${room > 0 ? `use a sink prefix of at most ${room} bytes` : "the max parallelism leaves no room for a prefix"}`,
    [sink.uid],
  );
}

/**
 * The prefix a sink uses in this run: the explicit one, else the one the restore point
 * recorded for its uid — a restored job never moves to a new prefix, which would leave
 * transactions under the old one unaborted — else the default.
 */
export function resolveSinkPrefix(options: {
  readonly explicit: string | undefined;
  readonly recorded: string | undefined;
  readonly defaultPrefix: () => string;
}): string {
  return options.explicit ?? options.recorded ?? options.defaultPrefix();
}
