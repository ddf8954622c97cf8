/**
 * Test helpers that read the bucket with the S3 SDK alone — never the sink's code — so a
 * test's verdict does not rest on what it tests.
 */
import { gunzipSync } from "node:zlib";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { serviceEndpoints } from "@berth/testkit/services";

/** Where a test writes: an endpoint, a bucket and a base key unique to the test. */
export interface S3Location {
  readonly endpoint: string;
  readonly bucket: string;
  readonly base: string;
}

/** One bucket for every test; each test writes under a base of its own. */
export const TEST_BUCKET = "berth-tests";

export function testClient(endpoint = serviceEndpoints().s3.endpoint): S3Client {
  return new S3Client({
    ...serviceEndpoints().s3,
    endpoint,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
    if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
  });
}

/**
 * The local S3 server (S3Proxy's filesystem store) writes an object to `<key>-<uuid>` beside
 * it and renames it when done, and its listings show that file meanwhile; AWS S3 never lists
 * an object before it is complete. Such a name is the server's, never one the sink writes
 * (those end in the format's extension), so listings taken while the job runs skip it; none
 * may be left once the job is done.
 */
export const S3PROXY_WRITE_IN_PROGRESS = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Keys and sizes of every object under `<base>/`. */
export async function listObjects(
  client: S3Client,
  at: S3Location,
): Promise<{ key: string; size: number }[]> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: at.bucket, Prefix: `${at.base}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) objects.push({ key: o.Key as string, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export async function readObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(
    await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return key.endsWith(".gz") ? gunzipSync(bytes) : bytes;
}

/**
 * The rows of a Parquet object, read with @dsnp/parquetjs — another library than the sink's
 * writer (hyparquet-writer) — with the row group count.
 */
export async function readParquet(
  bytes: Buffer,
): Promise<{ rows: Record<string, unknown>[]; rowGroups: number }> {
  // Loaded when first needed: the kit's child processes load this module and never read Parquet.
  const { ParquetReader } = await import("@dsnp/parquetjs");
  const reader = await ParquetReader.openBuffer(bytes);
  try {
    const rows: Record<string, unknown>[] = [];
    const cursor = reader.getCursor();
    for (let row = await cursor.next(); row; row = await cursor.next())
      rows.push(row as Record<string, unknown>);
    return { rows, rowGroups: reader.metadata?.row_groups.length ?? 0 };
  } finally {
    await reader.close();
  }
}

/** The `seq` of every record of every object under `<base>/` (JSON lines, or Parquet rows), one entry per copy. */
export async function committedSeqs(client: S3Client, at: S3Location): Promise<number[]> {
  const seqs: number[] = [];
  for (const { key } of await listObjects(client, at)) {
    const bytes = await readObject(client, at.bucket, key);
    if (key.endsWith(".parquet")) {
      for (const row of (await readParquet(bytes)).rows) seqs.push(Number(row.seq));
      continue;
    }
    for (const line of bytes.toString("utf8").split("\n"))
      if (line) seqs.push((JSON.parse(line) as { seq: number }).seq);
  }
  return seqs;
}

/** Keys of open multipart uploads under `<base>/` whose file name merely starts with the string `prefix`. */
export async function openUploads(client: S3Client, at: S3Location, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: at.bucket,
        Prefix: `${at.base}/`,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const u of page.Uploads ?? []) {
      const key = u.Key as string;
      if (key.slice(key.lastIndexOf("/") + 1).startsWith(prefix)) keys.push(key);
    }
    if (!page.IsTruncated) return keys;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** A location no other test uses: the shared bucket (created when missing) and a fresh base. */
export async function freshLocation(client: S3Client, name: string): Promise<S3Location> {
  await ensureBucket(client, TEST_BUCKET);
  return {
    endpoint: serviceEndpoints().s3.endpoint,
    bucket: TEST_BUCKET,
    base: `${name}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
  };
}

/** The sink's client settings for the test services. */
export function testClientConfig(endpoint = serviceEndpoints().s3.endpoint) {
  return { ...serviceEndpoints().s3, endpoint };
}

/** Rows of an RFC 4180 CSV text (quoted fields may hold `,`, `""` and newlines): the test's own reader. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) throw new Error("CSV text does not end with a newline");
  return rows;
}
