/** Options of the Kafka source: one typed object, validated when the source is built. */
import { KafkaError } from "../errors.js";
import { brokerList, type KafkaConnectionOptions } from "../kafka-client.js";

/** A committed record as the source reads it. */
export interface KafkaSourceMessage {
  readonly topic: string;
  readonly partition: number;
  /** 64-bit offset as a decimal string. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | Buffer[]>>;
  /** Record timestamp, epoch milliseconds (the source's event time). */
  readonly timestamp: number;
}

export interface KafkaSourceOptions<T = KafkaSourceMessage> extends KafkaConnectionOptions {
  /** Topic or topics to read; every partition they have at the first start is a split. */
  readonly topics: string | readonly string[];
  /**
   * Where a split without checkpointed position starts: `"earliest"` (default) or `"latest"`
   * (the last stable offset at the first start).
   */
  readonly startingOffsets?: "earliest" | "latest";
  /**
   * Default false (unbounded). When true, each split ends at the last stable offset its
   * partition had when the split was created (the first start), kept in checkpoint state:
   * once every split of a reader reaches it, the reader reports end of input.
   */
  readonly bounded?: boolean;
  /** Turns a record into the pipeline's value. Default: the {@link KafkaSourceMessage} itself. */
  readonly deserializer?: (message: KafkaSourceMessage) => T;
  /**
   * A checkpointed position the log no longer holds (retention deleted it): `"fail"` (default,
   * the job fails naming the split) or `"earliest"` (go on from the log's first offset).
   */
  readonly offsetOutOfRange?: "fail" | "earliest";
  /** How long a fetch waits for data when there is none. Default 500 ms. */
  readonly maxWaitMs?: number;
  /** Bytes fetched per partition and request. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** Records returned per poll at most (checkpoint barriers pass between polls). Default 2000. */
  readonly maxRecordsPerPoll?: number;
  /** How long fetches may keep failing (broker unreachable) before the job fails. Default 60000 ms. */
  readonly fetchFailureTimeoutMs?: number;
}

export interface ResolvedKafkaSourceOptions<T> {
  readonly brokers: string[];
  readonly client: KafkaConnectionOptions["client"];
  readonly topics: string[];
  readonly startingOffsets: "earliest" | "latest";
  readonly bounded: boolean;
  readonly deserializer: (message: KafkaSourceMessage) => T;
  readonly offsetOutOfRange: "fail" | "earliest";
  readonly maxWaitMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxRecordsPerPoll: number;
  readonly fetchFailureTimeoutMs: number;
}

function invalid(message: string): never {
  throw new KafkaError("KAFKA_CONFIG_INVALID", `kafka source: ${message}`);
}

function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} ${value} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function resolveKafkaSourceOptions<T>(options: KafkaSourceOptions<T>): ResolvedKafkaSourceOptions<T> {
  if (typeof options !== "object" || options === null) invalid("options must be an object");
  const brokers = brokerList(options.brokers ?? [], "kafka source");
  const topics = typeof options.topics === "string" ? [options.topics] : [...(options.topics ?? [])];
  if (topics.length === 0) invalid("`topics` must name at least one topic");
  for (const topic of topics) {
    if (typeof topic !== "string" || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
      invalid(`topic "${String(topic)}" is not a valid Kafka topic name`);
    }
  }
  const startingOffsets = options.startingOffsets ?? "earliest";
  if (startingOffsets !== "earliest" && startingOffsets !== "latest") {
    invalid(`startingOffsets "${String(startingOffsets)}" must be "earliest" or "latest"`);
  }
  const offsetOutOfRange = options.offsetOutOfRange ?? "fail";
  if (offsetOutOfRange !== "fail" && offsetOutOfRange !== "earliest") {
    invalid(`offsetOutOfRange "${String(offsetOutOfRange)}" must be "fail" or "earliest"`);
  }
  if (options.deserializer !== undefined && typeof options.deserializer !== "function") {
    invalid("`deserializer` must be a function");
  }
  return {
    brokers,
    client: options.client,
    topics: [...new Set(topics)],
    startingOffsets,
    bounded: options.bounded ?? false,
    deserializer: options.deserializer ?? ((message: KafkaSourceMessage) => message as unknown as T),
    offsetOutOfRange,
    maxWaitMs: integer("maxWaitMs", options.maxWaitMs, 500, 0, 1_000),
    maxBytesPerPartition: integer(
      "maxBytesPerPartition",
      options.maxBytesPerPartition,
      1024 * 1024,
      1024,
      2 ** 30,
    ),
    maxRecordsPerPoll: integer("maxRecordsPerPoll", options.maxRecordsPerPoll, 2000, 1, 1_000_000),
    fetchFailureTimeoutMs: integer(
      "fetchFailureTimeoutMs",
      options.fetchFailureTimeoutMs,
      60_000,
      0,
      2 ** 31 - 1,
    ),
  };
}
