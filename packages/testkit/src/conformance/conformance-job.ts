/**
 * The one pipeline every case runs — a rate-limited sequence source into the sink under
 * test — built the same way in the test process and in the child runner.
 */
import { createLogger, Job, type Logger, Pipeline, type Source, sequenceSource } from "@berth/core";
import type { Json, Sink } from "@berth/core/connector";
import type { ConformanceRecord } from "./sink-factory.js";

export const PIPELINE_NAME = "conformance";
export const SOURCE_UID = "sequence";
export const SINK_UID = "sink-under-test";

/** One run of the conformance pipeline; JSON, so it can go to a child process. */
export interface RunSpec {
  readonly jobId: string;
  readonly checkpointDirectory: string;
  /** Checkpoint or savepoint directory to restore from. */
  readonly restorePath?: string;
  readonly records: number;
  /** Records per second; 0 = unlimited. */
  readonly ratePerSecond: number;
  readonly checkpointIntervalMs: number;
  readonly sinkParallelism: number;
  readonly sinkPrefix: string;
  /** Failovers inside the job before it fails. */
  readonly restartAttempts: number;
  readonly commitDeadlineMs: number;
  /** A checkpoint or savepoint not acknowledged within this fails. Default 30 s. */
  readonly checkpointTimeoutMs?: number;
}

/**
 * `onRecord` sees every record on its way to the sink (in-process runs use it to act mid-run);
 * `wrapSource` may wrap the sequence source (to stall it, say).
 */
export function buildConformanceJob(
  sink: Sink<ConformanceRecord, Json>,
  spec: RunSpec,
  logger: Logger = createLogger(process.env.BERTH_LOG_LEVEL ?? "warn"),
  onRecord?: (seq: number) => void,
  wrapSource: (source: Source<number>) => Source<number> = (source) => source,
): Job {
  const pipeline = Pipeline.create({ name: PIPELINE_NAME });
  const source = sequenceSource({ count: spec.records, ratePerSecond: spec.ratePerSecond, batchSize: 50 });
  pipeline
    .source(wrapSource(source), {
      uid: SOURCE_UID,
      parallelism: 1,
    })
    .map(
      (seq): ConformanceRecord => {
        onRecord?.(seq);
        return { seq };
      },
      { uid: "to-record" },
    )
    .sinkTo(sink, { uid: SINK_UID, parallelism: spec.sinkParallelism, sinkPrefix: spec.sinkPrefix });
  return new Job(pipeline, {
    jobId: spec.jobId,
    checkpointDirectory: spec.checkpointDirectory,
    checkpointIntervalMs: spec.checkpointIntervalMs,
    checkpointTimeoutMs: spec.checkpointTimeoutMs ?? 30_000,
    commitDeadlineMs: spec.commitDeadlineMs,
    restartStrategy: { attempts: spec.restartAttempts, delayMs: 200 },
    // Small channels keep the source close to the sink, so a stop or savepoint the kit triggers
    // after n records lands near n even on a loaded machine.
    channelCapacity: 64,
    logger,
    ...(spec.restorePath ? { restore: { path: spec.restorePath } } : {}),
  });
}
