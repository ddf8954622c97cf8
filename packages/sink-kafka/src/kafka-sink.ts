/**
 * The Kafka sink (Flink's KafkaSink): only wiring. The writer owns transactions
 * (kafka-writer.ts), the committer commits them on its own connections
 * (kafka-committer.ts), and lingering transactions of earlier runs are aborted at every start
 * (kafka-lingering.ts).
 */
import type { Sink } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import { AtLeastOnceKafkaWriter } from "./at-least-once-writer.js";
import { CommitConfirmations } from "./commit-confirmations.js";
import { createKafka } from "./kafka-client.js";
import { type KafkaCommittable, kafkaCommittableCodec } from "./kafka-committable.js";
import { KafkaCommitter } from "./kafka-committer.js";
import { TransactionClient } from "./kafka-internals/index.js";
import { abortKafkaLingering } from "./kafka-lingering.js";
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
      await abortKafkaLingering(context, client(), resolved);
    },
  };
}
