/**
 * A pre-committed object as the checkpoint stores it: a multipart upload whose parts are all
 * uploaded, with everything CompleteMultipartUpload needs — a committer in a new process has
 * only this — and what proves an existing object is this upload's (its size and the token the
 * writer stored in the object's metadata at CreateMultipartUpload).
 *
 * Version 1. Bump {@link S3_COMMITTABLE_VERSION} when the shape changes and teach
 * {@link s3CommittableCodec} the old one.
 */
import type { ChecksumAlgorithm } from "@aws-sdk/client-s3";
import type { VersionedCodec } from "@berth/core";
import { S3SinkError } from "./errors.js";

export const S3_COMMITTABLE_VERSION = 1;

/** The object metadata key (`x-amz-meta-berth-upload`) holding the upload token. */
export const UPLOAD_TOKEN_METADATA = "berth-upload";

export type S3Part = {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  /** The part's checksum of the committable's `checksumAlgorithm` (base64), when one is set. */
  readonly checksum?: string;
};

export type S3Committable = {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** Random, new per upload; stored in the object's metadata, so a found object proves which upload made it. */
  readonly uploadToken: string;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  /** In part-number order, 1…n. */
  readonly parts: S3Part[];
  /** Bytes of the object: the sum of the parts. */
  readonly size: number;
  /** Records in the object: what is lost if it can never be committed. */
  readonly records: number;
};

function invalid(value: unknown, what: string): never {
  throw new S3SinkError(
    "S3_COMMITTABLE_INVALID",
    `s3 sink: committable ${JSON.stringify(value)?.slice(0, 300)} ${what}; the checkpoint was not written by this sink`,
  );
}

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parsePart(value: unknown, index: number, whole: unknown): S3Part {
  const p = (value ?? {}) as Record<string, unknown>;
  if (p.partNumber !== index + 1 || !isText(p.etag) || !isCount(p.size))
    invalid(whole, `has a malformed part ${index + 1}`);
  if (p.checksum !== undefined && !isText(p.checksum))
    invalid(whole, `has a malformed checksum in part ${index + 1}`);
  return {
    partNumber: p.partNumber,
    etag: p.etag,
    size: p.size,
    ...(p.checksum ? { checksum: p.checksum } : {}),
  };
}

/** Checks a committable read back from a checkpoint. */
export function parseS3Committable(value: unknown): S3Committable {
  const v = (value ?? {}) as Record<string, unknown>;
  for (const field of ["bucket", "key", "uploadId", "uploadToken"] as const)
    if (!isText(v[field])) invalid(value, `lacks ${field}`);
  if (!Array.isArray(v.parts) || v.parts.length === 0) invalid(value, "has no parts");
  if (!isCount(v.size) || !isCount(v.records)) invalid(value, "lacks size or records");
  if (v.checksumAlgorithm !== undefined && !isText(v.checksumAlgorithm))
    invalid(value, "has a malformed checksumAlgorithm");
  const parts = v.parts.map((p, i) => parsePart(p, i, value));
  if (parts.reduce((sum, p) => sum + p.size, 0) !== v.size)
    invalid(value, "has a size other than the sum of its parts");
  return {
    bucket: v.bucket as string,
    key: v.key as string,
    uploadId: v.uploadId as string,
    uploadToken: v.uploadToken as string,
    ...(v.checksumAlgorithm ? { checksumAlgorithm: v.checksumAlgorithm as ChecksumAlgorithm } : {}),
    parts,
    size: v.size,
    records: v.records,
  };
}

/** Version 1 is the only one; the core parses every restored committable with it before any commit. */
export const s3CommittableCodec: VersionedCodec<S3Committable> = {
  version: S3_COMMITTABLE_VERSION,
  parse(version, stored) {
    if (version === S3_COMMITTABLE_VERSION) return parseS3Committable(stored);
    throw new S3SinkError(
      "S3_COMMITTABLE_INVALID",
      `s3 sink: committables of version ${version} are unknown to this @berth/sink-s3, which reads version ${S3_COMMITTABLE_VERSION}; restore with the version that wrote it`,
    );
  },
};

export function describeS3Committable(c: S3Committable): string {
  return `${c.records} record(s) in s3://${c.bucket}/${c.key} (upload ${c.uploadId}, ${c.parts.length} part(s), ${c.size} bytes)`;
}
