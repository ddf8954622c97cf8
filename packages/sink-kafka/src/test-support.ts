/**
 * Helpers for this package's integration tests (real broker at KAFKA_BROKERS, default
 * 127.0.0.1:9092): unique topic names, topic creation, a `read_committed` reader that reads
 * every partition to its last stable offset, and the open transactions under a prefix.
 * Not part of the package API.
 */
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { createKafka } from "./kafka-client.js";
import { PartitionFetcher, TransactionClient } from "./kafka-internals/index.js";

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
 * Every committed record value of `topic`, as a `read_committed` consumer sees it: each
 * partition read from its first offset up to its last stable offset at the time of the call.
 */
export async function readCommittedValues(
  kafka: Kafka,
  topic: string,
  maxWaitMs = 30_000,
): Promise<Buffer[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; low: bigint; high: bigint }[];
  try {
    ends = (await admin.fetchTopicOffsets(topic)).map((o) => ({
      partition: o.partition,
      low: BigInt(o.low),
      high: BigInt(o.high),
    }));
  } finally {
    await admin.disconnect();
  }
  const fetcher = PartitionFetcher.create(kafka);
  const values: Buffer[] = [];
  try {
    const positions = new Map(ends.map((e) => [e.partition, e.low]));
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const open = ends.filter((e) => (positions.get(e.partition) ?? 0n) < e.high);
      if (open.length === 0) return values;
      if (Date.now() > deadline) {
        throw new Error(
          `reading ${topic}: partitions ${open.map((e) => e.partition).join(",")} did not reach their end`,
        );
      }
      const result = await fetcher.fetch(
        open.map((e) => ({ topic, partition: e.partition, offset: positions.get(e.partition) ?? 0n })),
        100,
      );
      for (const p of result.partitions) {
        const end = ends.find((e) => e.partition === p.partition)?.high ?? 0n;
        for (const m of p.messages) if (BigInt(m.offset) < end && m.value) values.push(m.value);
        positions.set(p.partition, p.nextOffset);
      }
      if (result.outOfRange.length > 0) throw new Error(`reading ${topic}: offsets out of range`);
    }
  } finally {
    await fetcher.close();
  }
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
  options: { abort?: boolean; timestampOf?: (seq: number) => number } = {},
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
