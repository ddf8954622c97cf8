import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink, Job, Pipeline, sequenceSource } from "./index.js";
import { hiddenFiles } from "./test-support.js";

function committedSeqs(directory: string): number[] {
  return readdirSync(directory)
    .filter((f) => !f.startsWith("."))
    .flatMap((f) => readFileSync(join(directory, f), "utf8").split("\n").filter(Boolean))
    .map((line) => (JSON.parse(line) as { seq: number }).seq)
    .sort((a, b) => a - b);
}

describe("a bounded job", () => {
  it("ends FINISHED at end of input with every record committed once", async () => {
    const work = mkdtempSync(join(tmpdir(), "berth-job-"));
    const out = join(work, "out");
    const pipeline = Pipeline.create({ name: "bounded" });
    pipeline
      .source(sequenceSource({ count: 5000 }), { uid: "seq", parallelism: 2 })
      .map((n) => ({ seq: n }), { uid: "to-json" })
      .sinkTo(fileSink({ directory: out }), { uid: "files", parallelism: 3 });
    const job = new Job(pipeline, { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 });
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    expect(committedSeqs(out)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(hiddenFiles(out)).toEqual([]);
  });
});
