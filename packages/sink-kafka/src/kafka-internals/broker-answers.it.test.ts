/**
 * What the transaction coordinator answers to EndTxn in each state (the evidence behind the
 * outcome classification, docs/decisions/0001-kafka-transaction-resume.md), and why Berth
 * reads the log before sending EndTxn when a slot's id is reused. Real broker at KAFKA_BROKERS.
 */
import { afterAll, describe, expect, it } from "vitest";
import { brokerApiVersions } from "../broker-api-versions.js";
import { rootKafkaError } from "./outcomes.js";
import type { PreparedTransaction } from "./prepared-transaction.js";
import {
  createTopic,
  eventually,
  KAFKA_BROKERS,
  readCommitted,
  records,
  testKafka,
  uniqueName,
} from "./test-support.js";
import { TransactionClient } from "./transaction-client.js";
import { TransactionalProducer } from "./transactional-producer.js";

const kafka = testKafka();
/** One EndTxn per call: the raw answer, no retries. */
const raw = TransactionClient.create(kafka, { endTxnAttempts: 1 });
const client = TransactionClient.create(kafka);

async function answer(tx: PreparedTransaction, commit: boolean): Promise<string> {
  try {
    await raw.endTxn(tx, commit);
    return "NONE";
  } catch (error) {
    return rootKafkaError(error).type ?? String(error);
  }
}

/** The answer once the coordinator is done with a previous EndTxn (CONCURRENT_TRANSACTIONS meanwhile). */
async function settledAnswer(tx: PreparedTransaction, commit: boolean): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const a = await answer(tx, commit);
    if (a !== "CONCURRENT_TRANSACTIONS") return a;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return "CONCURRENT_TRANSACTIONS";
}

async function precommit(
  topic: string,
  transactionalId: string,
  count: number,
  transactionTimeoutMs = 300_000,
): Promise<PreparedTransaction> {
  const producer = await TransactionalProducer.open(kafka, { transactionalId, transactionTimeoutMs });
  try {
    producer.begin();
    await producer.send([{ topic, messages: records(count) }]);
    const prepared = await producer.prepareCommit();
    if (!prepared) throw new Error("no prepared transaction");
    return prepared;
  } finally {
    await producer.close();
  }
}

function evidence(what: string, value: unknown): void {
  if (process.env.BERTH_EVIDENCE) console.log(`[evidence] ${what}: ${JSON.stringify(value)}`);
}

afterAll(async () => {
  await raw.close();
  await client.close();
});

