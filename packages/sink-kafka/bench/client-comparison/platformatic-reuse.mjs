// Can a @platformatic/kafka transactional producer run its next transaction after a commit sent
// by someone else, without InitProducerId (the sink's slot reuse, ADR 0002 decision 3)? ADR 0022.
// Needs Node >= 22.22 and CLIENTS_DIR (see the ADR).
//
// The producer writes 10 records in a transaction and leaves it open; a second connection sends
// EndTxn(commit) with the producer's id and epoch; the producer drops its transaction with the
// public `cancel()`, begins the next one, writes 10 more and commits it itself. Prints the
// producer id and epoch before and after (equal when no InitProducerId ran) and how many records a
// kafkajs read_committed consumer sees (20 when both transactions committed, each once).
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const scratchRequire = createRequire(path.join(process.env.CLIENTS_DIR ?? process.cwd(), "noop.js"));
const pk = await import(scratchRequire.resolve("@platformatic/kafka"));
const { Kafka, logLevel } = createRequire(import.meta.url)("kafkajs");

const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
const topic = `pk-reuse-${randomUUID()}`;
const transactionalId = `pk-reuse-${randomUUID()}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

const producer = new pk.Producer({
  clientId: "reuse",
  bootstrapBrokers: brokers,
  idempotent: true,
  transactionalId,
});
const value = Buffer.from("v");
const first = await producer.beginTransaction();
await first.send({ messages: Array.from({ length: 10 }, () => ({ topic, value })) });
const before = { producerId: String(producer.producerId), producerEpoch: producer.producerEpoch };

const [host, port] = brokers[0].split(":");
const bootstrap = new pk.Connection("reuse");
await bootstrap.connect(host, Number(port));
const { coordinators } = await pk.findCoordinatorV6.api.async(bootstrap, 1, [transactionalId]);
const committer = new pk.Connection("reuse");
await committer.connect(coordinators[0].host, coordinators[0].port);
await pk.endTxnV4.api.async(committer, transactionalId, producer.producerId, producer.producerEpoch, true);
await committer.close();
await bootstrap.close();

await first.cancel();
const second = await producer.beginTransaction();
await second.send({ messages: Array.from({ length: 10 }, () => ({ topic, value })) });
await second.commit();
const after = { producerId: String(producer.producerId), producerEpoch: producer.producerEpoch };
await producer.close();

const consumer = kafka.consumer({ groupId: `pk-reuse-${randomUUID()}`, readUncommitted: false });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let visible = 0;
await consumer.run({
  eachMessage: async () => {
    visible++;
  },
});
const deadline = Date.now() + 20_000;
while (visible < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
await new Promise((r) => setTimeout(r, 1_000)); // a duplicate would arrive now
await consumer.disconnect();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
console.log(JSON.stringify({ node: process.version, before, after, written: 20, visible }));
