/** Options of the S3 sink: one schema, defaults beside each field, validated when the sink is built. */
import { tmpdir } from "node:os";
import {
  ChecksumAlgorithm,
  type CreateMultipartUploadCommandInput,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import {
  type DeliveryGuarantee,
  deliveryGuaranteeOption,
  functionOption,
  parseOptions,
} from "@berth/core/connector";
import { z } from "zod";
import { S3SinkError } from "./errors.js";
import { PARQUET_TYPES, type ParquetColumn } from "./internal/parquet-file.js";
import type { PartitionValues } from "./internal/partitions.js";
import { csv, jsonLines, type ParquetFormat, parquet, type RecordFormat } from "./internal/record-format.js";

/** What S3 passes through to CreateMultipartUpload: storage class, encryption, ACL, tags, content headers. */
export type S3ObjectParameters = Pick<
  CreateMultipartUploadCommandInput,
  | "StorageClass"
  | "ServerSideEncryption"
  | "SSEKMSKeyId"
  | "SSEKMSEncryptionContext"
  | "BucketKeyEnabled"
  | "ACL"
  | "Tagging"
  | "ContentType"
  | "ContentEncoding"
  | "CacheControl"
>;

export interface S3SinkOptions<T> {
  /** The bucket objects are written to. It must exist (the sink never creates buckets). */
  readonly bucket: string;
  /**
   * The base key objects go under, without leading or trailing `/`: objects are
   * `<base>/<sinkPrefix>-<subtask>-<attempt>-<checkpoint>-<seq>.<ext>`. Default `""`, the bucket root.
   */
  readonly base?: string;
  /**
   * The `S3Client` configuration: endpoint, region, credentials (default: the AWS provider
   * chain), `forcePathStyle`… The sink sets `requestChecksumCalculation` and
   * `responseChecksumValidation` to `"WHEN_REQUIRED"` unless given here (see the README: the
   * SDK's default CRC32 request checksums are refused by several S3-compatible servers).
   */
  readonly client?: S3ClientConfig;
  /** JSON Lines: one line per record, without the newline. Default `JSON.stringify`. Not with `csv`. */
  readonly serializer?: (record: T) => string;
  /**
   * Write CSV instead of JSON Lines (`.csv`): one row per record of its `columns`' values, in
   * order (RFC 4180 quoting; an absent value is an empty field, an object its JSON), under a
   * header line of the column names at the top of every object unless `header` is false.
   * Default: JSON Lines.
   */
  readonly csv?: { readonly columns: readonly string[]; readonly header?: boolean };
  /**
   * Write Parquet instead of JSON Lines (`.parquet`, hyparquet-writer): a column per `schema`
   * entry, `{ name, type, optional? }` with `type` one of `BOOLEAN`, `INT32`, `INT64` (a bigint or
   * a safe integer), `FLOAT`, `DOUBLE`, `STRING`, `JSON` (any value, stored as JSON text),
   * `TIMESTAMP` (a Date or epoch milliseconds); a record's field of that name is the value (a
   * missing one rejects the record unless `optional`). Every `rowGroupRows` records (default
   * 50000) become a row group, uploaded as parts fill: a writer holds one row group of records
   * per open file. SNAPPY-compressed pages. Files roll on checkpoint only (as Flink's bulk
   * formats): not with `rolling` by size, `gzip`, `serializer` or `csv`.
   */
  readonly parquet?: { readonly schema: readonly ParquetColumn[]; readonly rowGroupRows?: number };
  /**
   * Hive-style partition folders under the base: the record's partition values, in order, e.g.
   * `(r) => ({ dt: r.time.slice(0, 10), hour: r.time.slice(11, 13) })` gives
   * `<base>/dt=2026-12-01/hour=13/…` (event time or any field). Names and values are escaped by
   * Hive's rules. Each transaction writes one object per partition it saw. A record whose key
   * would exceed 1024 bytes fails the job (`S3_KEY_TOO_LONG`). Default: no partitions.
   */
  readonly partitionBy?: (record: T) => PartitionValues;
  /** Gzip each object (extension `.jsonl.gz`, `.csv.gz`). Default false. */
  readonly gzip?: boolean;
  /**
   * Bytes buffered before they are uploaded as one part. S3 needs at least 5 MiB for every part
   * but the last; at most 5 GiB. Default 5 MiB (5242880).
   */
  readonly partSizeBytes?: number;
  /**
   * Parts of one file uploading at once, and files rolled by size completing at once; `write`
   * waits beyond it. Default 2.
   */
  readonly uploadConcurrency?: number;
  /**
   * When a file is completed (its object appears once the checkpoint after it completes):
   * - `"on-checkpoint"` (default): every checkpoint completes every file, so records are
   *   visible one checkpoint after they are written and an object holds one checkpoint's records.
   * - `{ maxBytes, maxAgeMs }`: a file stays open across checkpoints until it holds `maxBytes`
   *   (default 128 MiB) or, at a checkpoint, is older than `maxAgeMs` (default 60000); its
   *   uploaded parts and its tail (under 5 MiB) are kept in each checkpoint's writer state.
   * Under both, every stop (suspend or drain), savepoint and end of input completes every file.
   */
  readonly rolling?: "on-checkpoint" | { readonly maxBytes?: number; readonly maxAgeMs?: number };
  /**
   * Bytes a writer holds in memory — buffered, and in parts uploading — before it spools what it
   * buffers to files in `spoolDirectory` (parts are then uploaded from those files). Default
   * 16 MiB (16777216): the default part size and concurrency never spool.
   */
  readonly memoryBufferBytes?: number;
  /** Where spool files go (a folder per writer, removed when it closes). Default `os.tmpdir()`. */
  readonly spoolDirectory?: string;
  /**
   * A checksum S3 keeps per part and checks at CompleteMultipartUpload (each part's checksum is
   * stored in the committable). Default none: not every S3-compatible server supports them.
   */
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  /** Passed through to every CreateMultipartUpload (storage class, SSE, ACL, tags…). Default none. */
  readonly objectParameters?: S3ObjectParameters;
  /**
   * How long a request that fails transiently (throttling, 5xx, timeout, refused connection) is
   * retried, beyond the client's own attempts, before the writer fails (the job fails over) or
   * start-up fails. Commits are retried by the core up to its commit deadline. Default 60000.
   */
  readonly retryDeadlineMs?: number;
  /**
   * Default `"exactly-once"`: an object appears when the checkpoint holding it completes.
   * `"at-least-once"`: the writer completes it at the barrier (pre-commit) — visible sooner, but
   * a restore from an earlier checkpoint writes its records again, in new objects.
   */
  readonly deliveryGuarantee?: DeliveryGuarantee;
  /**
   * The sink claims its prefix with a lease object `.berth/leases/<base>/<sinkPrefix>` (created
   * with `If-None-Match: *`, renewed with `If-Match` every third of this), so a second job on the
   * prefix is refused at start. A crashed job's lease blocks other job ids until it expires; a
   * restart of the same job id takes it over at once. Default 30000.
   */
  readonly leaseTtlMs?: number;
}

export interface ResolvedS3SinkOptions<T> {
  readonly bucket: string;
  readonly base: string;
  readonly client: S3ClientConfig;
  readonly format: RecordFormat<T> | ParquetFormat;
  readonly partitionBy?: (record: T) => PartitionValues;
  readonly gzip: boolean;
  readonly partSizeBytes: number;
  readonly uploadConcurrency: number;
  readonly rolling: RollingPolicy;
  readonly memoryBufferBytes: number;
  readonly spoolDirectory: string;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly objectParameters: S3ObjectParameters;
  readonly retryDeadlineMs: number;
  readonly deliveryGuarantee: DeliveryGuarantee;
  readonly leaseTtlMs: number;
}

/** When files are completed: at every barrier, or once large (at a write) or old (at a barrier) enough. */
export interface RollingPolicy {
  readonly onCheckpoint: boolean;
  readonly maxBytes?: number;
  readonly maxAgeMs?: number;
}

const MIB = 1024 * 1024;
/** S3's smallest part but the last, and its largest part. */
export const MIN_PART_BYTES = 5 * MIB;
export const MAX_PART_BYTES = 5 * 1024 * MIB;

const s3SinkOptions = z
  .object({
    // S3's bucket naming rules: a wrong name would fail only at the first upload.
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        "must be an S3 bucket name (3 to 63 of a-z, 0-9, . and -)",
      ),
    base: z
      .string()
      .refine(
        (b) => !b.startsWith("/") && !b.endsWith("/") && !b.split("/").includes(".."),
        'must be a key prefix without a leading or trailing "/" and without ".." segments',
      )
      .default(""),
    client: z
      .custom<S3ClientConfig>((v) => typeof v === "object" && v !== null, {
        message: "must be an S3ClientConfig object",
      })
      .optional(),
    serializer: functionOption<(record: never) => string>().optional(),
    csv: z
      .object({ columns: z.array(z.string().min(1)).min(1), header: z.boolean().default(true) })
      .strict()
      .optional(),
    parquet: z
      .object({
        schema: z
          .array(
            z
              .object({
                name: z.string().min(1),
                type: z.enum(PARQUET_TYPES),
                optional: z.boolean().optional(),
              })
              .strict(),
          )
          .min(1)
          .refine((s) => new Set(s.map((c) => c.name)).size === s.length, "column names must be unique"),
        rowGroupRows: z.number().int().min(1).max(10_000_000).default(50_000),
      })
      .strict()
      .optional(),
    partitionBy: functionOption<(record: never) => PartitionValues>().optional(),
    gzip: z.boolean().default(false),
    partSizeBytes: z.number().int().min(MIN_PART_BYTES).max(MAX_PART_BYTES).default(MIN_PART_BYTES),
    uploadConcurrency: z.number().int().min(1).max(64).default(2),
    rolling: z
      .union([
        z.literal("on-checkpoint"),
        z
          .object({
            // S3 allows 10 000 parts: 5 TiB, the largest object.
            maxBytes: z
              .number()
              .int()
              .min(1)
              .max(5 * 1024 * 1024 * MIB)
              .default(128 * MIB),
            maxAgeMs: z.number().int().min(1).default(60_000),
          })
          .strict(),
      ])
      .default("on-checkpoint"),
    memoryBufferBytes: z
      .number()
      .int()
      .min(MIB)
      .default(16 * MIB),
    spoolDirectory: z.string().min(1).optional(),
    checksumAlgorithm: z.enum(ChecksumAlgorithm).optional(),
    objectParameters: z.custom<S3ObjectParameters>((v) => typeof v === "object" && v !== null).default({}),
    retryDeadlineMs: z.number().int().min(0).max(3_600_000).default(60_000),
    deliveryGuarantee: deliveryGuaranteeOption,
    leaseTtlMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
  })
  .strict()
  .refine(
    (o) => [o.serializer, o.csv, o.parquet].filter((f) => f !== undefined).length <= 1,
    "give one of serializer (JSON Lines), csv or parquet",
  )
  .refine(
    (o) => o.parquet === undefined || (!o.gzip && o.rolling === "on-checkpoint"),
    "parquet files roll on checkpoint only and compress their own pages: not with gzip or rolling by size",
  );

