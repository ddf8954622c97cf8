/**
 * The Kafka source: reads topic partitions with `read_committed` isolation, so only
 * committed transactions reach the pipeline; each partition is a split whose position lives
 * in checkpoint state, so a restore continues exactly after the last record of the checkpoint,
 * at any parallelism. Partitions added later are discovered; completed checkpoints' positions
 * are committed to a consumer group for lag tools, never read back (ADR 0021). Record
 * timestamps are the records' event time (watermarks come from them).
 */
import type { Source } from "@berth/core";
import type { Json } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import { KafkaError, messageOf } from "../errors.js";
import { createKafka } from "../kafka-client.js";
import { missingTopics } from "../topic-lookup.js";
import { CheckpointOffsets, defaultGroupId, refuseActiveGroup } from "./group-offsets.js";
import {
  type KafkaSourceMessage,
  type KafkaSourceOptions,
  resolveKafkaSourceOptions,
} from "./kafka-source-options.js";
import { KafkaSourceReader } from "./kafka-source-reader.js";
import { type KafkaSplit, parseKafkaSplit } from "./kafka-split.js";
import { PartitionDiscovery } from "./partition-discovery.js";

/**
 * ```ts
 * pipeline.source(
 *   kafkaSource({ brokers: "127.0.0.1:9092", topics: "in", deserializer: (m) => JSON.parse(String(m.value)) }),
 *   { uid: "kafka-in", parallelism: 2, watermarks: { maxOutOfOrdernessMs: 1000 } },
 * );
 * ```
 */
export function kafkaSource<T = KafkaSourceMessage>(options: KafkaSourceOptions<T>): Source<T> {
  const resolved = resolveKafkaSourceOptions(options);
  let kafka: Kafka | undefined;
  const client = (): Kafka => {
    kafka ??= createKafka(resolved.brokers, resolved.client);
    return kafka;
  };
  const discovery =
    resolved.bounded || resolved.partitionDiscoveryIntervalMs === 0
      ? undefined
      : new PartitionDiscovery(client, resolved.topics, resolved.partitionDiscoveryIntervalMs);
  return {
    kind: "kafka",
    async initialSplits() {
      return (await initialSplits(
        client(),
        resolved.topics,
        resolved.startingOffsets,
        resolved.bounded,
      )) as Json[];
    },
    async createReader(context, splits) {
      const groupId = resolved.groupId ?? defaultGroupId(context.jobId, context.uid);
      // Once per attempt (subtask 0 always exists): a group with members is refused before anything runs.
      if (resolved.commitOffsets && context.subtask === 0)
        await refuseActiveGroup(client(), groupId, context.log);
      const reader = new KafkaSourceReader<T>(client(), resolved, splits.map(parseKafkaSplit), {
        subtask: context.subtask,
        log: context.log,
        discovery,
        offsets: resolved.commitOffsets ? new CheckpointOffsets(client(), groupId, context.log) : undefined,
      });
      discovery?.register(reader, context.parallelism);
      return reader;
    },
  };
}

/** Every partition of the topics, starting at the earliest offset or the last stable one. */
async function initialSplits(
  kafka: Kafka,
  topics: readonly string[],
  startingOffsets: "earliest" | "latest",
  bounded: boolean,
): Promise<KafkaSplit[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const missing = await missingTopics(admin, topics);
    if (missing.length > 0) {
      throw new KafkaError(
        "KAFKA_TOPIC_NOT_FOUND",
        `kafka source: topic ${missing.map((t) => `"${t}"`).join(", ")} does not exist; create it first`,
      );
    }
    const splits: KafkaSplit[] = [];
    for (const topic of [...topics].sort()) {
      // ListOffsets with read_committed: `high` is the last stable offset.
      const offsets = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
      for (const o of offsets) {
        splits.push({
          topic,
          partition: o.partition,
          offset: startingOffsets === "earliest" ? o.low : o.high,
          ...(bounded ? { stoppingOffset: o.high } : {}),
        });
      }
    }
    return splits;
  } catch (error) {
    if (error instanceof KafkaError) throw error;
    throw new KafkaError(
      "KAFKA_SOURCE_FETCH_FAILED",
      `kafka source: cannot list the partitions of ${topics.join(", ")}: ${messageOf(error)}`,
      { cause: error },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
