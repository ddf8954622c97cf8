/**
 * A stop whose savepoint times out while its barrier is still in flight (issue 9, finding 3),
 * against the real file sink: the abandoned stop barrier is ignored wherever it arrives late,
 * so the job keeps fetching and firing timers; what was pre-committed for the abandoned
 * checkpoint commits with the next one; a later stop succeeds with every record once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BerthError } from "./errors.js";
import { fileSink } from "./file-sink/file-sink.js";
import { Job } from "./job.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { sequenceSource } from "./source/sequence-source.js";
import {
  committedFiles,
  committedSeqs,
  Gate,
  gatedSource,
  hiddenFiles,
  instrumentedSink,
  range,
  sequencePosition,
  waitFor,
  workDirectory,
} from "./test-support.js";

const OPTIONS = { checkpointIntervalMs: 50, checkpointTimeoutMs: 300, channelCapacity: 16 } as const;

async function failedStop(job: Job): Promise<void> {
  const failed = await job.stop({ drain: false }).catch((e: unknown) => e);
  expect(failed).toBeInstanceOf(BerthError);
  expect((failed as BerthError).code).toBe("SAVEPOINT_FAILED");
  expect(job.state).toBe("RUNNING");
}

/** A later stop succeeds and the target holds exactly the records before its position. */
async function stopsCleanly(job: Job, run: Promise<unknown>, out: string): Promise<void> {
  const savepoint = await job.stop({ drain: false });
  expect(await run).toMatchObject({ state: "FINISHED" });
  const position = sequencePosition(savepoint, "seq");
  expect(committedSeqs(out)).toEqual(range(0, position.end).filter(position.emitted));
  expect(hiddenFiles(out)).toEqual([]);
}

describe("a stop whose savepoint timed out with its barrier in flight", () => {
  it("leaves no stale stop barrier: sources fetch and processing-time timers fire afterwards", async () => {
    const work = workDirectory("abandoned-stop");
    const out = join(work, "out");
    // Source subtask 0 stalls inside a fetch: the stop's barrier waits behind it, while subtask 1's
    // barrier already waits at the keyed operator's alignment when the savepoint times out.
    const stalled = new Gate();
    let fired = 0;
    const pipeline = Pipeline.create({ name: "seq" });
    pipeline
      .source(gatedSource(sequenceSource({ ratePerSecond: 20_000, batchSize: 50 }), stalled, 0), {
        uid: "seq",
        parallelism: 2,
      })
      .keyBy((n) => n % 4)
      .process<{ seq: number }>(
        {
          processElement(n, context) {
            context.timers.registerProcessingTimeTimer(Date.now());
            context.emit({ seq: n });
          },
          onTimer() {
            fired++;
          },
        },
        { uid: "timers" },
      )
      .sinkTo(fileSink<{ seq: number }>({ directory: out }), { uid: "files" });
    const job = new Job(pipeline, { checkpointDirectory: join(work, "chk"), ...OPTIONS });
    const run = job.run();
    await waitFor(() => committedFiles(out).length >= 2 && fired > 0, "a few commits and timers");
    stalled.close();
    await failedStop(job);
    stalled.release();
    // The late barrier of the abandoned stop must neither pause the sources nor halt the timers.
    // Each source subtask reads one split: even and odd numbers.
    const ofSplit = (split: number) => committedSeqs(out).filter((n) => n % 2 === split).length;
    const committed = [ofSplit(0), ofSplit(1)];
    const firedBefore = fired;
    for (const split of [0, 1]) {
      await waitFor(
        () => ofSplit(split) > (committed[split] as number) + 250,
        `commits of source subtask ${split} after the failed stop`,
      );
    }
    await waitFor(() => fired > firedBefore + 20, "processing-time timers after the failed stop");
    await stopsCleanly(job, run, out);
  });

  it("commits what was pre-committed for the abandoned checkpoint with the next checkpoint", async () => {
    const work = workDirectory("abandoned-precommit");
    const out = join(work, "out");
    const flushes = new Gate();
    const pipeline = Pipeline.create({ name: "seq" });
    pipeline
      .source(sequenceSource({ ratePerSecond: 20_000, batchSize: 50 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" })
      .sinkTo(
        instrumentedSink(fileSink<{ seq: number }>({ directory: out }), {
          beforeFlush: () => flushes.pass(),
        }),
        { uid: "files", parallelism: 2 },
      );
    const job = new Job(pipeline, { checkpointDirectory: join(work, "chk"), ...OPTIONS });
    const injected: number[] = [];
    const written = new Set<number>();
    job.on("barrier-injected", (id: number) => injected.push(id));
    job.on("snapshot-written", (id: number) => written.add(id));
    const run = job.run();
    await waitFor(() => committedFiles(out).length >= 2, "a few commits");
    // The sinks cannot pre-commit for the stop's barrier until it has timed out; then they do.
    flushes.close();
    await failedStop(job);
    flushes.release();
    const abandoned = new Set(injected.filter((id) => !written.has(id)));
    expect(abandoned.size).toBeGreaterThan(0);
    const ofAbandoned = () =>
      committedFiles(out).filter((f) => abandoned.has(Number(/-(\d+)\.jsonl$/.exec(f)?.[1])));
    await waitFor(() => ofAbandoned().length > 0, "a file closed by an abandoned checkpoint to commit");
    // Counted on disk: the committed files of the abandoned checkpoint hold records.
    const records = ofAbandoned().flatMap((f) =>
      readFileSync(join(out, f), "utf8").split("\n").filter(Boolean),
    );
    expect(records.length).toBeGreaterThan(0);
    await stopsCleanly(job, run, out);
  });
});
