/**
 * The library's side of job ownership: an unsafe job id is refused when the job is built,
 * and a second job with a running job's id is refused by `run()` before it restores,
 * commits or aborts anything — the running job's output is untouched; and a second job on a
 * running file-sink job's output directory (another job id, the same default sink prefix) is
 * refused by the sink's prefix claim before any lingering cleanup.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "./file-sink/file-sink.js";
import { fileSinkPrefixLock } from "./file-sink/internal/prefix-claim.js";
import { Job } from "./job.js";
import { JobIdInUseError } from "./locks/job-id-lock.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { UnsafeNameError } from "./safe-name.js";
import { SinkPrefixInUseError } from "./sink/prefix-ownership.js";
import { sequenceSource } from "./source/sequence-source.js";
import {
  committedFiles,
  committedSeqs,
  duplicates,
  hiddenFiles,
  waitFor,
  workDirectory,
} from "./test-support.js";

function pipeline(out: string): Pipeline {
  const p = Pipeline.create({ name: "ownership" });
  p.source(sequenceSource({ ratePerSecond: 2_000, batchSize: 20 }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-json" })
    .sinkTo(fileSink({ directory: out }), { uid: "files" });
  return p;
}

describe("job ownership through the library", () => {
  it("refuses an empty or path-like job id when the job is built", () => {
    const work = workDirectory("job-id-unsafe");
    for (const jobId of ["", "../../x/evil", "a/b", ".."]) {
      expect(
        () => new Job(pipeline(join(work, "out")), { jobId, checkpointDirectory: join(work, "chk") }),
      ).toThrow(UnsafeNameError);
    }
  });

  it("a second job with a running job's id fails at run() with JobIdInUseError; the first is untouched", async () => {
    const work = workDirectory("job-id-twice");
    const chk = join(work, "chk");
    const first = new Job(pipeline(join(work, "out")), {
      jobId: "twice",
      checkpointDirectory: chk,
      checkpointIntervalMs: 50,
    });
    const run = first.run();
    await waitFor(() => committedFiles(join(work, "out")).length >= 2, "commits");

    const second = new Job(pipeline(join(work, "out")), {
      jobId: "twice",
      checkpointDirectory: chk,
      checkpointIntervalMs: 50,
    });
    const refused = await second.run();
    expect(refused.state).toBe("FAILED");
    expect(refused.error).toBeInstanceOf(JobIdInUseError);
    expect(refused.error?.message).toContain(`job id twice is in use: job twice (pid ${process.pid} on `);
    expect(first.state).toBe("RUNNING");

    await first.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    const seqs = committedSeqs(join(work, "out"));
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
  });

  it("a second job on a running job's file-sink output is refused before any cleanup; the first is untouched", async () => {
    const work = workDirectory("prefix-twice");
    const out = join(work, "out");
    const first = new Job(pipeline(out), {
      jobId: "first",
      checkpointDirectory: join(work, "chk-a"),
      checkpointIntervalMs: 50,
    });
    const run = first.run();
    await waitFor(
      () => committedFiles(out).length >= 2 && hiddenFiles(out).length >= 1,
      "commits and an open file",
    );
    const openFiles = hiddenFiles(out);

    const second = new Job(pipeline(out), {
      jobId: "second",
      checkpointDirectory: join(work, "chk-b"),
      checkpointIntervalMs: 50,
    });
    const refused = await second.run();
    expect(refused.state).toBe("FAILED");
    expect(refused.error).toBeInstanceOf(SinkPrefixInUseError);
    const prefix = (refused.error as SinkPrefixInUseError).sinkPrefix;
    expect(refused.error?.message).toMatch(
      new RegExp(
        `^sink prefix ${prefix} is in use: job first \\(pid ${process.pid} on [^)]+\\) holds ${fileSinkPrefixLock(out, prefix)}; stop that job first, or give this sink another output or sinkPrefix$`,
      ),
    );
    // Its start-up cleanup never ran: each file the first job had open is still open or committed.
    for (const name of openFiles) {
      const committed = name.slice(1).replace(/\.inprogress$/, "");
      expect(hiddenFiles(out).includes(name) || committedFiles(out).includes(committed), name).toBe(true);
    }
    expect(first.state).toBe("RUNNING");

    await first.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    const seqs = committedSeqs(out);
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
  });
});
