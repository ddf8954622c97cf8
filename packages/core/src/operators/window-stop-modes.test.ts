/**
 * Event-time windows under the three ways a job ends (DESIGN.md, "Savepoints and stop"):
 * stop (suspend) keeps unfired windows in the savepoint and a restore fires them exactly
 * once; stop with drain fires them all; end of input fires them all in the final checkpoint.
 * Processing-time timers never fire during a stop's synchronous savepoint.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import type { KeyedProcessFunction, WindowResult } from "../pipeline/functions.js";
import { tumblingEventTimeWindows } from "../pipeline/functions.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { CommitOutcome } from "../sink/commit-outcome.js";
import type { Json } from "../sink/sink.js";
import { sequenceSource } from "../source/sequence-source.js";
import {
  committedRecords,
  duplicates,
  Gate,
  hiddenFiles,
  instrumentedSink,
  operatorState,
  readMetadata,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";

const KEYS = 3;
const WINDOW_MS = 1000;
/** Record n has event time n * 10 ms, so a 1 s window holds 100 consecutive numbers. */
const eventTime = (n: number) => n * 10;

type Count = WindowResult<number, number>;

interface WindowJobOptions {
  readonly out: string;
  readonly count?: number;
  readonly ratePerSecond?: number;
  readonly sourceParallelism: number;
  readonly windowParallelism: number;
  readonly onResult?: (result: Count) => void;
}

/** Counts records per key (n % 3) in 1 s event-time tumbling windows; results go to files. */
function windowPipeline(options: WindowJobOptions): Pipeline {
  const pipeline = Pipeline.create({ name: "windows" });
  pipeline
    .source(
      sequenceSource({
        ...(options.count !== undefined ? { count: options.count } : {}),
        ...(options.ratePerSecond !== undefined ? { ratePerSecond: options.ratePerSecond } : {}),
        batchSize: 20,
      }),
      {
        uid: "seq",
        parallelism: options.sourceParallelism,
        watermarks: { timestampOf: eventTime, maxOutOfOrdernessMs: 0 },
      },
    )
    .keyBy((n) => n % KEYS)
    .window(tumblingEventTimeWindows(WINDOW_MS))
    .aggregate<number, number>(
      { createAccumulator: () => 0, add: (_, acc) => acc + 1, getResult: (acc) => acc },
      { uid: "count", parallelism: options.windowParallelism },
    )
    .map(
      (result) => {
        options.onResult?.(result);
        return result;
      },
      { uid: "observe", parallelism: 1 },
    )
    .sinkTo(fileSink({ directory: options.out }), { uid: "files", parallelism: 2 });
  return pipeline;
}

const windowKey = (r: { key: number; windowStart: number }) => `${r.key}@${r.windowStart}`;

