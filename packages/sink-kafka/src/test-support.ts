/**
 * Helpers for this package's integration tests (real broker at KAFKA_BROKERS, default
 * 127.0.0.1:9092): unique topic names, topic creation, a `read_committed` reader that reads
 * every partition to its last stable offset with kafkajs's own consumer, and the open
 * transactions under a prefix.
 * Not part of the package API.
 */
import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";
import { createKafka } from "./kafka-client.js";
import { TransactionClient } from "./kafka-internals/index.js";

export const TEST_BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092")
  .split(",")
  .map((b) => b.trim())
  .filter((b) => b.length > 0);

export { createTopic } from "./kafka-internals/test-support.js";

export function testKafka(brokers: readonly string[] = TEST_BROKERS): Kafka {
  return createKafka(brokers, { clientId: "berth-sink-kafka-test" });
}

/** A name unique to this run: topics, prefixes. */
export function uniqueName(what: string): string {
  return `berth-${what}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

export async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every committed record of `topic`, as kafkajs's own consumer reads it with
 * `read_committed` isolation (`readUncommitted: false`) — a reader that shares no code with
 * the sink or Berth's source, so a verdict on what the topic holds does not rest on the code
 * under test. Each partition is read from its first offset up to its last stable offset at
 * the time of the call (ListOffsets, read_committed); a fresh consumer group per call, deleted
 * afterwards. kafkajs 2.2.4 drops aborted records wrongly when aborted transactions of several
 * producers interleave (it takes the broker's list of aborted transactions in the order given,
 * one per record); `patches/kafkajs@2.2.4.patch` sorts them and enters every one begun, as
 * Kafka's Java consumer does (test-support.it.test.ts shows it).
 */
export async function readCommittedMessages(
  kafka: Kafka,
  topic: string,
  maxWaitMs = 30_000,
): Promise<CommittedMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = uniqueName("reader");
  try {
    const ends = new Map(
      (await topicOffsets(admin, topic, maxWaitMs)).map((o) => [
        o.partition,
        { low: BigInt(o.low), high: BigInt(o.high) },
      ]),
    );
    // Where the consumer is in each partition: past the last record, marker or aborted record it returned.
    const positions = new Map([...ends].map(([partition, end]) => [partition, end.low]));
    const open = (): number[] =>
      [...ends].filter(([p, end]) => (positions.get(p) ?? 0n) < end.high).map(([p]) => p);
    const messages: CommittedMessage[] = [];
    if (open().length === 0) return messages;
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
    let reached: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic) return;
      const next = BigInt(payload.lastOffset) + 1n;
      if (next > (positions.get(payload.partition) ?? 0n)) positions.set(payload.partition, next);
      if (open().length === 0) reached();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition)?.high ?? 0n;
          for (const m of batch.messages) {
            if (BigInt(m.offset) < end) messages.push({ partition: batch.partition, ...m });
          }
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), maxWaitMs);
      });
      const outcome = await Promise.race([done, timedOut]).finally(() => clearTimeout(timer));
      if (outcome === "timeout") {
        throw new Error(
          `reading ${topic}: partitions ${open().join(",")} did not reach their last stable offset within ${maxWaitMs} ms`,
        );
      }
      return messages;
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/**
 * The topic's offsets, asked again while the broker answers with a retriable error: right
 * after a topic was created, its leader may not have reached every broker's metadata yet
 * (NOT_LEADER_FOR_PARTITION), and kafkajs's admin passes that through.
 */
async function topicOffsets(
  admin: ReturnType<Kafka["admin"]>,
  topic: string,
  maxWaitMs: number,
): ReturnType<ReturnType<Kafka["admin"]>["fetchTopicOffsets"]> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A committed record as kafkajs's consumer hands it over, with its partition. */
export type CommittedMessage = KafkaMessage & { readonly partition: number };

/** The value of every committed record of `topic` (see {@link readCommittedMessages}). */
export async function readCommittedValues(kafka: Kafka, topic: string): Promise<Buffer[]> {
  return (await readCommittedMessages(kafka, topic)).flatMap((m) => (m.value ? [m.value] : []));
}

/** The `seq` of every committed record of `topic` (JSON values `{ seq }`), one entry per copy. */
export async function readCommittedSeqs(kafka: Kafka, topic: string): Promise<number[]> {
  return (await readCommittedValues(kafka, topic)).map(
    (v) => (JSON.parse(v.toString()) as { seq: number }).seq,
  );
}

/**
 * Open (`Ongoing`) transactional ids whose id merely starts with `prefix` — a plain string
 * test, not the sink's name parser, so a verdict on leftovers does not rest on the code under test.
 */
export async function openTransactions(kafka: Kafka, prefix: string): Promise<string[]> {
  const client = TransactionClient.create(kafka);
  try {
    return (await client.listTransactions(["Ongoing"]))
      .map((t) => t.transactionalId)
      .filter((id) => id.startsWith(prefix))
      .sort();
  } finally {
    await client.close();
  }
}

/** Writes `{ seq }` records keyed by seq in one transaction of a kafkajs transactional producer; commits or aborts it. */
export async function produceTransaction(
  kafka: Kafka,
  topic: string,
  seqs: readonly number[],
  options: { abort?: boolean; timestampOf?: (seq: number) => number; partition?: number } = {},
): Promise<void> {
  const producer = kafka.producer({
    transactionalId: uniqueName("tx-writer"),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const tx = await producer.transaction();
    await tx.send({
      topic,
      messages: seqs.map((seq) => ({
        key: String(seq),
        value: JSON.stringify({ seq }),
        ...(options.partition !== undefined ? { partition: options.partition } : {}),
        ...(options.timestampOf ? { timestamp: String(options.timestampOf(seq)) } : {}),
      })),
    });
    if (options.abort) await tx.abort();
    else await tx.commit();
  } finally {
    await producer.disconnect();
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Seqs that occur more than once, and seqs of `expected` missing from `seqs`. */
export function diffSeqs(
  seqs: readonly number[],
  expected: readonly number[],
): { missing: number[]; duplicated: number[]; unexpected: number[] } {
  const counts = new Map<number, number>();
  for (const s of seqs) counts.set(s, (counts.get(s) ?? 0) + 1);
  const want = new Set(expected);
  return {
    missing: expected.filter((s) => !counts.has(s)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([s]) => s),
    unexpected: [...counts.keys()].filter((s) => !want.has(s)),
  };
}
