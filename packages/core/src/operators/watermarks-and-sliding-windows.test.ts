/**
 * Sliding event-time windows, and idle sources: a source subtask without records stops
 * holding the watermark back once its idle timeout passes, so windows fire while the job runs.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import {
  slidingEventTimeWindows,
  tumblingEventTimeWindows,
  type WindowResult,
} from "../pipeline/functions.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import type { Source } from "../source/source.js";
import { committedRecords, waitFor, workDirectory } from "../test-support.js";

type Count = WindowResult<number, number>;
const counting = {
  createAccumulator: () => 0,
  add: (_: number, n: number) => n + 1,
  getResult: (n: number) => n,
};

describe("sliding event-time windows", () => {
  it("count every record in each of the size/slide windows that hold it", async () => {
    const work = workDirectory("sliding");
    const out = join(work, "out");
    const pipeline = Pipeline.create({ name: "sliding" });
    pipeline
      .source(sequenceSource({ count: 1000 }), {
        uid: "seq",
        watermarks: { timestampOf: (n) => n, maxOutOfOrdernessMs: 0 },
      })
      .keyBy(() => 0)
      .window(slidingEventTimeWindows(100, 50))
      .aggregate(counting, { uid: "count" })
      .sinkTo(fileSink({ directory: out }), { uid: "files" });
    expect(
      (await new Job(pipeline, { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 }).run())
        .state,
    ).toBe("FINISHED");
    const byStart = new Map(committedRecords<Count>(out).map((r) => [r.windowStart, r]));
    // Windows start every 50 ms from -50 to 950; the first and last hold half as many records.
    expect([...byStart.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 21 }, (_, i) => -50 + i * 50),
    );
    expect(byStart.get(-50)?.result).toBe(50);
    expect(byStart.get(950)?.result).toBe(50);
    for (let start = 0; start <= 900; start += 50) {
      expect(byStart.get(start)).toMatchObject({ windowEnd: start + 100, result: 100 });
    }
  });
});

/** Split 0 yields increasing numbers forever; split 1 never yields a record and never ends. */
function oneSilentSplit(): Source<number> {
  return {
    kind: "one-silent-split",
    initialSplits: async () => [
      { split: 0, next: 0 },
      { split: 1, next: 0 },
    ],
    async createReader(_context, splits) {
      const state = splits.map((s) => ({ ...(s as { split: number; next: number }) }));
      return {
        async poll() {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const records = state
            .filter((s) => s.split === 0)
            .flatMap((s) => Array.from({ length: 20 }, () => ({ value: s.next++ })));
          return { records };
        },
        snapshotSplits: () => state.map((s) => ({ ...s })),
        close: async () => {},
      };
    },
  };
}

describe("an idle source subtask", () => {
  it.each([
    ["with an idle timeout, windows fire while the job runs", 100, true],
    ["without one, the silent subtask holds the watermark back", undefined, false],
  ])("%s", async (_name, idleTimeoutMs, fires) => {
    const work = workDirectory("idle");
    const out = join(work, "out");
    const pipeline = Pipeline.create({ name: "idle" });
    pipeline
      .source(oneSilentSplit(), {
        uid: "numbers",
        parallelism: 2,
        watermarks: {
          timestampOf: (n) => n,
          maxOutOfOrdernessMs: 0,
          ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
        },
      })
      .keyBy(() => 0)
      .window(tumblingEventTimeWindows(100))
      .aggregate(counting, { uid: "count" })
      .sinkTo(fileSink({ directory: out }), { uid: "files" });
    const job = new Job(pipeline, { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 });
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "the job to run");
    // Let records with event times far past several windows flow and checkpoints commit.
    let checkpoints = 0;
    job.on("snapshot-written", () => checkpoints++);
    await waitFor(() => checkpoints >= 6, "six checkpoints");
    const firedWhileRunning = committedRecords<Count>(out).length;
    await job.stop({ drain: false });
    await run;
    if (fires) expect(firedWhileRunning).toBeGreaterThan(0);
    else expect(firedWhileRunning).toBe(0);
  });
});
