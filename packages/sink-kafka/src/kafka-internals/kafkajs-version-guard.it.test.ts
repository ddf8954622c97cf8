/**
 * The real-broker half of the kafkajs version guard: the producer id and epoch Berth reads
 * out of kafkajs's eosManager are the ones on the records in the log, and the anchor points
 * at the transaction's first record. Real broker at KAFKA_BROKERS.
 */
import { describe, expect, it } from "vitest";
import { kafkajsInternals } from "./kafkajs-internals.js";
import { createTopic, eventually, records, testKafka, uniqueName } from "./test-support.js";
import { TransactionClient } from "./transaction-client.js";
import { TransactionalProducer } from "./transactional-producer.js";

describe("kafkajs internals against the broker", () => {
  it("reports the producer id and epoch that the broker stored with the records", async () => {
    const kafka = testKafka();
    const topic = uniqueName("guard");
    await createTopic(kafka, topic, 1);
    const producer = await TransactionalProducer.open(kafka, {
      transactionalId: `${uniqueName("sink")}-0-0`,
      transactionTimeoutMs: 60_000,
    });
    const client = TransactionClient.create(kafka);
    try {
      producer.begin();
      await producer.send([{ topic, messages: records(2) }]);
      await producer.send([{ topic, messages: records(2, 2) }]);
      const prepared = await producer.prepareCommit();
      expect(prepared?.anchor).toEqual({ topic, partition: 0, offset: "0" });
      expect(prepared?.producerId).toMatch(/^\d+$/);

      // Read the batch at the anchor straight from the partition leader.
      const internals = kafkajsInternals();
      const cluster = internals.createCluster(kafka);
      await cluster.connect();
      try {
        await cluster.addTargetTopic(topic);
        const nodeId = Object.keys(cluster.findLeaderForPartitions(topic, [0]))[0] ?? "";
        const broker = await cluster.findBroker({ nodeId });
        const response = await broker.fetch({
          replicaId: -1,
          isolationLevel: internals.isolationLevel.READ_UNCOMMITTED,
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: "0", maxBytes: 1 << 20 }] }],
        });
        const messages = response.responses[0]?.partitions[0]?.messages ?? [];
        expect(messages.map((m) => m.offset)).toEqual(["0", "1", "2", "3"]);
        for (const m of messages) {
          expect(m.batchContext.producerId).toBe(prepared?.producerId);
          expect(m.batchContext.producerEpoch).toBe(prepared?.producerEpoch);
          expect(m.batchContext.inTransaction).toBe(true);
        }
      } finally {
        await cluster.disconnect();
      }
      expect(await producer.commit()).toEqual({ kind: "committed" });
      if (prepared) {
        expect(await eventually(() => client.readTransactionOutcome(prepared), "committed")).toEqual({
          kind: "committed",
        });
      }
    } finally {
      await producer.close();
      await client.close();
    }
  });
});
