/**
 * Errors of the S3 sink. Each has a stable `code`, a message saying what is wrong and what to
 * do, and the cause attached; `instanceof` works across copies of the package through the
 * core's marker brand.
 */
import { RecordRejectedError, TypedError } from "@berth/core";

export type S3SinkErrorCode =
  /** An option is missing or out of range. */
  | "S3_CONFIG_INVALID"
  /** The bucket does not exist, the credentials are refused or the endpoint does not answer (at start). */
  | "S3_TARGET_UNREACHABLE"
  /** The server does not honour `If-None-Match: *` on PutObject, which the prefix lease needs. */
  | "S3_CONDITIONAL_WRITES_UNSUPPORTED"
  /** The record serializer threw or returned something other than a string. */
  | "S3_RECORD_INVALID"
  /** An object key would exceed S3's 1024 bytes. */
  | "S3_KEY_TOO_LONG"
  /** A request to the server failed while writing (after the client's own retries). */
  | "S3_WRITE_FAILED"
  /** Writing a spool file failed (a full disk, a folder that cannot be written). */
  | "S3_SPOOL_FAILED"
  /** A restored open file's upload is gone and its object was never written. */
  | "S3_UPLOAD_LOST"
  /** A restored open file was completed meanwhile by a later checkpoint than the one restored. */
  | "S3_RESTORE_POINT_SUPERSEDED"
  /** A committable restored from a checkpoint is malformed or of an unknown version. */
  | "S3_COMMITTABLE_INVALID"
  /** `berth s3 …` was called with a missing or bad argument. */
  | "S3_CLI_USAGE";

export class S3SinkError extends TypedError<S3SinkErrorCode> {
  static override readonly marker: string = "berth.sink-s3/S3SinkError";
}

/**
 * A record the sink cannot take (`S3_RECORD_INVALID`, `S3_KEY_TOO_LONG`), thrown before anything
 * of it is buffered: a bad record, so the job's `badRecords` policy (fail, skip, dead-letter)
 * applies to it. Every other error of the sink is a target failure.
 */
export class S3RecordRejectedError extends RecordRejectedError<S3SinkErrorCode> {
  static override readonly marker: string = "berth.sink-s3/S3RecordRejectedError";
}

/** Codes of `failedKnown` commit outcomes (the job's `CommitFailedPermanentlyError.reasonCode`). */
export const S3_COMMIT_FAILURES = {
  /** The multipart upload is gone (aborted, or expired by a lifecycle rule) and its object was never written. */
  uploadLost: "S3_UPLOAD_LOST",
  /** An object of another upload holds the committable's key. */
  objectConflict: "S3_OBJECT_CONFLICT",
} as const;

/** The S3 error name and HTTP status of an SDK error, for messages and classification. */
export function describeS3Error(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: unknown }).code;
  const parts = [
    error.name,
    status ? `HTTP ${status}` : undefined,
    typeof code === "string" ? code : undefined,
  ];
  return `${parts.filter((p) => p && p !== "Error").join(", ")}${error.message ? `: ${error.message}` : ""}`;
}
