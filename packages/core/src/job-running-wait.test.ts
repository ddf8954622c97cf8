/**
 * A stop or savepoint requested before the job runs waits for RUNNING, bounded: it is
 * rejected when the wait times out or the job ends meanwhile, never left waiting for good.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "./file-sink/file-sink.js";
import { Job } from "./job.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { sequenceSource } from "./source/sequence-source.js";
import { workDirectory } from "./test-support.js";

function job(work: string, restorePath?: string): Job {
  const pipeline = Pipeline.create({ name: "seq" });
  pipeline
    .source(sequenceSource({ ratePerSecond: 1_000 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-json" })
    .sinkTo(fileSink({ directory: join(work, "out") }), { uid: "files" });
  return new Job(pipeline, {
    checkpointDirectory: join(work, "chk"),
    ...(restorePath ? { restore: { path: restorePath } } : {}),
  });
}

describe("a stop or savepoint before the job runs", () => {
  it("is rejected once its wait for RUNNING times out", async () => {
    const idle = job(workDirectory("wait-timeout"));
    await expect(idle.stop({ drain: false, runningWaitMs: 50 })).rejects.toMatchObject({
      code: "STOP_REJECTED",
      message: expect.stringContaining("did not reach RUNNING within 50 ms (still CREATED)"),
    });
    await expect(idle.savepoint(undefined, { runningWaitMs: 50 })).rejects.toMatchObject({
      code: "STOP_REJECTED",
    });
  });

  it("is rejected as soon as the job ends without running", async () => {
    const work = workDirectory("wait-failed");
    const broken = job(work, join(work, "no-such-savepoint"));
    const stop = broken.stop({ drain: false });
    expect((await broken.run()).state).toBe("FAILED");
    await expect(stop).rejects.toMatchObject({
      code: "STOP_REJECTED",
      message: expect.stringContaining("it ended FAILED"),
    });
  });
});
