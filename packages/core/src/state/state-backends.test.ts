/**
 * The memory and SQLite state backends are interchangeable: the same keyed pipeline gives
 * the same output on both, and a (canonical) savepoint of one restores into the other.
 */
import { existsSync } from "node:fs";
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
  range,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import type { StateBackendKind } from "./state-backend.js";

const KEYS = 5;

interface Counted {
  readonly seq: number;
  readonly count: number;
}

/** Running count per key; with one source subtask a key's records arrive in order, so seq n has count ⌊n/5⌋+1. */
const runningCount: KeyedProcessFunction<number, number, Counted> = {
  processElement(seq, context) {
    const state = context.state<number>("count");
    const count = (state.value() ?? 0) + 1;
    state.update(count);
    context.emit({ seq, count });
  },
};

function pipeline(out: string, count?: number): Pipeline {
  const p = Pipeline.create({ name: "backends" });
  p.source(
    sequenceSource({ ...(count !== undefined ? { count } : { ratePerSecond: 5_000 }), batchSize: 50 }),
    {
      uid: "seq",
    },
  )
    .keyBy((n) => n % KEYS)
    .process(runningCount, { uid: "count", parallelism: 2 })
    .sinkTo(fileSink({ directory: out }), { uid: "files", parallelism: 2 });
  return p;
}

const expected = (count: number): Counted[] =>
  range(0, count).map((seq) => ({ seq, count: Math.floor(seq / KEYS) + 1 }));

function output(out: string): Counted[] {
  return committedRecords<Counted>(out).sort((a, b) => a.seq - b.seq);
}

describe("state backends", () => {
  it("memory and sqlite give equal results for the same keyed pipeline", async () => {
    const results: Counted[][] = [];
    for (const stateBackend of ["memory", "sqlite"] as const) {
      const work = workDirectory(`backend-${stateBackend}`);
      const out = join(work, "out");
      const job = new Job(pipeline(out, 1500), {
        checkpointDirectory: join(work, "chk"),
        checkpointIntervalMs: 50,
        stateBackend,
      });
      expect((await job.run()).state).toBe("FINISHED");
      results.push(output(out));
    }
    expect(results[0]).toEqual(expected(1500));
    expect(results[1]).toEqual(results[0]);
  });

  it.each([
    ["memory", "sqlite"],
    ["sqlite", "memory"],
  ] as [StateBackendKind, StateBackendKind][])(
    "a savepoint taken on %s restores into %s",
    async (from, to) => {
      const work = workDirectory(`backend-${from}-${to}`);
      const out = join(work, "out");
      const checkpointDirectory = join(work, "chk");
      const job = new Job(pipeline(out), {
        checkpointDirectory,
        checkpointIntervalMs: 50,
        stateBackend: from,
      });
      const run = job.run();
      await waitFor(() => committedFiles(out).length >= 2, "records to commit");
      const savepoint = await job.stop({ drain: false });
      expect((await run).state).toBe("FINISHED");

      const count = sequencePosition(savepoint, "seq").end + 1000;
      const restored = new Job(pipeline(out, count), {
        checkpointDirectory,
        checkpointIntervalMs: 50,
        stateBackend: to,
        restore: { path: savepoint },
      });
      expect((await restored.run()).state).toBe("FINISHED");
      // Counts continue where the other backend left them: every seq once, with its exact count.
      expect(output(out)).toEqual(expected(count));
    },
  );
});

describe("the sqlite backend's working files", () => {
  it("are gone when the job ends", async () => {
    const work = workDirectory("sqlite-work");
    const pipeline = Pipeline.create({ name: "work-files" });
    pipeline
      .source(sequenceSource({ count: 500 }), { uid: "seq" })
      .keyBy((n) => n % 5)
      .process<{ seq: number }>(
        {
          processElement(n, context) {
            const seen = context.state<number>("seen");
            seen.update((seen.value() ?? 0) + 1);
            context.emit({ seq: n });
          },
        },
        { uid: "count" },
      )
      .sinkTo(fileSink({ directory: join(work, "out") }), { uid: "files" });
    const job = new Job(pipeline, {
      jobId: "w",
      checkpointDirectory: join(work, "chk"),
      stateBackend: "sqlite",
      checkpointIntervalMs: 50,
    });
    expect((await job.run()).state).toBe("FINISHED");
    expect(existsSync(join(work, "chk", "w", ".work"))).toBe(false);
  });
});
