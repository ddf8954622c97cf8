/**
 * The file sink's lingering cleanup, on real files: at start it deletes the in-progress files
 * of its own prefix and leaves those of any other prefix alone — also one that starts with it.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { SinkNames } from "../sink/names.js";
import { sequenceSource } from "../source/sequence-source.js";
import { committedSeqs, range, workDirectory } from "../test-support.js";
import { fileSink } from "./file-sink.js";

const inProgress = (prefix: string, subtask: number) =>
  `.${new SinkNames(prefix).attempt({ subtask, attemptId: "0a1b2c3d", checkpointId: 3 })}.jsonl.inprogress`;

describe("file sink lingering cleanup", () => {
  it("prefix a deletes its own in-progress files, of any subtask, and never those of a-b, a-1 or b", async () => {
    const work = workDirectory("file-lingering");
    const out = join(work, "out");
    await mkdir(out, { recursive: true });
    const own = [inProgress("a", 0), inProgress("a", 7)];
    const others = [inProgress("a-b", 0), inProgress("a-1", 0), inProgress("b", 0), ".a-notes.txt"];
    for (const name of [...own, ...others]) writeFileSync(join(out, name), '{"seq":-1}\n');
    const pipeline = Pipeline.create({ name: "lingering" });
    pipeline
      .source(sequenceSource({ count: 100 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" })
      .sinkTo(fileSink({ directory: out }), { uid: "files", sinkPrefix: "a" });
    const result = await new Job(pipeline, {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
    }).run();
    expect(result.state).toBe("FINISHED");
    const hidden = readdirSync(out).filter((f) => f.startsWith("."));
    expect(hidden.sort()).toEqual([...others].sort());
    expect(committedSeqs(out)).toEqual(range(0, 100));
  });
});
