/**
 * Kafka → map → Kafka, exactly-once end to end against the real broker, checked with an
 * independent reader (kafkajs's own consumer with read_committed isolation, up to the last
 * stable offsets when the check runs: what a job that ended FINISHED committed is readable):
 *
 * - in process: a stop with savepoint while input keeps arriving (with aborted transactions
 *   among it), a restore at another parallelism, a second stop;
 * - through the `berth` CLI: `examples/kafka-to-kafka.ts` SIGKILLed mid-run, restored with
 *   `--from-latest`, and `examples/sequence-to-kafka.ts` (DESIGN.md's sequence contract).
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, Job, Pipeline } from "@berth/core";
import { describe, expect, it } from "vitest";
import { kafkaSink } from "./kafka-sink.js";
import { kafkaSource } from "./source/kafka-source.js";
import {
  createTopic,
  diffSeqs,
  openTransactions,
  produceTransaction,
  range,
  readCommittedSeqs,
  readCommittedValues,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "./test-support.js";

const kafka = testKafka();
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BERTH = join(REPO, "packages/core/bin/berth.mjs");
const CLEAN = { missing: [], duplicated: [], unexpected: [] };

/** Seqs of the output records, read by kafkajs's own consumer (read_committed). */
async function outputSeqs(topic: string): Promise<number[]> {
  const values = await readCommittedValues(kafka, topic);
  return values.map((v) => {
    const record = JSON.parse(String(v)) as { seq: number; square: number };
    expect(record.square).toBe(record.seq * record.seq);
    return record.seq;
  });
}

function pipeline(input: string, output: string, parallelism: number, onRecord?: () => void): Pipeline {
  const p = Pipeline.create({ name: "kafka-to-kafka-it" });
  p.source(
    kafkaSource({
      brokers: TEST_BROKERS,
      topics: input,
      maxRecordsPerPoll: 100,
      deserializer: (m) => JSON.parse(String(m.value)) as { seq: number },
    }),
    { uid: "kafka-in", parallelism },
  )
    .map(
      ({ seq }) => {
        onRecord?.();
        return { seq, square: seq * seq };
      },
      { uid: "square", parallelism },
    )
    .sinkTo(
      kafkaSink<{ seq: number; square: number }>({
        brokers: TEST_BROKERS,
        topic: output,
        key: (r) => String(r.seq),
      }),
      {
        uid: "kafka-out",
        parallelism,
        sinkPrefix: `${output}-prefix`,
      },
    );
  return p;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function berth(args: string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH, ...args], {
      cwd: REPO,
      env: { ...process.env, BERTH_LOG_LEVEL: "error", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal, output }));
  });
}

