/**
 * A savepoint the previous release wrote (format 2, Kafka committables version 1, writer state
 * `{version: 1, subtask, parallelism, poolSize}`; kept in fixtures/savepoint-format-2/kafka-sink)
 * restores with this release against the real broker and continues exactly once, and a
 * transaction a crashed run of that release left open — named in its layout
 * `<prefix>-<subtask>-<slot>` — is aborted, also for a subtask the restored job no longer has.
 * The topic is read `read_committed` (an open transaction would hold its partition's last
 * stable offset back), and open transactions are listed by plain prefix.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, Job, type JobOptions, Pipeline, sequenceSource } from "@berth/core";
import { describe, expect, it } from "vitest";
import { TransactionClient } from "./kafka-internals/index.js";
import { kafkaSink } from "./kafka-sink.js";
import {
  createTopic,
  range,
  readCommittedSeqs,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "./test-support.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/savepoint-format-2/kafka-sink", import.meta.url));
/** What the fixture's job had committed before its stop: seq 0 … 1001. */
const COMMITTED_BEFORE = 1002;
const PREFIX = "fixture-kafka";
const kafka = testKafka();

/** Opens a transaction as the old release's writer would, sends a record into it and leaves it open. */
async function leaveOpenTransaction(transactionalId: string, topic: string): Promise<void> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tx = await producer.transaction();
  await tx.send({ topic, messages: [{ key: "-1", value: JSON.stringify({ seq: -1 }) }] });
  await producer.disconnect();
}

async function openTransactionsUnder(prefix: string): Promise<string[]> {
  const client = TransactionClient.create(kafka);
  try {
    return (await client.listTransactions(["Ongoing"]))
      .map((t) => t.transactionalId)
      .filter((id) => id.startsWith(prefix));
  } finally {
    await client.close();
  }
}

/** Rewrites `_metadata` with `change` applied and its checksum recomputed (docs/savepoint-format.md). */
function rewriteMetadata(savepoint: string, change: (metadata: Record<string, unknown>) => void): void {
  const path = join(savepoint, "_metadata");
  const metadata = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  change(metadata);
  const zeros = "0".repeat(64);
  const text = `${JSON.stringify({ ...metadata, metadataSha256: zeros }, null, 2)}\n`;
  const digest = createHash("sha256").update(text).digest("hex");
  writeFileSync(path, text.replace(`"metadataSha256": "${zeros}"`, `"metadataSha256": "${digest}"`));
}

function restoredJob(topic: string, work: string, savepoint: string): Job {
  const pipeline = Pipeline.create({ name: "fixture-kafka" });
  pipeline
    .source(sequenceSource({ count: 3000, batchSize: 50 }), { uid: "sequence", parallelism: 2 })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism: 2 })
    .sinkTo(kafkaSink<{ seq: number }>({ brokers: TEST_BROKERS, topic, key: (r) => String(r.seq) }), {
      uid: "kafka",
      parallelism: 1,
      sinkPrefix: PREFIX,
    });
  const options: JobOptions = {
    jobId: uniqueName("format-2"),
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 200,
    logger: createLogger("silent"),
    restore: { path: savepoint },
  };
  return new Job(pipeline, options);
}

async function copyOfFixture(): Promise<{ work: string; savepoint: string; topic: string }> {
  const work = mkdtempSync(join(tmpdir(), "berth-format-2-kafka-"));
  const savepoint = join(work, "savepoint");
  cpSync(FIXTURE, savepoint, { recursive: true });
  const topic = uniqueName("format-2");
  await createTopic(kafka, topic, 2);
  return { work, savepoint, topic };
}

describe("a format-2 savepoint of the Kafka sink", () => {
  it("with writer state of a version this release does not know, is refused before anything is aborted", async () => {
    const { work, savepoint, topic } = await copyOfFixture();
    rewriteMetadata(savepoint, (m) => {
      for (const sink of m.sinks as Record<string, unknown>[]) sink.writerStateVersion = 2;
    });
    await leaveOpenTransaction(`${PREFIX}-0-3`, topic);

    const result = await restoredJob(topic, work, savepoint).run();

    expect(result.state).toBe("FAILED");
    expect(result.error).toMatchObject({ code: "SINK_STATE_UNREADABLE", uid: "kafka", subtask: 0 });
    expect(result.error?.message).toContain(savepoint);
    expect(result.error?.message).toMatch(/writer state of sink "kafka" subtask 0 \(version 2\)/);
    // Lingering cleanup did not run: the open transaction is still open.
    expect(await openTransactionsUnder(`${PREFIX}-`)).toContain(`${PREFIX}-0-3`);
  });

  it("restores, continues exactly once and leaves no transaction of the old layout open", async () => {
    const { work, savepoint, topic } = await copyOfFixture();
    // Subtask 1 is gone after the restore at parallelism 1; slot 4 is the old pool's last.
    await leaveOpenTransaction(`${PREFIX}-0-0`, topic);
    await leaveOpenTransaction(`${PREFIX}-1-4`, topic);
    expect(await openTransactionsUnder(`${PREFIX}-`)).toEqual(
      expect.arrayContaining([`${PREFIX}-0-0`, `${PREFIX}-1-4`]),
    );

    const result = await restoredJob(topic, work, savepoint).run();

    expect(result.error).toBeUndefined();
    expect(result.state).toBe("FINISHED");
    expect((await readCommittedSeqs(kafka, topic)).sort((a, b) => a - b)).toEqual(
      range(COMMITTED_BEFORE, 3000),
    );
    expect(await openTransactionsUnder(`${PREFIX}-`)).toEqual([]);
  });
});
