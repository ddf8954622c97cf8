/**
 * The sink-throughput matrix every sink's benchmark shares: for each record size and
 * parallelism, the raw client writes the records, then Berth writes the same records at least
 * once and exactly once at 1 s and 100 ms checkpoints, back to back, so each Berth figure sits
 * beside a reference measured moments before it. A Berth run is a whole job — sequence source
 * → map to the record → sink, every operator at the case's parallelism — timed from start to
 * FINISHED, the final checkpoint's commits included.
 */
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Sink } from "@berth/core/connector";
import type { BenchmarkContext, Column, Row } from "./harness.js";
import { rate, ratioGoal, round2 } from "./harness.js";

/** How Berth runs in one row: its label, the guarantee and the checkpoint interval. */
export interface Mode {
  readonly label: string;
  readonly deliveryGuarantee: "at-least-once" | "exactly-once";
  readonly checkpointIntervalMs: number;
  /** The benchmark goal of this mode's ratio, if it has one. */
  readonly goal?: number;
}

/** The modes every sink runs; `goal` is the exactly-once 1 s goal of the sink. */
export function standardModes(goal: number): Mode[] {
  return [
    { label: "at-least-once, 1 s", deliveryGuarantee: "at-least-once", checkpointIntervalMs: 1000 },
    { label: "exactly-once, 1 s", deliveryGuarantee: "exactly-once", checkpointIntervalMs: 1000, goal },
    { label: "exactly-once, 100 ms", deliveryGuarantee: "exactly-once", checkpointIntervalMs: 100 },
  ];
}

export interface BenchRecord {
  readonly seq: number;
  readonly pad: string;
}

/** Records of `size` bytes once serialised as JSON (`{"seq":n,"pad":"xxx…"}`), whatever n. */
export function recordOf(size: number): (seq: number) => BenchRecord {
  const pad = "x".repeat(Math.max(0, size - '{"seq":1000000,"pad":""}'.length));
  return (seq) => ({ seq, pad });
}

export interface ThroughputCase {
  readonly recordBytes: number;
  readonly records: number;
  readonly parallelism: number;
}

export interface SinkUnderTest {
  /** What the reference is, for the column heading ("raw buffered fs writes"). */
  readonly referenceLabel: string;
  /** Writes the case's records with the raw client; resolves when they are durable. Returns ms. */
  raw(c: ThroughputCase, run: string): Promise<number>;
  /** The Berth sink for one run; `run` names a fresh target (topic, table, prefix). */
  sink(c: ThroughputCase, mode: Mode, run: string): Promise<Sink<BenchRecord>>;
  /** Deletes a run's target, when the benchmark has no more use for it. */
  cleanup?(run: string): Promise<void>;
}

/** Runs one Berth job over the case's records; resolves with its time in ms and checkpoints taken. */
export async function runBerth(
  context: BenchmarkContext,
  c: ThroughputCase,
  sink: Sink<BenchRecord>,
  checkpointIntervalMs: number,
  name: string,
): Promise<{ ms: number; checkpoints: number }> {
  const make = recordOf(c.recordBytes);
  const pipeline = Pipeline.create({ name: "bench" });
  pipeline
    .source(sequenceSource({ count: c.records, batchSize: 1000 }), { uid: "seq", parallelism: c.parallelism })
    .map(make, { uid: "record", parallelism: c.parallelism })
    .sinkTo(sink, { uid: "sink", parallelism: c.parallelism, sinkPrefix: `${name}-p` });
  const job = new Job(pipeline, {
    checkpointDirectory: join(context.work, name),
    checkpointIntervalMs,
    logger: createLogger("silent"),
  });
  let checkpoints = 0;
  job.on("snapshot-written", () => checkpoints++);
  const started = performance.now();
  const result = await job.run();
  const ms = performance.now() - started;
  if (result.state !== "FINISHED")
    throw new Error(`bench job ${name} ended ${result.state}: ${result.error?.message}`);
  return { ms, checkpoints };
}

export const THROUGHPUT_COLUMNS: readonly Column[] = [
  { key: "record", label: "record" },
  { key: "parallelism", label: "parallelism" },
  { key: "records", label: "records" },
  { key: "mode", label: "Berth" },
  { key: "reference", label: "reference (rec/s)" },
  { key: "berth", label: "Berth (rec/s)" },
  { key: "berthMiBs", label: "Berth (MiB/s)" },
  { key: "checkpoints", label: "checkpoints" },
];

export interface MatrixOptions {
  readonly cases: readonly ThroughputCase[];
  /** The modes of a case (a sink may run its extra modes on some cases only). */
  readonly modes: readonly Mode[] | ((c: ThroughputCase) => readonly Mode[]);
  readonly warmupRecords: number;
}

let runs = 0;
const runName = (label: string) => `bench-${label}-${Date.now().toString(36)}-${runs++}`;

export async function throughputMatrix(
  context: BenchmarkContext,
  target: SinkUnderTest,
  options: MatrixOptions,
): Promise<Row[]> {
  const rows: Row[] = [];
  // Warm up connections and the JIT on both paths before anything is measured.
  const modesOf = (c: ThroughputCase) =>
    typeof options.modes === "function" ? options.modes(c) : options.modes;
  const warm = { recordBytes: 100, records: options.warmupRecords, parallelism: 1 };
  for (const name of [runName("warm-raw"), runName("warm-berth")]) {
    if (name.includes("raw")) await target.raw(warm, name);
    else await runBerth(context, warm, await target.sink(warm, modesOf(warm)[0] as Mode, name), 1000, name);
    await target.cleanup?.(name);
  }
  for (const c of options.cases) {
    const rawName = runName("raw");
    const rawMs = await target.raw(c, rawName);
    await target.cleanup?.(rawName);
    const reference = rate(c.records, rawMs);
    for (const mode of modesOf(c)) {
      const name = runName("berth");
      const sink = await target.sink(c, mode, name);
      const run = await runBerth(context, c, sink, mode.checkpointIntervalMs, name);
      await target.cleanup?.(name);
      const berth = rate(c.records, run.ms);
      const ratio = round2(berth / reference);
      const row: Row = {
        record: c.recordBytes >= 1024 ? `${c.recordBytes / 1024} KB` : `${c.recordBytes} B`,
        parallelism: c.parallelism,
        records: c.records,
        mode: mode.label,
        reference,
        berth,
        berthMiBs: round2((berth * c.recordBytes) / 2 ** 20),
        checkpoints: run.checkpoints,
        ratio,
        ...(mode.goal === undefined ? {} : { goal: ratioGoal(ratio, mode.goal) }),
      };
      context.log(
        `${row.record} ×${c.records} p${c.parallelism} ${mode.label}: ${reference} vs ${berth} rec/s (${ratio}×)`,
      );
      rows.push(row);
    }
  }
  return rows;
}

/** Cases for every record size × parallelism, with the record counts of a size. */
export function throughputCases(counts: { small: number; large: number }): ThroughputCase[] {
  return [1, 2].flatMap((parallelism) => [
    { recordBytes: 100, records: counts.small, parallelism },
    { recordBytes: 1024, records: counts.large, parallelism },
  ]);
}
