/**
 * The Kafka sink (Flink's KafkaSink): only wiring. The writer owns transactions
 * (kafka-writer.ts), the committer commits them on its own connections
 * (kafka-committer.ts), and lingering transactions of earlier runs are aborted at every start
 * (kafka-lingering.ts).
 */
import type { Sink } from "@berth/core";
import type { Kafka } from "kafkajs";
import { AtLeastOnceKafkaWriter } from "./at-least-once-writer.js";
import { CommitConfirmations } from "./commit-confirmations.js";
import { createKafka } from "./kafka-client.js";
import { type KafkaCommittable, kafkaCommittableCodec } from "./kafka-committable.js";
import { KafkaCommitter } from "./kafka-committer.js";
import { TransactionClient } from "./kafka-internals/index.js";
import { abortLingeringTransactions } from "./kafka-lingering.js";
import { type KafkaSinkOptions, resolveKafkaSinkOptions } from "./kafka-sink-options.js";
import { validateKafkaSink } from "./kafka-sink-validation.js";
import { KafkaWriter } from "./kafka-writer.js";
import { type KafkaWriterState, kafkaWriterStateCodec } from "./kafka-writer-state.js";

/**
 * An exactly-once (or at-least-once) Kafka sink:
 *
 * ```ts
 * pipeline.map((seq) => ({ seq })).sinkTo(
 *   kafkaSink({ brokers: "127.0.0.1:9092", topic: "sequence" }),
 *   { uid: "kafka", sinkPrefix: "sequence-to-kafka" },
 * );
 * ```
 */
export function kafkaSink<T>(options: KafkaSinkOptions<T>): Sink<T, KafkaCommittable, KafkaWriterState> {
  const resolved = resolveKafkaSinkOptions(options);
  let kafka: Kafka | undefined;
  const client = (): Kafka => {
    kafka ??= createKafka(resolved.brokers, resolved.client);
    return kafka;
  };
  const confirmations = new CommitConfirmations();
  const exactlyOnce = resolved.deliveryGuarantee === "exactly-once";
  const warnings: string[] = [];
  return {
    kind: "kafka",
    committable: kafkaCommittableCodec,
    writerState: kafkaWriterStateCodec,
    targetIdentity: () =>
      `kafka://${resolved.brokers.join(",")}/${typeof resolved.topic === "string" ? resolved.topic : "*"}`,
    // A transactional id is a protocol STRING: at most 32767 bytes.
    maxNameBytes: 32_767,
    async validate({ checkpointIntervalMs }) {
      await validateKafkaSink(client(), resolved, checkpointIntervalMs, {
        warn: (message) => warnings.push(message),
      });
    },
    async createWriter(context) {
      if (!exactlyOnce) return new AtLeastOnceKafkaWriter<T>(context, client(), resolved);
      return new KafkaWriter<T>(context, client(), resolved, confirmations);
    },
    async createCommitter(context) {
      if (!exactlyOnce) {
        return { commit: async () => ({ kind: "committed" }), close: async () => {} };
      }
      return new KafkaCommitter(
        TransactionClient.create(client()),
        context.attemptId,
        confirmations,
        context.log,
      );
    },
    async abortLingering(context) {
      for (const message of warnings.splice(0)) context.log.warn(message);
      if (!exactlyOnce) return;
      // Which slots may hold transactions: up to this run's maxPoolSize (the pool grows while
      // checkpoints fail, ADR 0008), and the pool of the run that wrote the restored state (a
      // smaller pool now leaves ids no run uses). The subtasks to look at — this run's and
      // vanished ones — come from the core's lingering scope.
      let poolSize = resolved.maxPoolSize;
      for (const state of context.restoredWriterStates) poolSize = Math.max(poolSize, state.poolSize);
      for (const c of context.restoredCommittables) {
        const slot = context.names.parsePooled(c.transactionalId)?.slot;
        if (slot !== undefined) poolSize = Math.max(poolSize, slot + 1);
      }
      const transactions = TransactionClient.create(client());
      try {
        const report = await abortLingeringTransactions(transactions, {
          prefix: context.sinkPrefix,
          isLingering: context.lingering.isLingering,
          maxSubtasks: context.lingering.subtasks,
          poolSize,
          transactionTimeoutMs: resolved.transactionTimeoutMs,
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
    },
  };
}
