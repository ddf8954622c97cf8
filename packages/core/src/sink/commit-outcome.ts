/**
 * What a committer reports for one committable (DESIGN.md's outcome table). The core acts on
 * the kind: done, retry with backoff until the commit deadline, fail over, or fail the job.
 * A known permanent failure carries the committer's stable `code` (UPPER_SNAKE, e.g.
 * `FILE_PRE_COMMITTED_FILE_MISSING`) beside the human `reason`; the job's
 * `CommitFailedPermanentlyError` keeps it as `reasonCode`.
 */
export type CommitOutcome =
  | { readonly kind: "committed" }
  | { readonly kind: "alreadyCommitted" }
  | { readonly kind: "retryLater"; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: "failedKnown"; readonly code: string; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: "failedUnknown"; readonly reason: string; readonly cause?: unknown };

export const CommitOutcomes = {
  committed: { kind: "committed" } as CommitOutcome,
  alreadyCommitted: { kind: "alreadyCommitted" } as CommitOutcome,
  retryLater: (reason: string, cause?: unknown): CommitOutcome => ({ kind: "retryLater", reason, cause }),
  failedKnown: (code: string, reason: string, cause?: unknown): CommitOutcome => ({
    kind: "failedKnown",
    code,
    reason,
    cause,
  }),
  failedUnknown: (reason: string, cause?: unknown): CommitOutcome => ({
    kind: "failedUnknown",
    reason,
    cause,
  }),
} as const;
