/**
 * A pre-committed object as the checkpoint stores it: a multipart upload whose parts are all
 * uploaded, with everything CompleteMultipartUpload needs — a committer in a new process has
 * only this — and what proves an existing object is this upload's (its size and the token the
 * writer stored in the object's metadata at CreateMultipartUpload).
 *
 * Version 1. Bump {@link S3_COMMITTABLE_VERSION} when the shape changes and teach
 * {@link s3CommittableCodec} the old one.
 */
import { ChecksumAlgorithm } from "@aws-sdk/client-s3";
import { parseWith, type VersionedCodec } from "@berth/core/connector";
import { z } from "zod";
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

const text = z.string().min(1);
const count = z.number().int().nonnegative();

const s3CommittableV1 = z
  .object({
    bucket: text,
    key: text,
    uploadId: text,
    uploadToken: text,
    checksumAlgorithm: z.enum(ChecksumAlgorithm).optional(),
    parts: z
      .array(
        z.object({
          partNumber: z.number().int().positive(),
          etag: text,
          size: count,
          checksum: text.optional(),
        }),
      )
      .min(1)
      .refine(
        (parts) => parts.every((p, i) => p.partNumber === i + 1),
        "parts must be numbered 1…n in order",
      ),
    size: count,
    records: count,
  })
  .refine(
    (c) => c.parts.reduce((sum, p) => sum + p.size, 0) === c.size,
    "size must be the sum of the parts' sizes",
  );

/** Checks a committable read back from a checkpoint. */
export function parseS3Committable(value: unknown): S3Committable {
  return parseWith(
    s3CommittableV1,
    value,
    (problems, cause) =>
      new S3SinkError(
        "S3_COMMITTABLE_INVALID",
        `s3 sink: committable ${JSON.stringify(value)?.slice(0, 300)}: ${problems}; the checkpoint was not written by this sink`,
        { cause },
      ),
  ) as S3Committable;
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
