// Can @platformatic/kafka resume a pre-committed transaction from a stored producer id and
// epoch with public API only (ADR 0022)? Needs Node >= 22.22 and CLIENTS_DIR (see the ADR).
//
//   node platformatic-resume.mjs            runs both steps and prints one JSON line
//   CONTROL=1 node platformatic-resume.mjs  the same without the EndTxn: visible must stay 0
//
// Step "prepare" (a child process) opens a transaction, writes 10 records, prints
// {producerId, producerEpoch} from the producer's public getters and exits without committing.
// Step "resume" (this process) sends EndTxn(commit) with those values over the package's
// exported Connection and endTxnV4 API, then counts the records with a kafkajs read_committed
// consumer, an independent reader.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const scratchRequire = createRequire(path.join(process.env.CLIENTS_DIR ?? process.cwd(), "noop.js"));
const pk = await import(scratchRequire.resolve("@platformatic/kafka"));

if (process.argv[2] === "prepare") {
  const [, , , topic, transactionalId] = process.argv;
  const producer = new pk.Producer({
    clientId: "resume",
    bootstrapBrokers: brokers,
    idempotent: true,
    transactionalId,
  });
  const tx = await producer.beginTransaction();
  const value = Buffer.from("v");
  await tx.send({ messages: Array.from({ length: 10 }, () => ({ topic, value })) });
  console.log(
    JSON.stringify({ producerId: String(producer.producerId), producerEpoch: producer.producerEpoch }),
  );
  process.exit(0); // the transaction stays open: no commit, no abort, no close
}

const { Kafka, logLevel } = createRequire(import.meta.url)("kafkajs");
const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
const topic = `pk-resume-${randomUUID()}`;
const transactionalId = `pk-resume-${randomUUID()}`;
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

const stored = JSON.parse(
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), "prepare", topic, transactionalId], {
    encoding: "utf8",
  }),
);

const [host, port] = brokers[0].split(":");
const bootstrap = new pk.Connection("resume");
await bootstrap.connect(host, Number(port));
const found = await pk.findCoordinatorV6.api.async(bootstrap, 1, [transactionalId]);
const coordinator = found.coordinators[0];
const connection = new pk.Connection("resume");
await connection.connect(coordinator.host, coordinator.port);
// CONTROL=1 skips the EndTxn: then nothing may become visible (the reader waits 10 s).
const control = process.env.CONTROL === "1";
let endTxn = control ? "not sent" : "NONE";
if (!control)
  try {
    await pk.endTxnV4.api.async(
      connection,
      transactionalId,
      BigInt(stored.producerId),
      stored.producerEpoch,
      true,
    );
  } catch (error) {
    endTxn = error.message;
  }
await connection.close();
await bootstrap.close();

// kafkajs read_committed reader: the records are visible only if the resumed commit worked.
const consumer = kafka.consumer({ groupId: `pk-resume-${randomUUID()}`, readUncommitted: false });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let visible = 0;
await consumer.run({
  eachMessage: async () => {
    visible++;
  },
});
const deadline = Date.now() + (control ? 10_000 : 20_000);
while (visible < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
await consumer.disconnect();
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();
console.log(
  JSON.stringify({ node: process.version, control, stored, endTxn, endTxnVersion: 4, written: 10, visible }),
);
