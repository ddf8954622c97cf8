import { randomBytes } from "node:crypto";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceEndpoints } from "./endpoints.js";
import { isKafkaReady } from "./kafka-probe.js";

const endpoints = serviceEndpoints();

// Both brokers `pnpm services up` runs: the default (4.4) and the 3.9 one.
describe.each([
  { name: "KAFKA_BROKERS", endpoint: endpoints.kafka },
  { name: "KAFKA_3_9_BROKERS", endpoint: endpoints.kafka39 },
])("Kafka at $name", ({ name, endpoint }) => {
  const run = `${Date.now()}-${randomBytes(3).toString("hex")}`;
  const topic = `berth-smoke-${run}`;
  const kafka = new Kafka({ clientId: "berth-smoke", brokers: endpoint.brokers, logLevel: logLevel.NOTHING });

  /** Reads the whole topic once, from the beginning, until `last` arrives. */
  async function readUntil(
    isolation: "read_committed" | "read_uncommitted",
    last: string,
  ): Promise<string[]> {
    const consumer: Consumer = kafka.consumer({
      groupId: `berth-smoke-${run}-${isolation}`,
      readUncommitted: isolation === "read_uncommitted",
    });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${isolation}: '${last}' never arrived; saw ${seen}`)),
          60_000,
        );
        consumer
          .run({
            eachMessage: async ({ message }) => {
              const value = message.value?.toString() ?? "";
              seen.push(value);
              if (value === last) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  const producer = kafka.producer({
    transactionalId: `berth-smoke-${run}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });

  let ready = false;

  beforeAll(async () => {
    if (!(await isKafkaReady(endpoint.brokers, 15_000))) {
      throw new Error(
        `no Kafka broker answers at ${endpoint.brokers}: run 'pnpm services up' (or set ${name})`,
      );
    }
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await producer.connect();
    ready = true;
  });

  afterAll(async () => {
    if (!ready) return;
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it("a read_committed consumer sees committed batches and never an aborted one", async () => {
    const committed = ["c1", "c2", "c3"];
    const aborted = ["a1", "a2"];
    const after = ["after"];

    let tx = await producer.transaction();
    await tx.send({ topic, messages: committed.map((value) => ({ value })) });
    await tx.commit();

    tx = await producer.transaction();
    await tx.send({ topic, messages: aborted.map((value) => ({ value })) });
    await tx.abort();

    tx = await producer.transaction();
    await tx.send({ topic, messages: after.map((value) => ({ value })) });
    await tx.commit();

    expect(await readUntil("read_committed", "after")).toEqual([...committed, ...after]);
    // The aborted records did reach the log: a read_uncommitted reader sees them. Without this,
    // a producer that silently sent nothing would pass the check above.
    expect(await readUntil("read_uncommitted", "after")).toEqual([...committed, ...aborted, ...after]);
  });
});
