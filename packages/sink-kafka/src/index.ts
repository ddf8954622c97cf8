/**
 * @berth/sink-kafka — an exactly-once Kafka sink on kafkajs transactions (pre-committed at
 * each checkpoint, committed once it completes, resumed after a crash, lingering ones aborted
 * at start), an at-least-once mode, a Kafka source reading `read_committed` with its offsets
 * in checkpoint state, and `abortLingeringTransactions` behind `berth kafka abort-lingering`.
 */
export { KafkaError, type KafkaErrorCode, KafkaRecordRejectedError } from "./errors.js";
export type { KafkaConnectionOptions } from "./kafka-client.js";
export { KAFKA_COMMITTABLE_VERSION, type KafkaCommittable } from "./kafka-committable.js";
export {
  abortLingeringTransactions,
  type LingeringCleanupOptions,
  type LingeringCleanupReport,
} from "./kafka-lingering.js";
export { kafkaSink } from "./kafka-sink.js";
export {
  type DeliveryGuarantee,
  KAFKA_SINK_DEFAULTS,
  type KafkaCompression,
  type KafkaSinkOptions,
} from "./kafka-sink-options.js";
export type { KafkaWriterState } from "./kafka-writer-state.js";
export { kafkaSource } from "./source/kafka-source.js";
export type { KafkaSourceMessage, KafkaSourceOptions } from "./source/kafka-source-options.js";
export type { KafkaSplit } from "./source/kafka-split.js";
export { type EnsureTopicOptions, ensureTopic } from "./topics.js";
