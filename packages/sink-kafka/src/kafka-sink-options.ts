/** Options of the Kafka sink: one typed object, validated when the sink is built. */
import kafkajs, { type CompressionTypes, type ICustomPartitioner, type IHeaders } from "kafkajs";
import { KafkaError } from "./errors.js";
import { brokerList, type KafkaConnectionOptions } from "./kafka-client.js";

export type DeliveryGuarantee = "exactly-once" | "at-least-once";

export type KafkaCompression = "none" | "gzip" | "snappy" | "lz4" | "zstd";

export interface KafkaSinkOptions<T> extends KafkaConnectionOptions {
  /**
   * The topic every record goes to, or a function picking it per record. The sink never
   * creates topics: a fixed topic is checked at start, a missing per-record topic fails the
   * send (`KAFKA_SEND_FAILED`).
   */
  readonly topic: string | ((record: T) => string);
  /** Record key. Default: none (`null`), so the partitioner spreads records. */
  readonly key?: (record: T) => Buffer | string | null | undefined;
  /** Record value. Default: `JSON.stringify(record)`. */
  readonly value?: (record: T) => Buffer | string | null;
  /** Record headers. Default: none. */
  readonly headers?: (record: T) => IHeaders | undefined;
  /** Record timestamp (epoch ms). Default: the time the sink sends it. */
  readonly timestamp?: (record: T) => number | undefined;
  /**
   * Picks the partition of each record: a kafkajs partitioner (`Partitioners.LegacyPartitioner`
   * or your own `() => ({ topic, partitionMetadata, message }) => number`). Default
   * kafkajs's `DefaultPartitioner` (murmur2 of the key, as the Java client).
   */
  readonly partitioner?: ICustomPartitioner;
  /**
   * Default `"none"`. kafkajs has gzip built in; `snappy`, `lz4` and `zstd` need a codec
   * registered in kafkajs's `CompressionCodecs` before the sink is built.
   */
  readonly compression?: KafkaCompression;
  /**
   * Default `"exactly-once"`: Kafka transactions committed after each checkpoint, read with
   * `read_committed`. `"at-least-once"`: an idempotent producer without transactions whose
   * sends are flushed at every checkpoint; a restore may write records again.
   */
  readonly deliveryGuarantee?: DeliveryGuarantee;
  /**
   * `transaction.timeout.ms` of the sink's producers: the broker aborts a transaction open
   * longer. Must be at least the checkpoint interval plus `recoveryWindowMs`, and at most the
   * brokers' `transaction.max.timeout.ms` (both checked at start). Default 900000 (15 min,
   * the brokers' default maximum).
   */
  readonly transactionTimeoutMs?: number;
  /**
   * How long, beyond one checkpoint interval, a pre-committed transaction must survive before
   * its commit: checkpoint duration, commit retries, and the longest failover or restart you
   * plan for. Only used to check `transactionTimeoutMs` at start. Default 60000.
   */
  readonly recoveryWindowMs?: number;
  /**
   * Transactional ids per subtask (`<sinkPrefix>-<subtask>-<slot>`) while checkpoints
   * complete, opened as needed. A slot is reused once its transaction's commit is recorded in
   * a completed checkpoint (or, when all are taken, once its commit is confirmed); three cover
   * the steady state. When all wait for commits already under way, the writer waits for one
   * (see the README). Default 5.
   */
  readonly poolSize?: number;
  /**
   * The most transactional ids per subtask: when checkpoints fail after pre-commit, every id
   * holds a transaction no completed checkpoint allows to commit yet, and the pool grows by
   * one id per failed checkpoint up to this; past it the writer fails
   * (`KAFKA_TRANSACTION_POOL_EXHAUSTED`) and the job fails over to its latest checkpoint.
   * Lingering-transaction cleanup probes subtasks × maxPoolSize ids. At least 2 and at least
   * `poolSize`. Default 16, or `poolSize` when that is larger (ADR 0008).
   */
  readonly maxPoolSize?: number;
  /** Records per produce call. Default 1000. */
  readonly batchRecords?: number;
  /** Bytes (keys + values) per produce call. Default 1 MiB. */
  readonly batchBytes?: number;
  /** Produce calls in flight before `write` waits (backpressure). Default 3. */
  readonly maxInFlightBatches?: number;
  /**
   * Largest serialized record (key + value + headers) accepted; a larger one fails the job
   * with `KAFKA_RECORD_TOO_LARGE` before anything is sent. Keep it at or below the topic's
   * `max.message.bytes`. Default 1000000.
   */
  readonly maxRecordBytes?: number;
}

export interface ResolvedKafkaSinkOptions<T> {
  readonly brokers: string[];
  readonly client: KafkaConnectionOptions["client"];
  readonly topic: string | ((record: T) => string);
  readonly key: ((record: T) => Buffer | string | null | undefined) | undefined;
  readonly value: (record: T) => Buffer | string | null;
  readonly headers: ((record: T) => IHeaders | undefined) | undefined;
  readonly timestamp: ((record: T) => number | undefined) | undefined;
  readonly partitioner: ICustomPartitioner | undefined;
  readonly compression: CompressionTypes;
  readonly deliveryGuarantee: DeliveryGuarantee;
  readonly transactionTimeoutMs: number;
  readonly recoveryWindowMs: number;
  readonly poolSize: number;
  readonly maxPoolSize: number;
  readonly batchRecords: number;
  readonly batchBytes: number;
  readonly maxInFlightBatches: number;
  readonly maxRecordBytes: number;
}

