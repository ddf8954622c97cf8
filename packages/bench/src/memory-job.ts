/**
 * The memory benchmark's job, run in a process of its own so its peak RSS is its own: a
 * sequence source of `count` records → map → a file sink whose writer pauses 1 ms every 1000
 * records (far slower than the source: backpressure). Prints `{"peakRssMiB", "ms"}` on stdout.
 *
 *   node --import tsx memory-job.ts <count> <work directory>
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger, fileSink, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Sink } from "@berth/core/connector";
import { type BenchRecord, recordOf } from "./sink-throughput.js";

const [count, work] = [Number(process.argv[2]), process.argv[3] as string];

function slow(inner: Sink<BenchRecord>): Sink<BenchRecord> {
  return {
    ...inner,
    async createWriter(context, state) {
      const writer = await inner.createWriter(context, state);
      const write = writer.write.bind(writer);
      let n = 0;
      // The writer itself, its write slowed: every other method keeps its own state.
      writer.write = async (record: BenchRecord) => {
        if (++n % 1000 === 0) await sleep(1);
        await write(record);
      };
      return writer;
    },
  };
}

const pipeline = Pipeline.create({ name: "bench-memory" });
pipeline
  .source(sequenceSource({ count, batchSize: 1000 }), { uid: "seq" })
  .map(recordOf(100), { uid: "record" })
  .sinkTo(slow(fileSink<BenchRecord>({ directory: join(work, "out") })), { uid: "files" });
const job = new Job(pipeline, {
  checkpointDirectory: join(work, "chk"),
  checkpointIntervalMs: 1000,
  logger: createLogger("silent"),
});
const started = performance.now();
const result = await job.run();
if (result.state !== "FINISHED")
  throw new Error(`memory job ended ${result.state}: ${result.error?.message}`);
const hwmKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
process.stdout.write(
  `${JSON.stringify({ peakRssMiB: Math.round((hwmKiB / 1024) * 10) / 10, ms: performance.now() - started })}\n`,
);
