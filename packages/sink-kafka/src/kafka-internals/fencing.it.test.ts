/**
 * A pre-committed transaction whose transactional id gets fenced (InitProducerId) is
 * aborted by the broker; committing it afterwards must be a known permanent failure.
 * Real broker at KAFKA_BROKERS.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { PreparedTransaction } from "./prepared-transaction.js";
import { createTopic, eventually, readCommitted, records, testKafka, uniqueName } from "./test-support.js";
import { TransactionClient } from "./transaction-client.js";
import { TransactionalProducer } from "./transactional-producer.js";

describe("fenced pre-committed transaction", () => {
  const kafka = testKafka();
  const client = TransactionClient.create(kafka);
  afterAll(() => client.close());

  async function precommit(
    topic: string,
    transactionalId: string,
    count: number,
  ): Promise<PreparedTransaction> {
    const producer = await TransactionalProducer.open(kafka, {
      transactionalId,
      transactionTimeoutMs: 300_000,
    });
    try {
      producer.begin();
      await producer.send([{ topic, messages: records(count) }]);
      const prepared = await producer.prepareCommit();
      if (!prepared) throw new Error("no prepared transaction");
      return prepared;
    } finally {
      await producer.close(); // leaves the transaction open on the broker
    }
  }

  it("is aborted by the fence, and resumeAndCommit reports failedKnown, not success", async () => {
    const topic = uniqueName("fenced");
    const transactionalId = `${uniqueName("sink")}-0-0`;
    await createTopic(kafka, topic, 2);
    const prepared = await precommit(topic, transactionalId, 10);

    const fenced = await client.fenceTransactionalId(transactionalId, { transactionTimeoutMs: 60_000 });
    expect(fenced.producerId).toBe(prepared.producerId);
    expect(fenced.producerEpoch).toBeGreaterThan(prepared.producerEpoch);

    expect(await readCommitted(kafka, topic, { expected: 1, maxWaitMs: 3_000 })).toEqual([]);
    expect(await client.readTransactionOutcome(prepared)).toEqual({ kind: "aborted" });

    const outcome = await client.resumeAndCommit(prepared);
    expect(outcome).toMatchObject({ kind: "failedKnown", code: "aborted" });
    // Without the anchor only the coordinator can answer: the epoch moved on.
    const { anchor: _anchor, ...bare } = prepared;
    expect(await client.resumeAndCommit(bare)).toMatchObject({ kind: "failedKnown", code: "fenced" });
    // And nothing became visible through the attempts.
    expect(await readCommitted(kafka, topic, { expected: 1, maxWaitMs: 2_000 })).toEqual([]);
    // Aborting it again is idempotent.
    expect(await client.resumeAndAbort(prepared)).toEqual({ kind: "alreadyAborted" });
  });

  it("resumeAndAbort aborts an open transaction once, then answers alreadyAborted", async () => {
    const topic = uniqueName("resume-abort");
    const transactionalId = `${uniqueName("sink")}-2-0`;
    await createTopic(kafka, topic, 1);
    const prepared = await precommit(topic, transactionalId, 4);
    expect(await client.resumeAndAbort(prepared)).toEqual({ kind: "aborted" });
    expect(await eventually(() => client.readTransactionOutcome(prepared), "aborted")).toEqual({
      kind: "aborted",
    });
    expect(await client.resumeAndAbort(prepared)).toEqual({ kind: "alreadyAborted" });
    expect(await client.resumeAndCommit(prepared)).toMatchObject({ kind: "failedKnown", code: "aborted" });
    expect(await readCommitted(kafka, topic, { expected: 1, maxWaitMs: 2_000 })).toEqual([]);
  });

  it("fencing after the commit does not turn a committed transaction into a failure", async () => {
    const topic = uniqueName("fenced-after-commit");
    const transactionalId = `${uniqueName("sink")}-1-0`;
    await createTopic(kafka, topic, 1);
    const prepared = await precommit(topic, transactionalId, 5);
    expect(await client.resumeAndCommit(prepared)).toEqual({ kind: "committed" });
    await client.fenceTransactionalId(transactionalId, { transactionTimeoutMs: 60_000 });

    // The coordinator alone would say PRODUCER_FENCED; the commit marker in the log says committed.
    expect(await client.resumeAndCommit(prepared)).toEqual({ kind: "alreadyCommitted" });
    expect(await client.resumeAndAbort(prepared)).toEqual({ kind: "alreadyCommitted" });
    expect(await readCommitted(kafka, topic, { expected: 5 })).toHaveLength(5);
  });
});
