/** Every benchmark `pnpm bench` runs, in the order it runs them. */
import { fileSinkBenchmark } from "./file-sink.js";
import type { Benchmark } from "./harness.js";
import { kafkaSinkBenchmark } from "./kafka-sink.js";

export const BENCHMARKS: readonly Benchmark[] = [fileSinkBenchmark, kafkaSinkBenchmark];
