/**
 * Savepoints of large keyed state (SQLite backend): time and size to take a canonical and a
 * native savepoint of a running job, time to restore each (a new job from it until RUNNING),
 * and the cost of a checkpoint after a small change to the large state (incremental: only the
 * key groups changed since the last checkpoint are written) beside the first, full, one.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Job } from "@berth/core";
import type { Benchmark, Row } from "./harness.js";
import { round2 } from "./harness.js";
import { keyedJob } from "./keyed-job.js";

const SIZES = {
  smoke: [10_000],
  default: [10_000, 100_000, 1_000_000],
  large: [10_000, 100_000, 1_000_000, 10_000_000],
};
/** Records per second after the restore: the small change to the large state. */
const CHANGE_RATE = 1000;

function bytesUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

const mib = (bytes: number) => round2(bytes / 2 ** 20);

/** Resolves with the ms from the job's start to RUNNING (its state restored). */
function runningAfter(job: Job): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => job.once("running", () => resolve(performance.now() - started)));
}

/** Durations (barrier injected → state written) of the job's next `count` checkpoints. */
function checkpointDurations(job: Job, count: number): Promise<number[]> {
  const injected = new Map<number, number>();
  const durations: number[] = [];
  return new Promise((resolve) => {
    const onInjected = (id: number) => injected.set(id, performance.now());
    const onWritten = (id: number) => {
      const at = injected.get(id);
      if (at === undefined) return;
      durations.push(performance.now() - at);
      if (durations.length < count) return;
      job.off("barrier-injected", onInjected);
      job.off("snapshot-written", onWritten);
      resolve(durations);
    };
    job.on("barrier-injected", onInjected);
    job.on("snapshot-written", onWritten);
  });
}

export const savepointsBenchmark: Benchmark = {
  name: "savepoints",
  title: "Savepoints of keyed state: canonical vs native, and incremental checkpoints",
  async run(context) {
    const rows: Row[] = [];
    let n = 0;
    for (const keys of SIZES[context.size]) {
      const name = () => `${keys}-${n++}`;
      const base = { keys, work: context.work, stateBackend: "sqlite" as const };
      // Fill: every key once, then end of input; its final checkpoint holds the state.
      const fill = keyedJob({ ...base, name: name(), count: keys });
      const filled = await fill.job.run();
      if (filled.state !== "FINISHED" || !filled.savepoint) throw new Error(`fill job ended ${filled.state}`);

      // A running job with the state, changing CHANGE_RATE keys a second.
      const live = keyedJob({ ...base, name: name(), restore: filled.savepoint, ratePerSecond: CHANGE_RATE });
      const liveRunning = runningAfter(live.job);
      const liveEnded = live.job.run();
      await liveRunning;
      const durations = checkpointDurations(live.job, 3);
      const taken: Record<string, { ms: number; path: string }> = {};
      for (const format of ["canonical", "native"] as const) {
        const started = performance.now();
        const path = await live.job.savepoint(join(context.work, `sp-${keys}-${format}`), { format });
        taken[format] = { ms: performance.now() - started, path };
      }
      const [first, ...later] = await durations;
      await live.job.stop({ drain: false });
      await liveEnded;

      for (const format of ["canonical", "native"] as const) {
        const { ms, path } = taken[format] as { ms: number; path: string };
        const restored = keyedJob({ ...base, name: name(), restore: path, ratePerSecond: CHANGE_RATE });
        const running = runningAfter(restored.job);
        const ended = restored.job.run();
        const restoreMs = await running;
        await restored.job.cancel();
        await ended;
        rows.push({
          keys,
          format,
          takeMs: round2(ms),
          sizeMiB: mib(bytesUnder(path)),
          restoreMs: round2(restoreMs),
          firstFullMs: null,
          ratio: null,
          ...(format === "native" && keys === 1_000_000
            ? { goal: { text: "take < 1 s", met: ms < 1000 } }
            : {}),
        });
        context.log(`${keys} keys ${format}: take ${round2(ms)} ms, restore ${round2(restoreMs)} ms`);
      }
      rows.push({
        keys,
        format: `checkpoint after a small change (${CHANGE_RATE} records/s, 1 s interval)`,
        takeMs: round2(later.reduce((a, b) => a + b, 0) / Math.max(1, later.length)),
        sizeMiB: null,
        restoreMs: null,
        firstFullMs: round2(first ?? Number.NaN),
        ratio: null,
      });
    }
    return {
      parameters: { keys: SIZES[context.size], backend: "sqlite", changeRatePerSecond: CHANGE_RATE },
      columns: [
        { key: "keys", label: "keys" },
        { key: "format", label: "savepoint" },
        { key: "takeMs", label: "take (ms)" },
        { key: "sizeMiB", label: "size (MiB)" },
        { key: "restoreMs", label: "restore to RUNNING (ms)" },
        { key: "firstFullMs", label: "first checkpoint after restore, full (ms)" },
      ],
      rows,
      notes: [
        "job: sequence source → keyBy(seq % keys) → a count per key (SQLite backend, incremental checkpoints) → file sink; filled with every key, then restored and changing 1000 keys a second while the savepoints are taken",
        "take: Job.savepoint() of the running job until the savepoint is written; restore: a new job from the savepoint until RUNNING (the state loaded and verified)",
        "incremental: mean duration (barrier injected → every state file written) of the 2nd and 3rd checkpoints after the restore, beside the first one, which writes the whole state",
        "goal: a native savepoint of 1e6 keys in < 1 s",
      ],
    };
  },
};
