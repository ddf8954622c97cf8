/**
 * The writer state the checkpoint keeps beside the committables when files roll by size or age
 * (as Flink's recoverable S3 writer does): every file still open at the barrier — its upload
 * (when one was started), the parts uploaded so far and the tail not yet cut into a part (under
 * 5 MiB, base64) — so a restore completes the file from exactly what the checkpoint holds.
 *
 * Version 1 (the sink kept no writer state before it: a checkpoint without one restores as a
 * state without open files). Bump {@link S3_WRITER_STATE_VERSION} when the shape changes and teach
 * {@link s3WriterStateCodec} the old one.
 */
import { ChecksumAlgorithm } from "@aws-sdk/client-s3";
import { parseWith, type VersionedCodec } from "@berth/core/connector";
import { z } from "zod";
import { S3SinkError } from "./errors.js";
import type { S3Part } from "./s3-committable.js";

export const S3_WRITER_STATE_VERSION = 1;

export type S3OpenFile = {
  readonly bucket: string;
  readonly key: string;
  /** Absent while no part was uploaded: the upload starts when the file is completed. */
  readonly uploadId?: string;
  readonly uploadToken: string;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly contentType: string;
  /** In part-number order, 1…n. */
  readonly parts: S3Part[];
  /** The bytes after the last part, base64. */
  readonly tail: string;
  readonly records: number;
};

export type S3WriterState = {
  readonly openFiles: S3OpenFile[];
};

const text = z.string().min(1);
const count = z.number().int().nonnegative();

const s3WriterStateV1 = z.object({
  openFiles: z.array(
    z
      .object({
        bucket: text,
        key: text,
        uploadId: text.optional(),
        uploadToken: text,
        checksumAlgorithm: z.enum(ChecksumAlgorithm).optional(),
        contentType: text,
        parts: z
          .array(
            z.object({
              partNumber: z.number().int().positive(),
              etag: text,
              size: count,
              checksum: text.optional(),
            }),
          )
          .refine(
            (parts) => parts.every((p, i) => p.partNumber === i + 1),
            "parts must be numbered 1…n in order",
          ),
        tail: z.base64(),
        records: count,
      })
      .refine((f) => f.parts.length === 0 || f.uploadId !== undefined, "parts need their uploadId"),
  ),
});

export const s3WriterStateCodec: VersionedCodec<S3WriterState> = {
  version: S3_WRITER_STATE_VERSION,
  parse(version, stored) {
    if (version !== S3_WRITER_STATE_VERSION)
      throw new S3SinkError(
        "S3_COMMITTABLE_INVALID",
        `s3 sink: writer state of version ${version} is unknown to this @berth/sink-s3, which reads version ${S3_WRITER_STATE_VERSION}; restore with the version that wrote it`,
      );
    return parseWith(
      s3WriterStateV1,
      stored,
      (problems, cause) =>
        new S3SinkError(
          "S3_COMMITTABLE_INVALID",
          `s3 sink: writer state ${JSON.stringify(stored)?.slice(0, 300)}: ${problems}; the checkpoint was not written by this sink`,
          { cause },
        ),
    ) as S3WriterState;
  },
};
