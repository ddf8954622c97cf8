/**
 * Ownership of the sink prefix at the target: while one job holds the prefix's lease object, a
 * second job on the same bucket, base and prefix is refused at start — before its lingering
 * cleanup could abort the first job's pre-committed uploads — and the first job finishes exactly once.
 * Objects and uploads are read with the S3 SDK alone.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Job, Pipeline, sequenceSource } from "@berth/core";
import { SinkPrefixInUseError } from "@berth/core/connector";
import { afterAll, describe, expect, it } from "vitest";
import { s3Sink } from "./s3-sink.js";
import {
  committedSeqs,
  freshLocation,
  listObjects,
  openUploads,
  range,
  type S3Location,
  testClient,
  testClientConfig,
} from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());

function job(at: S3Location, jobId: string): Job {
  const pipeline = Pipeline.create({ name: "s3-ownership" });
  pipeline
    .source(sequenceSource({ ratePerSecond: 2_000, batchSize: 20 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "row" })
    .sinkTo(s3Sink<{ seq: number }>({ bucket: at.bucket, base: at.base, client: testClientConfig() }), {
      uid: "s3",
      sinkPrefix: "owned",
    });
  return new Job(pipeline, {
    jobId,
    checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-owner-")), "chk"),
    checkpointIntervalMs: 100,
    restartStrategy: { attempts: 0, delayMs: 0 },
  });
}

describe("s3 sink prefix ownership", () => {
  it("a second job on a live job's prefix is refused at start naming the holder; the first is untouched", async () => {
    const at = await freshLocation(client, "ownership");
    const first = job(at, "first");
    const run = first.run();
    // Wait (bounded) until the first job has committed objects under the prefix.
    for (let i = 0; i < 400 && (await listObjects(client, at)).length < 2; i++) await sleep(25);
    expect((await listObjects(client, at)).length).toBeGreaterThanOrEqual(2);

    const refused = await job(at, "second").run();
    expect(refused.state).toBe("FAILED");
    expect(refused.error).toBeInstanceOf(SinkPrefixInUseError);
    expect(refused.error?.message).toMatch(
      new RegExp(
        `^sink prefix owned is in use: job first \\(sink s3, pid ${process.pid} on .*\\) holds s3://${at.bucket}/\\.berth/leases/${at.base}/owned; stop that job first`,
      ),
    );
    // Refused before anything ran: the first job goes on, and finishes every record once.
    expect(first.state).toBe("RUNNING");

    await first.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    const seqs = (await committedSeqs(client, at)).sort((a, b) => a - b);
    expect(seqs).toEqual(range(0, seqs.length));
    expect(await openUploads(client, at, "")).toEqual([]);
    // Released at the end: a new job may take the prefix.
    const next = job(at, "third");
    const again = next.run();
    for (let i = 0; i < 400 && next.state !== "RUNNING"; i++) await sleep(25);
    await next.stop({ drain: false });
    expect((await again).state).toBe("FINISHED");
  });
});
