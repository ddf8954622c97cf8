/**
 * The job the latency, savepoint and memory benchmarks drive: an unbounded sequence source →
 * keyed by `seq % keys` → a count per key in keyed state → the file sink. Its counters (records
 * the keyed operator processed, records the sink wrote) let a benchmark wait for a condition
 * instead of a fixed time.
 */
import { join } from "node:path";
import { createLogger, fileSink, Job, type JobOptions, Pipeline, sequenceSource } from "@berth/core";
import type { Sink } from "@berth/core/connector";

export interface KeyedJobOptions {
  readonly keys: number;
  readonly work: string;
  readonly name: string;
  readonly channelCapacity?: number;
  readonly checkpointIntervalMs?: number;
  readonly restore?: string;
  readonly stateBackend?: JobOptions["stateBackend"];
  /** Records the source generates in all; default unbounded. */
  readonly count?: number;
  /** Source records per second; default unlimited. */
  readonly ratePerSecond?: number;
  /** Wraps the sink (e.g. to make it slower than the source). */
  readonly wrapSink?: (sink: Sink<{ key: number; n: number }>) => Sink<{ key: number; n: number }>;
}

export interface KeyedJob {
  readonly job: Job;
  /** Records the keyed operator processed in this run. */
  processed(): number;
}

export function keyedJob(options: KeyedJobOptions): KeyedJob {
  let processed = 0;
  const keys = options.keys;
  const pipeline = Pipeline.create({ name: "bench-keyed" });
  const sink = fileSink<{ key: number; n: number }>({ directory: join(options.work, options.name, "out") });
  pipeline
    .source(sequenceSource({ batchSize: 1000, count: options.count, ratePerSecond: options.ratePerSecond }), {
      uid: "seq",
    })
    .keyBy((seq: number) => seq % keys)
    .process<{ key: number; n: number }>(
      {
        processElement(seq, context) {
          processed++;
          const count = context.state<number>("count");
          const n = (count.value() ?? 0) + 1;
          count.update(n);
          context.emit({ key: seq % keys, n });
        },
      },
      { uid: "count" },
    )
    .sinkTo(options.wrapSink ? options.wrapSink(sink) : sink, { uid: "files" });
  const job = new Job(pipeline, {
    checkpointDirectory: join(options.work, options.name, "chk"),
    checkpointIntervalMs: options.checkpointIntervalMs ?? 1000,
    channelCapacity: options.channelCapacity,
    stateBackend: options.stateBackend,
    logger: createLogger("silent"),
    ...(options.restore ? { restore: { path: options.restore } } : {}),
  });
  return { job, processed: () => processed };
}

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
