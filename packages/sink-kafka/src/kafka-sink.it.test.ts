/**
 * The Kafka sink beyond the conformance kit, against the real broker: the transaction-timeout
 * guard, a transaction the broker aborted on its timeout before the commit (the job fails
 * naming what is lost), poison and oversized records (typed errors, nothing lost once the
 * cause is fixed and the job restored), a missing topic, and at-least-once mode.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BadRecordError,
  type BadRecordsPolicy,
  CommitFailedPermanentlyError,
  createLogger,
  type DeadLetter,
  Job,
  type JobOptions,
  type JobState,
  latestRestorePoint,
  Pipeline,
  sequenceSource,
} from "@berth/core";
import type { Committer, Json, Sink } from "@berth/core/connector";
import { failCheckpointsAfterPreCommit } from "@berth/testkit";
import { describe, expect, it } from "vitest";
import { KafkaError, KafkaRecordRejectedError } from "./errors.js";
import type { KafkaCommittable } from "./kafka-committable.js";
import { TransactionClient } from "./kafka-internals/index.js";
import { kafkaSink } from "./kafka-sink.js";
import type { KafkaSinkOptions } from "./kafka-sink-options.js";
import {
  createTopic,
  diffSeqs,
  openTransactions,
  range,
  readCommittedMessages,
  readCommittedSeqs,
  readCommittedValues,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "./test-support.js";

const kafka = testKafka();

interface Run {
  readonly topic: string;
  readonly prefix: string;
  readonly checkpoints: string;
}

async function newRun(name: string, partitions = 2): Promise<Run> {
  const topic = uniqueName(name);
  await createTopic(kafka, topic, partitions);
  return {
    topic,
    prefix: uniqueName(`${name}-p`),
    checkpoints: await mkdtemp(join(tmpdir(), `berth-${name}-`)),
  };
}

function sinkOptions(run: Run, overrides: Partial<KafkaSinkOptions<{ seq: number }>> = {}) {
  return {
    brokers: TEST_BROKERS,
    topic: run.topic,
    key: (r: { seq: number }) => String(r.seq),
    ...overrides,
  };
}

function job(
  run: Run,
  sink: Sink<{ seq: number }, Json>,
  options: {
    count: number;
    rate?: number;
    jobId?: string;
    badRecords?: BadRecordsPolicy<{ seq: number }>;
  } & Partial<JobOptions>,
): Job {
  const pipeline = Pipeline.create({ name: "kafka-sink-it" });
  pipeline
    .source(sequenceSource({ count: options.count, ratePerSecond: options.rate ?? 0, batchSize: 50 }), {
      uid: "sequence",
      parallelism: 1,
    })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(sink, {
      uid: "kafka",
      parallelism: 2,
      sinkPrefix: run.prefix,
      ...(options.badRecords ? { badRecords: options.badRecords } : {}),
    });
  return new Job(pipeline, {
    jobId: options.jobId ?? uniqueName("job"),
    checkpointDirectory: run.checkpoints,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 200,
    restartStrategy: options.restartStrategy ?? { attempts: 0, delayMs: 0 },
    channelCapacity: 64,
    // The failures these tests provoke are expected: keep them out of the output.
    logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
    ...(options.restore ? { restore: options.restore } : {}),
  });
}

/** The error or one of its causes with this code. */
function withCode(error: unknown, code: string): (Error & { code: string }) | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === code) return e as Error & { code: string };
  }
  return undefined;
}

