/**
 * Creating topics and waiting until every partition has a leader. kafkajs's own
 * `createTopics({ waitForLeaders: true })` retries only LEADER_NOT_AVAILABLE and gives up on
 * UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this topic-partition"), which a KRaft
 * broker answers for a moment after it created the topic while its metadata catches up — most
 * often on a loaded machine. Here both answers mean "not yet", until a deadline.
 */
import type { Admin, ITopicConfig } from "kafkajs";
import { KafkaInternalsError } from "./errors.js";

const NOT_YET = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE"]);

/** Creates `topics` (existing ones are left as they are) and resolves once each partition of each has a leader. */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: readonly ITopicConfig[],
  timeoutMs = 30_000,
): Promise<boolean> {
  const created = await admin.createTopics({
    topics: [...topics],
    waitForLeaders: false,
    timeout: timeoutMs,
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = await topicsWithoutLeaders(admin, topics);
    if (missing.length === 0) return created;
    if (Date.now() >= deadline) {
      throw new KafkaInternalsError(
        "BROKER_ANSWER_INVALID",
        `topics ${missing.join(", ")} have no leader for every partition ${timeoutMs} ms after they were created; check the broker's log`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function topicsWithoutLeaders(admin: Admin, topics: readonly ITopicConfig[]): Promise<string[]> {
  try {
    const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
    return topics
      .filter((wanted) => {
        const meta = found.find((t) => t.name === wanted.topic);
        const partitions = meta?.partitions ?? [];
        const expected = wanted.numPartitions ?? 1;
        return partitions.length < expected || partitions.some((p) => p.leader < 0);
      })
      .map((t) => t.topic);
  } catch (error) {
    if (NOT_YET.has((error as { type?: string }).type ?? "")) return topics.map((t) => t.topic);
    throw error;
  }
}
