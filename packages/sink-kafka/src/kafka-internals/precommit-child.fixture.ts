/**
 * Child process of the crash-resume test: opens a transaction on TXN_ID, sends RECORDS
 * records to TOPIC, flushes and pre-commits, prints the prepared transaction as one JSON
 * line, then waits to be SIGKILLed (it never commits).
 */
import { records, testKafka } from "./test-support.js";
import { TransactionalProducer } from "./transactional-producer.js";

const topic = required("TOPIC");
const transactionalId = required("TXN_ID");
const count = Number(required("RECORDS"));

const producer = await TransactionalProducer.open(testKafka("berth-precommit-child"), {
  transactionalId,
  transactionTimeoutMs: 300_000,
});
producer.begin();
// Several sends, so the transaction spans more than one produce request per partition.
for (let sent = 0; sent < count; sent += 10) {
  await producer.send([{ topic, messages: records(Math.min(10, count - sent), sent) }]);
}
const prepared = await producer.prepareCommit();
process.stdout.write(`${JSON.stringify({ prepared })}\n`);
setInterval(() => {}, 60_000); // stay alive, transaction open, until killed

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
