/**
 * The bad-record policy (ADR 0013) on the file sink, against the files on disk: a record whose
 * format throws fails the job by default (no restart loop) and nothing is lost once fixed and
 * restored; `skip` drops it, counted in the metrics; `dead-letter` writes it with its error to a
 * second file sink, exactly once across a failover. A failure that is not a rejected record
 * still fails over, whatever the policy.
 */
import { join } from "node:path";
import type { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { latestRestorePoint } from "../checkpoint/lineage.js";
import { jobMetrics } from "../control/metrics.js";
import { armFault } from "../fault-injection.js";
import { Job, type JobState } from "../job.js";
import type { Logger } from "../logger.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { BadRecordError, type BadRecordsPolicy, type DeadLetter } from "../runtime/bad-records.js";
import { sequenceSource } from "../source/sequence-source.js";
import {
  committedRecords,
  committedSeqs,
  hiddenFiles,
  instrumentedSink,
  pausableSource,
  range,
  type SourceThrottle,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { fileSink } from "./file-sink.js";

afterEach(() => armFault(undefined));

type Rec = { seq: number };
const COUNT = 2_000;
const isBad = (seq: number) => seq % 100 === 7;
const BAD = range(0, COUNT).filter(isBad);
const GOOD = range(0, COUNT).filter((n) => !isBad(n));

/** JSON Lines, except that it throws on the bad records. */
const poisonedFormat = (r: Rec): string => {
  if (isBad(r.seq)) throw new Error(`cannot format ${r.seq}`);
  return JSON.stringify(r);
};

function newJob(
  work: string,
  options: {
    format?: (r: Rec) => string;
    badRecords?: BadRecordsPolicy<Rec>;
    parallelism?: number;
    restore?: string;
    wrap?: (sink: ReturnType<typeof fileSink<Rec>>) => ReturnType<typeof fileSink<Rec>>;
    /** Holds the source once it emitted this many records. */
    throttle?: SourceThrottle;
    logger?: Logger;
  },
): { job: Job; states: JobState[]; metrics: Registry } {
  const parallelism = options.parallelism ?? 2;
  const p = Pipeline.create({ name: "bad-records" });
  const sink = fileSink<Rec>({
    directory: join(work, "out"),
    ...(options.format ? { format: options.format } : {}),
  });
  const source = sequenceSource({ count: COUNT, ratePerSecond: 4_000, batchSize: 50 });
  p.source(options.throttle ? pausableSource(source, options.throttle) : source, { uid: "seq", parallelism })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism })
    .sinkTo(options.wrap ? options.wrap(sink) : sink, {
      uid: "files",
      parallelism,
      ...(options.badRecords ? { badRecords: options.badRecords } : {}),
    });
  const job = new Job(p, {
    jobId: "bad-records",
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 50,
    restartStrategy: { attempts: 2, delayMs: 10 },
    ...(options.restore ? { restore: { path: options.restore } } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const states: JobState[] = [];
  job.on("state", (s: JobState) => states.push(s));
  return { job, states, metrics: jobMetrics(job) };
}

/** The `berth_sink_bad_records_total` of `outcome`, from the Prometheus text `GET /metrics` serves. */
async function badRecordsMetric(metrics: Registry, outcome: string): Promise<number | undefined> {
  const text = await metrics.metrics();
  const line = text
    .split("\n")
    .find((l) => l.startsWith("berth_sink_bad_records_total{") && l.includes(`outcome="${outcome}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("bad records on the file sink", () => {
  it.each([
    ["with the format fixed", "fixed", range(0, COUNT)],
    ["skipping the record", "skip", range(0, COUNT).filter((n) => n !== 1_200)],
  ] as const)(
    "fail (default): the job fails at once naming the sink and the record; restored %s, nothing after it is lost",
    async (_, restoreWith, expected) => {
      const work = workDirectory("bad-fail");
      const poisoned = (r: Rec) => (r.seq === 1_200 ? poisonedFormat({ seq: 7 }) : JSON.stringify(r));
      const first = newJob(work, { format: poisoned, parallelism: 1 });
      const result = await first.job.run();
      expect(result.state).toBe("FAILED");
      // No restart loop: every restart would meet the same record again.
      expect(first.states).not.toContain("RESTARTING");
      let error: unknown = result.error;
      while (error instanceof Error && !(error instanceof BadRecordError)) error = error.cause;
      expect(error).toBeInstanceOf(BadRecordError);
      expect((error as BadRecordError).code).toBe("BAD_RECORD");
      expect(result.error?.message).toMatch(
        /sink "files" rejected a record \(subtask 0, record \d+ after checkpoint \d+\): file sink: the format threw \(cannot format 7\) for record \{"seq":1200\}/,
      );
      const before = committedSeqs(join(work, "out"));
      expect(before.every((s) => s < 1_200)).toBe(true);
      const latest = await latestRestorePoint(join(work, "chk"), "bad-records");
      expect(latest).toBeDefined();
      const restored = newJob(work, {
        parallelism: 1,
        restore: latest as string,
        ...(restoreWith === "skip" ? { format: poisoned, badRecords: { policy: "skip" } } : {}),
      });
      expect((await restored.job.run()).state).toBe("FINISHED");
      expect(committedSeqs(join(work, "out"))).toEqual(expected);
      expect(hiddenFiles(join(work, "out"))).toEqual([]);
    },
  );

  it("skip: every other record once, the skipped ones counted in the metrics", async () => {
    const work = workDirectory("bad-skip");
    const warnings: string[] = [];
    const logger: Logger = {
      info: () => {},
      warn: (message) => warnings.push(message),
      error: () => {},
      child: () => logger,
    };
    const { job, metrics } = newJob(work, { format: poisonedFormat, badRecords: { policy: "skip" }, logger });
    expect((await job.run()).state).toBe("FINISHED");
    expect(committedSeqs(join(work, "out"))).toEqual(GOOD);
    const skipped = warnings.filter((w) => w.startsWith("sink files: skipped a bad record"));
    expect(skipped).toHaveLength(BAD.length);
    expect(skipped[0]).toMatch(
      /^sink files: skipped a bad record \(subtask [01], record \d+ after checkpoint \d+\): file sink: the format threw \(cannot format \d+\) for record \{"seq":\d+\}/,
    );
    expect(await badRecordsMetric(metrics, "skipped")).toBe(BAD.length);
    expect(await badRecordsMetric(metrics, "dead-lettered")).toBeUndefined();
  });

  it("dead-letter: the dead-letter files hold each bad record once with its error, the main files every other record once", async () => {
    const work = workDirectory("bad-dead-letter");
    const deadLetters = join(work, "dead-letters");
    const { job, metrics } = newJob(work, {
      format: poisonedFormat,
      badRecords: { policy: "dead-letter", deadLetter: { sink: fileSink({ directory: deadLetters }) } },
    });
    expect((await job.run()).state).toBe("FINISHED");
    expect(committedSeqs(join(work, "out"))).toEqual(GOOD);
    const letters = committedRecords<DeadLetter<Rec>>(deadLetters);
    expect(letters.map((l) => l.record.seq).sort((a, b) => a - b)).toEqual(BAD);
    for (const letter of letters) {
      expect(letter.sink).toBe("files");
      expect(letter.error.code).toBe("RECORD_REJECTED");
      expect(letter.error.message).toContain(`the format threw (cannot format ${letter.record.seq})`);
      expect(letter.position.subtask === 0 || letter.position.subtask === 1).toBe(true);
    }
    expect(await badRecordsMetric(metrics, "dead-lettered")).toBe(BAD.length);
  });

  it("dead-letter: a failover after a pre-commit neither loses nor repeats a dead letter", async () => {
    const work = workDirectory("bad-dead-letter-failover");
    const deadLetters = join(work, "dead-letters");
    const { job, states } = newJob(work, {
      format: poisonedFormat,
      badRecords: {
        policy: "dead-letter",
        deadLetter: { sink: fileSink({ directory: deadLetters }), uid: "dead-letters" },
      },
    });
    armFault("after-pre-commit@6:throw");
    expect((await job.run()).state).toBe("FINISHED");
    expect(states).toContain("RESTARTING");
    expect(committedSeqs(join(work, "out"))).toEqual(GOOD);
    const letters = committedRecords<DeadLetter<Rec>>(deadLetters);
    expect(letters.map((l) => l.record.seq).sort((a, b) => a - b)).toEqual(BAD);
    expect(hiddenFiles(deadLetters)).toEqual([]);
  });

  it("dead-letter: stopped with a savepoint and restored in a new job, each dead letter once", async () => {
    const work = workDirectory("bad-dead-letter-savepoint");
    const deadLetters = join(work, "dead-letters");
    const options = {
      format: poisonedFormat,
      badRecords: { policy: "dead-letter", deadLetter: { sink: fileSink({ directory: deadLetters }) } },
    } as const;
    // Held halfway: the stop comes before end of input, whatever the machine's speed.
    const throttle = { allowed: COUNT / 2, emitted: 0 };
    const first = newJob(work, { ...options, throttle });
    let checkpointsHeld = 0;
    first.job.on("snapshot-written", () => {
      if (throttle.emitted >= throttle.allowed) checkpointsHeld++;
    });
    const run = first.job.run();
    await waitFor(() => checkpointsHeld >= 2, "two checkpoints while the source is held");
    const savepoint = await first.job.stop({ drain: false, targetDirectory: join(work, "savepoints") });
    expect((await run).state).toBe("FINISHED");
    expect(committedRecords(deadLetters).length).toBeLessThan(BAD.length);
    const second = newJob(work, { ...options, restore: savepoint });
    expect((await second.job.run()).state).toBe("FINISHED");
    expect(committedSeqs(join(work, "out"))).toEqual(GOOD);
    const letters = committedRecords<DeadLetter<Rec>>(deadLetters);
    expect(letters.map((l) => l.record.seq).sort((a, b) => a - b)).toEqual(BAD);
    expect(hiddenFiles(deadLetters)).toEqual([]);
  });

  it("a failure that is not a rejected record fails over, even under skip", async () => {
    const work = workDirectory("bad-target");
    const { job, states, metrics } = newJob(work, {
      badRecords: { policy: "skip" },
      parallelism: 1,
      wrap: (sink) =>
        instrumentedSink(sink, {
          beforeWrite: (r) => {
            if (r.seq === 500) throw new Error("disk gone");
          },
        }),
    });
    const result = await job.run();
    expect(states).toContain("RESTARTING");
    expect(result.state).toBe("FAILED");
    expect(result.error?.message).toMatch(/disk gone/);
    expect(committedSeqs(join(work, "out")).includes(500)).toBe(false);
    expect(await badRecordsMetric(metrics, "skipped")).toBeUndefined();
  });
});
