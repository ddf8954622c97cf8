/** Creating the bucket a sink writes to, for examples and tests (the sink itself never creates buckets). */
import { CreateBucketCommand, type S3ClientConfig } from "@aws-sdk/client-s3";
import { describeS3Error, S3SinkError } from "./errors.js";
import { createS3Client } from "./internal/s3-client.js";
import { resolveS3SinkOptions } from "./s3-sink-options.js";

/** Creates `bucket` unless it exists (owned by these credentials). */
export async function ensureBucket(options: { bucket: string; client?: S3ClientConfig }): Promise<void> {
  const { bucket, client: config } = resolveS3SinkOptions(options);
  const client = createS3Client(config);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as Error).name;
    if (name === "BucketAlreadyOwnedByYou" || name === "BucketAlreadyExists") return;
    throw new S3SinkError(
      "S3_TARGET_UNREACHABLE",
      `s3 sink: creating bucket ${bucket} at ${String(config.endpoint ?? "AWS")} failed (${describeS3Error(error)}); check the endpoint and the credentials`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
