/**
 * The Kafka source against the real broker: read_committed (aborted transactions and markers
 * never reach the pipeline), bounded mode ending at the last stable offset seen when the splits
 * were made, positions restored from snapshots at another parallelism, record timestamps.
 */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSink, Job, Pipeline, type SourceReader, type SourceReaderContext } from "@berth/core";
import type { Json } from "@berth/core/connector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTopic,
  deleteTopic,
  diffSeqs,
  produceTransaction,
  range,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "../test-support.js";
import { kafkaSource } from "./kafka-source.js";

const kafka = testKafka();
const silent = { info: () => {}, warn: () => {} };
const context = (subtask: number, parallelism: number): SourceReaderContext => ({
  subtask,
  parallelism,
  jobId: uniqueName("reader-job"),
  uid: "kafka-in",
  log: silent,
});
const BASE_TS = 1_700_000_000_000;
const seqOf = (m: { value: Buffer | null }) => (JSON.parse(String(m.value)) as { seq: number }).seq;

/** Polls a reader until it ends or `maxPolls` polls returned records. */
async function drain<T>(reader: SourceReader<T>, maxPolls = Number.POSITIVE_INFINITY) {
  const values: { value: T; timestamp?: number }[] = [];
  let polls = 0;
  for (;;) {
    const poll = await reader.poll();
    if ("ended" in poll) return { values, ended: true };
    values.push(...poll.records);
    if (poll.records.length > 0 && ++polls >= maxPolls) return { values, ended: false };
  }
}

describe.concurrent("kafka source", () => {
  let topic: string;

  beforeAll(async () => {
    topic = uniqueName("source");
    await createTopic(kafka, topic, 3);
    const ts = (seq: number) => BASE_TS + seq;
    await produceTransaction(kafka, topic, range(0, 300), { timestampOf: ts });
    await produceTransaction(kafka, topic, range(10_000, 10_100), { abort: true, timestampOf: ts });
    await produceTransaction(kafka, topic, range(300, 600), { timestampOf: ts });
    await produceTransaction(kafka, topic, range(10_100, 10_150), { abort: true, timestampOf: ts });
    await produceTransaction(kafka, topic, range(600, 700), { timestampOf: ts });
  });

  afterAll(async () => {
    await deleteTopic(kafka, topic);
  });

  it("bounded: committed records only, each once with its timestamp; ends at the last stable offset seen when the splits were made", async () => {
    const source = kafkaSource({
      brokers: TEST_BROKERS,
      topics: topic,
      bounded: true,
      maxRecordsPerPoll: 97,
    });
    const splits = await source.initialSplits(1);
    expect(splits).toHaveLength(3);
    // Written after the splits were made: past their stopping offsets, never read.
    await produceTransaction(kafka, topic, range(20_000, 20_050));
    const reader = await source.createReader(context(0, 1), splits);
    try {
      const { values, ended } = await drain(reader);
      expect(ended).toBe(true);
      const seqs = values.map((v) => seqOf(v.value));
      expect(diffSeqs(seqs, range(0, 700))).toEqual({ missing: [], duplicated: [], unexpected: [] });
      for (const v of values) expect(v.timestamp).toBe(BASE_TS + seqOf(v.value));
      // The positions reached the ends (past the commit markers).
      for (const s of reader.snapshotSplits(1) as { offset: string; stoppingOffset: string }[]) {
        expect(s.offset).toBe(s.stoppingOffset);
      }
    } finally {
      await reader.close();
    }
  });

  it("restores positions from a snapshot at another parallelism: nothing lost, nothing twice", async () => {
    const source = kafkaSource({
      brokers: TEST_BROKERS,
      topics: [topic],
      bounded: true,
      maxRecordsPerPoll: 40,
    });
    const first = await source.createReader(context(0, 1), await source.initialSplits(1));
    const before = await drain(first, 5);
    expect(before.ended).toBe(false);
    const snapshot: Json[] = first.snapshotSplits(1);
    await first.close();
    // Restore at parallelism 2: splits dealt round-robin, as the core does.
    const after = [];
    for (const subtask of [0, 1]) {
      const reader = await source.createReader(
        context(subtask, 2),
        snapshot.filter((_, j) => j % 2 === subtask),
      );
      try {
        const read = await drain(reader);
        expect(read.ended).toBe(true);
        after.push(...read.values);
      } finally {
        await reader.close();
      }
    }
    const seqs = [...before.values, ...after].map((v) => seqOf(v.value));
    expect(seqs.filter((s) => s >= 20_000).length).toBeLessThanOrEqual(50); // late records: only if the splits were made after them
    expect(
      diffSeqs(
        seqs.filter((s) => s < 20_000),
        range(0, 700),
      ),
    ).toEqual({ missing: [], duplicated: [], unexpected: [] });
  });

  it("a bounded job ends FINISHED at end of input with every committed record once", async () => {
    const directory = await mkdtemp(join(tmpdir(), "berth-kafka-source-"));
    const pipeline = Pipeline.create({ name: "kafka-source-bounded" });
    pipeline
      .source(
        kafkaSource({
          brokers: TEST_BROKERS,
          topics: topic,
          bounded: true,
          deserializer: (m) => JSON.parse(String(m.value)) as { seq: number },
        }),
        { uid: "kafka-in", parallelism: 2, watermarks: { maxOutOfOrdernessMs: 100 } },
      )
      .map((r) => ({ seq: r.seq }), { uid: "map" })
      .sinkTo(fileSink({ directory }), { uid: "files" });
    const job = new Job(pipeline, {
      checkpointDirectory: join(directory, ".checkpoints"),
      checkpointIntervalMs: 200,
    });
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    const seqs: number[] = [];
    for (const name of await readdir(directory)) {
      if (name.startsWith(".")) continue;
      for (const line of (await readFile(join(directory, name), "utf8")).split("\n")) {
        if (line) seqs.push((JSON.parse(line) as { seq: number }).seq);
      }
    }
    // The 50 late records may or may not be before this job's splits were made.
    expect(
      diffSeqs(
        seqs.filter((s) => s < 20_000),
        range(0, 700),
      ),
    ).toEqual({ missing: [], duplicated: [], unexpected: [] });
  });

  it("finds a topic created just before it starts (CreateTopics answered, nothing waited for)", async () => {
    const fresh = uniqueName("fresh");
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: fresh, numPartitions: 3 }], waitForLeaders: false });
      const splits = await kafkaSource({ brokers: TEST_BROKERS, topics: fresh }).initialSplits(1);
      expect(splits.map((s) => (s as { partition: number }).partition).sort()).toEqual([0, 1, 2]);
    } finally {
      await admin.deleteTopics({ topics: [fresh] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it("fails at start with a typed error when a topic does not exist", async () => {
    const source = kafkaSource({ brokers: TEST_BROKERS, topics: uniqueName("missing") });
    await expect(source.initialSplits(1)).rejects.toMatchObject({ code: "KAFKA_TOPIC_NOT_FOUND" });
  });
});
