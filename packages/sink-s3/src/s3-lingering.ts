/**
 * Lingering upload cleanup (DESIGN.md, sink contract rule 5): at start, every multipart upload
 * under the sink's base whose file name is an attempt name of this sink prefix is aborted unless
 * the restored state holds its upload id — of any subtask, vanished ones included. Names are
 * parsed by the core's helper, so prefix `a` never aborts an upload of prefix `a-b`.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { describeS3Error, S3SinkError } from "./errors.js";
import type { ObjectKeys } from "./internal/object-keys.js";
import { withRetry } from "./internal/retry.js";
import { isNotFound } from "./internal/s3-client.js";

/** A multipart upload the server holds. */
export interface S3Upload {
  readonly key: string;
  readonly uploadId: string;
}

/** Every multipart upload under `listPrefix` (ListMultipartUploads, all pages). */
export async function listUploads(
  client: S3Client,
  bucket: string,
  listPrefix: string,
  retryDeadlineMs = 0,
): Promise<S3Upload[]> {
  const uploads: S3Upload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const request = new ListMultipartUploadsCommand({
      Bucket: bucket,
      Prefix: listPrefix,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadIdMarker,
    });
    const page = await withRetry(retryDeadlineMs, () => client.send(request));
    for (const u of page.Uploads ?? [])
      if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId });
    if (!page.IsTruncated) return uploads;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

export interface LingeringUploadsOptions {
  readonly bucket: string;
  readonly keys: ObjectKeys;
  /**
   * Whether an attempt name is one of this sink prefix (the core's parser). Every such upload
   * the restored state does not hold is lingering, even when the core's
   * `context.lingering.isLingering` keeps its name: an attempt name has no `seq`, so a file rolled
   * after a restored one of its transaction shares its name.
   */
  readonly isOwnName: (attemptName: string) => boolean;
  /** Upload ids of the restored committables and writer state: never aborted. */
  readonly restoredUploadIds: ReadonlySet<string>;
  /** How long transient failures are retried (the sink's `retryDeadlineMs`). */
  readonly retryDeadlineMs: number;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

/** Aborts the lingering uploads; returns them. */
export async function abortLingeringUploads(
  client: S3Client,
  options: LingeringUploadsOptions,
): Promise<S3Upload[]> {
  const { bucket, keys } = options;
  let uploads: S3Upload[];
  try {
    uploads = await listUploads(client, bucket, keys.listPrefix, options.retryDeadlineMs);
  } catch (error) {
    throw new S3SinkError(
      "S3_TARGET_UNREACHABLE",
      `s3 sink: listing multipart uploads under s3://${bucket}/${keys.listPrefix} failed (${describeS3Error(error)}); check the endpoint, the credentials and that the bucket exists`,
      { cause: error },
    );
  }
  const lingering = uploads.filter((u) => {
    const attempt = keys.attemptNameOf(u.key);
    return attempt !== undefined && options.isOwnName(attempt) && !options.restoredUploadIds.has(u.uploadId);
  });
  for (const upload of lingering) {
    options.log("aborting lingering multipart upload", { key: upload.key, uploadId: upload.uploadId });
    const request = new AbortMultipartUploadCommand({
      Bucket: bucket,
      Key: upload.key,
      UploadId: upload.uploadId,
    });
    await withRetry(options.retryDeadlineMs, () => client.send(request))
      // Gone meanwhile (aborted or expired): nothing left to abort.
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
  }
  return lingering;
}