describe.concurrent("kafka sink", () => {
  it("refuses to start when transactionTimeoutMs cannot hold a transaction across a checkpoint and a recovery", async () => {
    const run = await newRun("guard-short");
    const sink = kafkaSink(sinkOptions(run, { transactionTimeoutMs: 30_000, recoveryWindowMs: 60_000 }));
    const result = await job(run, sink, { count: 10, checkpointIntervalMs: 5_000 }).run();
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "KAFKA_TRANSACTION_TIMEOUT_INVALID");
    expect(error).toBeInstanceOf(KafkaError);
    expect(error?.message).toMatch(/transactionTimeoutMs 30000 cannot hold a transaction/);
    expect(error?.message).toMatch(/at least 65000/);
    expect(await readCommittedSeqs(kafka, run.topic)).toEqual([]);
  });

  it("refuses to start when transactionTimeoutMs exceeds the brokers' transaction.max.timeout.ms (read with DescribeConfigs)", async () => {
    const run = await newRun("guard-max");
    const sink = kafkaSink(sinkOptions(run, { transactionTimeoutMs: 900_001 }));
    const result = await job(run, sink, { count: 10 }).run();
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "KAFKA_TRANSACTION_TIMEOUT_INVALID");
    expect(error?.message).toMatch(/exceeds the brokers' transaction\.max\.timeout\.ms 900000/);
  });

  it("fails the job, naming the committable and its records, when the broker aborted a transaction on its timeout before the commit", async () => {
    const run = await newRun("timed-out");
    const real = kafkaSink(sinkOptions(run, { transactionTimeoutMs: 1_000, recoveryWindowMs: 0 }));
    const client = TransactionClient.create(testKafka());
    let delayed: KafkaCommittable | undefined;
    // The first commit waits until the broker has aborted its transaction (transaction.timeout.ms
    // 1 s; the broker looks for expired transactions every 10 s).
    const sink: Sink<{ seq: number }, KafkaCommittable> = {
      ...real,
      async createCommitter(context) {
        const committer = await real.createCommitter(context);
        return {
          async commit(c) {
            if (!delayed) {
              delayed = c;
              const deadline = Date.now() + 30_000;
              while (Date.now() < deadline) {
                const d = await client.describeTransaction(c.transactionalId);
                if (d.state !== "Ongoing" || d.producerEpoch !== c.producerEpoch) break;
                await new Promise((resolve) => setTimeout(resolve, 250));
              }
            }
            return committer.commit(c);
          },
          close: () => committer.close(),
        } satisfies Committer<KafkaCommittable>;
      },
    };
    try {
      const result = await job(run, sink as Sink<{ seq: number }, Json>, { count: 2_000, rate: 1_000 }).run();
      expect(result.state).toBe("FAILED");
      expect(result.error).toBeInstanceOf(CommitFailedPermanentlyError);
      const message = result.error?.message ?? "";
      expect(delayed).toBeDefined();
      expect(message).toContain(delayed?.transactionalId);
      expect(message).toMatch(/was aborted|can no longer be committed/);
      expect(["KAFKA_TRANSACTION_ABORTED", "KAFKA_PRODUCER_FENCED"]).toContain(
        (result.error as CommitFailedPermanentlyError).reasonCode,
      );
      expect(message).toContain(
        `Lost: ${delayed?.records} record(s) of transaction ${delayed?.transactionalId} (producer ${delayed?.producerId}, epoch ${delayed?.producerEpoch}), starting at ${delayed?.anchor.topic}-${delayed?.anchor.partition}@${delayed?.anchor.offset}`,
      );
      // Nothing of it is visible.
      const seqs = await readCommittedSeqs(kafka, run.topic);
      expect(diffSeqs(seqs, range(0, 2_000)).duplicated).toEqual([]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it("checkpoints failing after pre-commit past maxPoolSize fail the job with KAFKA_TRANSACTION_POOL_EXHAUSTED instead of hanging; a restore from the latest checkpoint writes every record once", async () => {
    const run = await newRun("pool-exhausted");
    const sink = () => kafkaSink(sinkOptions(run, { poolSize: 1, maxPoolSize: 2 }));
    const jobId = uniqueName("job");
    // No restart: the error is the job's. Without the fix the writer waits for a commit that
    // needs the barrier queued behind it, and this run never ends (bounded by the test timeout).
    // Input for 4 s: the pool is exhausted long before the end (one failed checkpoint, the next
    // barrier, the next record), so the final checkpoint is never among the failed ones.
    const first = job(run, sink() as Sink<{ seq: number }, Json>, { count: 6_000, rate: 1_500, jobId });
    const faults = failCheckpointsAfterPreCommit(first, run.checkpoints, { count: 3, after: 1 });
    const result = await first.run();
    expect(faults.failed.length).toBeGreaterThan(0);
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "KAFKA_TRANSACTION_POOL_EXHAUSTED");
    expect(error).toBeInstanceOf(KafkaError);
    expect(error?.message).toMatch(
      /all 2 transactional ids of subtask \d \(maxPoolSize\) hold pre-committed transactions whose checkpoints failed/,
    );
    const latest = await latestRestorePoint(run.checkpoints, jobId);
    expect(latest).toBeDefined();
    const restored = job(run, sink() as Sink<{ seq: number }, Json>, {
      count: 6_000,
      jobId,
      restore: { path: latest as string },
    });
    expect((await restored.run()).state).toBe("FINISHED");
    const diff = diffSeqs(await readCommittedSeqs(kafka, run.topic), range(0, 6_000));
    expect(diff).toEqual({ missing: [], duplicated: [], unexpected: [] });
    expect(await openTransactions(kafka, run.prefix)).toEqual([]);
  }, 60_000);

  it("a poison record (the value serializer throws) fails the job at once (badRecords fail, the default), naming the sink and the record; nothing is lost once fixed and restored", async () => {
    const run = await newRun("poison");
    const jobId = uniqueName("poison-job");
    const poisoned = kafkaSink(
      sinkOptions(run, {
        value: (r) => {
          if (r.seq === 1_200) throw new Error("cannot serialize 1200");
          return JSON.stringify(r);
        },
      }),
    );
    const failing = job(run, poisoned, {
      count: 2_000,
      rate: 2_000,
      jobId,
      restartStrategy: { attempts: 2, delayMs: 10 },
    });
    const states: JobState[] = [];
    failing.on("state", (s: JobState) => states.push(s));
    const first = await failing.run();
    expect(first.state).toBe("FAILED");
    // No restart loop: every restart would meet the same record again.
    expect(states).not.toContain("RESTARTING");
    expect(withCode(first.error, "BAD_RECORD")).toBeInstanceOf(BadRecordError);
    expect(withCode(first.error, "KAFKA_RECORD_INVALID")).toBeInstanceOf(KafkaRecordRejectedError);
    expect(first.error?.message).toMatch(
      /sink "kafka" rejected a record \(subtask \d, record \d+ after checkpoint \d+\): kafka sink: the value serializer threw \(cannot serialize 1200\) for record \{"seq":1200\}/,
    );
    const before = await readCommittedSeqs(kafka, run.topic);
    expect(diffSeqs(before, range(0, 2_000)).duplicated).toEqual([]);
    expect(before.every((s) => s < 1_200)).toBe(true);
    // Fixed serializer, restored from the latest checkpoint: every record exactly once.
    const latest = await latestRestorePoint(run.checkpoints, jobId);
    const fixed = kafkaSink(sinkOptions(run));
    const second = await job(run, fixed, {
      count: 2_000,
      jobId,
      ...(latest ? { restore: { path: latest } } : {}),
    }).run();
    expect(second.state).toBe("FINISHED");
    expect(diffSeqs(await readCommittedSeqs(kafka, run.topic), range(0, 2_000))).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    expect(await openTransactions(kafka, run.prefix)).toEqual([]);
  });

  const isBad = (seq: number) => seq % 100 === 7;
  const poisonedValue = (r: { seq: number }) => {
    if (isBad(r.seq)) throw new Error(`cannot serialize ${r.seq}`);
    return JSON.stringify(r);
  };

  it("badRecords skip: the topic holds every other record exactly once; each skipped record is counted", async () => {
    const run = await newRun("skip");
    const skipping = job(run, kafkaSink(sinkOptions(run, { value: poisonedValue })), {
      count: 2_000,
      rate: 4_000,
      badRecords: { policy: "skip" },
    });
    const skipped: string[] = [];
    skipping.on("bad-record", (uid: string, outcome: string) => skipped.push(`${uid}:${outcome}`));
    expect((await skipping.run()).state).toBe("FINISHED");
    const bad = range(0, 2_000).filter(isBad);
    expect(
      diffSeqs(
        await readCommittedSeqs(kafka, run.topic),
        range(0, 2_000).filter((n) => !isBad(n)),
      ),
    ).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    expect(skipped).toEqual(bad.map(() => "kafka:skipped"));
    expect(await openTransactions(kafka, run.prefix)).toEqual([]);
  });

  it("badRecords dead-letter: a dead-letter topic holds each rejected record once with its error, the topic every other record once", async () => {
    const run = await newRun("dead-letter");
    const deadLetters = await newRun("dead-letters", 1);
    const dlq = kafkaSink<DeadLetter<{ seq: number }>>({
      brokers: TEST_BROKERS,
      topic: deadLetters.topic,
      value: (letter) => JSON.stringify(letter),
    });
    const result = await job(run, kafkaSink(sinkOptions(run, { value: poisonedValue })), {
      count: 2_000,
      rate: 4_000,
      badRecords: {
        policy: "dead-letter",
        deadLetter: { sink: dlq, uid: "kafka-dlq", sinkPrefix: deadLetters.prefix },
      },
    }).run();
    expect(result.state).toBe("FINISHED");
    expect(
      diffSeqs(
        await readCommittedSeqs(kafka, run.topic),
        range(0, 2_000).filter((n) => !isBad(n)),
      ),
    ).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    const letters = (await readCommittedValues(kafka, deadLetters.topic)).map(
      (v) =>
        JSON.parse(v.toString()) as {
          sink: string;
          error: { code: string; message: string };
          record: { seq: number };
        },
    );
    expect(
      diffSeqs(
        letters.map((l) => l.record.seq),
        range(0, 2_000).filter(isBad),
      ),
    ).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });
    for (const letter of letters) {
      expect(letter.sink).toBe("kafka");
      expect(letter.error.code).toBe("KAFKA_RECORD_INVALID");
      expect(letter.error.message).toContain(
        `the value serializer threw (cannot serialize ${letter.record.seq})`,
      );
    }
    expect(await openTransactions(kafka, deadLetters.prefix)).toEqual([]);
  });

  it("a record larger than maxRecordBytes fails the job with KAFKA_RECORD_TOO_LARGE before it is sent", async () => {
    const run = await newRun("too-large");
    const sink = kafkaSink(
      sinkOptions(run, {
        maxRecordBytes: 1_000,
        value: (r) => (r.seq === 300 ? "x".repeat(5_000) : JSON.stringify(r)),
      }),
    );
    const result = await job(run, sink, { count: 1_000 }).run();
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "KAFKA_RECORD_TOO_LARGE");
    expect(error?.message).toMatch(/a record of 5003 bytes .* exceeds maxRecordBytes 1000/);
    expect((await readCommittedSeqs(kafka, run.topic)).includes(300)).toBe(false);
  });

  it("refuses to start when the topic does not exist", async () => {
    const run = await newRun("missing");
    const sink = kafkaSink(sinkOptions(run, { topic: uniqueName("no-such-topic") }));
    const result = await job(run, sink, { count: 10 }).run();
    expect(result.state).toBe("FAILED");
    expect(withCode(result.error, "KAFKA_TOPIC_NOT_FOUND")?.message).toMatch(
      /does not exist .* create it first/,
    );
  });

  it("per-record topic, key, headers, timestamp, a custom partitioner and gzip reach the broker as configured", async () => {
    const run = await newRun("options-a", 2);
    const other = uniqueName("options-b");
    await createTopic(kafka, other, 2);
    const sink = kafkaSink<{ seq: number }>({
      brokers: TEST_BROKERS,
      topic: (r) => (r.seq % 2 === 0 ? run.topic : other),
      key: (r) => `k${r.seq}`,
      value: (r) => Buffer.from(`v${r.seq}`),
      headers: (r) => ({ parity: r.seq % 2 === 0 ? "even" : "odd" }),
      timestamp: (r) => 1_600_000_000_000 + r.seq,
      partitioner: () => () => 1,
      compression: "gzip",
    });
    const result = await job(run, sink as Sink<{ seq: number }, Json>, { count: 400 }).run();
    expect(result.state).toBe("FINISHED");
    for (const [topic, parity] of [
      [run.topic, "even"],
      [other, "odd"],
    ] as const) {
      const read = await readCommittedMessages(kafka, topic);
      expect(read.filter((m) => m.partition !== 1)).toEqual([]);
      expect(read).toHaveLength(200);
      for (const m of read) {
        const seq = Number(String(m.value).slice(1));
        expect(seq % 2).toBe(parity === "even" ? 0 : 1);
        expect(String(m.key)).toBe(`k${seq}`);
        expect(String(m.headers?.parity)).toBe(parity);
        expect(Number(m.timestamp)).toBe(1_600_000_000_000 + seq);
      }
    }
  });

  it("at-least-once: no transactions; every record is written, flushed at each checkpoint", async () => {
    const run = await newRun("at-least-once");
    const sink = kafkaSink(sinkOptions(run, { deliveryGuarantee: "at-least-once" }));
    const result = await job(run, sink, { count: 3_000 }).run();
    expect(result.state).toBe("FINISHED");
    const { missing } = diffSeqs(await readCommittedSeqs(kafka, run.topic), range(0, 3_000));
    expect(missing).toEqual([]);
    const client = TransactionClient.create(testKafka());
    try {
      const d = await client.describeTransaction(`${run.prefix}-0-0`);
      expect(d.errorCode).not.toBe(0); // the id was never used: TRANSACTIONAL_ID_NOT_FOUND
    } finally {
      await client.close();
    }
  });
});
