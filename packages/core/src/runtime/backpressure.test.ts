/**
 * Backpressure: a slow sink behind a fast unbounded source holds the records in flight
 * (fetched by the source, not yet written) within the channel capacities, counted in
 * records, never in time. A job torn down while its subtasks are blocked on full channels
 * ends, and no writer is called after it was closed.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { countingSource, instrumentedSink, waitFor, workDirectory } from "../test-support.js";

const CAPACITY = 16;
const BATCH = 10;

describe("backpressure", () => {
  it.each([
    { source: 1, map: 1, sink: 1 },
    { source: 2, map: 2, sink: 3 },
  ])(
    "a slow sink bounds the records in flight by the channel capacities ($source → $map → $sink subtasks)",
    async (parallelism) => {
      const work = workDirectory("backpressure");
      const counter = { polled: 0 };
      let written = 0;
      let maxInFlight = 0;
      let writesAfterClose = 0;
      let closed = false;
      const pipeline = Pipeline.create({ name: "backpressure" });
      pipeline
        .source(countingSource(sequenceSource({ batchSize: BATCH }), counter), {
          uid: "seq",
          parallelism: parallelism.source,
        })
        .map((n) => ({ seq: n }), { uid: "to-json", parallelism: parallelism.map })
        .sinkTo(
          instrumentedSink(fileSink<{ seq: number }>({ directory: join(work, "out") }), {
            beforeWrite() {
              if (closed) writesAfterClose++;
            },
            // One event-loop turn per record: far slower than the source.
            afterWrite: () =>
              new Promise<void>((resolve) =>
                setImmediate(() => {
                  written++;
                  maxInFlight = Math.max(maxInFlight, counter.polled - written);
                  resolve();
                }),
              ),
            onClose() {
              closed = true;
            },
          }),
          { uid: "files", parallelism: parallelism.sink },
        );
      const job = new Job(pipeline, {
        checkpointDirectory: join(work, "chk"),
        checkpointIntervalMs: 50,
        channelCapacity: CAPACITY,
      });
      const run = job.run();
      await waitFor(() => written >= 3000, "3000 records written");
      // Every channel full, one batch in each source's hand, one record in each map and sink subtask's hand.
      const channels =
        (parallelism.source === parallelism.map ? parallelism.map : parallelism.source * parallelism.map) +
        parallelism.map * parallelism.sink;
      const bound = channels * CAPACITY + parallelism.source * BATCH + parallelism.map + parallelism.sink;
      expect(maxInFlight).toBeLessThanOrEqual(bound);
      // The source was fast: it filled the channels (the bound was actually reached for).
      expect(maxInFlight).toBeGreaterThanOrEqual(CAPACITY);

      // Tear down while the source and map are blocked on full channels.
      const polledAtCancel = counter.polled;
      expect((await job.cancel()).state).toBe("CANCELED");
      expect((await run).state).toBe("CANCELED");
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(writesAfterClose).toBe(0);
      // The source stopped: at most the batch in hand when the teardown began.
      expect(counter.polled - polledAtCancel).toBeLessThanOrEqual(parallelism.source * BATCH);
    },
  );
});
