/**
 * Lingering transaction cleanup: every transaction still open (`Ongoing`) under a sink
 * prefix is aborted by fencing its transactional id (InitProducerId, which bumps the epoch
 * and makes the coordinator abort what the id holds open). Two ways find them:
 *
 * - ListTransactions on every broker (Kafka >= 3.0): all open ids, kept when they are pooled
 *   names `<prefix>-<subtask>-<slot>` of this prefix (the core's `SinkNames`, never an id of a
 *   longer prefix) — this also finds subtasks and slots no run knows about any more (after a
 *   parallelism or pool size change);
 * - DescribeTransactions of the bounded set `<prefix>-<s>-<k>` for s < maxSubtasks,
 *   k < poolSize — the ids the sink can have, asked one by one (no state is created for an
 *   id the coordinator does not know).
 *
 * Used by the sink at every start (after the restored committables were committed) and by
 * `berth kafka abort-lingering`.
 */
import { type RecoverContext, SinkNames } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import { messageOf } from "./errors.js";
import type { KafkaCommittable } from "./kafka-committable.js";
import { TransactionClient } from "./kafka-internals/index.js";
import type { ResolvedKafkaSinkOptions } from "./kafka-sink-options.js";
import type { KafkaWriterState } from "./kafka-writer-state.js";

export interface LingeringCleanupOptions {
  readonly prefix: string;
  /**
   * Which open ids to abort; default: every pooled name of the prefix. The sink passes the
   * core's lingering scope (`RecoverContext.lingering.isLingering`).
   */
  readonly isLingering?: (transactionalId: string) => boolean;
  /** Subtask numbers probed: 0 … maxSubtasks-1. */
  readonly maxSubtasks: number;
  /** Slots probed per subtask: 0 … poolSize-1. */
  readonly poolSize: number;
  /** `transaction.timeout.ms` sent with the fencing InitProducerId. */
  readonly transactionTimeoutMs: number;
  /** Only report what would be aborted. */
  readonly dryRun?: boolean;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LingeringCleanupReport {
  /** Open transactions under the prefix (by transactional id), found by listing or probing. */
  readonly open: string[];
  /** Those aborted by fencing (empty on a dry run). */
  readonly aborted: string[];
  /** Ids probed with DescribeTransactions. */
  readonly probed: number;
  /** Whether ListTransactions answered (false on brokers older than 3.0, or when it is not allowed). */
  readonly listed: boolean;
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

export async function abortLingeringTransactions(
  client: TransactionClient,
  options: LingeringCleanupOptions,
): Promise<LingeringCleanupReport> {
  const names = new SinkNames(options.prefix);
  const isLingering = options.isLingering ?? ((id: string) => names.parsePooled(id) !== undefined);
  const open = new Set<string>();
  let listed = true;
  try {
    for (const t of await client.listTransactions(["Ongoing"])) {
      if (isLingering(t.transactionalId)) open.add(t.transactionalId);
    }
  } catch (error) {
    listed = false;
    options.log?.("kafka: ListTransactions failed; probing the prefix's ids only", {
      error: messageOf(error),
    });
  }
  const probes: string[] = [];
  for (let s = 0; s < options.maxSubtasks; s++) {
    for (let k = 0; k < options.poolSize; k++) {
      const id = names.pooled({ subtask: s, slot: k });
      if (!open.has(id)) probes.push(id);
    }
  }
  await inBatches(probes, 16, async (id) => {
    const d = await client.describeTransaction(id);
    if (d.errorCode === 0 && d.state === "Ongoing") open.add(id);
  });
  const sorted = [...open].sort();
  const aborted: string[] = [];
  if (!options.dryRun) {
    await inBatches(sorted, 4, async (id) => {
      const fenced = await client.fenceTransactionalId(id, {
        transactionTimeoutMs: options.transactionTimeoutMs,
      });
      options.log?.("kafka: aborted a lingering transaction", {
        transactionalId: id,
        producerId: fenced.producerId,
        epoch: fenced.producerEpoch,
      });
      aborted.push(id);
    });
  }
  return { open: sorted, aborted: aborted.sort(), probed: probes.length, listed };
}

/**
 * The sink's `abortLingering`: which slots may hold transactions — up to this run's
 * maxPoolSize (the pool grows while checkpoints fail, ADR 0008), and the pool of the run that
 * wrote the restored state (a smaller pool now leaves ids no run uses). The subtasks to look
 * at — this run's and vanished ones — come from the core's lingering scope.
 */
export async function abortKafkaLingering(
  context: RecoverContext<KafkaCommittable, KafkaWriterState>,
  kafka: Kafka,
  options: Pick<ResolvedKafkaSinkOptions<unknown>, "maxPoolSize" | "transactionTimeoutMs">,
): Promise<void> {
  let poolSize = options.maxPoolSize;
  for (const state of context.restoredWriterStates) poolSize = Math.max(poolSize, state.poolSize);
  for (const c of context.restoredCommittables) {
    const slot = context.names.parsePooled(c.transactionalId)?.slot;
    if (slot !== undefined) poolSize = Math.max(poolSize, slot + 1);
  }
  const transactions = TransactionClient.create(kafka);
  try {
    const report = await abortLingeringTransactions(transactions, {
      prefix: context.sinkPrefix,
      isLingering: context.lingering.isLingering,
      maxSubtasks: context.lingering.subtasks,
      poolSize,
      transactionTimeoutMs: options.transactionTimeoutMs,
      log: (message, fields) => context.log.info(message, fields),
    });
    if (report.aborted.length > 0) {
      context.log.info(`kafka sink: aborted ${report.aborted.length} lingering transaction(s)`, {
        prefix: context.sinkPrefix,
        transactionalIds: report.aborted,
      });
    }
  } finally {
    await transactions.close();
  }
}
