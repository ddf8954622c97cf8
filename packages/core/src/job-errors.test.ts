/**
 * Bad input gets a clear, typed error and loses no data: a corrupt or incomplete savepoint,
 * state for an operator the pipeline no longer has, a sink without checkpointing, a stop of
 * a job that is not running, and two stops at once.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BerthError } from "./errors.js";
import { fileSink } from "./file-sink/file-sink.js";
import { Job } from "./job.js";
import type { KeyedProcessFunction } from "./pipeline/functions.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { sequenceSource } from "./source/sequence-source.js";
import {
  committedFiles,
  committedSeqs,
  range,
  sequencePosition,
  waitFor,
  workDirectory,
} from "./test-support.js";

const runningCount: KeyedProcessFunction<number, number, { seq: number; count: number }> = {
  processElement(seq, context) {
    const state = context.state<number>("count");
    const count = (state.value() ?? 0) + 1;
    state.update(count);
    context.emit({ seq, count });
  },
};

/** Source → keyed running count (uid "count") → files; or, without `keyed`, source → map → files. */
function pipeline(out: string, options: { count?: number; keyed?: boolean } = {}): Pipeline {
  const p = Pipeline.create({ name: "errors" });
  const source = p.source(
    sequenceSource({
      ...(options.count !== undefined ? { count: options.count } : { ratePerSecond: 20_000 }),
      batchSize: 50,
    }),
    { uid: "seq" },
  );
  const stream =
    options.keyed === false
      ? source.map((n) => ({ seq: n, count: 0 }), { uid: "to-json" })
      : source.keyBy((n) => n % 5).process(runningCount, { uid: "count" });
  stream.sinkTo(fileSink({ directory: out }), { uid: "files" });
  return p;
}

/** A savepoint of a stopped job, with the records before it committed in `out`. */
async function stoppedSavepoint(work: string, out: string): Promise<string> {
  const job = new Job(pipeline(out), { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 });
  const run = job.run();
  await waitFor(() => committedFiles(out).length >= 1, "a commit");
  const savepoint = await job.stop({ drain: false });
  expect((await run).state).toBe("FINISHED");
  return savepoint;
}

function expectCode(error: unknown, codes: string[]): BerthError {
  expect(error).toBeInstanceOf(BerthError);
  expect(codes).toContain((error as BerthError).code);
  return error as BerthError;
}

describe("restore errors", () => {
  it("a flipped byte in a state file fails the restore with a typed error naming the file; nothing is written", async () => {
    const work = workDirectory("corrupt");
    const out = join(work, "out");
    const savepoint = await stoppedSavepoint(work, out);
    const before = committedSeqs(out);
    const stateFile = readdirSync(savepoint).find(
      (f) => f !== "_metadata" && f !== "_commits" && f.includes("count"),
    );
    expect(stateFile).toBeDefined();
    const path = join(savepoint, stateFile as string);
    const bytes = readFileSync(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path, bytes);

    const result = await new Job(pipeline(out, { count: 100_000 }), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
      restore: { path: savepoint },
    }).run();
    expect(result.state).toBe("FAILED");
    // RESTORE_FAILED, or its refinement SAVEPOINT_CORRUPT.
    const error = expectCode(result.error, ["RESTORE_FAILED", "SAVEPOINT_CORRUPT"]);
    expect(error.message).toContain(stateFile);
    expect(committedSeqs(out)).toEqual(before);
  });

  it("a savepoint without _metadata fails the restore with a typed error naming it", async () => {
    const work = workDirectory("no-metadata");
    const out = join(work, "out");
    const savepoint = await stoppedSavepoint(work, out);
    rmSync(join(savepoint, "_metadata"));
    const result = await new Job(pipeline(out), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
      restore: { path: savepoint },
    }).run();
    expect(result.state).toBe("FAILED");
    const error = expectCode(result.error, ["RESTORE_FAILED", "SAVEPOINT_NOT_FOUND"]);
    expect(error.message).toContain(join(savepoint, "_metadata"));
  });

  it("state of an operator uid the pipeline no longer has is refused unless allowNonRestoredState", async () => {
    const work = workDirectory("non-restored");
    const out = join(work, "out");
    const savepoint = await stoppedSavepoint(work, out);
    const settings = { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 };
    const before = committedSeqs(out);
    const count = sequencePosition(savepoint, "seq").end + 2000;

    const refused = await new Job(pipeline(out, { count, keyed: false }), {
      ...settings,
      restore: { path: savepoint },
    }).run();
    expect(refused.state).toBe("FAILED");
    const error = expectCode(refused.error, ["STATE_NOT_RESTORED"]);
    expect(error.message).toContain("count");
    expect(error.message).toMatch(/allow-non-restored-state/);
    expect(committedSeqs(out)).toEqual(before);

    const allowed = await new Job(pipeline(out, { count, keyed: false }), {
      ...settings,
      restore: { path: savepoint, allowNonRestoredState: true },
    }).run();
    expect(allowed.state).toBe("FINISHED");
    expect(committedSeqs(out)).toEqual(range(0, count));
  });
});

describe("job errors", () => {
  it("a job with a sink refuses to start without checkpointing (CHECKPOINTING_REQUIRED)", () => {
    const work = workDirectory("no-checkpointing");
    for (const checkpointIntervalMs of [0, -1]) {
      let thrown: unknown;
      try {
        new Job(pipeline(join(work, "out")), {
          checkpointDirectory: join(work, "chk"),
          checkpointIntervalMs,
        });
      } catch (error) {
        thrown = error;
      }
      expectCode(thrown, ["CHECKPOINTING_REQUIRED"]);
    }
  });

  it("a stop or savepoint of a job that is not running is rejected (STOP_REJECTED)", async () => {
    const work = workDirectory("not-running");
    const job = new Job(pipeline(join(work, "out"), { count: 10 }), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
    });
    // Bounded short: a stop before run() waits for RUNNING (job-running-wait.test.ts) — here it never comes.
    const before = await job.stop({ drain: false, runningWaitMs: 50 }).catch((e: unknown) => e);
    expect(expectCode(before, ["STOP_REJECTED"]).message).toContain("CREATED");
    expect((await job.run()).state).toBe("FINISHED");
    const after = await job.stop({ drain: true }).catch((e: unknown) => e);
    expect(expectCode(after, ["STOP_REJECTED"]).message).toContain("FINISHED");
    const savepoint = await job.savepoint().catch((e: unknown) => e);
    expectCode(savepoint, ["STOP_REJECTED"]);
  });

  it("of two concurrent stops one wins; the other is rejected saying a stop is in progress", async () => {
    const work = workDirectory("two-stops");
    const out = join(work, "out");
    const job = new Job(pipeline(out), { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 });
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "the job to run");
    const [first, second] = await Promise.allSettled([job.stop({ drain: false }), job.stop({ drain: true })]);
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    const error = expectCode((second as PromiseRejectedResult).reason, ["STOP_REJECTED"]);
    expect(error.message).toMatch(/a stop is already in progress/);
    expect((await run).state).toBe("FINISHED");
    // The winner's savepoint is the job's result.
    expect((await run).savepoint).toBe((first as PromiseFulfilledResult<string>).value);
  });
});
