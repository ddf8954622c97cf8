/**
 * Which point a restore starts from, with the Kafka sink (issue 9 findings 1 and 2), counted
 * with kafkajs's own read_committed consumer:
 *
 * - a failover soon after a restore restores the savepoint the run started from, not the job's
 *   older checkpoint (which would replay committed records);
 * - `berth run --from-latest` after `berth stop -p DIR` restores that savepoint, wherever it
 *   was written, not the checkpoint before the stop.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Json, Sink } from "@berth/core/connector";
import { describe, expect, it } from "vitest";
import { kafkaSink } from "./kafka-sink.js";
import {
  createTopic,
  diffSeqs,
  openTransactions,
  range,
  readCommittedSeqs,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "./test-support.js";

const kafka = testKafka();
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BERTH = join(REPO, "packages/core/bin/berth.mjs");
const CLEAN = { missing: [], duplicated: [], unexpected: [] };

/** Waits (bounded) until the topic holds at least `count` committed records. */
async function committedAtLeast(topic: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await readCommittedSeqs(kafka, topic)).length < count) {
    if (Date.now() > deadline) throw new Error(`${topic} did not reach ${count} committed records`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe.concurrent("kafka sink: restore points", () => {
  it("a failover right after a restore from a savepoint restores that savepoint, not the job's older checkpoint: every record once", async () => {
    const topic = uniqueName("failover-restore");
    await createTopic(kafka, topic, 3);
    const prefix = uniqueName("failover-restore-p");
    const checkpoints = await mkdtemp(join(tmpdir(), "berth-failover-restore-"));
    const jobId = uniqueName("job");
    const total = 20_000;
    // The first run is throttled so the stop comes mid-run; the restore runs unthrottled.
    const build = (onRecord: (seq: number) => void, restore?: string): Job => {
      const pipeline = Pipeline.create({ name: "kafka-restore-points" });
      pipeline
        .source(sequenceSource({ count: total, ratePerSecond: restore ? 0 : 2_000, batchSize: 50 }), {
          uid: "sequence",
          parallelism: 1,
        })
        .map(
          (seq) => {
            onRecord(seq);
            return { seq };
          },
          { uid: "to-record" },
        )
        .sinkTo(
          kafkaSink<{ seq: number }>({
            brokers: TEST_BROKERS,
            topic,
            key: (r) => String(r.seq),
          }) as Sink<{ seq: number }, Json>,
          { uid: "kafka", parallelism: 2, sinkPrefix: prefix },
        );
      return new Job(pipeline, {
        jobId,
        checkpointDirectory: checkpoints,
        checkpointIntervalMs: 200,
        restartStrategy: { attempts: 2, delayMs: 0 },
        channelCapacity: 64,
        logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
        ...(restore ? { restore: { path: restore } } : {}),
      });
    };
    // The first run completes checkpoints (they stay in the job's folder), then stops with a
    // savepoint elsewhere.
    let checkpointsDone = 0;
    let reached: () => void = () => {};
    const enough = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const first = build(() => {});
    first.on("snapshot-written", () => {
      if (++checkpointsDone === 3) reached();
    });
    const firstRun = first.run();
    await enough;
    const savepoint = await first.stop({ drain: false, targetDirectory: join(checkpoints, "elsewhere") });
    expect((await firstRun).state).toBe("FINISHED");
    // The restore fails at its first record, before any checkpoint of its own completes.
    let failed = false;
    const second = build(() => {
      if (!failed) {
        failed = true;
        throw new Error("injected: the first record after the restore fails");
      }
    }, savepoint);
    expect((await second.run()).state).toBe("FINISHED");
    expect(failed).toBe(true);
    expect(diffSeqs(await readCommittedSeqs(kafka, topic), range(0, total))).toEqual(CLEAN);
    expect(await openTransactions(kafka, prefix)).toEqual([]);
  }, 90_000);

  it("berth run --from-latest after berth stop -p DIR restores that savepoint, not the checkpoint before the stop: every record once", async () => {
    const topic = uniqueName("from-latest");
    const work = await mkdtemp(join(tmpdir(), "berth-from-latest-"));
    const jobId = uniqueName("job");
    const total = 10_000;
    const env = {
      ...process.env,
      BERTH_HOME: join(work, "home"),
      BERTH_LOG_LEVEL: "error",
      KAFKA_BROKERS: TEST_BROKERS.join(","),
      KAFKA_TOPIC: topic,
      SEQ_COUNT: String(total),
      SEQ_RATE: "1000",
      SEQ_PARALLELISM: "2",
    };
    // SEQ_RATE is read at every start: the stop comes mid-run, the restore runs unthrottled.
    const berth = (args: string[], more: Record<string, string> = {}) => {
      const child = spawn(process.execPath, [BERTH, ...args], { cwd: REPO, env: { ...env, ...more } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      return {
        stdout: () => stdout,
        output: () => `${stdout}${stderr}`,
        exited: new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code))),
        kill: () => child.kill("SIGKILL"),
      };
    };
    const run = [
      "run",
      "examples/sequence-to-kafka.ts",
      "--job-id",
      jobId,
      "--checkpoint-dir",
      join(work, "chk"),
      "--checkpoint-interval",
      "200",
    ];
    const first = berth(run);
    try {
      await committedAtLeast(topic, 1_000);
      const stop = berth(["stop", jobId, "-p", join(work, "elsewhere"), "--json"]);
      expect(await stop.exited, stop.output()).toBe(0);
      const savepoint = (JSON.parse(stop.stdout().trim()) as { savepoint: string }).savepoint;
      expect(await first.exited, first.output()).toBe(0);
      const second = berth([...run, "--from-latest"], { SEQ_RATE: "0" });
      expect(await second.exited, second.output()).toBe(0);
      expect(second.stdout()).toContain(`restoring job ${jobId} from ${savepoint}`);
    } finally {
      first.kill();
    }
    expect(diffSeqs(await readCommittedSeqs(kafka, topic), range(0, total))).toEqual(CLEAN);
  }, 90_000);
});
