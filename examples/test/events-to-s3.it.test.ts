/**
 * `examples/events-to-s3.ts` through the `berth` CLI against the real Kafka and S3: records a
 * kafkajs producer of the test's own writes are copied into Hive-style `dt=/hour=` folders,
 * each exactly once across a SIGKILL, a `--from-latest` recovery and a `berth stop` — counted
 * by listing and reading the bucket with the AWS SDK.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { lostAndDuplicated, s3Lines, uniqueName, waitFor } from "../target-readers.js";
import { kafkaBrokers } from "../targets-env.js";
import { berth } from "./berth-runs.js";

async function produce(topic: string, from: number, to: number): Promise<void> {
  const kafka = new Kafka({
    brokers: kafkaBrokers().split(","),
    clientId: "examples-test",
    logLevel: logLevel.NOTHING,
  });
  // Never auto-created: the job creates the topic with its partitions.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = Array.from({ length: to - from }, (_, i) => ({
      value: JSON.stringify({ seq: from + i }),
    }));
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

interface Event {
  readonly seq: number;
  readonly at: string;
}

describe("examples/events-to-s3.ts", () => {
  it("copies every event once into dt=/hour= folders across a SIGKILL, a recovery and a stop", async () => {
    const name = uniqueName("events");
    const env = { KAFKA_TOPIC: name, S3_BUCKET: name, S3_PREFIX: "events" };
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-events-"));
    const args = [
      "run",
      "examples/events-to-s3.ts",
      "--job-id",
      name,
      "--checkpoint-dir",
      checkpointDir,
      "--checkpoint-interval",
      "300",
    ];
    const events = async () =>
      [...(await s3Lines(name, "events"))].flatMap(([key, lines]) =>
        lines.map((e) => ({ key, e: e as Event })),
      );
    const first = berth(args, env);
    // The job creates the topic and the bucket; produce once it has.
    await waitFor("the job to create its topic", async () => {
      try {
        await produce(name, 0, 1500);
        return true;
      } catch {
        return false;
      }
    });
    await waitFor("events in the bucket", async () => (await events()).length > 0);
    first.child.kill("SIGKILL");
    expect((await first.exit).code).toBeNull();
    await produce(name, 1500, 3000);
    const recovered = berth([...args, "--from-latest"], env);
    await waitFor("all 3000 events in the bucket", async () => (await events()).length >= 3000);
    const stopped = await berth(["stop", name], env).exit;
    expect(stopped.code, stopped.output).toBe(0);
    expect((await recovered.exit).code).toBe(0);

    const all = await events();
    expect(
      lostAndDuplicated(
        all.map(({ e }) => e.seq),
        3000,
      ),
    ).toEqual({ lost: [], duplicated: [] });
    for (const { key, e } of all) {
      expect(key).toMatch(
        new RegExp(`^events/dt=${e.at.slice(0, 10)}/hour=${e.at.slice(11, 13)}/[^/]+\\.jsonl$`),
      );
    }
  });
});
