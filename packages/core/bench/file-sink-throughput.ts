/**
 * Throughput of the exactly-once file sink against plain buffered file writes, measured in
 * one run, and how memory behaves behind a slow sink (backpressure).
 *
 *   pnpm --filter @berth/core bench        (BENCH_RECORDS, default 1 000 000)
 *
 * Raw: the same JSON lines written through one file handle in 64 KiB chunks, fsync at the end.
 * Berth: sequence source → map → file sink, parallelism 1, checkpoints every 1 s, timed from
 * start to FINISHED (final checkpoint and commit included).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileSink, Job, Pipeline, type Sink, sequenceSource } from "../src/index.js";

process.env.BERTH_LOG_LEVEL ??= "warn";
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), "berth-bench-files-"));

async function raw(records: number): Promise<number> {
  const started = performance.now();
  const handle = await open(join(work, "raw.jsonl"), "w");
  let buffer: string[] = [];
  let bytes = 0;
  for (let seq = 0; seq < records; seq++) {
    const line = `${JSON.stringify({ seq })}\n`;
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
  return records / ((performance.now() - started) / 1000);
}

async function berth(records: number): Promise<{ rate: number; checkpoints: number }> {
  const pipeline = Pipeline.create({ name: "bench-files" });
  pipeline
    .source(sequenceSource({ count: records }), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(fileSink({ directory: join(work, "berth") }), { uid: "files" });
  const job = new Job(pipeline, { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 1_000 });
  let checkpoints = 0;
  job.on("snapshot-written", () => checkpoints++);
  const started = performance.now();
  const result = await job.run();
  if (result.state !== "FINISHED")
    throw new Error(`bench job ended ${result.state}: ${result.error?.message}`);
  return { rate: records / ((performance.now() - started) / 1000), checkpoints };
}

/** A file sink whose writer pauses 1 ms every 100 records: far slower than the source. */
function slowSink(directory: string): Sink<{ seq: number }> {
  const inner = fileSink<{ seq: number }>({ directory });
  return {
    ...inner,
    async createWriter(context, state) {
      const writer = await inner.createWriter(context, state);
      let n = 0;
      return {
        ...writer,
        write: async (record) => {
          if (++n % 100 === 0) await sleep(1);
          await writer.write(record);
        },
        flush: (endOfInput) => writer.flush(endOfInput),
        prepareCommit: () => writer.prepareCommit(),
        close: () => writer.close(),
      };
    },
  } as Sink<{ seq: number }>;
}

async function backpressure(channelCapacity: number): Promise<{ heapMiB: number; written: number }> {
  const pipeline = Pipeline.create({ name: "bench-backpressure" });
  pipeline
    .source(sequenceSource(), { uid: "seq" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(slowSink(join(work, `slow-${channelCapacity}`)), { uid: "files" });
  const job = new Job(pipeline, {
    checkpointDirectory: join(work, `chk-slow-${channelCapacity}`),
    checkpointIntervalMs: 1_000,
    channelCapacity,
  });
  const run = job.run();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 50);
  await sleep(4_000);
  const savepoint = await job.stop({ drain: false });
  await run;
  clearInterval(sampler);
  const position = (await import("node:fs")).readFileSync(join(savepoint, "seq-0.state.json"), "utf8");
  const written = (JSON.parse(position) as { operatorState: { next: number }[] }).operatorState[0]?.next ?? 0;
  return { heapMiB: peak / 2 ** 20, written };
}

try {
  await raw(20_000);
  await berth(20_000);
  const rawRate = await raw(RECORDS);
  const berthRun = await berth(RECORDS);
  console.log(`\nFile sink throughput, ${RECORDS.toLocaleString("en")} records of {"seq": n}\n`);
  console.table([
    {
      "raw buffered writes (rec/s)": Math.round(rawRate),
      "Berth exactly-once file sink, 1 s checkpoints (rec/s)": Math.round(berthRun.rate),
      checkpoints: berthRun.checkpoints,
      ratio: `${(berthRun.rate / rawRate).toFixed(2)}×`,
    },
  ]);
  console.log(
    "\nBehind a slow sink (unbounded source, 4 s, then stop): peak heap stays bounded by channel capacity\n",
  );
  const rows = [];
  for (const capacity of [256, 1024, 16_384]) {
    global.gc?.();
    const { heapMiB, written } = await backpressure(capacity);
    rows.push({
      "channel capacity": capacity,
      "records read by the source": written,
      "peak heap (MiB)": heapMiB.toFixed(1),
    });
  }
  console.table(rows);
} finally {
  rmSync(work, { recursive: true, force: true });
}
