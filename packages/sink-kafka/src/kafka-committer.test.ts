/**
 * The committer's close waits until the coordinator has written the commit markers of what it
 * committed (DescribeTransactions leaves PrepareCommit): a job that ends reports FINISHED only
 * once its commits are readable. A fake transaction client stands in for the coordinator's
 * answers, which the broker tests cannot hold back on demand.
 */
import { describe, expect, it } from "vitest";
import { CommitConfirmations } from "./commit-confirmations.js";
import type { KafkaCommittable } from "./kafka-committable.js";
import { KafkaCommitter } from "./kafka-committer.js";
import type { TransactionClient, TransactionDescription, TransactionState } from "./kafka-internals/index.js";

const committable: KafkaCommittable = {
  transactionalId: "p-0-0",
  producerId: "7",
  producerEpoch: 3,
  anchor: { topic: "t", partition: 0, offset: "0" },
  attemptId: "a1",
  records: 10,
};

function fakeClient(states: TransactionState[]) {
  const calls: string[] = [];
  const client = {
    commitPrepared: async () => {
      calls.push("commit");
      return { kind: "committed" };
    },
    describeTransaction: async (transactionalId: string): Promise<TransactionDescription> => {
      calls.push(`describe ${transactionalId}`);
      return {
        transactionalId,
        errorCode: 0,
        state: states.shift() ?? "CompleteCommit",
        timeoutMs: 60_000,
        startTimeMs: "0",
        producerId: "7",
        producerEpoch: 3,
        topics: [],
      };
    },
    close: async () => {
      calls.push("close");
    },
  };
  return { client: client as unknown as TransactionClient, calls };
}

describe("kafka committer close", () => {
  it("waits while the coordinator still writes the markers of a transaction it committed", async () => {
    const { client, calls } = fakeClient(["PrepareCommit", "PrepareCommit", "CompleteCommit"]);
    const committer = new KafkaCommitter(client, "a1", new CommitConfirmations());
    expect((await committer.commit(committable)).kind).toBe("committed");
    await committer.close();
    expect(calls).toEqual(["commit", "describe p-0-0", "describe p-0-0", "describe p-0-0", "close"]);
  });

  it("asks nothing when it committed nothing", async () => {
    const { client, calls } = fakeClient([]);
    await new KafkaCommitter(client, "a1", new CommitConfirmations()).close();
    expect(calls).toEqual(["close"]);
  });
});