/** The exact counts per key and window of the numbers for which `emitted` holds, below `end`. */
function expectedCounts(end: number, emitted: (n: number) => boolean = () => true): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 0; n < end; n++) {
    if (!emitted(n)) continue;
    const start = Math.floor(eventTime(n) / WINDOW_MS) * WINDOW_MS;
    const k = windowKey({ key: n % KEYS, windowStart: start });
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

function countsOf(results: Count[]): Map<string, number> {
  expect(duplicates(results.map(windowKey)), "a window fired twice").toEqual([]);
  return new Map(results.map((r) => [windowKey(r), r.result]));
}

/** Window accumulators ("window/<start>" per key) held in a snapshot's keyed state. */
function windowStateIn(directory: string): Map<string, number> {
  const state = new Map<string, number>();
  for (const file of operatorState(directory, "count")) {
    for (const entry of file.keyed) {
      if (!entry.state.startsWith("window/")) continue;
      const key = Number(entry.key);
      state.set(
        windowKey({ key, windowStart: Number(entry.state.slice("window/".length)) }),
        entry.value as number,
      );
    }
  }
  return state;
}

function eventTimersIn(directory: string): number {
  return operatorState(directory, "count")
    .flatMap((f) => f.keyed)
    .filter((e) => e.state === "__timers/event").length;
}

describe("event-time windows and stop modes", () => {
  it("stop (suspend) keeps unfired windows in the savepoint; a restore at another parallelism fires them exactly once", async () => {
    const work = workDirectory("win-suspend");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    let fired = 0;
    const job = new Job(
      windowPipeline({
        out,
        ratePerSecond: 4000,
        sourceParallelism: 2,
        windowParallelism: 2,
        onResult: () => fired++,
      }),
      { checkpointDirectory, checkpointIntervalMs: 50 },
    );
    const run = job.run();
    await waitFor(() => fired >= 2 * KEYS, "two windows to fire");
    const savepoint = await job.stop({ drain: false });
    expect(job.state).toBe("FINISHED");
    expect((await run).state).toBe("FINISHED");
    expect(readMetadata(savepoint).stop).toBe("suspend");

    const position = sequencePosition(savepoint, "seq");
    const before = committedRecords<Count>(out);
    const expectedSoFar = expectedCounts(position.end, position.emitted);
    const firedBefore = countsOf(before);
    // Every window that fired before the stop fired complete and once …
    for (const [k, n] of firedBefore) expect(n, k).toBe(expectedSoFar.get(k));
    // … and the rest did not fire: their partial counts are in the savepoint instead.
    const unfired = [...expectedSoFar].filter(([k]) => !firedBefore.has(k));
    expect(unfired.length).toBeGreaterThan(0);
    expect(windowStateIn(savepoint)).toEqual(new Map(unfired));
    expect(eventTimersIn(savepoint)).toBe(unfired.length);
    expect(hiddenFiles(out)).toEqual([]);

    // Restore with a different window parallelism (timers and windows follow their key
    // groups) and a bounded source: end of input fires everything exactly once.
    const end = position.end + 150;
    const restored = new Job(
      windowPipeline({ out, count: end, sourceParallelism: 2, windowParallelism: 3 }),
      { checkpointDirectory, checkpointIntervalMs: 50, restore: { path: savepoint } },
    );
    const result = await restored.run();
    expect(result.state).toBe("FINISHED");
    expect(countsOf(committedRecords<Count>(out))).toEqual(expectedCounts(end));
    expect(hiddenFiles(out)).toEqual([]);
  });

  it("stop with drain fires every window before FINISHED and leaves none in the savepoint", async () => {
    const work = workDirectory("win-drain");
    const out = join(work, "out");
    let fired = 0;
    const job = new Job(
      windowPipeline({
        out,
        ratePerSecond: 4000,
        sourceParallelism: 2,
        windowParallelism: 2,
        onResult: () => fired++,
      }),
      { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 50 },
    );
    const run = job.run();
    await waitFor(() => fired >= KEYS, "a window to fire");
    const savepoint = await job.stop({ drain: true });
    expect(job.state).toBe("FINISHED");
    expect((await run).state).toBe("FINISHED");
    expect(readMetadata(savepoint).stop).toBe("drain");

    const position = sequencePosition(savepoint, "seq");
    const expected = expectedCounts(position.end, position.emitted);
    // The last window is partial (the drain cut it), and it fired all the same.
    expect(countsOf(committedRecords<Count>(out))).toEqual(expected);
    expect(windowStateIn(savepoint).size).toBe(0);
    expect(eventTimersIn(savepoint)).toBe(0);
    expect(hiddenFiles(out)).toEqual([]);
  });

  it("end of input fires every window in the final checkpoint and commits it", async () => {
    const work = workDirectory("win-eoi");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    const job = new Job(windowPipeline({ out, count: 1234, sourceParallelism: 2, windowParallelism: 2 }), {
      checkpointDirectory,
      checkpointIntervalMs: 50,
    });
    const result = await job.run();
    expect(result.state).toBe("FINISHED");
    expect(countsOf(committedRecords<Count>(out))).toEqual(expectedCounts(1234));
    expect(hiddenFiles(out)).toEqual([]);
    // The result names the final checkpoint: a checkpoint of this job, not a savepoint.
    const savepoint = result.savepoint as string;
    expect(savepoint.startsWith(join(checkpointDirectory, job.jobId))).toBe(true);
    const metadata = readMetadata(savepoint);
    expect(metadata.kind).toBe("checkpoint");
    expect(metadata.stop).toBe("drain");
    expect(windowStateIn(savepoint).size).toBe(0);
  });
});

/**
 * Registers one processing-time timer per key, 150 ms after a record of a key with no
 * pending timer; the timer emits `{key, at}` and logs in which phase of the test it fired.
 */
function timerPipeline(out: string, phase: () => string, fires: string[], gate: Gate): Pipeline {
  const fn: KeyedProcessFunction<number, number, { key: number; at: number }> = {
    processElement(_, context) {
      const pending = context.state<number>("pending");
      if (pending.value() !== undefined) return;
      const at = context.timers.currentProcessingTime() + 150;
      pending.update(at);
      context.timers.registerProcessingTimeTimer(at);
    },
    onTimer(at, domain, context) {
      expect(domain).toBe("processingTime");
      fires.push(phase());
      context.state<number>("pending").clear();
      context.emit({ key: context.key, at });
    },
  };
  const pipeline = Pipeline.create({ name: "timers" });
  pipeline
    .source(sequenceSource({ ratePerSecond: 400, batchSize: 4 }), { uid: "seq" })
    .keyBy((n) => n % 4)
    .process(fn, { uid: "timers", parallelism: 2 })
    .sinkTo(
      instrumentedSink(fileSink<{ key: number; at: number }>({ directory: out }), {
        async commit(c, commit): Promise<CommitOutcome> {
          await gate.pass();
          return commit(c);
        },
      }),
      { uid: "files" },
    );
  return pipeline;
}

function processingTimersIn(directory: string): { key: string; at: number }[] {
  return operatorState(directory, "timers")
    .flatMap((f) => f.keyed)
    .filter((e) => e.state === "__timers/processing")
    .map((e) => ({ key: String(e.value as Json), at: Number(e.key.split("|")[0]) }));
}

describe("processing-time timers", () => {
  it.each([false, true])(
    "do not fire during a stop's synchronous savepoint (drain: %s); overdue ones fire once after restore",
    async (drain) => {
      const work = workDirectory("proc-timers");
      const out = join(work, "out");
      const checkpointDirectory = join(work, "chk");
      let phase = "running";
      const fires: string[] = [];
      const gate = new Gate();
      const job = new Job(
        timerPipeline(out, () => phase, fires, gate),
        {
          checkpointDirectory,
          checkpointIntervalMs: 50,
        },
      );
      const run = job.run();
      await waitFor(() => fires.length >= 4, "processing-time timers to fire while running");
      // Hold every commit: the stop's synchronous phase lasts until the gate opens.
      gate.close();
      let savepoint = "";
      job.on("snapshot-written", (_id: number, directory: string) => {
        savepoint = directory;
      });
      const stopped = job.stop({ drain });
      await new Promise((resolve) => job.once("commits", resolve));
      phase = "halted";
      expect(savepoint.startsWith(join(checkpointDirectory, "savepoints"))).toBe(true);
      const pending = processingTimersIn(savepoint);
      expect(pending.length, "timers pending in the savepoint").toBeGreaterThan(0);
      // Let every pending timer become due while the job is halted …
      const latest = Math.max(...pending.map((t) => t.at));
      await sleep(Math.max(0, latest - Date.now()) + 30);
      await new Promise((resolve) => setImmediate(resolve));
      gate.release();
      expect(await stopped).toBe(savepoint);
      phase = "after";
      expect((await run).state).toBe("FINISHED");
      // … and none fired.
      expect(fires.filter((p) => p !== "running")).toEqual([]);
      const firedBefore = committedRecords<{ key: number; at: number }>(out);

      // After restore the overdue timers fire, each once.
      phase = "restored";
      const restored = new Job(
        timerPipeline(out, () => phase, fires, new Gate()),
        {
          checkpointDirectory,
          checkpointIntervalMs: 50,
          restore: { path: savepoint },
        },
      );
      const restoredRun = restored.run();
      await waitFor(() => fires.filter((p) => p === "restored").length >= pending.length, "overdue timers");
      await restored.stop({ drain: false });
      expect((await restoredRun).state).toBe("FINISHED");
      const all = committedRecords<{ key: number; at: number }>(out);
      const ids = all.map((r) => `${r.key}@${r.at}`);
      expect(duplicates(ids)).toEqual([]);
      for (const t of pending) expect(ids).toContain(`${t.key}@${t.at}`);
      expect(
        firedBefore
          .map((r) => `${r.key}@${r.at}`)
          .filter((id) => pending.some((t) => `${t.key}@${t.at}` === id)),
      ).toEqual([]);
    },
  );
});
