/**
 * What a committer reports for one committable (DESIGN.md's outcome table). The core acts on
 * the kind: done, retry with backoff until the commit deadline, fail over, or fail the job.
 */
export type CommitOutcome =
  | { readonly kind: "committed" }
  | { readonly kind: "alreadyCommitted" }
  | { readonly kind: "retryLater"; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: "failedKnown"; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: "failedUnknown"; readonly reason: string; readonly cause?: unknown };

export const CommitOutcomes = {
  committed: { kind: "committed" } as CommitOutcome,
  alreadyCommitted: { kind: "alreadyCommitted" } as CommitOutcome,
  retryLater: (reason: string, cause?: unknown): CommitOutcome => ({ kind: "retryLater", reason, cause }),
  failedKnown: (reason: string, cause?: unknown): CommitOutcome => ({ kind: "failedKnown", reason, cause }),
  failedUnknown: (reason: string, cause?: unknown): CommitOutcome => ({
    kind: "failedUnknown",
    reason,
    cause,
  }),
} as const;
