/**
 * S3 sink throughput (JSON Lines) against uploading the same bytes with @aws-sdk/lib-storage's
 * `Upload` (multipart, the sink's part size and concurrency, one object per subtask) to the
 * same server, in one run. `--large` writes ≥ 1 GB per row.
 */
import { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ensureBucket, s3Sink } from "@berth/sink-s3";
import { serviceEndpoints } from "@berth/testkit/services";
import type { Benchmark } from "./harness.js";
import {
  type BenchRecord,
  type Mode,
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
  default: { small: 200_000, large: 50_000 },
  large: { small: 10_000_000, large: 1_000_000 },
};
const BUCKET = "berth-bench";
/** The sink's defaults: 5 MiB parts, 2 uploading at once per writer. */
const PART_BYTES = 5 * 1024 * 1024;
const CONCURRENCY = 2;

/** Parquet's rate beside JSON Lines: the same records as columns (the reference stays the JSON Lines upload). */
const PARQUET: Mode = {
  label: "exactly-once Parquet, 1 s",
  deliveryGuarantee: "exactly-once",
  checkpointIntervalMs: 1000,
};
const PARQUET_SCHEMA = [
  { name: "seq", type: "INT64" },
  { name: "pad", type: "STRING" },
] as const;

/** One subtask's share as JSON Lines, in chunks of about 64 KiB. */
function* jsonLines(c: ThroughputCase, subtask: number): Generator<string> {
  const make = recordOf(c.recordBytes);
  let chunk = "";
  for (let seq = subtask; seq < c.records; seq += c.parallelism) {
    chunk += `${JSON.stringify(make(seq))}\n`;
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function deleteUnder(client: S3Client, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length > 0)
      await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

function s3Target(config: S3ClientConfig, client: S3Client): SinkUnderTest {
  return {
    referenceLabel: "lib-storage Upload",
    async raw(c, run) {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: c.parallelism }, (_, k) =>
          new Upload({
            client,
            params: { Bucket: BUCKET, Key: `${run}/part-${k}.jsonl`, Body: Readable.from(jsonLines(c, k)) },
            partSize: PART_BYTES,
            queueSize: CONCURRENCY,
          }).done(),
        ),
      );
      return performance.now() - started;
    },
    async sink(_c, mode, run) {
      return s3Sink<BenchRecord>({
        bucket: BUCKET,
        base: run,
        client: config,
        deliveryGuarantee: mode.deliveryGuarantee,
        ...(mode === PARQUET ? { parquet: { schema: PARQUET_SCHEMA } } : {}),
      });
    },
    async cleanup(run) {
      await deleteUnder(client, `${run}/`);
      await deleteUnder(client, `.berth/leases/${run}/`);
    },
  };
}

export const s3SinkBenchmark: Benchmark = {
  name: "s3-sink",
  title: "S3 sink throughput (JSON Lines): lib-storage Upload vs Berth",
  async run(context) {
    const config: S3ClientConfig = {
      ...serviceEndpoints().s3,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    const client = new S3Client(config);
    await ensureBucket({ bucket: BUCKET, client: config });
    const counts = SIZES[context.size];
    try {
      const rows = await throughputMatrix(context, s3Target(config, client), {
        cases: throughputCases(counts),
        modes: (c) => (c.parallelism === 1 ? [...standardModes(0.9), PARQUET] : standardModes(0.9)),
        warmupRecords: context.size === "smoke" ? 500 : 20_000,
      });
      return {
        parameters: {
          records100B: counts.small,
          records1KB: counts.large,
          partSizeBytes: PART_BYTES,
          uploadConcurrency: CONCURRENCY,
          endpoint: String(config.endpoint),
        },
        services: { s3: `S3Proxy at ${String(config.endpoint)}` },
        columns: [
          ...THROUGHPUT_COLUMNS.slice(0, 4),
          { key: "reference", label: "lib-storage Upload (rec/s)" },
          ...THROUGHPUT_COLUMNS.slice(5),
        ],
        rows,
        notes: [
          "reference: the same JSON Lines bytes (JSON.stringify of the same records) streamed through @aws-sdk/lib-storage Upload, one object per subtask, 5 MiB parts, 2 parts in flight (the sink's defaults)",
          "Berth: sequence source → map → S3 sink (JSON Lines, rolling on checkpoint), every operator at the row's parallelism, timed from start to FINISHED (every CompleteMultipartUpload included)",
          "Parquet rows: the sink's Parquet format (columns seq INT64, pad STRING, SNAPPY pages, row groups of 50000) on the same records, parallelism 1; its ratio is against the JSON Lines upload of the same records",
          "goal: exactly-once at 1 s checkpoints ≥ 0.9× lib-storage",
        ],
      };
    } finally {
      client.destroy();
    }
  },
};
