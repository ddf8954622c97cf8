/**
 * Commits one stored committable and acts on the outcome as DESIGN.md's table says:
 * done, retried with backoff until the commit deadline (then treated as unknown), or a
 * typed error — {@link CommitFailedPermanentlyError} for a known permanent failure,
 * `COMMIT_FAILED` for an unknown one.
 */
import pRetry, { AbortError } from "p-retry";
import type { StoredCommittable } from "../checkpoint/metadata.js";
import { BerthError, CommitFailedPermanentlyError, errorMessage } from "../errors.js";
import type { CommitOutcome } from "../sink/commit-outcome.js";
import type { Committer, Json, SinkLog } from "../sink/sink.js";

/** Carries a *retry later* outcome through p-retry; never leaves this module. */
class RetryLater extends BerthError {
  static override readonly marker: string = "berth.core/RetryLater";

  constructor(message: string, options: { cause?: unknown }) {
    super("COMMIT_FAILED", message, options);
  }
}

export interface CommitSettings {
  /** How long a committable may stay in *retry later* before it counts as failed, unknown reason. */
  readonly commitDeadlineMs: number;
  readonly log: SinkLog;
  /**
   * While it returns a time (epoch ms), retries go on until then instead of until their own
   * deadline: a stop's synchronous commits are bounded by the stop's deadline alone, whatever
   * retry was under way when the stop began (DESIGN.md, "Synchronous savepoint").
   */
  readonly commitDeadlineAt?: () => number | undefined;
}

export function describeCommittable(stored: StoredCommittable): string {
  return `committable ${stored.id} (checkpoint ${stored.checkpointId}, subtask ${stored.subtask}: ${JSON.stringify(stored.committable)})`;
}

/** Resolves `true` when committed now, `false` when it was already committed. */
export async function commitWithRetry(
  committer: Committer<Json>,
  stored: StoredCommittable,
  settings: CommitSettings,
): Promise<boolean> {
  const attempt = async (): Promise<boolean> => {
    let outcome: CommitOutcome;
    try {
      outcome = await committer.commit(stored.committable as Json);
    } catch (error) {
      outcome = { kind: "failedUnknown", reason: errorMessage(error), cause: error };
    }
    switch (outcome.kind) {
      case "committed":
        return true;
      case "alreadyCommitted":
        return false;
      case "retryLater":
        throw new RetryLater(outcome.reason, { cause: outcome.cause });
      case "failedKnown":
        throw new AbortError(
          new CommitFailedPermanentlyError(
            `${describeCommittable(stored)} cannot be committed: ${outcome.reason} [${outcome.code}]. Its records are lost from the target; restart with --skip-failed-committables to go on without them`,
            stored,
            { cause: outcome.cause, reasonCode: outcome.code },
          ),
        );
      case "failedUnknown":
        throw new AbortError(
          new BerthError(
            "COMMIT_FAILED",
            `${describeCommittable(stored)} failed to commit: ${outcome.reason}`,
            {
              cause: outcome.cause,
            },
          ),
        );
    }
  };
  const began = Date.now();
  const deadline = () => settings.commitDeadlineAt?.() ?? began + settings.commitDeadlineMs;
  try {
    return await pRetry(attempt, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 100,
      maxTimeout: 5_000,
      factor: 2,
      shouldRetry: () => Date.now() < deadline(),
      onFailedAttempt: ({ error, attemptNumber }) => {
        if (error instanceof RetryLater) {
          settings.log.warn("commit will be retried", {
            committable: stored.id,
            attempt: attemptNumber,
            reason: error.message,
          });
        }
      },
    });
  } catch (error) {
    if (error instanceof RetryLater) {
      throw new BerthError(
        "COMMIT_DEADLINE_EXCEEDED",
        `${describeCommittable(stored)} was still failing to commit after ${Date.now() - began} ms (${error.message})`,
        { cause: error },
      );
    }
    throw error;
  }
}