describe.concurrent("kafka → map → kafka", () => {
  it("stop with savepoint while input arrives, restore at another parallelism, stop again: every committed input record once in the output", async () => {
    const input = uniqueName("e2e-in");
    const output = uniqueName("e2e-out");
    await createTopic(kafka, input, 3);
    await createTopic(kafka, output, 3);
    const checkpoints = await mkdtemp(join(tmpdir(), "berth-e2e-"));
    const total = 6_000;
    // Input arrives in committed transactions of 200, an aborted one after every fifth.
    const producing = (async () => {
      for (let from = 0; from < total; from += 200) {
        await produceTransaction(kafka, input, range(from, from + 200));
        if ((from / 200) % 5 === 4)
          await produceTransaction(kafka, input, range(100_000 + from, 100_000 + from + 50), { abort: true });
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    const logger = createLogger("error");
    let seen = 0;
    let stopAt: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      stopAt = resolve;
    });
    const first = new Job(
      pipeline(input, output, 2, () => ++seen === 1_500 && stopAt()),
      {
        jobId: uniqueName("e2e-job"),
        checkpointDirectory: checkpoints,
        checkpointIntervalMs: 200,
        channelCapacity: 64,
        logger,
      },
    );
    const firstRun = first.run();
    await reached;
    const savepoint = await first.stop({ drain: false, targetDirectory: join(checkpoints, "savepoints") });
    expect((await firstRun).state).toBe("FINISHED");
    // Right after the stop: what the first job read is committed, once.
    const afterStop = await outputSeqs(output);
    // Exactly what passed before the stop's barrier is committed, once.
    expect(diffSeqs(afterStop, range(0, total)).duplicated).toEqual([]);
    expect(afterStop.length).toBe(seen);
    await producing;

    let restoredSeen = 0;
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const remaining = total - afterStop.length;
    if (remaining === 0) done();
    const second = new Job(
      pipeline(input, output, 3, () => ++restoredSeen === remaining && done()),
      {
        jobId: uniqueName("e2e-job"),
        checkpointDirectory: checkpoints,
        checkpointIntervalMs: 200,
        channelCapacity: 64,
        logger,
        restore: { path: savepoint },
      },
    );
    const secondRun = second.run();
    await all;
    await second.stop({ drain: false, targetDirectory: join(checkpoints, "savepoints") });
    expect((await secondRun).state).toBe("FINISHED");
    expect(restoredSeen).toBe(remaining);
    expect(diffSeqs(await outputSeqs(output), range(0, total))).toEqual(CLEAN);
    expect(await openTransactions(kafka, `${output}-prefix`)).toEqual([]);
  }, 90_000);

  it("berth run examples/kafka-to-kafka.ts SIGKILLed mid-run, then --from-latest: every input record once in the output", async () => {
    const input = uniqueName("cli-in");
    const output = uniqueName("cli-out");
    await createTopic(kafka, input, 3);
    const total = 20_000;
    for (let from = 0; from < total; from += 5_000)
      await produceTransaction(kafka, input, range(from, from + 5_000));
    await produceTransaction(kafka, input, range(100_000, 100_500), { abort: true });
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-cli-e2e-"));
    const jobId = uniqueName("cli-job");
    const env = {
      KAFKA_BROKERS: TEST_BROKERS.join(","),
      KAFKA_INPUT_TOPIC: input,
      KAFKA_OUTPUT_TOPIC: output,
      KAFKA_BOUNDED: "1",
      PARALLELISM: "2",
    };
    const args = [
      "run",
      "examples/kafka-to-kafka.ts",
      "--job-id",
      jobId,
      "--checkpoint-dir",
      checkpointDir,
      "--checkpoint-interval",
      "100",
    ];
    const killed = await berth(args, { ...env, BERTH_FAULT: "while-writing@12000" });
    expect(killed.signal, killed.output).toBe("SIGKILL");
    const restored = await berth([...args, "--from-latest"], env);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toMatch(/restoring job .* from .*chk-\d+|starting fresh/);
    expect(diffSeqs(await outputSeqs(output), range(0, total))).toEqual(CLEAN);
  }, 90_000);

  it("berth run examples/sequence-to-kafka.ts writes SEQ_COUNT records {seq} once; a restore past SEQ_COUNT adds nothing", async () => {
    const topic = uniqueName("seq-example");
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-seq-e2e-"));
    const jobId = uniqueName("seq-job");
    const env = {
      KAFKA_BROKERS: TEST_BROKERS.join(","),
      KAFKA_TOPIC: topic,
      SEQ_COUNT: "3000",
      SEQ_RATE: "0",
      SEQ_PARALLELISM: "2",
    };
    const args = [
      "run",
      "examples/sequence-to-kafka.ts",
      "--job-id",
      jobId,
      "--checkpoint-dir",
      checkpointDir,
      "--checkpoint-interval",
      "200",
    ];
    const first = await berth(args, env);
    expect(first.code, first.output).toBe(0);
    const again = await berth([...args, "--from-latest"], env);
    expect(again.code, again.output).toBe(0);
    const seqs = await readCommittedSeqs(kafka, topic);
    expect(diffSeqs(seqs, range(0, 3_000))).toEqual(CLEAN);
  }, 90_000);
});
