/**
 * The HTTP sink's committer: POSTs a committable's records under its key. The endpoint
 * deduplicates by `Idempotency-Key`, so a recommit is answered "already applied"; every
 * answer is sorted into one of the commit outcomes.
 */
import { type CommitOutcome, CommitOutcomes, type Committer } from "@berth/core/connector";
import type { HttpCommittable } from "./http-committable.js";

export class HttpCommitter implements Committer<HttpCommittable> {
  constructor(private readonly requestTimeoutMs: number) {}

  async commit(committable: HttpCommittable): Promise<CommitOutcome> {
    let response: Response;
    try {
      response = await fetch(`${committable.url}/batches`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": committable.key },
        body: JSON.stringify({ records: committable.records }),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      return CommitOutcomes.retryLater(`POST ${committable.url} failed: ${String(error)}`, error);
    }
    if (response.status === 201) return CommitOutcomes.committed;
    if (response.status === 200 && response.headers.get("idempotent-replayed") === "true") {
      return CommitOutcomes.alreadyCommitted;
    }
    if (response.status >= 500 || response.status === 429) {
      return CommitOutcomes.retryLater(`POST ${committable.url} answered ${response.status}`);
    }
    return CommitOutcomes.failedKnown(
      "HTTP_COMMIT_REJECTED",
      `POST ${committable.url} answered ${response.status}`,
    );
  }

  async close(): Promise<void> {}
}
