/**
 * A source that always has data must not starve the event loop: periodic checkpoints
 * (timers) still happen and a stop still completes, even when nothing downstream ever
 * waits for I/O.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { committedFiles, countingSource, waitFor, workDirectory } from "../test-support.js";

describe("event loop", () => {
  it("an always-ready source leaves room for periodic checkpoints and a stop", async () => {
    const work = workDirectory("event-loop");
    const out = join(work, "out");
    const counter = { polled: 0 };
    const pipeline = Pipeline.create({ name: "busy" });
    pipeline
      // Unbounded and unthrottled, and the filter drops everything: no subtask ever awaits I/O.
      .source(countingSource(sequenceSource({ batchSize: 100 }), counter), { uid: "seq" })
      .filter(() => false, { uid: "nothing" })
      .sinkTo(fileSink({ directory: out }), { uid: "files" });
    const job = new Job(pipeline, { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 20 });
    const completed: number[] = [];
    job.on("snapshot-written", (id: number) => completed.push(id));
    const run = job.run();
    await waitFor(() => completed.length >= 3, "three periodic checkpoints");
    const savepoint = await job.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    expect(savepoint).toContain("savepoint-");
    expect(counter.polled).toBeGreaterThan(0);
    expect(committedFiles(out)).toEqual([]);
  });
});
