import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { latestRestorePoint } from "./checkpoint/lineage.js";
import { armFault } from "./fault-injection.js";
import { fileSink, Job, type JobOptions, Pipeline, sequenceSource } from "./index.js";
import {
  committedFiles,
  committedSeqs,
  duplicates,
  range,
  readMetadata,
  waitFor,
  workDirectory,
} from "./test-support.js";

const COUNT = 3000;

function pipeline(out: string): Pipeline {
  const p = Pipeline.create({ name: "lineage" });
  p.source(sequenceSource({ count: COUNT, ratePerSecond: 4000 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(fileSink({ directory: out }), { uid: "files" });
  return p;
}

/** Every complete checkpoint directory under `directory`, found on disk (not through Berth's own listing). */
function completeCheckpoints(directory: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(directory, entry.name);
    if (/^chk-\d+$/.test(entry.name) && existsSync(join(path, "_metadata"))) found.push(path);
    else found.push(...completeCheckpoints(path));
  }
  return found;
}

afterEach(() => armFault(undefined));

describe("lineage: a failover right after a restore", () => {
  it("restores the savepoint the run started from, not the job's older checkpoint: every record once", async () => {
    const work = workDirectory("lineage-failover");
    const out = join(work, "out");
    const options: JobOptions = {
      jobId: "same",
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
    };
    const first = new Job(pipeline(out), options);
    const firstRun = first.run();
    await waitFor(() => first.state === "RUNNING" && committedFiles(out).length >= 2, "two commits");
    const savepoint = await first.stop({ drain: false });
    expect((await firstRun).state).toBe("FINISHED");
    const savepointId = readMetadata(savepoint).checkpointId;
    // The job's folder keeps a checkpoint older than the stop's savepoint: the trap.
    const older = completeCheckpoints(join(work, "chk", "same"));
    expect(older.map((c) => readMetadata(c).checkpointId)).toContain(savepointId - 1);

    // No checkpoint of the new run completes before the record fails: only the savepoint is its newest point.
    const restored = new Job(pipeline(out), {
      ...options,
      checkpointIntervalMs: 600_000,
      restartStrategy: { attempts: 1, delayMs: 10 },
      restore: { path: savepoint },
    });
    armFault("while-writing@50:throw");
    const result = await restored.run();
    armFault(undefined);
    expect(result.state).toBe("FINISHED");
    const seqs = committedSeqs(out);
    expect(duplicates(seqs)).toEqual([]);
    expect([...new Set(seqs)]).toEqual(range(0, COUNT));
    // Afterwards the newest point of the job is the restored run's final checkpoint, not one of the first run.
    expect(await latestRestorePoint(options.checkpointDirectory, "same")).toBe(result.savepoint);
  });
});