/** The names of every option the sink takes (the README's options table lists each). */
export const S3_SINK_OPTION_NAMES: readonly string[] = Object.keys(s3SinkOptions.shape);

export function resolveS3SinkOptions<T>(options: S3SinkOptions<T>): ResolvedS3SinkOptions<T> {
  const parsed = parseOptions(
    "s3 sink",
    s3SinkOptions,
    options,
    (message, cause) => new S3SinkError("S3_CONFIG_INVALID", message, { cause }),
  );
  const serializer =
    (parsed.serializer as ((record: T) => string) | undefined) ?? ((record: T) => JSON.stringify(record));
  return {
    ...parsed,
    client: {
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...parsed.client,
    },
    partitionBy: parsed.partitionBy as ((record: T) => PartitionValues) | undefined,
    rolling:
      parsed.rolling === "on-checkpoint"
        ? { onCheckpoint: true }
        : { onCheckpoint: false, ...parsed.rolling },
    spoolDirectory: parsed.spoolDirectory ?? tmpdir(),
    format: parsed.parquet
      ? parquet(parsed.parquet.schema, parsed.parquet.rowGroupRows)
      : parsed.csv
        ? csv<T>(parsed.csv.columns, parsed.csv.header)
        : jsonLines<T>(serializer),
  };
}
