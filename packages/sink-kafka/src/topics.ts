/** Creating a topic when it is missing: for examples and setup scripts (the sink never creates topics itself). */
import { KafkaError, messageOf } from "./errors.js";
import {
  brokerList,
  createKafka,
  isUnreachable,
  type KafkaConnectionOptions,
  unreachable,
} from "./kafka-client.js";
import { createTopicsWithLeaders } from "./kafka-internals/index.js";

export interface EnsureTopicOptions extends KafkaConnectionOptions {
  readonly topic: string;
  /** Partitions of a created topic. Default 3. */
  readonly partitions?: number;
  /** Replicas of a created topic. Default: the brokers' `default.replication.factor`. */
  readonly replicationFactor?: number;
}

/** Creates `topic` unless it exists; resolves `true` when it created it. */
export async function ensureTopic(options: EnsureTopicOptions): Promise<boolean> {
  const brokers = brokerList(options.brokers, "ensureTopic");
  const kafka = createKafka(brokers, options.client);
  const admin = kafka.admin();
  try {
    await admin.connect();
    if ((await admin.listTopics()).includes(options.topic)) return false;
    return await createTopicsWithLeaders(admin, [
      {
        topic: options.topic,
        numPartitions: options.partitions ?? 3,
        ...(options.replicationFactor !== undefined ? { replicationFactor: options.replicationFactor } : {}),
      },
    ]);
  } catch (error) {
    if (isUnreachable(error)) throw unreachable(brokers, `create topic "${options.topic}"`, error);
    throw new KafkaError(
      "KAFKA_CONFIG_INVALID",
      `cannot create topic "${options.topic}": ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
