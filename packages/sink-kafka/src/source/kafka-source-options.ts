/**
 * Options of the Kafka source: the typed object users write, and one schema (defaults beside
 * each field) that validates it when the source is built, naming the option and what it may be.
 */
import { functionOption, parseOptions } from "@berth/core/connector";
import { z } from "zod";
import { KafkaError } from "../errors.js";
import { brokersOption, clientOption, isTopicName, type KafkaConnectionOptions } from "../kafka-client.js";

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
  /**
   * Topic or topics to read; every partition they have at the first start is a split, and so is
   * every partition added later (see `partitionDiscoveryIntervalMs`).
   */
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
  /**
   * How often the topics' partitions are listed again; partitions added since are read from
   * their earliest offset and checkpointed like the others. Default 300000 ms (Flink's); 0 turns
   * discovery off. Bounded sources never discover (their end is fixed at the first start).
   */
  readonly partitionDiscoveryIntervalMs?: number;
  /**
   * After each completed checkpoint, and with a stop's savepoint, commit the checkpointed
   * positions to the consumer group `groupId`, so lag tools show the job's progress. The
   * checkpoint stays the source of truth: a restore never reads the group's offsets, and a
   * failed commit is only logged. Default true.
   */
  readonly commitOffsets?: boolean;
  /**
   * The consumer group the offsets are committed to. It must have no active members (checked at
   * start: `KAFKA_SOURCE_GROUP_ACTIVE`). Default `berth-<job id>-<source uid>`.
   */
  readonly groupId?: string;
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
  readonly partitionDiscoveryIntervalMs: number;
  readonly commitOffsets: boolean;
  readonly groupId: string | undefined;
}

/** The schema of {@link KafkaSourceOptions}: every default beside its field. */
const kafkaSourceOptions = z
  .object({
    brokers: brokersOption,
    client: clientOption.optional(),
    topics: z
      .union([z.string(), z.array(z.string())])
      .transform((t) => [...new Set(typeof t === "string" ? [t] : t)])
      .refine((t) => t.length > 0, "must name at least one topic")
      .refine(
        (t) => t.every(isTopicName),
        "must be Kafka topic names ([a-zA-Z0-9._-], at most 249 characters)",
      ),
    startingOffsets: z.enum(["earliest", "latest"]).default("earliest"),
    bounded: z.boolean().default(false),
    deserializer: functionOption<(message: KafkaSourceMessage) => unknown>().optional(),
    offsetOutOfRange: z.enum(["fail", "earliest"]).default("fail"),
    maxWaitMs: z.number().int().min(0).max(1_000).default(500),
    maxBytesPerPartition: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 30)
      .default(1024 * 1024),
    maxRecordsPerPoll: z.number().int().min(1).max(1_000_000).default(2000),
    fetchFailureTimeoutMs: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(60_000),
    partitionDiscoveryIntervalMs: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(300_000),
    commitOffsets: z.boolean().default(true),
    groupId: z.string().min(1).max(255).optional(),
  })
  .strict();

export function resolveKafkaSourceOptions<T>(options: KafkaSourceOptions<T>): ResolvedKafkaSourceOptions<T> {
  const o = parseOptions(
    "kafka source",
    kafkaSourceOptions,
    options,
    (message, cause) => new KafkaError("KAFKA_CONFIG_INVALID", message, { cause }),
  );
  return {
    ...o,
    groupId: o.groupId,
    client: options.client,
    deserializer: options.deserializer ?? ((message: KafkaSourceMessage) => message as unknown as T),
  };
}
