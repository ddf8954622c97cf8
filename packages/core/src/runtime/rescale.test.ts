/**
 * Restores with a different parallelism: keyed state follows its key groups (running counts
 * per key continue), and the sink's pending committables of subtasks that no longer exist
 * are committed by the remaining ones (every record exactly once).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import type { KeyedProcessFunction } from "../pipeline/functions.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import {
  committedFiles,
  committedRecords,
  committedSeqs,
  hiddenFiles,
  range,
  readMetadata,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";

const KEYS = 10;

interface Counted {
  readonly seq: number;
  readonly key: number;
  readonly count: number;
}

/** Running count per key in keyed state; each record goes out with its key's count so far. */
const runningCount: KeyedProcessFunction<number, number, Counted> = {
  processElement(seq, context) {
    const state = context.state<number>("count");
    const count = (state.value() ?? 0) + 1;
    state.update(count);
    context.emit({ seq, key: context.key, count });
  },
};

function countingPipeline(out: string, keyedParallelism: number, count?: number): Pipeline {
  const pipeline = Pipeline.create({ name: "counting" });
  pipeline
    .source(
      sequenceSource({ ...(count !== undefined ? { count } : { ratePerSecond: 20_000 }), batchSize: 50 }),
      {
        uid: "seq",
        parallelism: 2,
      },
    )
    .keyBy((n) => n % KEYS)
    .process(runningCount, { uid: "count", parallelism: keyedParallelism })
    .sinkTo(fileSink({ directory: out }), { uid: "files", parallelism: 2 });
  return pipeline;
}

describe("restore with a different parallelism", () => {
  it("keyed state survives 2 → 3 → 1 subtasks: running counts per key continue", async () => {
    const work = workDirectory("rescale-keyed");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    const settings = { checkpointDirectory, checkpointIntervalMs: 50 };

    let restore: string | undefined;
    for (const parallelism of [2, 3]) {
      const before = committedFiles(out).length;
      const job = new Job(countingPipeline(out, parallelism), {
        ...settings,
        ...(restore ? { restore: { path: restore } } : {}),
      });
      const run = job.run();
      await waitFor(() => committedFiles(out).length >= before + 2, "records to commit");
      restore = await job.stop({ drain: false });
      expect((await run).state).toBe("FINISHED");
    }
    const count = sequencePosition(restore as string, "seq").end + 2000;
    const last = new Job(countingPipeline(out, 1, count), {
      ...settings,
      restore: { path: restore as string },
    });
    expect((await last.run()).state).toBe("FINISHED");

    const records = committedRecords<Counted>(out);
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(range(0, count));
    for (let key = 0; key < KEYS; key++) {
      const counts = records
        .filter((r) => r.key === key)
        .map((r) => r.count)
        .sort((a, b) => a - b);
      // A count restarting at 1 after a restore would repeat values here.
      expect(counts, `counts of key ${key}`).toEqual(range(1, counts.length + 1));
    }
  });

  it.each([1, 4])(
    "the sink's pending committables survive a restore from 2 to %i sink subtasks; every record exactly once",
    async (sinkParallelism) => {
      const work = workDirectory("rescale-sink");
      const out = join(work, "out");
      const checkpointDirectory = join(work, "chk");
      const pipeline = (parallelism: number, count?: number) => {
        const p = Pipeline.create({ name: "rescale-sink" });
        p.source(
          sequenceSource({ ...(count !== undefined ? { count } : { ratePerSecond: 20_000 }), batchSize: 50 }),
          { uid: "seq", parallelism: 2 },
        )
          .map((n) => ({ seq: n }), { uid: "to-json", parallelism: 2 })
          .sinkTo(fileSink({ directory: out }), { uid: "files", parallelism });
        return p;
      };
      // A checkpoint interval far longer than the test: nothing commits the savepoint's committables.
      const job = new Job(pipeline(2), { checkpointDirectory, checkpointIntervalMs: 600_000 });
      const run = job.run();
      await waitFor(() => hiddenFiles(out).length >= 2, "both sink subtasks to write");
      const savepoint = await job.savepoint(join(work, "savepoints"));
      const pending = readMetadata(savepoint).sinks[0]?.committables ?? [];
      expect(new Set(pending.map((c) => c.subtask))).toEqual(new Set([0, 1]));
      await job.cancel();
      expect((await run).state).toBe("CANCELED");
      // Nothing is visible yet: the records are in the savepoint's pre-committed files.
      expect(committedSeqs(out)).toEqual([]);

      const count = sequencePosition(savepoint, "seq").end + 2000;
      const restored = new Job(pipeline(sinkParallelism, count), {
        checkpointDirectory,
        checkpointIntervalMs: 50,
        restore: { path: savepoint },
      });
      expect((await restored.run()).state).toBe("FINISHED");
      expect(committedSeqs(out)).toEqual(range(0, count));
      // Lingering files (of the canceled run's open transactions) are gone.
      expect(hiddenFiles(out)).toEqual([]);
    },
  );
});
