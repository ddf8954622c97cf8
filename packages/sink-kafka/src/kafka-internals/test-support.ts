/**
 * Helpers for the integration tests of this module (real broker at KAFKA_BROKERS, default
 * 127.0.0.1:9092). Not part of the package API.
 */
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { createTopicsWithLeaders } from "./topic-creation.js";

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",").map((b) => b.trim());

export function testKafka(clientId = "berth-internals-test"): Kafka {
  return new Kafka({ clientId, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
}

/** A name unique to this run, usable as topic and transactional id. */
export function uniqueName(what: string): string {
  return `berth-it-${what}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

export async function createTopic(kafka: Kafka, topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: partitions, replicationFactor: 1 }]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Everything a `read_committed` consumer sees in `topic`: reads until `expected` records
 * arrived (then `settleMs` longer, to catch duplicates) or `maxWaitMs` passed.
 */
export async function readCommitted(
  kafka: Kafka,
  topic: string,
  options: { expected: number; settleMs?: number; maxWaitMs?: number },
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("reader"), readUncommitted: false });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => {
      joined = resolve;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? "");
      },
    });
    await hasJoined;
    const deadline = Date.now() + (options.maxWaitMs ?? 20_000);
    while (values.length < options.expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 2_000));
    return [...values];
  } finally {
    await consumer.disconnect();
  }
}

export function records(
  count: number,
  from = 0,
): { topic: string; messages: { value: string }[] }["messages"] {
  return Array.from({ length: count }, (_, i) => ({ value: JSON.stringify({ seq: from + i }) }));
}

/** Polls `read` until it answers `kind` or 10 s passed (markers are written after EndTxn answers). */
export async function eventually<T extends { kind: string }>(
  read: () => Promise<T>,
  kind: string,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (value.kind === kind || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
