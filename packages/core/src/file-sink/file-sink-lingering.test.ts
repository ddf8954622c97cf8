/**
 * The file sink's lingering cleanup, on real files: at start it deletes the in-progress files
 * of its own prefix and leaves those of any other prefix alone — one that starts with it, or that
 * it starts with.
 */
import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { SinkNames } from "../sink/names.js";
import { sequenceSource } from "../source/sequence-source.js";
import { committedSeqs, hiddenFiles, range, workDirectory } from "../test-support.js";
import { fileSink } from "./file-sink.js";

const inProgress = (prefix: string, subtask: number) =>
  `.${new SinkNames(prefix).attempt({ subtask, attemptId: "0a1b2c3d", checkpointId: 3 })}.jsonl.inprogress`;

describe("file sink lingering cleanup", () => {
  it.each([
    { prefix: "a", others: ["a-b", "a-1", "b"] },
    { prefix: "a-b", others: ["a", "a-b-c", "a-bb"] },
  ])(
    "prefix $prefix deletes its own in-progress files, of any subtask, and never those of $others",
    async ({ prefix, others: otherPrefixes }) => {
      const work = workDirectory("file-lingering");
      const out = join(work, "out");
      await mkdir(out, { recursive: true });
      const own = [inProgress(prefix, 0), inProgress(prefix, 7)];
      const others = [...otherPrefixes.map((p) => inProgress(p, 0)), `.${prefix}-notes.txt`];
      for (const name of [...own, ...others]) writeFileSync(join(out, name), '{"seq":-1}\n');
      const pipeline = Pipeline.create({ name: "lingering" });
      pipeline
        .source(sequenceSource({ count: 100 }), { uid: "seq" })
        .map((n) => ({ seq: n }), { uid: "to-json" })
        .sinkTo(fileSink({ directory: out }), { uid: "files", sinkPrefix: prefix });
      const result = await new Job(pipeline, {
        checkpointDirectory: join(work, "chk"),
        checkpointIntervalMs: 50,
      }).run();
      expect(result.state).toBe("FINISHED");
      const hidden = hiddenFiles(out);
      expect(hidden.sort()).toEqual([...others].sort());
      expect(committedSeqs(out)).toEqual(range(0, 100));
    },
  );
});
