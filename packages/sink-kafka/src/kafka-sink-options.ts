/**
 * Options of the Kafka sink: the typed object users write, and one schema (defaults beside
 * each field) that validates it when the sink is built, naming the option and what it may be.
 */
import {
  type DeliveryGuarantee,
  deliveryGuaranteeOption,
  functionOption,
  parseOptions,
} from "@berth/core/connector";
import kafkajs, { type CompressionTypes, type ICustomPartitioner, type IHeaders } from "kafkajs";
import { z } from "zod";
import { KafkaError } from "./errors.js";
import { brokersOption, clientOption, isTopicName, type KafkaConnectionOptions } from "./kafka-client.js";

export type { DeliveryGuarantee };

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

/** Whether kafkajs has a codec for `compression` (gzip is built in; the others need one registered). */
function hasCodec(compression: KafkaCompression): boolean {
  const type = COMPRESSION[compression];
  if (type === Codecs.None || type === Codecs.GZIP) return true;
  // Without a registered codec kafkajs's entry is a function that throws "not implemented".
  try {
    return (
      typeof (kafkajs.CompressionCodecs as unknown as Record<number, () => unknown>)[type]?.() === "object"
    );
  } catch {
    return false;
  }
}

const int = (min: number, max = INT32_MAX) => z.number().int().min(min).max(max);
type RecordFunction = (record: never) => unknown;

/** The schema of {@link KafkaSinkOptions}: every default beside its field. */
const kafkaSinkOptions = z
  .object({
    brokers: brokersOption,
    client: clientOption.optional(),
    topic: z.union([
      z.string().refine(isTopicName, "must be a Kafka topic name ([a-zA-Z0-9._-], at most 249 characters)"),
      functionOption<RecordFunction>(),
    ]),
    key: functionOption<RecordFunction>().optional(),
    value: functionOption<RecordFunction>().optional(),
    headers: functionOption<RecordFunction>().optional(),
    timestamp: functionOption<RecordFunction>().optional(),
    partitioner: functionOption<ICustomPartitioner>().optional(),
    compression: z
      .enum(["none", "gzip", "snappy", "lz4", "zstd"])
      .default(KAFKA_SINK_DEFAULTS.compression)
      .refine(hasCodec, {
        error: (issue) =>
          `needs a codec for "${String(issue.input)}" registered in kafkajs's CompressionCodecs before the sink is built (e.g. the kafkajs-${String(issue.input)} package)`,
      }),
    deliveryGuarantee: deliveryGuaranteeOption,
    transactionTimeoutMs: int(1).default(KAFKA_SINK_DEFAULTS.transactionTimeoutMs),
    recoveryWindowMs: int(0).default(KAFKA_SINK_DEFAULTS.recoveryWindowMs),
    poolSize: int(1, 1000).default(KAFKA_SINK_DEFAULTS.poolSize),
    /** Default: `KAFKA_SINK_DEFAULTS.maxPoolSize`, or `poolSize` when that is larger. */
    maxPoolSize: int(2, 1000).optional(),
    batchRecords: int(1).default(KAFKA_SINK_DEFAULTS.batchRecords),
    batchBytes: int(1).default(KAFKA_SINK_DEFAULTS.batchBytes),
    maxInFlightBatches: int(1, 100).default(KAFKA_SINK_DEFAULTS.maxInFlightBatches),
    maxRecordBytes: int(1).default(KAFKA_SINK_DEFAULTS.maxRecordBytes),
  })
  .strict()
  .refine((o) => o.maxPoolSize === undefined || o.maxPoolSize >= o.poolSize, {
    path: ["maxPoolSize"],
    message: "must be at least `poolSize`",
  });

export function resolveKafkaSinkOptions<T>(options: KafkaSinkOptions<T>): ResolvedKafkaSinkOptions<T> {
  const o = parseOptions(
    "kafka sink",
    kafkaSinkOptions,
    options,
    (message, cause) => new KafkaError("KAFKA_CONFIG_INVALID", message, { cause }),
  );
  const typed = options as KafkaSinkOptions<T>;
  return {
    ...o,
    client: typed.client,
    topic: typed.topic,
    key: typed.key,
    value: typed.value ?? ((record: T) => JSON.stringify(record) ?? null),
    headers: typed.headers,
    timestamp: typed.timestamp,
    partitioner: typed.partitioner,
    compression: COMPRESSION[o.compression],
    maxPoolSize: o.maxPoolSize ?? Math.max(KAFKA_SINK_DEFAULTS.maxPoolSize, o.poolSize),
  };
}
