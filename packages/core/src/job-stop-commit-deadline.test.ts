/**
 * The stop's deadline owns its outcome (issue 9, finding 7), against the real file sink: a
 * commit already retrying when the stop began retries on until the stop's deadline, and the
 * job then ends FAILED with "savepoint is consistent; restart from it to complete pending
 * commits" and the savepoint — not with the retry's own message. Restoring from that savepoint
 * completes the commits: every record once on disk.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PENDING_COMMITS_MESSAGE, StopCommitsPendingError } from "./errors.js";
import type { FileCommittable } from "./file-sink/file-committable.js";
import { fileSink } from "./file-sink/file-sink.js";
import { Job } from "./job.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { CommitOutcomes } from "./sink/commit-outcome.js";
import { sequenceSource } from "./source/sequence-source.js";
import {
  committedSeqs,
  duplicates,
  hiddenFiles,
  instrumentedSink,
  range,
  waitFor,
  workDirectory,
} from "./test-support.js";

const COUNT = 5_000;

function job(work: string, target: { busy: boolean; retried: number }, restorePath?: string): Job {
  // The first run is rate-limited so the stop comes mid-run; the restore runs at full speed.
  const sink = instrumentedSink(fileSink<{ seq: number }>({ directory: join(work, "out") }), {
    async commit(
      c: FileCommittable,
      commit: (c: FileCommittable) => Promise<ReturnType<typeof CommitOutcomes.retryLater>>,
    ) {
      if (!target.busy) return commit(c);
      target.retried++;
      return CommitOutcomes.retryLater("target busy");
    },
  });
  const pipeline = Pipeline.create({ name: "seq" });
  pipeline
    .source(sequenceSource({ count: COUNT, ratePerSecond: restorePath ? 0 : 5_000, batchSize: 50 }), {
      uid: "seq",
    })
    .map((seq) => ({ seq }), { uid: "to-json" })
    .sinkTo(sink, { uid: "files", parallelism: 2 });
  return new Job(pipeline, {
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 100,
    commitDeadlineMs: 1_500,
    ...(restorePath ? { restore: { path: restorePath } } : {}),
  });
}

describe("a stop whose commit deadline passes while a commit was already retrying", () => {
  it("fails the job with the stop's message and savepoint; a restore from it completes the commits", async () => {
    const work = workDirectory("stop-deadline");
    const target = { busy: true, retried: 0 };
    const first = job(work, target);
    const run = first.run();
    // A periodic checkpoint's commit is retrying before the stop begins: its own deadline comes first.
    await waitFor(() => target.retried > 0, "a commit to be retrying");
    const stop = first.stop({ drain: false, targetDirectory: join(work, "savepoints") });
    const failure = await stop.catch((e: unknown) => e);
    const result = await run;
    expect(result.state).toBe("FAILED");
    for (const error of [failure, result.error]) {
      expect(error).toBeInstanceOf(StopCommitsPendingError);
      expect((error as StopCommitsPendingError).code).toBe("COMMIT_DEADLINE_EXCEEDED");
      expect((error as Error).message).toContain(PENDING_COMMITS_MESSAGE);
    }
    const savepoint = (result.error as StopCommitsPendingError).savepoint;
    expect(result.savepoint).toBe(savepoint);
    expect((result.error as Error).message).toContain(savepoint);
    expect(existsSync(join(savepoint, "_metadata"))).toBe(true);

    target.busy = false;
    const restored = await job(work, target, savepoint).run();
    expect(restored.error).toBeUndefined();
    expect(restored.state).toBe("FINISHED");
    const seqs = committedSeqs(join(work, "out"));
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(range(0, COUNT));
    expect(hiddenFiles(join(work, "out"))).toEqual([]);
  });
});
