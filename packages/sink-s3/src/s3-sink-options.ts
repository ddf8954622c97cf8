/** Options of the S3 sink: one typed object with its defaults, validated when the sink is built. */
import type {
  ChecksumAlgorithm,
  CreateMultipartUploadCommandInput,
  S3ClientConfig,
} from "@aws-sdk/client-s3";
import { S3SinkError } from "./errors.js";
import { csv, jsonLines, type RecordFormat } from "./internal/record-format.js";

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
  /** Gzip each object (extension `.jsonl.gz`, `.csv.gz`). Default false. */
  readonly gzip?: boolean;
  /**
   * Bytes buffered before they are uploaded as one part. S3 needs at least 5 MiB for every part
   * but the last; at most 5 GiB. Default 5 MiB (5242880).
   */
  readonly partSizeBytes?: number;
  /**
   * Parts of one writer uploading at once; `write` waits beyond it, so a writer holds at most
   * `(uploadConcurrency + 1) × partSizeBytes` in memory. Default 2.
   */
  readonly uploadConcurrency?: number;
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
}

export interface ResolvedS3SinkOptions<T> {
  readonly bucket: string;
  readonly base: string;
  readonly client: S3ClientConfig;
  readonly format: RecordFormat<T>;
  readonly gzip: boolean;
  readonly partSizeBytes: number;
  readonly uploadConcurrency: number;
  readonly checksumAlgorithm: ChecksumAlgorithm | undefined;
  readonly objectParameters: S3ObjectParameters;
  readonly retryDeadlineMs: number;
}

const MIB = 1024 * 1024;
/** S3's smallest part but the last, and its largest part. */
export const MIN_PART_BYTES = 5 * MIB;
export const MAX_PART_BYTES = 5 * 1024 * MIB;

export const S3_SINK_DEFAULTS = {
  base: "",
  gzip: false,
  partSizeBytes: MIN_PART_BYTES,
  uploadConcurrency: 2,
  retryDeadlineMs: 60_000,
} as const;

function invalid(message: string): never {
  throw new S3SinkError("S3_CONFIG_INVALID", `s3 sink: ${message}`);
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    invalid(`${name} ${value} must be an integer from ${min} to ${max}`);
  return value;
}

export function resolveS3SinkOptions<T>(options: S3SinkOptions<T>): ResolvedS3SinkOptions<T> {
  // Bucket names per S3's rules (3–63 of a-z 0-9 . -); a wrong one would fail only at the first upload.
  if (typeof options.bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket))
    invalid(
      `bucket ${JSON.stringify(options.bucket)} is not an S3 bucket name (3 to 63 of a-z, 0-9, "." and "-")`,
    );
  const base = options.base ?? S3_SINK_DEFAULTS.base;
  if (
    typeof base !== "string" ||
    base.startsWith("/") ||
    base.endsWith("/") ||
    base.split("/").includes("..")
  )
    invalid(
      `base ${JSON.stringify(base)} must be a key prefix without a leading or trailing "/" and without ".." segments`,
    );
  if (options.serializer !== undefined && typeof options.serializer !== "function")
    invalid("serializer must be a function (record) => string");
  if (options.csv !== undefined) {
    const { columns } = options.csv;
    if (
      !Array.isArray(columns) ||
      columns.length === 0 ||
      !columns.every((c) => typeof c === "string" && c !== "")
    )
      invalid("csv.columns must be a non-empty array of column names");
    if (options.serializer !== undefined) invalid("give serializer (JSON Lines) or csv, not both");
  }
  return {
    bucket: options.bucket,
    base,
    client: {
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...options.client,
    },
    format: options.csv
      ? csv<T>(options.csv.columns, options.csv.header ?? true)
      : jsonLines<T>(options.serializer ?? ((record: T) => JSON.stringify(record))),
    gzip: options.gzip ?? S3_SINK_DEFAULTS.gzip,
    partSizeBytes: integerIn(
      "partSizeBytes",
      options.partSizeBytes ?? S3_SINK_DEFAULTS.partSizeBytes,
      MIN_PART_BYTES,
      MAX_PART_BYTES,
    ),
    uploadConcurrency: integerIn(
      "uploadConcurrency",
      options.uploadConcurrency ?? S3_SINK_DEFAULTS.uploadConcurrency,
      1,
      64,
    ),
    checksumAlgorithm: options.checksumAlgorithm,
    objectParameters: options.objectParameters ?? {},
    retryDeadlineMs: integerIn(
      "retryDeadlineMs",
      options.retryDeadlineMs ?? S3_SINK_DEFAULTS.retryDeadlineMs,
      0,
      3_600_000,
    ),
  };
}
