/**
 * What the sink checks at start, once per sink: the bucket answers (a missing bucket, refused
 * credentials or an unreachable endpoint is one clear line), and whether the server honours
 * `If-None-Match: *` — a second conditional PutObject of one key must get 412. The probe object
 * lives under `.berth/probes/`, outside any base, and is deleted at once.
 */
import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describeS3Error, S3SinkError } from "../errors.js";
import { withRetry } from "./retry.js";
import { isPreconditionFailed } from "./s3-client.js";

export async function checkBucket(
  client: S3Client,
  bucket: string,
  endpoint: string,
  retryDeadlineMs: number,
): Promise<void> {
  try {
    await withRetry(retryDeadlineMs, () => client.send(new HeadBucketCommand({ Bucket: bucket })));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const why =
      status === 404
        ? "the bucket does not exist; create it first (the sink never creates buckets)"
        : status === 403 || status === 401
          ? "access is denied; check the credentials and the bucket policy"
          : "the endpoint does not answer as S3; check the endpoint and that the server runs";
    throw new S3SinkError(
      "S3_TARGET_UNREACHABLE",
      `s3 sink: bucket ${bucket} at ${endpoint} cannot be used (${describeS3Error(error)}): ${why}`,
      { cause: error },
    );
  }
}

/** Whether a second `If-None-Match: *` PutObject of one key is refused with 412. */
export async function honoursIfNoneMatch(client: S3Client, bucket: string): Promise<boolean> {
  const key = `.berth/probes/${randomUUID()}`;
  const put = () =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "probe", IfNoneMatch: "*" }));
  try {
    try {
      await put();
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // A server that does not know the header may refuse the request outright.
      if (status === 400 || status === 501) return false;
      throw error;
    }
    try {
      await put();
      return false;
    } catch (error) {
      if (isPreconditionFailed(error)) return true;
      throw error;
    }
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }
}
