/**
 * Errors of the Kafka sink and source. Each has a stable `code`, a message saying what is
 * wrong and what to do, and the cause attached; `instanceof` works across copies of the
 * package through the core's marker brand.
 */
import { RecordRejectedError, TypedError } from "@berth/core";

export type KafkaErrorCode =
  /** An option is missing or out of range. */
  | "KAFKA_CONFIG_INVALID"
  /** No bootstrap broker answered (refused, unknown host, timed out) within the client's retries. */
  | "KAFKA_UNREACHABLE"
  /**
   * `transactionTimeoutMs` cannot hold a transaction across a checkpoint and a recovery, or
   * exceeds the brokers' `transaction.max.timeout.ms`.
   */
  | "KAFKA_TRANSACTION_TIMEOUT_INVALID"
  /** The topic the sink writes or the source reads does not exist (neither creates topics). */
  | "KAFKA_TOPIC_NOT_FOUND"
  /** A serializer (topic, key, value, headers, timestamp) threw or returned a bad value. */
  | "KAFKA_RECORD_INVALID"
  /** A serialized record is larger than `maxRecordBytes`. */
  | "KAFKA_RECORD_TOO_LARGE"
  /**
   * Every transactional id of a writer subtask (`maxPoolSize`) holds a pre-committed
   * transaction whose checkpoint failed; the job fails over to its latest checkpoint.
   */
  | "KAFKA_TRANSACTION_POOL_EXHAUSTED"
  /** The broker refused records of the current transaction; the transaction cannot be pre-committed. */
  | "KAFKA_SEND_FAILED"
  /** The source's deserializer threw on a record. */
  | "KAFKA_SOURCE_RECORD_INVALID"
  /** The source cannot read its partitions (broker unreachable for too long, offsets out of range…). */
  | "KAFKA_SOURCE_FETCH_FAILED"
  /**
   * The source's consumer group (`groupId`) has active members: the source commits offsets there
   * without joining, which would fight those consumers.
   */
  | "KAFKA_SOURCE_GROUP_ACTIVE"
  /** A split restored from a checkpoint is malformed. */
  | "KAFKA_SOURCE_SPLIT_INVALID"
  /** A committable restored from a checkpoint is malformed or of an unknown version. */
  | "KAFKA_COMMITTABLE_INVALID"
  /** Writer state restored from a checkpoint is malformed or of an unknown version. */
  | "KAFKA_WRITER_STATE_INVALID"
  /** `berth kafka …` was called with a missing or bad argument. */
  | "KAFKA_CLI_USAGE";

export class KafkaError extends TypedError<KafkaErrorCode> {
  static override readonly marker: string = "berth.sink-kafka/KafkaError";
}

export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const type = (error as { type?: unknown }).type;
  return typeof type === "string" && !error.message.includes(type)
    ? `${type}: ${error.message}`
    : error.message;
}

/**
 * A record the sink cannot take (`KAFKA_RECORD_INVALID`, `KAFKA_RECORD_TOO_LARGE`), thrown before
 * anything of it is sent: a bad record, so the job's `badRecords` policy (fail, skip,
 * dead-letter) applies to it. Every other error of the sink is a target failure.
 */
export class KafkaRecordRejectedError extends RecordRejectedError<KafkaErrorCode> {
  static override readonly marker: string = "berth.sink-kafka/KafkaRecordRejectedError";
}
