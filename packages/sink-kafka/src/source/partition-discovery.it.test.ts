/**
 * Partitions added to the input topic while the job runs (kafkajs admin `createPartitions`) are
 * read from their earliest offset and checkpointed: `berth run` is SIGKILLed after records of
 * the new partitions were committed, restored with `--from-latest`, and stopped with SIGTERM —
 * every input record is in the output once (kafkajs read_committed reader), and the consumer
 * group shows every partition, the new ones too, at its end.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runBerth } from "@berth/testkit";
import { describe, expect, it } from "vitest";
import {
  createTopic,
  diffSeqs,
  produceTransaction,
  range,
  readCommittedSeqs,
  testKafka,
  uniqueName,
} from "../test-support.js";

const kafka = testKafka();
const PACKAGE = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = "src/source/discovery-pipeline.fixture.ts";

async function until(what: string, probe: () => Promise<boolean>, maxWaitMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${maxWaitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("kafka source partition discovery", () => {
  it("reads partitions added while the job runs from their earliest offset, through a SIGKILL and a restore: every record once", async () => {
    const input = uniqueName("disc-in");
    const output = uniqueName("disc-out");
    const groupId = uniqueName("disc-grp");
    await createTopic(kafka, input, 2);
    await createTopic(kafka, output, 2);
    await produceTransaction(kafka, input, range(0, 1_000));
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-disc-"));
    const args = ["run", FIXTURE, "--job-id", uniqueName("disc-job"), "--checkpoint-dir", checkpointDir];
    const env = { INPUT: input, OUTPUT: output, GROUP: groupId, BERTH_LOG_LEVEL: "info" };
    const outputSeqs = () => readCommittedSeqs(kafka, output);

    const first = runBerth([...args, "--checkpoint-interval", "200"], env, PACKAGE);
    await until("the first records in the output", async () => (await outputSeqs()).length >= 1_000);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic: input, count: 4 }] });
    await admin.disconnect();
    // Written before the job can have found the new partitions: read from their earliest offset.
    await produceTransaction(kafka, input, range(1_000, 1_200), { partition: 2 });
    await produceTransaction(kafka, input, range(1_200, 1_400), { partition: 3 });
    await until("records of the new partitions in the output", async () =>
      (await outputSeqs()).some((s) => s >= 1_000),
    );
    first.child.kill("SIGKILL");
    const killed = await first.exit;
    expect(killed.code, killed.output).toBeNull();
    expect(killed.output).toMatch(/partition .*-2 was added; subtask 0 reads it from its earliest offset 0/);

    await produceTransaction(kafka, input, range(1_400, 1_600), { partition: 2 });
    await produceTransaction(kafka, input, range(1_600, 1_800), { partition: 3 });
    await produceTransaction(kafka, input, range(1_800, 2_000));
    const second = runBerth([...args, "--from-latest"], env, PACKAGE);
    await until("every record in the output", async () => (await outputSeqs()).length >= 2_000);
    second.child.kill("SIGTERM");
    const stopped = await second.exit;
    expect(stopped.code, stopped.output).toBe(0);
    expect(diffSeqs(await outputSeqs(), range(0, 2_000))).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });

    // The stop's savepoint went to the group: every partition, the added ones too, at its end.
    const check = kafka.admin();
    await check.connect();
    try {
      const [committed] = await check.fetchOffsets({ groupId, topics: [input] });
      const ends = await check.fetchTopicOffsets(input);
      expect(new Map(committed?.partitions.map((p) => [p.partition, p.offset]))).toEqual(
        new Map(ends.map((e) => [e.partition, e.high])),
      );
      expect(ends).toHaveLength(4);
    } finally {
      await check.disconnect();
    }
  }, 180_000);
});
