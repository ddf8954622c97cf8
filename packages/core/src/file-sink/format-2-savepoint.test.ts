/**
 * A savepoint the previous release wrote (format 2, file committables version 2, kept in
 * fixtures/savepoint-format-2/file-sink) restores with this release and continues exactly once,
 * and in-progress files a crashed run of that release left behind — named in its layout
 * `.<prefix>-<subtask>-<attempt>-<checkpoint>.jsonl.inprogress` — are cleaned up, including one
 * of a subtask that no longer exists. The output is counted by reading the directory.
 */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { committedSeqs, hiddenFiles, range, workDirectory } from "../test-support.js";
import { fileSink } from "./file-sink.js";

const FIXTURE = fileURLToPath(new URL("../../fixtures/savepoint-format-2/file-sink", import.meta.url));
/** What the fixture's job had committed before its stop: seq 0 … 1009. */
const COMMITTED_BEFORE = 1010;

function pipeline(out: string, count: number, parallelism: number): Pipeline {
  const p = Pipeline.create({ name: "fixture-files" });
  p.source(sequenceSource({ count, batchSize: 50 }), { uid: "sequence", parallelism: 2 })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism: 2 })
    .sinkTo(fileSink<{ seq: number }>({ directory: out }), {
      uid: "files",
      parallelism,
      sinkPrefix: "fixture-files",
    });
  return p;
}

describe("a format-2 savepoint of the file sink", () => {
  it("restores, continues exactly once and leaves no in-progress file of the old layout behind", async () => {
    const work = workDirectory("format-2-files");
    const savepoint = join(work, "savepoint");
    cpSync(FIXTURE, savepoint, { recursive: true });
    const out = join(work, "out");
    mkdirSync(out);
    // A crashed run of the old release: open transactions of subtasks 0 and 1, and of a subtask 2 that is gone.
    const lingering = [0, 1, 2].map((subtask) => `.fixture-files-${subtask}-0badcafe-10.jsonl.inprogress`);
    for (const name of lingering) writeFileSync(join(out, name), '{"seq":-1}\n');

    const result = await new Job(pipeline(out, 3000, 1), {
      jobId: "fixture-files",
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 100,
      restore: { path: savepoint },
    }).run();

    expect(result.state).toBe("FINISHED");
    expect(committedSeqs(out)).toEqual(range(COMMITTED_BEFORE, 3000));
    expect(hiddenFiles(out)).toEqual([]);
  });
});
