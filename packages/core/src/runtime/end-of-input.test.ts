/**
 * End of input when source subtasks end at different times: an ended subtask keeps
 * acknowledging checkpoints and counts as MAX watermark downstream, the job takes its final
 * checkpoint only once the last one ends, and a stop in between keeps the ended subtask's
 * position so a restore ends it again at once.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { tumblingEventTimeWindows, type WindowResult } from "../pipeline/functions.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { Json } from "../sink/sink.js";
import type { Source, SourceReader } from "../source/source.js";
import {
  committedRecords,
  duplicates,
  hiddenFiles,
  operatorState,
  readMetadata,
  waitFor,
  workDirectory,
} from "../test-support.js";

interface Split {
  readonly split: number;
  next: number;
  readonly end: number;
}

/**
 * Split k yields the numbers k·1_000_000 + i for i below `ends[k]`, 10 per poll, pausing
 * 2 ms before each poll while `slow()` holds; event time is i seconds.
 */
function unevenSource(ends: number[], slow: () => boolean): Source<number> {
  return {
    kind: "uneven",
    async initialSplits() {
      return ends.map((end, split) => ({ split, next: 0, end }));
    },
    async createReader(_context, splits) {
      // The end is read at every start (like the sequence source's count), the position restored.
      const own = splits.map((s) => {
        const split = s as unknown as Split;
        return { split: split.split, next: split.next, end: ends[split.split] as number };
      });
      const reader: SourceReader<number> = {
        async poll() {
          const open = own.filter((s) => s.next < s.end);
          if (open.length === 0) return { ended: true };
          if (slow()) await sleep(2);
          const records = [];
          for (const s of open) {
            for (let i = 0; i < 10 && s.next < s.end; i++, s.next++) {
              records.push({ value: s.split * 1_000_000 + s.next, timestamp: s.next * 1000 });
            }
          }
          return { records };
        },
        snapshotSplits: () => own.map((s) => ({ ...s }) as unknown as Json),
        close: async () => {},
      };
      return reader;
    },
  };
}

type Count = WindowResult<number, number>;

/** Counts per split in 10 s event-time windows (10 records each). */
function pipeline(out: string, ends: number[], slow: () => boolean): Pipeline {
  const p = Pipeline.create({ name: "uneven" });
  p.source(unevenSource(ends, slow), { uid: "src", parallelism: 2, watermarks: { maxOutOfOrdernessMs: 0 } })
    .keyBy((n) => Math.floor(n / 1_000_000))
    .window(tumblingEventTimeWindows(10_000))
    .aggregate<number, number>(
      { createAccumulator: () => 0, add: (_, a) => a + 1, getResult: (a) => a },
      { uid: "count", parallelism: 2 },
    )
    .sinkTo(fileSink({ directory: out }), { uid: "files", parallelism: 2 });
  return p;
}

function expectWindows(out: string, ends: number[]): void {
  const results = committedRecords<Count>(out);
  expect(duplicates(results.map((r) => `${r.key}@${r.windowStart}`))).toEqual([]);
  for (const [split, end] of ends.entries()) {
    const mine = results.filter((r) => r.key === split);
    expect(
      mine.reduce((n, r) => n + r.result, 0),
      `records of split ${split}`,
    ).toBe(end);
    expect(mine).toHaveLength(Math.ceil(end / 10));
  }
}

describe("end of input with uneven source subtasks", () => {
  it("checkpoints go on after the first subtask ends; the final checkpoint comes after the last", async () => {
    const work = workDirectory("uneven");
    const out = join(work, "out");
    const ends = [20, 600];
    let written = 0;
    const job = new Job(
      pipeline(out, ends, () => true),
      { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 20 },
    );
    job.on("snapshot-written", () => written++);
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    // Periodic checkpoints completed while only one subtask was still reading.
    expect(written).toBeGreaterThan(2);
    expect(readMetadata(result.savepoint as string).stop).toBe("drain");
    expectWindows(out, ends);
    expect(hiddenFiles(out)).toEqual([]);
  });

  it("a stop after one subtask ended keeps its position; the restore ends it again and finishes exactly once", async () => {
    const work = workDirectory("uneven-stop");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    const ends = [20, 100_000];
    const job = new Job(
      pipeline(out, ends, () => true),
      { checkpointDirectory, checkpointIntervalMs: 20 },
    );
    const run = job.run();
    // Split 0's two windows fire only once split 1's watermark passes them too.
    await waitFor(
      () => committedRecords<Count>(out).some((r) => r.key === 1 && r.windowStart >= 20_000),
      "windows to commit",
    );
    const savepoint = await job.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");

    const position = operatorState(savepoint, "src").flatMap((f) => f.operatorState as unknown as Split[]);
    const stoppedAt = position.find((s) => s.split === 1)?.next as number;
    expect(position.find((s) => s.split === 0)?.next).toBe(20);
    // Restore with split 1 ending shortly after where it stopped.
    const restoredEnds = [20, stoppedAt + 95];
    const restored = new Job(
      pipeline(out, restoredEnds, () => false),
      {
        checkpointDirectory,
        checkpointIntervalMs: 20,
        restore: { path: savepoint },
      },
    );
    expect((await restored.run()).state).toBe("FINISHED");
    expectWindows(out, restoredEnds);
  });
});
