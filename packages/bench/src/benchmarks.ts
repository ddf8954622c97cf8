/** Every benchmark `pnpm bench` runs, in the order it runs them. */
import { fileSinkBenchmark } from "./file-sink.js";
import type { Benchmark } from "./harness.js";
import { kafkaSinkBenchmark } from "./kafka-sink.js";
import { memoryBenchmark } from "./memory.js";
import { postgresSinkBenchmark } from "./postgres-sink.js";
import { s3SinkBenchmark } from "./s3-sink.js";
import { savepointsBenchmark } from "./savepoints.js";
import { stopLatencyBenchmark } from "./stop-latency.js";
import { visibilityBenchmark } from "./visibility.js";

export const BENCHMARKS: readonly Benchmark[] = [
  fileSinkBenchmark,
  kafkaSinkBenchmark,
  postgresSinkBenchmark,
  s3SinkBenchmark,
  stopLatencyBenchmark,
  visibilityBenchmark,
  savepointsBenchmark,
  memoryBenchmark,
];
