/**
 * An exactly-once sink for an HTTP endpoint that deduplicates by `Idempotency-Key` — the
 * example of docs/writing-a-sink.md and packages/testkit/README.md. This file only wires the
 * parts together; each lives in its own file of the connector file set.
 */
import type { Sink } from "@berth/core/connector";
import { type HttpCommittable, httpCommittable } from "./http-committable.js";
import { HttpCommitter } from "./http-committer.js";
import { abortHttpLingering } from "./http-lingering.js";
import { type HttpSinkOptions, resolveHttpSinkOptions } from "./http-sink-options.js";
import { HttpWriter } from "./http-writer.js";

export function httpSink(options: HttpSinkOptions): Sink<{ seq: number }, HttpCommittable> {
  const { url, requestTimeoutMs } = resolveHttpSinkOptions(options);
  return {
    kind: "http",
    committable: httpCommittable,
    targetIdentity: () => url,
    createWriter: async (context) => new HttpWriter(context, url),
    createCommitter: async () => new HttpCommitter(requestTimeoutMs),
    abortLingering: abortHttpLingering,
  };
}
