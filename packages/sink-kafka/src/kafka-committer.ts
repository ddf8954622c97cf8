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
 *
 * EndTxn answers once the commit is decided, before the coordinator has written the commit
 * markers into the transaction's partitions; until then `read_committed` readers do not see
 * it (the last stable offset has not passed it). Periodic commits need not wait for that, but
 * a job that ends — a stop, end of input — promises that what it committed is readable when it
 * reports FINISHED: `close`, which the core calls before, waits (bounded) until the
 * coordinator has finished each transaction it committed.
 */
import { type CommitOutcome, CommitOutcomes, type Committer, type SinkLog } from "@berth/core/connector";
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

/** How long `close` waits for commit markers before it gives up (and logs). */
const MARKERS_TIMEOUT_MS = 10_000;
const MARKERS_POLL_MS = 20;

export class KafkaCommitter implements Committer<KafkaCommittable> {
  /** Per transactional id, the producer epoch of the last transaction committed here. */
  readonly #committed = new Map<string, number>();

  constructor(
    private readonly client: TransactionClient,
    private readonly attemptId: string,
    private readonly confirmations: CommitConfirmations,
    private readonly log?: SinkLog,
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
        this.#committed.set(committable.transactionalId, committable.producerEpoch);
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
    try {
      await this.#markersWritten();
    } finally {
      await this.client.close();
    }
  }

  /**
   * Resolves once the coordinator has written the markers of every transaction committed here:
   * DescribeTransactions no longer answers PrepareCommit for its id (CompleteCommit, or a later
   * transaction or epoch of that id). The coordinator completes a transaction only after every
   * partition leader appended and replicated its marker, so the last stable offsets are past it.
   */
  async #markersWritten(): Promise<void> {
    const deadline = Date.now() + MARKERS_TIMEOUT_MS;
    const waiting = new Map(this.#committed);
    this.#committed.clear();
    while (waiting.size > 0) {
      for (const [transactionalId, epoch] of waiting) {
        const d = await this.client.describeTransaction(transactionalId).catch(() => undefined);
        if (d && (d.errorCode !== 0 || d.state !== "PrepareCommit" || d.producerEpoch !== epoch)) {
          waiting.delete(transactionalId);
        }
      }
      if (waiting.size === 0) return;
      if (Date.now() >= deadline) {
        this.log?.warn(
          `kafka sink: the commit markers of ${[...waiting.keys()].join(", ")} were not written within ${MARKERS_TIMEOUT_MS} ms; read_committed readers see those transactions once they are`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, MARKERS_POLL_MS));
    }
  }
}
