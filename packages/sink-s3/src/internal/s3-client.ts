/** The S3 client the sink's writers, committer and lingering cleanup each open, and how its errors read. */
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

export function createS3Client(config: S3ClientConfig): S3Client {
  return new S3Client(config);
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** The object, upload or bucket does not exist (HeadObject answers a bare 404 `NotFound`). */
export function isNotFound(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === "NotFound" || name === "NoSuchKey" || name === "NoSuchUpload" || status(error) === 404;
}

export function isPreconditionFailed(error: unknown): boolean {
  return (error as Error | undefined)?.name === "PreconditionFailed" || status(error) === 412;
}

const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "InternalError",
  "ServiceUnavailable",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
]);

/** Worth retrying later: throttling, a 5xx, a timeout, or a connection the server refused or dropped. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $retryable?: unknown } | undefined;
  const code = status(error);
  return (
    Boolean(e?.$retryable) ||
    (code !== undefined && (code >= 500 || code === 429)) ||
    TRANSIENT_NAMES.has(e?.name ?? "") ||
    TRANSIENT_NAMES.has(e?.code ?? "")
  );
}
