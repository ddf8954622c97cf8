/**
 * The reader every Kafka verdict rests on: kafkajs's own `read_committed` consumer returns
 * exactly the committed records, also when aborted transactions of several producers
 * interleave in one partition (what lingering cleanup leaves behind). Written with kafkajs's
 * public transactional producers, so neither side runs code of the sink or of Berth's source.
 */
import { describe, expect, it } from "vitest";
import { createTopic, readCommittedSeqs, testKafka, uniqueName } from "./test-support.js";

const kafka = testKafka();

describe("readCommittedSeqs (kafkajs's read_committed consumer)", () => {
  it("drops the records of interleaved aborted transactions whose markers come in another order than their first records", async () => {
    const topic = uniqueName("reader");
    await createTopic(kafka, topic, 1);
    const producers = await Promise.all(
      ["a", "b", "c"].map(async (name) => {
        const producer = kafka.producer({
          transactionalId: uniqueName(`reader-${name}`),
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await producer.connect();
        return { producer, transaction: await producer.transaction() };
      }),
    );
    const [a, b, c] = producers as [
      (typeof producers)[number],
      (typeof producers)[number],
      (typeof producers)[number],
    ];
    const send = (p: typeof a, seq: number) =>
      p.transaction.send({ topic, messages: [{ key: String(seq), value: JSON.stringify({ seq }) }] });
    try {
      // a's transaction starts first and ends last: the broker lists c's abort before a's.
      for (let round = 0; round < 3; round++) {
        await send(a, 3 * round);
        await send(b, 3 * round + 1);
        await send(c, 3 * round + 2);
      }
      await b.transaction.commit();
      await c.transaction.abort();
      await a.transaction.abort();
      // EndTxn answers before the broker has written the markers, and the reader stops at the last
      // stable offset: read again until b's commit marker has moved it past b's records (bounded).
      let seqs: number[] = [];
      for (const deadline = Date.now() + 15_000; seqs.length < 3 && Date.now() < deadline; ) {
        seqs = await readCommittedSeqs(kafka, topic);
        if (seqs.length < 3) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(seqs.sort((x, y) => x - y)).toEqual([1, 4, 7]);
    } finally {
      await Promise.all(producers.map(({ producer }) => producer.disconnect()));
    }
  });
});
