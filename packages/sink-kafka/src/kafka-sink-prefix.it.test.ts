/**
 * The Kafka sink's prefix against the real broker: at start lingering cleanup aborts the open
 * transactions of its own prefix — also of a subtask the job does not have — and never one of a
 * prefix that merely starts with it (`<prefix>-b`, `<prefix>-1`); a restored job keeps the prefix
 * its checkpoint recorded, so a transaction left open under it is aborted and `read_committed`
 * readers do not stall. Open transactions are listed by a plain string prefix; the output is
 * read by a `read_committed` reader.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import { describe, expect, it } from "vitest";
import { TransactionalProducer, TransactionClient } from "./kafka-internals/index.js";
import { abortLingeringTransactions } from "./kafka-lingering.js";
import { kafkaSink } from "./kafka-sink.js";
import {
  createTopic,
  openTransactions,
  readCommittedSeqs,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "./test-support.js";

const kafka = testKafka();

async function leaveOpen(transactionalId: string, topic: string): Promise<void> {
  const producer = await TransactionalProducer.open(kafka, {
    transactionalId,
    transactionTimeoutMs: 300_000,
  });
  producer.begin();
  await producer.send([{ topic, messages: [{ value: JSON.stringify({ seq: -1 }) }] }]);
  await producer.prepareCommit();
  await producer.close();
}

describe("kafka sink prefix scope", () => {
  it("aborts its own lingering transactions, of vanished subtasks too, and none of <prefix>-b or <prefix>-1", async () => {
    const output = uniqueName("prefix-scope");
    const leftovers = uniqueName("prefix-scope-left");
    await createTopic(kafka, output, 1);
    await createTopic(kafka, leftovers, 1);
    const prefix = uniqueName("ps");
    const own = [`${prefix}-0-0`, `${prefix}-3-1`]; // subtask 3: the job has only subtask 0
    const foreign = [`${prefix}-b-0-0`, `${prefix}-1-0-0`];
    for (const id of [...own, ...foreign]) await leaveOpen(id, leftovers);
    expect(await openTransactions(kafka, prefix)).toEqual([...own, ...foreign].sort());

    const pipeline = Pipeline.create({ name: "prefix-scope" });
    pipeline
      .source(sequenceSource({ count: 200, batchSize: 50 }), { uid: "sequence" })
      .map((seq) => ({ seq }), { uid: "to-record" })
      .sinkTo(kafkaSink<{ seq: number }>({ brokers: TEST_BROKERS, topic: output }), {
        uid: "kafka",
        sinkPrefix: prefix,
      });
    const result = await new Job(pipeline, {
      checkpointDirectory: await mkdtemp(join(tmpdir(), "berth-prefix-scope-")),
      checkpointIntervalMs: 200,
      restartStrategy: { attempts: 0, delayMs: 0 },
      logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
    }).run();
    expect(result.error).toBeUndefined();
    expect(result.state).toBe("FINISHED");

    expect(await openTransactions(kafka, prefix)).toEqual([...foreign].sort());
    expect(await readCommittedSeqs(kafka, output)).toEqual(Array.from({ length: 200 }, (_, i) => i));

    const client = TransactionClient.create(kafka);
    try {
      for (const other of [`${prefix}-b`, `${prefix}-1`])
        await abortLingeringTransactions(client, {
          prefix: other,
          maxSubtasks: 1,
          poolSize: 1,
          transactionTimeoutMs: 60_000,
        });
    } finally {
      await client.close();
    }
    expect(await openTransactions(kafka, prefix)).toEqual([]);
  });

  it("a restored job keeps its recorded prefix: a transaction left open under it is aborted, read_committed readers see everything", async () => {
    const output = uniqueName("keep-prefix");
    await createTopic(kafka, output, 1);
    const recorded = uniqueName("recorded");
    const checkpoints = await mkdtemp(join(tmpdir(), "berth-keep-prefix-"));
    const run = (count: number, sinkPrefix: string | undefined, restore?: string) => {
      const pipeline = Pipeline.create({ name: "keep-prefix" });
      pipeline
        .source(sequenceSource({ count, batchSize: 50 }), { uid: "sequence" })
        .map((seq) => ({ seq }), { uid: "to-record" })
        .sinkTo(kafkaSink<{ seq: number }>({ brokers: TEST_BROKERS, topic: output }), {
          uid: "kafka",
          ...(sinkPrefix ? { sinkPrefix } : {}),
        });
      return new Job(pipeline, {
        jobId: uniqueName("job"),
        checkpointDirectory: checkpoints,
        checkpointIntervalMs: 200,
        restartStrategy: { attempts: 0, delayMs: 0 },
        logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
        ...(restore ? { restore: { path: restore } } : {}),
      }).run();
    };
    const first = await run(300, recorded);
    expect(first.state).toBe("FINISHED");
    // A later run under the recorded prefix died with a transaction open on the output partition.
    await leaveOpen(`${recorded}-0-0`, output);
    expect(await openTransactions(kafka, recorded)).toEqual([`${recorded}-0-0`]);

    const restored = await run(600, undefined, first.savepoint);
    expect(restored.error).toBeUndefined();
    expect(restored.state).toBe("FINISHED");
    expect(await openTransactions(kafka, recorded)).toEqual([]);
    expect(await readCommittedSeqs(kafka, output)).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });
});
