/**
 * Wraps the sink under test so its committer sees what a real network does to it: a
 * commit that succeeded but whose answer was lost (the core retries it), a transient
 * failure before the commit, and every committable committed twice.
 */
import {
  type CommitOutcome,
  CommitOutcomes,
  type Committer,
  type Json,
  type Sink,
  type SinkContext,
} from "@berth/core/connector";
import type { ConformanceRecord } from "./sink-factory.js";

type AnySink = Sink<ConformanceRecord, Json>;

/** The same sink with `createCommitter` wrapped; works for classes and object literals. */
export function withCommitter(sink: AnySink, wrap: (inner: Committer<Json>) => Committer<Json>): AnySink {
  return new Proxy(sink, {
    get(target, property) {
      if (property === "createCommitter") {
        return async (context: SinkContext) => wrap(await target.createCommitter(context));
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export interface CommitLog {
  /** Calls that reached the inner committer, with their outcome kinds. */
  readonly calls: { committable: string; outcome: CommitOutcome["kind"] }[];
  /** Contract breaches seen by the wrapper (fail the case). */
  readonly breaches: string[];
  /** Observations that do not fail the case. */
  readonly notes: string[];
}

export function newCommitLog(): CommitLog {
  return { calls: [], breaches: [], notes: [] };
}

/**
 * Odd committables: committed, then the answer is "lost" (reported as retry later), so the
 * core commits them again. Even ones: a transient failure before the first commit.
 */
export function lostAcknowledgements(log: CommitLog): (inner: Committer<Json>) => Committer<Json> {
  const seen = new Map<string, number>();
  let n = 0;
  return (inner) => ({
    async commit(committable) {
      const key = JSON.stringify(committable);
      const attempt = (seen.get(key) ?? 0) + 1;
      seen.set(key, attempt);
      if (attempt === 1 && n++ % 2 === 1) {
        return CommitOutcomes.retryLater("transient failure injected by the conformance kit");
      }
      const outcome = await inner.commit(committable);
      log.calls.push({ committable: key, outcome: outcome.kind });
      if (attempt === 1 && (outcome.kind === "committed" || outcome.kind === "alreadyCommitted")) {
        return CommitOutcomes.retryLater("acknowledgement lost (injected by the conformance kit)");
      }
      return outcome;
    },
    close: () => inner.close(),
  });
}

/** Commits every committable twice in a row; the second must be harmless. */
export function commitTwice(log: CommitLog): (inner: Committer<Json>) => Committer<Json> {
  return (inner) => ({
    async commit(committable) {
      const key = JSON.stringify(committable);
      const first = await inner.commit(committable);
      log.calls.push({ committable: key, outcome: first.kind });
      if (first.kind !== "committed" && first.kind !== "alreadyCommitted") return first;
      const second = await inner
        .commit(committable)
        .catch((error: unknown): CommitOutcome => CommitOutcomes.failedUnknown(String(error), error));
      log.calls.push({ committable: key, outcome: second.kind });
      if (second.kind === "committed") {
        if (log.notes.length === 0) {
          log.notes.push(
            `a second commit of a committed committable answered "committed" rather than "alreadyCommitted" (e.g. ${key}); allowed when nothing is written twice, but the contract asks for "alreadyCommitted"`,
          );
        }
      } else if (second.kind !== "alreadyCommitted") {
        log.breaches.push(
          `a second commit of ${key} answered ${second.kind}${"reason" in second ? ` (${second.reason})` : ""}; committing a committed committable must succeed`,
        );
      }
      return first;
    },
    close: () => inner.close(),
  });
}
