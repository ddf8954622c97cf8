/**
 * Stop, savepoint and restore against the real file sink: what a stop committed is visible
 * before any restore, a restore continues exactly once, a savepoint leaves the job running,
 * and a restore into another directory under another sink prefix writes exactly the records
 * after the savepoint's position.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { BerthError } from "./errors.js";
import { fileSink } from "./file-sink/file-sink.js";
import { Job, type JobState } from "./job.js";
import { Pipeline } from "./pipeline/pipeline.js";
import type { CommitOutcome } from "./sink/commit-outcome.js";
import { sequenceSource } from "./source/sequence-source.js";
import type { Source } from "./source/source.js";
import {
  committedFiles,
  committedSeqs,
  duplicates,
  Gate,
  hiddenFiles,
  instrumentedSink,
  pausableSource,
  range,
  readMetadata,
  type SinkHooks,
  type SourceThrottle,
  sequencePosition,
  waitFor,
  workDirectory,
} from "./test-support.js";

interface SeqPipeline {
  readonly out: string;
  readonly source: Source<number>;
  readonly sourceParallelism?: number;
  readonly sinkParallelism?: number;
  readonly sinkPrefix?: string;
  readonly hooks?: SinkHooks<{ seq: number }, never>;
}

function seqPipeline(options: SeqPipeline): Pipeline {
  const pipeline = Pipeline.create({ name: "seq" });
  const sink = fileSink<{ seq: number }>({ directory: options.out });
  pipeline
    .source(options.source, { uid: "seq", parallelism: options.sourceParallelism ?? 1 })
    .map((n) => ({ seq: n }), { uid: "to-json", parallelism: options.sourceParallelism ?? 1 })
    .sinkTo(options.hooks ? instrumentedSink(sink, options.hooks as never) : sink, {
      uid: "files",
      parallelism: options.sinkParallelism ?? 1,
      ...(options.sinkPrefix ? { sinkPrefix: options.sinkPrefix } : {}),
    });
  return pipeline;
}

function states(job: Job): JobState[] {
  const seen: JobState[] = [];
  job.on("state", (s: JobState) => seen.push(s));
  return seen;
}

describe("stop and restore", () => {
  it("everything before a stop is committed and visible before the restore, which continues exactly once", async () => {
    const work = workDirectory("stop-restore");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    const job = new Job(
      seqPipeline({
        out,
        source: sequenceSource({ ratePerSecond: 20_000, batchSize: 50 }),
        sourceParallelism: 2,
        sinkParallelism: 3,
      }),
      { checkpointDirectory, checkpointIntervalMs: 50 },
    );
    const run = job.run();
    await waitFor(() => committedFiles(out).length >= 3, "a few committed files");
    const savepoint = await job.stop({ drain: false });
    // stop() resolves only once the job is FINISHED.
    expect(job.state).toBe("FINISHED");
    expect(await run).toEqual({ state: "FINISHED", savepoint });

    // Before anything restores: exactly the records before the stop's barrier are visible.
    const position = sequencePosition(savepoint, "seq");
    const emitted = range(0, position.end).filter(position.emitted);
    expect(emitted.length).toBeGreaterThan(0);
    expect(committedSeqs(out)).toEqual(emitted);
    expect(hiddenFiles(out)).toEqual([]);
    // Its commits are recorded with it, so a restore does not repeat them.
    expect(existsSync(join(savepoint, "_commits"))).toBe(true);

    const filesBefore = committedFiles(out);
    const count = position.end + 3000;
    const restored = new Job(
      seqPipeline({
        out,
        source: sequenceSource({ count, batchSize: 50 }),
        sourceParallelism: 2,
        sinkParallelism: 3,
      }),
      { checkpointDirectory, checkpointIntervalMs: 50, restore: { path: savepoint } },
    );
    expect((await restored.run()).state).toBe("FINISHED");
    expect(committedSeqs(out)).toEqual(range(0, count));
    expect(hiddenFiles(out)).toEqual([]);
    // Checkpoint ids continue from the restored one.
    const restoredFiles = committedFiles(out).filter((f) => !filesBefore.includes(f));
    const ids = restoredFiles.map((f) => Number(/-(\d+)\.jsonl$/.exec(f)?.[1]));
    expect(Math.min(...ids)).toBeGreaterThan(readMetadata(savepoint).checkpointId);
  });

  it("a stop that arrives while a periodic checkpoint is in progress waits for it and still commits everything", async () => {
    const work = workDirectory("stop-during-checkpoint");
    const out = join(work, "out");
    const job = new Job(
      seqPipeline({
        out,
        source: sequenceSource({ ratePerSecond: 20_000, batchSize: 50 }),
        sourceParallelism: 2,
        sinkParallelism: 2,
      }),
      { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 20 },
    );
    const run = job.run();
    await waitFor(() => committedFiles(out).length >= 2, "a committed checkpoint");
    // Ask for the stop the moment a periodic checkpoint's barrier is out.
    const stopped = new Promise<{ periodic: number; savepoint: string }>((resolve, reject) => {
      job.once("barrier-injected", (periodic: number) => {
        job.stop({ drain: false }).then((savepoint) => resolve({ periodic, savepoint }), reject);
      });
    });
    const { periodic, savepoint } = await stopped;
    expect((await run).state).toBe("FINISHED");
    expect(readMetadata(savepoint).checkpointId).toBe(periodic + 1);
    const position = sequencePosition(savepoint, "seq");
    expect(committedSeqs(out)).toEqual(range(0, position.end).filter(position.emitted));
    expect(hiddenFiles(out)).toEqual([]);
  });

  it("end of input with slow commits keeps the final checkpoint it reports (no checkpoint after it)", async () => {
    const work = workDirectory("slow-final-commit");
    const out = join(work, "out");
    const job = new Job(
      seqPipeline({
        out,
        source: sequenceSource({ count: 2000, batchSize: 100 }),
        sinkParallelism: 2,
        hooks: {
          // Each commit takes several checkpoint intervals.
          async commit(c, commit): Promise<CommitOutcome> {
            await sleep(60);
            return commit(c);
          },
        },
      }),
      { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 10 },
    );
    const seen = states(job);
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    expect(seen).not.toContain("RESTARTING");
    const final = result.savepoint as string;
    expect(existsSync(join(final, "_metadata"))).toBe(true);
    expect(existsSync(join(final, "_commits"))).toBe(true);
    expect(readMetadata(final).stop).toBe("drain");
    expect(committedSeqs(out)).toEqual(range(0, 2000));
  });
});

describe("a stop whose savepoint fails", () => {
  it("is rejected with SAVEPOINT_FAILED; a suspending job resumes from the barrier and keeps running", async () => {
    const work = workDirectory("stop-fails");
    const out = join(work, "out");
    const gate = new Gate();
    const job = new Job(
      seqPipeline({
        out,
        source: sequenceSource({ ratePerSecond: 20_000, batchSize: 50 }),
        sinkParallelism: 2,
        hooks: { beforeFlush: () => gate.pass() },
      }),
      { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50, checkpointTimeoutMs: 300 },
    );
    const seen = states(job);
    const run = job.run();
    await waitFor(() => committedFiles(out).length >= 2, "a few commits");
    // The sink cannot pre-commit for the stop's barrier: its savepoint times out.
    gate.close();
    const failed = await job.stop({ drain: false }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(BerthError);
    expect((failed as BerthError).code).toBe("SAVEPOINT_FAILED");
    expect(job.state).toBe("RUNNING");
    gate.release();
    // It runs on: new records commit after the failed stop.
    const committed = committedSeqs(out).length;
    await waitFor(() => committedSeqs(out).length > committed + 500, "commits after the failed stop");
    const savepoint = await job.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    expect(seen).not.toContain("RESTARTING");
    const position = sequencePosition(savepoint, "seq");
    expect(committedSeqs(out)).toEqual(range(0, position.end).filter(position.emitted));
    expect(hiddenFiles(out)).toEqual([]);
  });
});

describe("savepoint while running", () => {
  it("leaves the job RUNNING to finish normally; a restore into another directory and prefix writes exactly the records after it", async () => {
    const work = workDirectory("savepoint-running");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    const throttle: SourceThrottle = { allowed: 1000, emitted: 0 };
    const job = new Job(
      seqPipeline({
        out,
        source: pausableSource(sequenceSource({ count: 3000, batchSize: 50 }), throttle),
        sinkParallelism: 2,
      }),
      // Long interval: the savepoint's committables stay pending in it for a while.
      { checkpointDirectory, checkpointIntervalMs: 200 },
    );
    const run = job.run();
    await waitFor(() => throttle.emitted >= 1000, "the source to reach 1000");
    const savepoint = await job.savepoint(join(work, "savepoints"));
    expect(job.state).toBe("RUNNING");
    const metadata = readMetadata(savepoint);
    expect(metadata.kind).toBe("savepoint");
    expect(metadata.stop).toBe("none");
    expect(sequencePosition(savepoint, "seq").end).toBe(1000);
    // Its committables were pre-committed, not committed: they commit with the next checkpoint.
    expect(metadata.sinks[0]?.committables.length).toBeGreaterThan(0);

    throttle.allowed = Number.POSITIVE_INFINITY;
    expect((await run).state).toBe("FINISHED");
    expect(committedSeqs(out)).toEqual(range(0, 3000));

    const out2 = join(work, "out2");
    const restored = new Job(
      seqPipeline({
        out: out2,
        source: sequenceSource({ count: 3000, batchSize: 50 }),
        sinkParallelism: 3,
        sinkPrefix: "elsewhere",
      }),
      { checkpointDirectory, checkpointIntervalMs: 50, restore: { path: savepoint } },
    );
    const result = await restored.run();
    expect(result.error).toBeUndefined();
    expect(result.state).toBe("FINISHED");
    expect(committedSeqs(out2)).toEqual(range(1000, 3000));
    expect(committedFiles(out2).every((f) => f.startsWith("elsewhere-"))).toBe(true);
    // The first output is untouched by the restore.
    expect(committedSeqs(out)).toEqual(range(0, 3000));
    expect(duplicates(committedSeqs(out))).toEqual([]);
  });
});
