/**
 * DESIGN.md's commit outcome table, as the core acts on it: retry later is retried (and
 * counts as unknown past the commit deadline), a known permanent failure fails the job with
 * no restart, an unknown one while running fails over and the job still ends exactly once,
 * and a restore whose recommit fails for a known reason fails unless the operator skips it.
 * The committer is the real file committer; tests script outcomes in front of it.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BerthError, CommitFailedPermanentlyError } from "../errors.js";
import type { FileCommittable } from "../file-sink/file-committable.js";
import { fileSink } from "../file-sink/file-sink.js";
import { Job, type JobOptions, type JobState } from "../job.js";
import type { Logger } from "../logger.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { CommitOutcomes } from "../sink/commit-outcome.js";
import { SinkNames } from "../sink/names.js";
import type { SinkContext, SinkWriterContext } from "../sink/sink.js";
import { sequenceSource } from "../source/sequence-source.js";
import {
  committedFiles,
  committedSeqs,
  hiddenFiles,
  instrumentedSink,
  range,
  readMetadata,
  type SinkHooks,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";

type Hooks = SinkHooks<{ seq: number }, FileCommittable>;

function pipeline(out: string, options: { count?: number; rate?: number; hooks?: Hooks }): Pipeline {
  const sink = fileSink<{ seq: number }>({ directory: out });
  const p = Pipeline.create({ name: "outcomes" });
  p.source(
    sequenceSource({
      ...(options.count !== undefined ? { count: options.count } : {}),
      ...(options.rate !== undefined ? { ratePerSecond: options.rate } : {}),
      batchSize: 50,
    }),
    { uid: "seq", parallelism: 2 },
  )
    .map((n) => ({ seq: n }), { uid: "to-json", parallelism: 2 })
    .sinkTo(options.hooks ? instrumentedSink(sink, options.hooks) : sink, { uid: "files", parallelism: 2 });
  return p;
}

function watchStates(job: Job): JobState[] {
  const seen: JobState[] = [];
  job.on("state", (s: JobState) => seen.push(s));
  return seen;
}

const fast: Partial<JobOptions> = { checkpointIntervalMs: 50, restartStrategy: { attempts: 3, delayMs: 10 } };

describe("commit outcomes while running", () => {
  it("retry later is retried with backoff, then commits", async () => {
    const work = workDirectory("retry-later");
    const out = join(work, "out");
    const attempts = new Map<string, number>();
    let scripted: string | undefined;
    const job = new Job(
      pipeline(out, {
        count: 2000,
        hooks: {
          async commit(c, commit) {
            scripted ??= c.final;
            const n = (attempts.get(c.final) ?? 0) + 1;
            attempts.set(c.final, n);
            if (c.final === scripted && n <= 2) return CommitOutcomes.retryLater("target busy");
            return commit(c);
          },
        },
      }),
      { checkpointDirectory: join(work, "chk"), ...fast },
    );
    const states = watchStates(job);
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    expect(states).not.toContain("RESTARTING");
    expect(attempts.get(scripted as string)).toBe(3);
    expect(committedSeqs(out)).toEqual(range(0, 2000));
  });

  it("retry later past the commit deadline counts as unknown: fails over, then the restore's recommit fails the job", async () => {
    const work = workDirectory("retry-deadline");
    const out = join(work, "out");
    let stuck: string | undefined;
    const job = new Job(
      pipeline(out, {
        rate: 10_000,
        hooks: {
          async commit(c, commit) {
            stuck ??= c.final;
            return c.final === stuck ? CommitOutcomes.retryLater("target busy") : commit(c);
          },
        },
      }),
      { checkpointDirectory: join(work, "chk"), ...fast, commitDeadlineMs: 250 },
    );
    const states = watchStates(job);
    const result = await job.run();
    expect(result.state).toBe("FAILED");
    expect(result.error).toBeInstanceOf(BerthError);
    expect((result.error as BerthError).code).toBe("COMMIT_DEADLINE_EXCEEDED");
    expect(result.error?.message).toContain(stuck as string);
    expect(states.filter((s) => s === "RESTARTING")).toHaveLength(1);
  });

  it("a known permanent failure fails the job, naming the committable and the reason, with no restart", async () => {
    const work = workDirectory("failed-known");
    const out = join(work, "out");
    const job = new Job(
      pipeline(out, {
        rate: 10_000,
        hooks: {
          commit: async () =>
            CommitOutcomes.failedKnown(
              "TARGET_ABORTED_ON_TIMEOUT",
              "the target aborted the transaction on timeout",
            ),
        },
      }),
      { checkpointDirectory: join(work, "chk"), ...fast },
    );
    const states = watchStates(job);
    const result = await job.run();
    expect(result.state).toBe("FAILED");
    expect(states).not.toContain("RESTARTING");
    expect(result.error).toBeInstanceOf(CommitFailedPermanentlyError);
    expect((result.error as BerthError).code).toBe("COMMIT_FAILED_PERMANENTLY");
    expect((result.error as CommitFailedPermanentlyError).reasonCode).toBe("TARGET_ABORTED_ON_TIMEOUT");
    expect(result.error?.message).toContain(
      "the target aborted the transaction on timeout [TARGET_ABORTED_ON_TIMEOUT]",
    );
    expect(result.error?.message).toMatch(/committable .*records/);
    expect(committedSeqs(out)).toEqual([]);
  });

  it("an unknown failure fails over to the latest checkpoint, which recommits it: every record exactly once", async () => {
    const work = workDirectory("failed-unknown");
    const out = join(work, "out");
    let failed: string | undefined;
    const commits: string[] = [];
    const job = new Job(
      pipeline(out, {
        count: 4000,
        rate: 20_000,
        hooks: {
          async commit(c, commit) {
            commits.push(c.final);
            if (failed === undefined) {
              failed = c.final;
              return CommitOutcomes.failedUnknown("connection reset");
            }
            return commit(c);
          },
        },
      }),
      { checkpointDirectory: join(work, "chk"), ...fast },
    );
    const states = watchStates(job);
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    expect(states.filter((s) => s === "RESTARTING")).toHaveLength(1);
    // The failed committable was recommitted after the restart …
    expect(commits.filter((f) => f === failed)).toHaveLength(2);
    expect(committedFiles(out)).toContain(failed);
    // … and nothing is lost or duplicated.
    expect(committedSeqs(out)).toEqual(range(0, 4000));
    expect(hiddenFiles(out)).toEqual([]);
  });
});

describe("the file committer", () => {
  const context: SinkWriterContext = {
    sinkPrefix: "p",
    names: new SinkNames("p"),
    uid: "files",
    parallelism: 1,
    attemptId: "0a1b2c3d",
    subtask: 0,
    currentCheckpointId: () => 7,
    log: { info() {}, warn() {} },
  };

  it("commits a committable once; committing it again is alreadyCommitted and writes nothing twice", async () => {
    const out = join(workDirectory("file-committer"), "out");
    const sink = fileSink<{ seq: number }>({ directory: out });
    const writer = await sink.createWriter(context, undefined);
    for (const seq of range(0, 10)) await writer.write({ seq });
    await writer.flush(false);
    const [committable] = await writer.prepareCommit();
    expect(committable).toMatchObject({ final: "p-0-0a1b2c3d-7.jsonl", records: 10 });
    expect(committedSeqs(out)).toEqual([]);

    const committer = await sink.createCommitter(context as SinkContext);
    const c = committable as FileCommittable;
    expect(await committer.commit(c)).toEqual(CommitOutcomes.committed);
    const content = readFileSync(join(out, c.final), "utf8");
    expect(await committer.commit(c)).toEqual(CommitOutcomes.alreadyCommitted);
    expect(committedFiles(out)).toEqual([c.final]);
    expect(readFileSync(join(out, c.final), "utf8")).toBe(content);
    expect(committedSeqs(out)).toEqual(range(0, 10));

    // Both files gone: a known permanent failure.
    rmSync(join(out, c.final));
    expect(await committer.commit(c)).toMatchObject({
      kind: "failedKnown",
      code: "FILE_PRE_COMMITTED_FILE_MISSING",
    });
  });

  it("reads version 1 committables as in the sink's directory, checks version 2 ones and refuses unknown versions", () => {
    const directory = workDirectory("file-versions");
    const { committable } = fileSink({ directory });
    const v1 = { pending: ".a.jsonl.inprogress", final: "a.jsonl", records: 1 };
    expect(committable.parse(1, v1)).toEqual({ directory, ...v1 });
    expect(committable.parse(2, { directory: "/elsewhere", ...v1 })).toEqual({
      directory: "/elsewhere",
      ...v1,
    });
    expect(() => committable.parse(2, v1)).toThrow(/`directory`/);
    expect(() => committable.parse(2, { directory, ...v1, records: -1 })).toThrow(/`records`.*got -1/);
    expect(() => committable.parse(9, v1)).toThrow(/version 9/);
  });
});

function capturingLogger(warnings: string[]): Logger {
  const logger: Logger = {
    info() {},
    warn: (message) => warnings.push(message),
    error() {},
    child: () => logger,
  };
  return logger;
}

describe("commit outcomes on restore", () => {
  /** A savepoint with pending committables whose job was then canceled, and one of their files deleted. */
  async function savepointWithLostCommittable(work: string, out: string) {
    const job = new Job(pipeline(out, { rate: 20_000 }), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 600_000,
    });
    const run = job.run();
    await waitFor(() => hiddenFiles(out).length >= 2, "both sink subtasks to write");
    const savepoint = await job.savepoint(join(work, "savepoints"));
    await job.cancel();
    expect((await run).state).toBe("CANCELED");
    const lost = readMetadata(savepoint).sinks[0]?.committables[0]?.committable as FileCommittable;
    const lostSeqs = readFileSync(join(out, lost.pending), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(lostSeqs.length).toBeGreaterThan(0);
    // The target lost the pre-committed transaction (e.g. aborted it on timeout).
    rmSync(join(out, lost.pending));
    return { savepoint, lost, lostSeqs, count: sequencePosition(savepoint, "seq").end + 1000 };
  }

  it("a recommit that fails for a known reason fails the job", async () => {
    const work = workDirectory("restore-known");
    const out = join(work, "out");
    const { savepoint, lost, count } = await savepointWithLostCommittable(work, out);
    const restored = new Job(pipeline(out, { count }), {
      checkpointDirectory: join(work, "chk"),
      ...fast,
      restore: { path: savepoint },
    });
    const states = watchStates(restored);
    const result = await restored.run();
    expect(result.state).toBe("FAILED");
    expect(states).not.toContain("RESTARTING");
    expect(result.error).toBeInstanceOf(CommitFailedPermanentlyError);
    expect(result.error?.message).toContain(lost.pending);
    // No new data was written: the restore stopped before any writer opened.
    expect(committedSeqs(out).some((s) => s >= sequencePosition(savepoint, "seq").end)).toBe(false);
    expect(existsSync(join(out, lost.final))).toBe(false);
  });

  it("… unless the restore skips failed committables: it goes on, loudly, without exactly their records", async () => {
    const work = workDirectory("restore-skip");
    const out = join(work, "out");
    const { savepoint, lostSeqs, count } = await savepointWithLostCommittable(work, out);
    const warnings: string[] = [];
    const restored = new Job(pipeline(out, { count }), {
      checkpointDirectory: join(work, "chk"),
      ...fast,
      restore: { path: savepoint, skipFailedCommittables: true },
      logger: capturingLogger(warnings),
    });
    const result = await restored.run();
    expect(result.state).toBe("FINISHED");
    expect(warnings.some((w) => /SKIPPING.*LOST/.test(w))).toBe(true);
    const lost = new Set(lostSeqs);
    expect(committedSeqs(out)).toEqual(range(0, count).filter((s) => !lost.has(s)));
    expect(hiddenFiles(out)).toEqual([]);
  });
});
