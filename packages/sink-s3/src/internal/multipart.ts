/**
 * The two multipart-upload requests a writer sends before any commit — CreateMultipartUpload
 * (with the upload token in the object's metadata) and UploadPart — retried while they fail
 * transiently, and failing as `S3_WRITE_FAILED` naming the object. The writer and the restore of
 * open files (s3-restored-files.ts) both send them.
 */
import { createReadStream } from "node:fs";
import { CreateMultipartUploadCommand, type S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { describeS3Error, S3SinkError } from "../errors.js";
import { type S3Part, UPLOAD_TOKEN_METADATA } from "../s3-committable.js";
import type { ResolvedS3SinkOptions } from "../s3-sink-options.js";
import type { PartBody } from "./part-buffer.js";
import { withRetry } from "./retry.js";

/** What the requests need of the sink's options. */
export type MultipartSettings = Pick<
  ResolvedS3SinkOptions<unknown>,
  "bucket" | "checksumAlgorithm" | "objectParameters" | "retryDeadlineMs"
> & { readonly contentType: string };

export async function createUpload(
  client: S3Client,
  settings: MultipartSettings,
  bucket: string,
  key: string,
  uploadToken: string,
): Promise<string> {
  try {
    const response = await withRetry(settings.retryDeadlineMs, () =>
      client.send(
        new CreateMultipartUploadCommand({
          ContentType: settings.contentType,
          ...settings.objectParameters,
          Bucket: bucket,
          Key: key,
          Metadata: { [UPLOAD_TOKEN_METADATA]: uploadToken },
          ChecksumAlgorithm: settings.checksumAlgorithm,
        }),
      ),
    );
    if (!response.UploadId) throw new Error("the response carries no UploadId");
    return response.UploadId;
  } catch (error) {
    throw writeFailed("starting the multipart upload of", bucket, key, error);
  }
}

export async function uploadPart(
  client: S3Client,
  settings: MultipartSettings,
  target: { readonly bucket: string; readonly key: string; readonly uploadId: string },
  partNumber: number,
  body: PartBody,
): Promise<S3Part> {
  const { checksumAlgorithm } = settings;
  try {
    const response = await withRetry(settings.retryDeadlineMs, () =>
      client.send(
        new UploadPartCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: target.uploadId,
          PartNumber: partNumber,
          // A spooled part is read from its file again for every attempt: a stream is read once.
          Body: "path" in body ? createReadStream(body.path) : body.bytes,
          ContentLength: body.size,
          ChecksumAlgorithm: checksumAlgorithm,
        }),
      ),
    );
    if (!response.ETag) throw new Error("the response carries no ETag");
    const checksum = checksumAlgorithm
      ? (response as unknown as Record<string, string | undefined>)[`Checksum${checksumAlgorithm}`]
      : undefined;
    return { partNumber, etag: response.ETag, size: body.size, ...(checksum ? { checksum } : {}) };
  } catch (error) {
    throw writeFailed(`uploading part ${partNumber} of`, target.bucket, target.key, error);
  }
}

function writeFailed(what: string, bucket: string, key: string, error: unknown): S3SinkError {
  return new S3SinkError(
    "S3_WRITE_FAILED",
    `s3 sink: ${what} s3://${bucket}/${key} failed (${describeS3Error(error)}); the job fails over and writes the transaction again`,
    { cause: error },
  );
}
