/**
 * Which of some topics the cluster lacks, asked again (bounded) while any is missing. A topic
 * created just before a job starts may not be listed yet: CreateTopics answers once the KRaft
 * controller committed the topic, and each broker learns of it from the metadata log a moment
 * later — so the sink and the source would refuse a topic that exists.
 */
import type { Admin } from "kafkajs";

/** How long a missing topic is looked for before it counts as missing. */
export const TOPIC_LOOKUP_MS = 5_000;
const RETRY_MS = 200;

export async function missingTopics(
  admin: Admin,
  topics: readonly string[],
  withinMs = TOPIC_LOOKUP_MS,
): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0 || Date.now() >= deadline) return missing;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
