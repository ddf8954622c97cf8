/**
 * Commits pre-committed Kafka transactions on its own connections (Flink's KafkaCommitter),
 * and sorts every answer into the core's outcomes:
 *
 * - a committable of this attempt is committed with `commitPrepared` (EndTxn first; its
 *   slot carries no newer transaction until the commit is confirmed);
 * - any other (restored from a checkpoint) with `resumeAndCommit`, which reads the
 *   transaction's fate from the log at its anchor before it sends anything, so a re-commit of
 *   a committed transaction is `alreadyCommitted` even when its transactional id carries the
 *   next transaction;
 * - an aborted transaction (timed out on `transaction.timeout.ms`, or fenced) is a *known
 *   permanent* failure naming the records lost; a transient one is *retry later*.
 */
import { type CommitOutcome, CommitOutcomes, type Committer } from "@berth/core";
import type { CommitConfirmations } from "./commit-confirmations.js";
import {
  committableKey,
  describeKafkaCommittable,
  type KafkaCommittable,
  toPreparedTransaction,
} from "./kafka-committable.js";
import type { KnownCommitFailure, TransactionClient } from "./kafka-internals/index.js";

/** The stable code of each known permanent failure, as the job's error reports it (README, "Errors"). */
const FAILED_KNOWN_CODES: Record<KnownCommitFailure, string> = {
  aborted: "KAFKA_TRANSACTION_ABORTED",
  fenced: "KAFKA_PRODUCER_FENCED",
  producerIdChanged: "KAFKA_PRODUCER_ID_CHANGED",
  invalidState: "KAFKA_TRANSACTION_STATE_INVALID",
};

export class KafkaCommitter implements Committer<KafkaCommittable> {
  constructor(
    private readonly client: TransactionClient,
    private readonly attemptId: string,
    private readonly confirmations: CommitConfirmations,
  ) {}

  /** `committable` is checked: the writer made it, or the core parsed it at restore. */
  async commit(committable: KafkaCommittable): Promise<CommitOutcome> {
    const key = committableKey(committable);
    this.confirmations.began(key);
    const tx = toPreparedTransaction(committable);
    const outcome =
      committable.attemptId === this.attemptId
        ? await this.client.commitPrepared(tx)
        : await this.client.resumeAndCommit(tx);
    switch (outcome.kind) {
      case "committed":
      case "alreadyCommitted":
        this.confirmations.confirm(key);
        return outcome.kind === "committed" ? CommitOutcomes.committed : CommitOutcomes.alreadyCommitted;
      case "retryLater":
        return CommitOutcomes.retryLater(outcome.reason, outcome.cause);
      case "failedKnown":
        return CommitOutcomes.failedKnown(
          FAILED_KNOWN_CODES[outcome.code],
          `${outcome.reason} Lost: ${describeKafkaCommittable(committable)}.`,
          outcome.cause,
        );
      case "failedUnknown":
        return CommitOutcomes.failedUnknown(outcome.reason, outcome.cause);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
