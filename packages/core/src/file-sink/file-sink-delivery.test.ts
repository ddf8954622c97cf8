/**
 * The file sink's two delivery guarantees against the files on disk, with the same failure:
 * a fault right after a pre-commit fails the job over to the checkpoint before it; a stop
 * with savepoint ends the job, and the output is compared with what the source emitted before
 * the stop's barrier. Exactly
 * once: the pre-committed file stays hidden and is cleaned up, every record once. At least
 * once: the file was made visible at the pre-commit, so its records are written again — none
 * lost, some twice.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { armFault } from "../fault-injection.js";
import { Job, type JobState } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { DeliveryGuarantee } from "../sink/sink-options.js";
import { sequenceSource } from "../source/sequence-source.js";
import {
  committedSeqs,
  duplicates,
  hiddenFiles,
  range,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { fileSink } from "./file-sink.js";

afterEach(() => armFault(undefined));

/**
 * Runs an unbounded job whose fifth pre-commit throws (a failover to the checkpoint before it),
 * stops it with a savepoint once it runs again and two more checkpoints completed, and returns
 * the output with the seqs emitted before the stop's barrier.
 */
async function runWithFailover(
  deliveryGuarantee: DeliveryGuarantee,
): Promise<{ out: string; states: JobState[]; expected: number[] }> {
  const work = workDirectory(`delivery-${deliveryGuarantee}`);
  const out = join(work, "out");
  const p = Pipeline.create({ name: "delivery" });
  p.source(sequenceSource({ ratePerSecond: 5_000, batchSize: 50 }), { uid: "seq", parallelism: 2 })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism: 2 })
    .sinkTo(fileSink<{ seq: number }>({ directory: out, deliveryGuarantee }), {
      uid: "files",
      parallelism: 2,
    });
  const job = new Job(p, {
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 50,
    restartStrategy: { attempts: 1, delayMs: 10 },
  });
  const states: JobState[] = [];
  job.on("state", (s: JobState) => states.push(s));
  let checkpointsAfterRestart = 0;
  job.on("snapshot-written", () => {
    if (states.includes("RESTARTING")) checkpointsAfterRestart++;
  });
  armFault("after-pre-commit@5:throw");
  const run = job.run();
  await waitFor(() => checkpointsAfterRestart >= 2, "two checkpoints after the failover");
  const savepoint = await job.stop({ drain: false, targetDirectory: join(work, "savepoints") });
  expect((await run).state).toBe("FINISHED");
  const position = sequencePosition(savepoint, "seq");
  return { out, states, expected: range(0, position.end).filter((n) => position.emitted(n)) };
}

describe("file sink deliveryGuarantee", () => {
  it("exactly-once (default): after a failover past a pre-commit, every record once", async () => {
    const { out, states, expected } = await runWithFailover("exactly-once");
    expect(states).toContain("RESTARTING");
    expect(committedSeqs(out)).toEqual(expected);
    expect(hiddenFiles(out)).toEqual([]);
  });

  it("at-least-once: files are visible from the pre-commit, so a failover repeats records but loses none", async () => {
    const { out, states, expected } = await runWithFailover("at-least-once");
    expect(states).toContain("RESTARTING");
    const seqs = committedSeqs(out);
    // None lost …
    const visible = new Set(seqs);
    expect(expected.filter((n) => !visible.has(n))).toEqual([]);
    // … but the failed checkpoint's records were visible already, and were written again (or lie
    // beyond the savepoint, which a restore from it writes again).
    expect(duplicates(seqs).length + seqs.filter((n) => !expected.includes(n)).length).toBeGreaterThan(0);
    expect(hiddenFiles(out)).toEqual([]);
  });

  it("refuses an unknown guarantee and unknown options, naming them and what is allowed", () => {
    const bad = () => fileSink({ directory: "out", deliveryGuarantee: "exactly-twice" as never });
    expect(bad).toThrow(BerthError);
    expect(bad).toThrow(
      'file sink: `deliveryGuarantee` must be one of "exactly-once", "at-least-once" (got "exactly-twice")',
    );
    expect(() => fileSink({ directory: "out", bufferbytes: 5 } as never)).toThrow(
      "file sink: unknown option(s) `bufferbytes`",
    );
    expect(() => fileSink({ directory: "out", bufferBytes: -1 })).toThrow(
      "file sink: `bufferBytes` must be > 0 (got -1)",
    );
    expect(() => fileSink({ directory: "" })).toThrow("file sink: `directory` must not be empty");
    try {
      fileSink({ directory: "" });
    } catch (error) {
      expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    }
  });
});
