import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { armFault } from "./fault-injection.js";
import { fileSink, Job, Pipeline, sequenceSource } from "./index.js";
import { committedSeqs, duplicates, range, waitFor, workDirectory } from "./test-support.js";

const COUNT = 3000;

function pipeline(out: string): Pipeline {
  const p = Pipeline.create({ name: "failover-savepoint" });
  p.source(sequenceSource({ count: COUNT, ratePerSecond: 4000 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(fileSink({ directory: out }), { uid: "files" });
  return p;
}

afterEach(() => armFault(undefined));

describe("a failover after a savepoint taken while running", () => {
  it("restores from the newer savepoint, so the savepoint stays restorable and nothing repeats", async () => {
    const work = workDirectory("failover-savepoint");
    const out = join(work, "out");
    // No periodic checkpoint completes before the failure: only the savepoint is newer than the start.
    const job = new Job(pipeline(out), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 600_000,
      restartStrategy: { attempts: 1, delayMs: 10 },
    });
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "the job to run");
    const savepoint = await job.savepoint(join(work, "savepoints"));
    armFault("while-writing@50:throw"); // fail over before any checkpoint follows the savepoint
    const result = await run;
    armFault(undefined);
    expect(result.state).toBe("FINISHED");
    const seqs = committedSeqs(out);
    expect(duplicates(seqs)).toEqual([]);
    expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual(range(0, COUNT));

    // The savepoint's pre-committed files were committed by the failover, not aborted: a second
    // job restored from it with its own prefix and target finishes instead of failing.
    const out2 = join(work, "out2");
    const second = new Job(pipeline(out2), {
      checkpointDirectory: join(work, "chk2"),
      checkpointIntervalMs: 100,
      restore: { path: savepoint },
    });
    expect((await second.run()).state).toBe("FINISHED");
    expect(duplicates(committedSeqs(out2))).toEqual([]);
  });
});
