/**
 * The source's consumer-group offsets against the real broker, read back with kafkajs's admin
 * (`fetchOffsets`, an independent reader): the checkpointed positions are committed after
 * completed checkpoints and with the stop's savepoint; a restore reads the checkpoint, not the
 * group; a group with active members is refused at start; a commit the broker refuses is logged
 * and the job goes on checkpointing.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline } from "@berth/core";
import { describe, expect, it } from "vitest";
import { kafkaSink } from "../kafka-sink.js";
import {
  createTopic,
  diffSeqs,
  produceTransaction,
  range,
  readCommittedSeqs,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "../test-support.js";
import { kafkaSource } from "./kafka-source.js";

const kafka = testKafka();
const CLEAN = { missing: [], duplicated: [], unexpected: [] };

function pipeline(input: string, output: string, groupId: string): Pipeline {
  const p = Pipeline.create({ name: "group-offsets-it" });
  p.source(
    kafkaSource({
      brokers: TEST_BROKERS,
      topics: input,
      groupId,
      maxRecordsPerPoll: 100,
      deserializer: (m) => JSON.parse(String(m.value)) as { seq: number },
    }),
    { uid: "kafka-in", parallelism: 2 },
  ).sinkTo(kafkaSink<{ seq: number }>({ brokers: TEST_BROKERS, topic: output, key: (r) => String(r.seq) }), {
    uid: "kafka-out",
    parallelism: 2,
    sinkPrefix: `${output}-prefix`,
  });
  return p;
}

/** The group's committed offset per partition of `topic` (-1: none), as kafkajs's admin reads it. */
async function groupOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((answer?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Each partition's end (high watermark: past the last record and commit marker). */
async function partitionEnds(topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, maxWaitMs = 30_000): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${maxWaitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Resolves once the job's output topic holds `count` committed records. */
const outputHolds = (output: string, count: number) =>
  until(`${count} records in ${output}`, async () =>
    (await readCommittedSeqs(kafka, output)).length >= count ? true : undefined,
  );

describe.concurrent("kafka source consumer-group offsets", () => {
  it("commits the checkpointed positions after checkpoints and with the stop's savepoint; a restore reads the checkpoint, not the group", async () => {
    const input = uniqueName("grp-in");
    const output = uniqueName("grp-out");
    const groupId = uniqueName("grp");
    await createTopic(kafka, input, 2);
    await createTopic(kafka, output, 2);
    for (let from = 0; from < 2_000; from += 500)
      await produceTransaction(kafka, input, range(from, from + 500));
    const checkpoints = await mkdtemp(join(tmpdir(), "berth-grp-"));
    const settings = {
      checkpointDirectory: checkpoints,
      checkpointIntervalMs: 200,
      logger: createLogger("error"),
    };

    const first = new Job(pipeline(input, output, groupId), { ...settings, jobId: uniqueName("grp-job") });
    const firstRun = first.run();
    // While it runs, periodic checkpoints commit: some progress shows up before any stop.
    await until("a committed offset", async () =>
      [...(await groupOffsets(groupId, input)).values()].some((o) => o > 0n) ? true : undefined,
    );
    await outputHolds(output, 2_000);
    const savepoint = await first.stop({ drain: false, targetDirectory: join(checkpoints, "savepoints") });
    expect((await firstRun).state).toBe("FINISHED");
    // The stop's savepoint holds every position at the partitions' ends, and so does the group.
    expect(await groupOffsets(groupId, input)).toEqual(await partitionEnds(input));

    // Someone rewinds the group; the restore must ignore it (else 0..1999 would come twice).
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({
      groupId,
      topic: input,
      partitions: [0, 1].map((p) => ({ partition: p, offset: "0" })),
    });
    await admin.disconnect();
    await produceTransaction(kafka, input, range(2_000, 2_500));
    const second = new Job(pipeline(input, output, groupId), {
      ...settings,
      jobId: uniqueName("grp-job"),
      restore: { path: savepoint },
    });
    const secondRun = second.run();
    await outputHolds(output, 2_500);
    await second.stop({ drain: false, targetDirectory: join(checkpoints, "savepoints") });
    expect((await secondRun).state).toBe("FINISHED");
    expect(diffSeqs(await readCommittedSeqs(kafka, output), range(0, 2_500))).toEqual(CLEAN);
    expect(await groupOffsets(groupId, input)).toEqual(await partitionEnds(input));
  }, 120_000);

  it("refuses a group that has active members at start, with a one-line typed error", async () => {
    const input = uniqueName("grp-active-in");
    const groupId = uniqueName("grp-active");
    await createTopic(kafka, input, 1);
    const member = kafka.consumer({ groupId });
    await member.connect();
    await member.subscribe({ topics: [input] });
    await member.run({ eachMessage: async () => {} });
    try {
      const source = kafkaSource({ brokers: TEST_BROKERS, topics: input, groupId });
      const context = { subtask: 0, parallelism: 1, jobId: "j", uid: "in", log: { info() {}, warn() {} } };
      // The member's join completes asynchronously: the refusal is the verdict once it has.
      const error = await until("the refusal", async () =>
        source.createReader(context, await source.initialSplits(1)).then(
          async (reader) => {
            await reader.close();
            return undefined;
          },
          (e: unknown) => e as { code?: string; message: string },
        ),
      );
      expect(error.code).toBe("KAFKA_SOURCE_GROUP_ACTIVE");
      expect(error.message).toContain(`consumer group "${groupId}" has 1 active member(s)`);
      expect(error.message).not.toContain("\n");
      // commitOffsets: false does not use the group at all.
      const quiet = kafkaSource({ brokers: TEST_BROKERS, topics: input, groupId, commitOffsets: false });
      await (await quiet.createReader(context, await quiet.initialSplits(1))).close();
    } finally {
      await member.disconnect();
    }
  }, 60_000);

  it("a commit the broker refuses (the group gained a member) is logged; checkpoints go on completing and the job ends FINISHED with every record once", async () => {
    const input = uniqueName("grp-fail-in");
    const output = uniqueName("grp-fail-out");
    const other = uniqueName("grp-fail-other");
    const groupId = uniqueName("grp-fail");
    await createTopic(kafka, input, 2);
    await createTopic(kafka, output, 2);
    await createTopic(kafka, other, 1);
    await produceTransaction(kafka, input, range(0, 1_000));
    const lines: string[] = [];
    const logger = createLogger("warn", { write: (line: string) => void lines.push(line) });
    const checkpoints = await mkdtemp(join(tmpdir(), "berth-grp-fail-"));
    const job = new Job(pipeline(input, output, groupId), {
      checkpointDirectory: checkpoints,
      checkpointIntervalMs: 200,
      logger,
      jobId: uniqueName("grp-fail-job"),
    });
    let written = 0;
    job.on("snapshot-written", () => {
      written++;
    });
    const run = job.run();
    await outputHolds(output, 1_000);
    await until("a committed offset", async () =>
      [...(await groupOffsets(groupId, input)).values()].some((o) => o > 0n) ? true : undefined,
    );
    // A consumer of another topic joins the group: the broker now refuses the source's commits.
    const member = kafka.consumer({ groupId });
    await member.connect();
    await member.subscribe({ topics: [other] });
    await member.run({ eachMessage: async () => {} });
    const refused = () => lines.filter((l) => l.includes(`to consumer group \\"${groupId}\\" failed`));
    await until("a logged refusal", async () => (refused().length > 0 ? true : undefined));
    const writtenAtRefusal = written;
    await produceTransaction(kafka, input, range(1_000, 1_500));
    await outputHolds(output, 1_500);
    await until("two more checkpoints", async () => (written >= writtenAtRefusal + 2 ? true : undefined));
    await member.disconnect();
    await job.stop({ drain: false, targetDirectory: join(checkpoints, "savepoints") });
    expect((await run).state).toBe("FINISHED");
    expect(diffSeqs(await readCommittedSeqs(kafka, output), range(0, 1_500))).toEqual(CLEAN);
    // With the member gone, the stop's savepoint was committed again.
    expect(await groupOffsets(groupId, input)).toEqual(await partitionEnds(input));
  }, 120_000);
});