export const KAFKA_SINK_DEFAULTS = {
  compression: "none",
  deliveryGuarantee: "exactly-once",
  transactionTimeoutMs: 900_000,
  recoveryWindowMs: 60_000,
  poolSize: 5,
  maxPoolSize: 16,
  batchRecords: 1000,
  batchBytes: 1024 * 1024,
  maxInFlightBatches: 3,
  maxRecordBytes: 1_000_000,
} as const;

/** The largest transaction timeout Kafka accepts at all (int32 milliseconds). */
const INT32_MAX = 2 ** 31 - 1;

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const Codecs = kafkajs.CompressionTypes;

const COMPRESSION: Record<KafkaCompression, CompressionTypes> = {
  none: Codecs.None,
  gzip: Codecs.GZIP,
  snappy: Codecs.Snappy,
  lz4: Codecs.LZ4,
  zstd: Codecs.ZSTD,
};

function invalid(message: string): never {
  throw new KafkaError("KAFKA_CONFIG_INVALID", `kafka sink: ${message}`);
}

function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = INT32_MAX,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} ${value} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== "function") invalid(`${name} must be a function`);
  return value;
}

export function resolveKafkaSinkOptions<T>(options: KafkaSinkOptions<T>): ResolvedKafkaSinkOptions<T> {
  if (typeof options !== "object" || options === null) invalid("options must be an object");
  const brokers = brokerList(options.brokers ?? [], "kafka sink");
  const topic = options.topic;
  if (typeof topic === "string") {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === "." || topic === "..") {
      invalid(`topic "${topic}" is not a valid Kafka topic name ([a-zA-Z0-9._-], at most 249 characters)`);
    }
  } else if (typeof topic !== "function") {
    invalid("`topic` must be a topic name or a function of the record returning one");
  }
  const compressionName = options.compression ?? KAFKA_SINK_DEFAULTS.compression;
  const compression = COMPRESSION[compressionName];
  if (compression === undefined)
    invalid(`compression "${compressionName}" must be none, gzip, snappy, lz4 or zstd`);
  if (compression !== Codecs.None && compression !== Codecs.GZIP) {
    const codecs = kafkajs.CompressionCodecs as unknown as Record<number, unknown>;
    // Without a registered codec kafkajs's entry is a function that throws "not implemented".
    let registered = false;
    try {
      registered = typeof (codecs[compression] as () => unknown)() === "object";
    } catch {
      registered = false;
    }
    if (!registered) {
      invalid(
        `compression "${compressionName}" needs a codec: register one in kafkajs's CompressionCodecs[CompressionTypes.${Codecs[compression]}] before building the sink (e.g. the kafkajs-${compressionName} package)`,
      );
    }
  }
  const deliveryGuarantee = options.deliveryGuarantee ?? KAFKA_SINK_DEFAULTS.deliveryGuarantee;
  if (deliveryGuarantee !== "exactly-once" && deliveryGuarantee !== "at-least-once") {
    invalid(`deliveryGuarantee "${String(deliveryGuarantee)}" must be "exactly-once" or "at-least-once"`);
  }
  const partitioner = optionalFunction("partitioner", options.partitioner);
  const poolSize = integer("poolSize", options.poolSize, KAFKA_SINK_DEFAULTS.poolSize, 1, 1000);
  const maxPoolSize = integer(
    "maxPoolSize",
    options.maxPoolSize,
    Math.max(KAFKA_SINK_DEFAULTS.maxPoolSize, poolSize),
    2,
    1000,
  );
  if (maxPoolSize < poolSize) invalid(`maxPoolSize ${maxPoolSize} must be at least poolSize ${poolSize}`);
  return {
    brokers,
    client: options.client,
    topic,
    key: optionalFunction("key", options.key),
    value: optionalFunction("value", options.value) ?? ((record: T) => JSON.stringify(record) ?? null),
    headers: optionalFunction("headers", options.headers),
    timestamp: optionalFunction("timestamp", options.timestamp),
    partitioner,
    compression,
    deliveryGuarantee,
    transactionTimeoutMs: integer(
      "transactionTimeoutMs",
      options.transactionTimeoutMs,
      KAFKA_SINK_DEFAULTS.transactionTimeoutMs,
      1,
    ),
    recoveryWindowMs: integer(
      "recoveryWindowMs",
      options.recoveryWindowMs,
      KAFKA_SINK_DEFAULTS.recoveryWindowMs,
      0,
    ),
    poolSize,
    maxPoolSize,
    batchRecords: integer("batchRecords", options.batchRecords, KAFKA_SINK_DEFAULTS.batchRecords, 1),
    batchBytes: integer("batchBytes", options.batchBytes, KAFKA_SINK_DEFAULTS.batchBytes, 1),
    maxInFlightBatches: integer(
      "maxInFlightBatches",
      options.maxInFlightBatches,
      KAFKA_SINK_DEFAULTS.maxInFlightBatches,
      1,
      100,
    ),
    maxRecordBytes: integer("maxRecordBytes", options.maxRecordBytes, KAFKA_SINK_DEFAULTS.maxRecordBytes, 1),
  };
}