describe("EndTxn answers of the coordinator", () => {
  it("commit of an open transaction: NONE; again, same epoch: NONE; abort after commit: INVALID_TXN_STATE", async () => {
    const topic = uniqueName("answers-commit");
    await createTopic(kafka, topic);
    const tx = await precommit(topic, `${uniqueName("sink")}-0-0`, 3);
    expect(await client.describeTransaction(tx.transactionalId)).toMatchObject({
      state: "Ongoing",
      producerId: tx.producerId,
      producerEpoch: tx.producerEpoch,
      topics: [{ topic, partitions: [0] }],
    });
    const ongoing = await client.listTransactions(["Ongoing"]);
    expect(ongoing).toContainEqual({
      transactionalId: tx.transactionalId,
      producerId: tx.producerId,
      state: "Ongoing",
    });
    expect(await answer(tx, true)).toBe("NONE");
    // At once: the coordinator may still be writing markers (PrepareCommit).
    const immediate = await answer(tx, true);
    evidence("commit again at once", immediate);
    expect(["NONE", "CONCURRENT_TRANSACTIONS"]).toContain(immediate);
    expect(await settledAnswer(tx, true)).toBe("NONE");
    expect(await client.describeTransaction(tx.transactionalId)).toMatchObject({
      state: "CompleteCommit",
      producerId: tx.producerId,
      producerEpoch: tx.producerEpoch,
    });
    expect(await settledAnswer(tx, false)).toBe("INVALID_TXN_STATE");
  });

  it("abort, then commit under the same epoch: INVALID_TXN_STATE; abort again: NONE; no transaction: INVALID_TXN_STATE", async () => {
    const topic = uniqueName("answers-abort");
    await createTopic(kafka, topic);
    const tx = await precommit(topic, `${uniqueName("sink")}-0-0`, 3);
    expect(await answer(tx, false)).toBe("NONE");
    expect(await settledAnswer(tx, false)).toBe("NONE");
    expect(await client.describeTransaction(tx.transactionalId)).toMatchObject({
      state: "CompleteAbort",
      producerEpoch: tx.producerEpoch,
    });
    expect(await settledAnswer(tx, true)).toBe("INVALID_TXN_STATE");
    expect(await client.resumeAndCommit(tx)).toMatchObject({ kind: "failedKnown", code: "aborted" });
    const { anchor: _anchor, ...bare } = tx;
    expect(await client.resumeAndCommit(bare)).toMatchObject({ kind: "failedKnown", code: "invalidState" });

    // A new transactional id after InitProducerId: epoch 0, no transaction.
    const id = `${uniqueName("sink")}-0-1`;
    const init = await client.fenceTransactionalId(id, { transactionTimeoutMs: 60_000 });
    expect(init.producerEpoch).toBe(0);
    expect(await client.describeTransaction(id)).toMatchObject({ state: "Empty", producerEpoch: 0 });
    expect(await answer({ transactionalId: id, ...init }, true)).toBe("INVALID_TXN_STATE");
  });

  it("commit after an InitProducerId fenced the open transaction: INVALID_PRODUCER_EPOCH", async () => {
    const topic = uniqueName("answers-fenced");
    await createTopic(kafka, topic);
    const tx = await precommit(topic, `${uniqueName("sink")}-0-0`, 3);
    await client.fenceTransactionalId(tx.transactionalId, { transactionTimeoutMs: 60_000 });
    const described = await client.describeTransaction(tx.transactionalId);
    evidence("after fence", described);
    // The fence bumps once to abort the open transaction, once more for the new producer.
    expect(described).toMatchObject({ state: "Empty", producerEpoch: tx.producerEpoch + 2 });
    expect(await answer(tx, true)).toBe("INVALID_PRODUCER_EPOCH");
    expect(await answer(tx, false)).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("commit after the broker aborted the transaction on timeout: INVALID_PRODUCER_EPOCH, classified aborted", async () => {
    const topic = uniqueName("answers-timeout");
    await createTopic(kafka, topic);
    const tx = await precommit(topic, `${uniqueName("sink")}-0-0`, 3, 1_000);
    // The broker looks for timed-out transactions every
    // transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s by default).
    const deadline = Date.now() + 60_000;
    while ((await client.readTransactionOutcome(tx)).kind === "open" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await client.readTransactionOutcome(tx)).toEqual({ kind: "aborted" });
    const described = await client.describeTransaction(tx.transactionalId);
    evidence("after timeout", described);
    expect(described).toMatchObject({ state: "CompleteAbort", producerEpoch: tx.producerEpoch + 1 });
    expect(await settledAnswer(tx, true)).toBe("INVALID_PRODUCER_EPOCH");
    expect(await client.resumeAndCommit(tx)).toMatchObject({ kind: "failedKnown", code: "aborted" });
    const { anchor: _anchor, ...bare } = tx;
    expect(await client.resumeAndCommit(bare)).toMatchObject({ kind: "failedKnown", code: "fenced" });
    expect(await readCommitted(kafka, topic, { expected: 1, maxWaitMs: 2_000 })).toEqual([]);
  });

  it("unknown transactional id, or a producer id it does not hold: INVALID_PRODUCER_ID_MAPPING", async () => {
    const unknown = { transactionalId: `${uniqueName("sink")}-9-9`, producerId: "123456", producerEpoch: 0 };
    expect(await answer(unknown, true)).toBe("INVALID_PRODUCER_ID_MAPPING");
    // TRANSACTIONAL_ID_NOT_FOUND
    expect(await client.describeTransaction(unknown.transactionalId)).toMatchObject({ errorCode: 105 });
    expect(await client.resumeAndCommit(unknown)).toMatchObject({
      kind: "failedKnown",
      code: "producerIdChanged",
    });

    const topic = uniqueName("answers-pid");
    await createTopic(kafka, topic);
    const tx = await precommit(topic, `${uniqueName("sink")}-0-0`, 1);
    const otherPid = { ...tx, producerId: (BigInt(tx.producerId) + 1000n).toString() };
    expect(await answer(otherPid, true)).toBe("INVALID_PRODUCER_ID_MAPPING");
    await raw.endTxn(tx, false);
  });
});

describe("commitPrepared (steady state: EndTxn first, the log only on refusal)", () => {
  it("commits, repeats as committed, and classifies a fenced transaction from the log", async () => {
    const topic = uniqueName("commit-prepared");
    await createTopic(kafka, topic);
    const tx = await precommit(topic, `${uniqueName("sink")}-0-0`, 6);
    expect(await client.commitPrepared(tx)).toEqual({ kind: "committed" });
    expect(await client.commitPrepared(tx)).toEqual({ kind: "committed" }); // the coordinator says NONE again
    expect(await readCommitted(kafka, topic, { expected: 6 })).toHaveLength(6);

    const fencedTx = await precommit(topic, `${uniqueName("sink")}-0-1`, 2);
    await client.fenceTransactionalId(fencedTx.transactionalId, { transactionTimeoutMs: 60_000 });
    expect(await client.commitPrepared(fencedTx)).toMatchObject({ kind: "failedKnown", code: "aborted" });
  });
});

/** `metadata.version` feature level of Kafka 4.0-IV0 (3.9-IV0 is 21). */
const METADATA_VERSION_4_0 = 22;

describe("a slot reused without InitProducerId", () => {
  it("on a cluster of transaction version 2 (a Kafka 4.x created fresh), EndTxn v1 keeps the version-1 rules: commits leave the epoch InitProducerId gave", async () => {
    const { features } = await brokerApiVersions(KAFKA_BROKERS[0] as string);
    // KIP-890: a fresh 4.x cluster finalizes transaction.version 2 (the epoch bumps at every
    // transaction end, for clients sending EndTxn v5+); 3.x has no such feature.
    const kafka4 = (features.get("metadata.version") ?? 0) >= METADATA_VERSION_4_0;
    expect(features.get("transaction.version") ?? 0).toBe(kafka4 ? 2 : 0);
    const topic = uniqueName("tv");
    await createTopic(kafka, topic);
    const producer = await TransactionalProducer.open(kafka, {
      transactionalId: `${uniqueName("sink")}-0-0`,
      transactionTimeoutMs: 300_000,
    });
    try {
      const { producerId, producerEpoch } = producer;
      for (let i = 0; i < 3; i++) {
        producer.begin();
        await producer.send([{ topic, messages: records(2, 10 * i) }]);
        const prepared = await producer.prepareCommit();
        expect(prepared).toMatchObject({ producerId, producerEpoch });
        if (!prepared) throw new Error("no prepared transaction");
        expect(await client.commitPrepared(prepared)).toEqual({ kind: "committed" });
        await producer.markCommitted();
        expect(await client.describeTransaction(producer.transactionalId)).toMatchObject({
          producerId,
          producerEpoch,
        });
      }
      expect(await readCommitted(kafka, topic, { expected: 6 })).toHaveLength(6);
    } finally {
      await producer.close();
    }
  });

  it("keeps producer id and epoch; a bare EndTxn for the old transaction would commit the new one", async () => {
    const topic = uniqueName("reuse");
    await createTopic(kafka, topic);
    const producer = await TransactionalProducer.open(kafka, {
      transactionalId: `${uniqueName("sink")}-0-0`,
      transactionTimeoutMs: 300_000,
    });
    try {
      producer.begin();
      await producer.send([{ topic, messages: records(4, 0) }]);
      const first = await producer.prepareCommit();
      if (!first) throw new Error("no prepared transaction");
      // The committer commits on its own connection; the writer acknowledges locally.
      expect(await client.resumeAndCommit(first)).toEqual({ kind: "committed" });
      await producer.markCommitted();

      producer.begin();
      await producer.send([{ topic, messages: records(3, 100) }]);
      const second = await producer.prepareCommit();
      if (!second) throw new Error("no prepared transaction");
      expect(second.producerId).toBe(first.producerId);
      expect(second.producerEpoch).toBe(first.producerEpoch);

      // Re-committing the first (a restore from the checkpoint that held it) must not touch the second.
      expect(await client.resumeAndCommit(first)).toEqual({ kind: "alreadyCommitted" });
      expect(await client.readTransactionOutcome(second)).toEqual({ kind: "open" });
      expect(await readCommitted(kafka, topic, { expected: 5, maxWaitMs: 3_000 })).toHaveLength(4);

      // Why: the coordinator cannot tell them apart. EndTxn with the first's id and epoch commits the second.
      const { anchor: _anchor, ...bareFirst } = first;
      expect(await settledAnswer(bareFirst, true)).toBe("NONE");
      // NONE comes once PrepareCommit is logged; the markers follow.
      expect(await eventually(() => client.readTransactionOutcome(second), "committed")).toEqual({
        kind: "committed",
      });
      expect(await readCommitted(kafka, topic, { expected: 7 })).toHaveLength(7);
    } finally {
      await producer.close();
    }
  });

  it("commits through the slot's own producer and reuses it", async () => {
    const topic = uniqueName("reuse-own");
    await createTopic(kafka, topic, 2);
    const producer = await TransactionalProducer.open(kafka, {
      transactionalId: `${uniqueName("sink")}-0-1`,
      transactionTimeoutMs: 300_000,
    });
    try {
      for (let round = 0; round < 3; round++) {
        producer.begin();
        await producer.send([{ topic, messages: records(5, round * 5) }]);
        expect(await producer.prepareCommit()).toBeDefined();
        expect(await producer.commit()).toEqual({ kind: "committed" });
        expect(producer.state).toBe("ready");
      }
      // An empty transaction yields no prepared transaction and sends nothing.
      producer.begin();
      expect(await producer.prepareCommit()).toBeUndefined();
      expect(producer.state).toBe("ready");
      expect(await readCommitted(kafka, topic, { expected: 15 })).toHaveLength(15);
    } finally {
      await producer.close();
    }
  });
});
