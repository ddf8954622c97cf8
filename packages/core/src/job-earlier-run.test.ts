import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { latestRestorePoint } from "./checkpoint/lineage.js";
import { hashTree } from "./checkpoint/savepoint-test-support.js";
import { BerthError, fileSink, Job, Pipeline, sequenceSource } from "./index.js";
import { readMetadata, waitFor, workDirectory } from "./test-support.js";

function pipeline(out: string): Pipeline {
  const p = Pipeline.create({ name: "earlier-run" });
  p.source(sequenceSource({ count: 2000, ratePerSecond: 4000 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(fileSink({ directory: out }), { uid: "files" });
  return p;
}

/** Complete checkpoint directories of one run, read from disk. */
function checkpointsOfRun(jobDirectory: string, run: number): string[] {
  const folder = join(jobDirectory, `run-${run}`);
  return readdirSync(folder)
    .filter((n) => /^chk-\d+$/.test(n) && existsSync(join(folder, n, "_metadata")))
    .map((n) => join(folder, n));
}

describe("checkpoints of an earlier run of the same job id", () => {
  it("block a fresh start; a restore from an older savepoint keeps them and starts a run of its own", async () => {
    const work = workDirectory("earlier-run");
    const checkpointDirectory = join(work, "chk");
    const jobDirectory = join(checkpointDirectory, "same");
    const options = { jobId: "same", checkpointDirectory, checkpointIntervalMs: 50, retainedCheckpoints: 3 };
    const first = new Job(pipeline(join(work, "out1")), options);
    const firstRun = first.run();
    await waitFor(() => first.state === "RUNNING", "the first run to start");
    const savepoint = await first.savepoint(join(work, "savepoints"));
    expect((await firstRun).state).toBe("FINISHED");
    const savepointId = readMetadata(savepoint).checkpointId;
    const earlier = checkpointsOfRun(jobDirectory, 1);
    expect(Math.max(...earlier.map((c) => readMetadata(c).checkpointId))).toBeGreaterThan(savepointId);
    const hashes = earlier.map((c) => hashTree(c));

    const fresh = await new Job(pipeline(join(work, "out2")), options).run();
    expect(fresh.state).toBe("FAILED");
    expect(fresh.error instanceof BerthError && fresh.error.code).toBe("CONFIG_INVALID");
    expect(fresh.error?.message).toContain("--from-latest");

    const restored = new Job(pipeline(join(work, "out3")), { ...options, restore: { path: savepoint } });
    const result = await restored.run();
    expect(result.state).toBe("FINISHED");
    // Nothing of the earlier run was deleted or changed; the restored run's points are apart.
    expect(checkpointsOfRun(jobDirectory, 1)).toEqual(earlier);
    expect(earlier.map((c) => hashTree(c))).toEqual(hashes);
    expect(checkpointsOfRun(jobDirectory, 2)).toContain(result.savepoint);
    // --from-latest follows the newest run, although the earlier run's checkpoint ids are higher.
    expect(await latestRestorePoint(checkpointDirectory, "same")).toBe(result.savepoint);
  });
});
