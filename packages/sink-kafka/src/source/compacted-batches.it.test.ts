/**
 * A record batch that compaction emptied never holds a position. Idempotent producers each
 * write one batch with the same key into a compacted topic; once the log cleaner has run, all
 * but the last of those batches are empty and kept (for their producers' state). A source
 * whose fetch (1 KiB per partition) returns nothing but empty batches must still move past them
 * and reach the records behind: the bounded read ends with exactly the surviving records.
 */

import { describe, expect, it } from "vitest";
import { createTopicsWithLeaders } from "../kafka-internals/topic-creation.js";
import { readCommittedMessages, TEST_BROKERS, testKafka, uniqueName } from "../test-support.js";
import { kafkaSource } from "./kafka-source.js";

const kafka = testKafka();
const PRODUCERS = 60;

describe("kafka source on a compacted topic", () => {
  it("moves past record batches that compaction emptied and ends with the surviving records", async () => {
    const topic = uniqueName("compacted");
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsWithLeaders(admin, [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.ms", value: "100" },
            { name: "min.cleanable.dirty.ratio", value: "0.01" },
            { name: "min.compaction.lag.ms", value: "0" },
          ],
        },
      ]);
    } finally {
      await admin.disconnect();
    }
    // One batch per producer id, all with key "k": each but the last becomes empty when cleaned.
    for (let seq = 0; seq < PRODUCERS; seq++) {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic, messages: [{ key: "k", value: JSON.stringify({ seq }) }] });
      await producer.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Rolls the segment (segment.ms passed), so the batches above become cleanable.
    const last = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await last.connect();
    await last.send({ topic, messages: [{ key: "k", value: JSON.stringify({ seq: PRODUCERS }) }] });
    await last.disconnect();

    // kafkajs's own consumer (one large fetch) says when the cleaner has run: 2 records left.
    const deadline = Date.now() + 90_000;
    let left = (await readCommittedMessages(kafka, topic)).length;
    while (left > 2) {
      if (Date.now() > deadline)
        throw new Error(`the log cleaner did not compact ${topic} within 90 s (${left} records)`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      left = (await readCommittedMessages(kafka, topic)).length;
    }

    const source = kafkaSource({
      brokers: TEST_BROKERS,
      topics: topic,
      bounded: true,
      commitOffsets: false,
      maxBytesPerPartition: 1024,
      deserializer: (m) => (JSON.parse(String(m.value)) as { seq: number }).seq,
    });
    const context = { subtask: 0, parallelism: 1, jobId: "j", uid: "in", log: { info() {}, warn() {} } };
    const reader = await source.createReader(context, await source.initialSplits(1));
    const seqs: number[] = [];
    try {
      // About 5 fetches of 1 KiB cover the log; a position held by empty batches never ends.
      let ended = false;
      for (let polls = 0; polls < 1_000 && !ended; polls++) {
        const poll = await reader.poll();
        if ("ended" in poll) ended = true;
        else seqs.push(...poll.records.map((r) => r.value));
      }
      expect(ended, `still at ${JSON.stringify(reader.snapshotSplits(1))} after 1000 polls`).toBe(true);
    } finally {
      await reader.close();
    }
    expect(seqs).toEqual([PRODUCERS - 1, PRODUCERS]);
  }, 150_000);
});
