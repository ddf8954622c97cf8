/**
 * The S3 client of the checkpoint storage, configured the way every AWS tool is: endpoint,
 * region and credentials from the provider chain (AWS_ENDPOINT_URL[_S3], AWS_REGION,
 * AWS_ACCESS_KEY_ID…, profiles, instance roles). An endpoint of its own means an S3-compatible
 * server, addressed path-style (a bucket name as a host name resolves only on AWS). Nothing here
 * ever holds a credential in a message: errors name the bucket and the S3 error only.
 */
import { S3Client } from "@aws-sdk/client-s3";

const clients = new Map<string, S3Client>();

/** One client per process (the provider chain is read once). */
export function storeClient(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || "";
  let client = clients.get(endpoint);
  if (!client) {
    client = new S3Client({
      ...(endpoint ? { forcePathStyle: true } : {}),
      ...(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION ? {} : { region: "us-east-1" }),
      // Several S3-compatible servers refuse the SDK's default CRC32 request checksums (the sink does the same).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    clients.set(endpoint, client);
  }
  return client;
}

/** Where requests go, for messages: the endpoint, or AWS. */
export function endpointName(): string {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || "AWS S3";
}
