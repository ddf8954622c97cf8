import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BerthError, fileSink, Job, Pipeline, sequenceSource } from "./index.js";
import { readMetadata, waitFor, workDirectory } from "./test-support.js";

function pipeline(out: string): Pipeline {
  const p = Pipeline.create({ name: "earlier-run" });
  p.source(sequenceSource({ count: 2000, ratePerSecond: 4000 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(fileSink({ directory: out }), { uid: "files" });
  return p;
}

describe("checkpoints of an earlier run of the same job id", () => {
  it("block a fresh start, and a restore from an older savepoint supersedes them", async () => {
    const work = workDirectory("earlier-run");
    const checkpointDirectory = join(work, "chk");
    const options = { jobId: "same", checkpointDirectory, checkpointIntervalMs: 50, retainedCheckpoints: 3 };
    const first = new Job(pipeline(join(work, "out1")), options);
    const firstRun = first.run();
    await waitFor(() => first.state === "RUNNING", "the first run to start");
    const savepoint = await first.savepoint(join(work, "savepoints"));
    expect((await firstRun).state).toBe("FINISHED");
    const savepointId = readMetadata(savepoint).checkpointId;
    const chkIds = () =>
      readdirSync(join(checkpointDirectory, "same"))
        .filter((n) => /^chk-\d+$/.test(n))
        .map((n) => Number(n.slice(4)));
    expect(Math.max(...chkIds())).toBeGreaterThan(savepointId);

    const fresh = await new Job(pipeline(join(work, "out2")), options).run();
    expect(fresh.state).toBe("FAILED");
    expect(fresh.error instanceof BerthError && fresh.error.code).toBe("CONFIG_INVALID");
    expect(fresh.error?.message).toContain("--from-latest");

    const restoredAt = new Date().toISOString();
    const restored = new Job(pipeline(join(work, "out3")), { ...options, restore: { path: savepoint } });
    expect((await restored.run()).state).toBe("FINISHED");
    for (const id of chkIds()) {
      expect(readMetadata(join(checkpointDirectory, "same", `chk-${id}`)).createdAt >= restoredAt).toBe(true);
    }
  });
});
