/**
 * The runtime's checks of sink prefixes (DESIGN.md, "Names that prove a commit"; ADR 0005):
 * which prefix a (restored) job uses, and the refusals before it writes, commits or aborts
 * anything — two sinks under one prefix, names too long for the target.
 */
import { ATTEMPT_ID_LENGTH, MAX_CHECKPOINT_ID_DIGITS } from "../sink/names.js";
import { SinkPrefixError } from "../sink/sink-prefix.js";

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
