/**
 * File sink throughput: raw buffered `fs` writes (JSON lines through one file handle per
 * subtask in 64 KiB chunks, fsync at the end) against the file sink, in one run.
 */
import { mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { fileSink } from "@berth/core";
import type { Benchmark, BenchmarkContext } from "./harness.js";
import {
  type BenchRecord,
  recordOf,
  type SinkUnderTest,
  standardModes,
  THROUGHPUT_COLUMNS,
  type ThroughputCase,
  throughputCases,
  throughputMatrix,
} from "./sink-throughput.js";

const SIZES = {
  smoke: { small: 2_000, large: 500 },
  default: { small: 1_000_000, large: 200_000 },
  large: { small: 10_000_000, large: 2_000_000 },
};

/** One subtask's share (seq ≡ subtask mod parallelism) through one handle, 64 KiB per write. */
async function rawWriter(path: string, c: ThroughputCase, subtask: number): Promise<void> {
  const make = recordOf(c.recordBytes);
  const handle = await open(path, "w");
  let buffer: string[] = [];
  let bytes = 0;
  for (let seq = subtask; seq < c.records; seq += c.parallelism) {
    const line = `${JSON.stringify(make(seq))}\n`;
    buffer.push(line);
    bytes += line.length;
    if (bytes >= 64 * 1024) {
      await handle.write(buffer.join(""));
      buffer = [];
      bytes = 0;
    }
  }
  await handle.write(buffer.join(""));
  await handle.sync();
  await handle.close();
}

function fileTarget(context: BenchmarkContext): SinkUnderTest {
  return {
    referenceLabel: "raw buffered fs writes",
    async raw(c, run) {
      const directory = join(context.work, run);
      mkdirSync(directory, { recursive: true });
      const started = performance.now();
      await Promise.all(
        Array.from({ length: c.parallelism }, (_, k) => rawWriter(join(directory, `part-${k}.jsonl`), c, k)),
      );
      return performance.now() - started;
    },
    async sink(_c, mode, run) {
      return fileSink<BenchRecord>({
        directory: join(context.work, run, "out"),
        deliveryGuarantee: mode.deliveryGuarantee,
      });
    },
  };
}

export const fileSinkBenchmark: Benchmark = {
  name: "file-sink",
  title: "File sink throughput: raw buffered fs writes vs Berth",
  async run(context) {
    const counts = SIZES[context.size];
    const rows = await throughputMatrix(context, fileTarget(context), {
      cases: throughputCases(counts),
      modes: standardModes(0.8),
      warmupRecords: context.size === "smoke" ? 500 : 20_000,
    });
    return {
      parameters: { records100B: counts.small, records1KB: counts.large, bufferBytes: 65_536 },
      columns: [
        ...THROUGHPUT_COLUMNS.slice(0, 4),
        { key: "reference", label: "raw buffered fs writes (rec/s)" },
        ...THROUGHPUT_COLUMNS.slice(5),
      ],
      rows,
      notes: [
        "raw: JSON lines (JSON.stringify of the same records) through one file handle per subtask in 64 KiB writes, fsync at the end",
        "Berth: sequence source → map → file sink, every operator at the row's parallelism, timed from start to FINISHED (final checkpoint and commit included); at-least-once checkpoints every 1 s",
        "goal: exactly-once at 1 s checkpoints ≥ 0.8× raw",
      ],
    };
  },
};
