// Transactional produce throughput of one Kafka client against one broker (ADR 0022).
//
//   node transactional-produce.mjs <kafkajs|platformatic|confluent> [records] [recordsPerTransaction]
//
// kafkajs comes from this package's dependencies; the other clients are not dependencies of
// Berth: install them into a scratch folder and name it in CLIENTS_DIR (see ADR 0022). Every
// client writes the same records (100-byte values, keys spread over 4 partitions) into a fresh
// topic, in transactions of recordsPerTransaction records, sends of 1000 records each; the time
// runs from the first transaction's start to the last commit's answer. Prints one JSON line.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";

const [clientName, recordsArg = "200000", perTxnArg = "10000"] = process.argv.slice(2);
const records = Number(recordsArg);
const perTransaction = Number(perTxnArg);
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const sendSize = 1000;
const ownRequire = createRequire(import.meta.url);
const scratchRequire = createRequire(path.join(process.env.CLIENTS_DIR ?? process.cwd(), "noop.js"));
const { Kafka, logLevel } = ownRequire("kafkajs");

const value = Buffer.alloc(100, "v");
const batch = (start) =>
  Array.from({ length: Math.min(sendSize, records - start) }, (_, i) => ({
    key: `k${(start + i) % 1024}`,
    value,
  }));

async function withTopic(run) {
  const topic = `client-bench-${clientName}-${randomUUID()}`;
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 4, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  try {
    const ms = await run(topic);
    const offsets = await admin.fetchTopicOffsets(topic);
    // Each transaction adds one commit marker per partition it wrote to the offsets.
    const stored = offsets.reduce((n, o) => n + Number(o.high), 0);
    return { ms, stored };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

async function kafkajs(topic) {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({
    transactionalId: `bench-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const started = performance.now();
  for (let t = 0; t < records; t += perTransaction) {
    const tx = await producer.transaction();
    for (let s = t; s < Math.min(t + perTransaction, records); s += sendSize) {
      await tx.send({ topic, messages: batch(s) });
    }
    await tx.commit();
  }
  const ms = performance.now() - started;
  await producer.disconnect();
  return ms;
}

async function platformatic(topic) {
  const { Producer } = await import(scratchRequire.resolve("@platformatic/kafka"));
  const producer = new Producer({
    clientId: "bench",
    bootstrapBrokers: brokers,
    idempotent: true,
    transactionalId: `bench-${randomUUID()}`,
  });
  const started = performance.now();
  for (let t = 0; t < records; t += perTransaction) {
    const tx = await producer.beginTransaction();
    for (let s = t; s < Math.min(t + perTransaction, records); s += sendSize) {
      await tx.send({ messages: batch(s).map((m) => ({ topic, key: Buffer.from(m.key), value: m.value })) });
    }
    await tx.commit();
  }
  const ms = performance.now() - started;
  await producer.close();
  return ms;
}

async function confluent(topic) {
  const { KafkaJS } = scratchRequire("@confluentinc/kafka-javascript");
  const producer = new KafkaJS.Kafka({ kafkaJS: { brokers, logLevel: KafkaJS.logLevel.NOTHING } }).producer({
    kafkaJS: { transactionalId: `bench-${randomUUID()}`, idempotent: true, maxInFlightRequests: 1 },
  });
  await producer.connect();
  const started = performance.now();
  for (let t = 0; t < records; t += perTransaction) {
    const tx = await producer.transaction();
    for (let s = t; s < Math.min(t + perTransaction, records); s += sendSize) {
      await tx.send({ topic, messages: batch(s) });
    }
    await tx.commit();
  }
  const ms = performance.now() - started;
  await producer.disconnect();
  return ms;
}

const clients = { kafkajs, platformatic, confluent };
if (!clients[clientName]) throw new Error(`client must be one of ${Object.keys(clients).join(", ")}`);
const { ms, stored } = await withTopic(clients[clientName]);
console.log(
  JSON.stringify({
    client: clientName,
    node: process.version,
    records,
    perTransaction,
    storedOffsets: stored,
    ms: Math.round(ms),
    recordsPerSecond: Math.round(records / (ms / 1000)),
  }),
);
