/**
 * The committer against the real server: a commit completes the upload once, a repeated commit
 * writes nothing twice, and when the upload is gone the object decides — this upload's object
 * (size and upload token match) is already committed, no object is a known permanent failure
 * naming the lost object and its records, another upload's object is a known conflict. Objects
 * are read back with the S3 SDK alone.
 */
import { randomUUID } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { createS3Client } from "./internal/s3-client.js";
import { type S3Committable, UPLOAD_TOKEN_METADATA } from "./s3-committable.js";
import { S3Committer } from "./s3-committer.js";
import { freshLocation, listObjects, readObject, testClient, testClientConfig } from "./test-support.js";

const client = testClient();
const committer = new S3Committer(createS3Client(testClientConfig()), true);
afterAll(async () => {
  client.destroy();
  await committer.close();
});

const BODY = '{"seq":1}\n{"seq":2}\n';

/** A pre-committed upload of BODY as one part, made with the SDK alone. */
async function preCommitted(name: string): Promise<S3Committable> {
  const at = await freshLocation(client, `committer-${name}`);
  const key = `${at.base}/p-0-0a1b2c3d-1-0.jsonl`;
  const uploadToken = randomUUID();
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: at.bucket,
      Key: key,
      Metadata: { [UPLOAD_TOKEN_METADATA]: uploadToken },
    }),
  );
  const part = await client.send(
    new UploadPartCommand({ Bucket: at.bucket, Key: key, UploadId, PartNumber: 1, Body: BODY }),
  );
  const size = Buffer.byteLength(BODY);
  return {
    bucket: at.bucket,
    key,
    uploadId: UploadId as string,
    uploadToken,
    parts: [{ partNumber: 1, etag: part.ETag as string, size }],
    size,
    records: 2,
  };
}

const baseOf = (c: S3Committable) => ({
  endpoint: "",
  bucket: c.bucket,
  base: c.key.slice(0, c.key.lastIndexOf("/")),
});

describe("s3 committer", () => {
  it("completes the upload once; committing again writes nothing twice", async () => {
    const c = await preCommitted("twice");
    expect(await committer.commit(c)).toEqual({ kind: "committed" });
    expect((await committer.commit(c)).kind).toMatch(/^(committed|alreadyCommitted)$/);
    expect(await listObjects(client, baseOf(c))).toEqual([{ key: c.key, size: c.size }]);
    expect((await readObject(client, c.bucket, c.key)).toString()).toBe(BODY);
  });

  it("an upload that is gone with this upload's object in place is already committed", async () => {
    const c = await preCommitted("gone-committed");
    await committer.commit(c);
    // The same object, proven by size and token, under an upload id the server no longer knows
    // (S3Proxy answers success to such a Complete, AWS NoSuchUpload: the object decides either way).
    expect((await committer.commit({ ...c, uploadId: "gone" })).kind).toMatch(
      /^(committed|alreadyCommitted)$/,
    );
    expect(await listObjects(client, baseOf(c))).toEqual([{ key: c.key, size: c.size }]);
  });

  it("an upload that is gone without its object is a known permanent failure naming the object and records", async () => {
    const c = await preCommitted("lost");
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: c.bucket, Key: c.key, UploadId: c.uploadId }),
    );
    const outcome = await committer.commit(c);
    expect(outcome).toMatchObject({ kind: "failedKnown", code: "S3_UPLOAD_LOST" });
    expect(outcome.kind === "failedKnown" && outcome.reason).toContain(
      `2 record(s) in s3://${c.bucket}/${c.key}`,
    );
    expect(await listObjects(client, baseOf(c))).toEqual([]);
  });

  it("an object of another upload under the key is a known conflict, and is left as it is", async () => {
    const c = await preCommitted("conflict");
    await client.send(
      new PutObjectCommand({
        Bucket: c.bucket,
        Key: c.key,
        Body: "other\n",
        Metadata: { [UPLOAD_TOKEN_METADATA]: "x" },
      }),
    );
    expect(await committer.commit(c)).toMatchObject({ kind: "failedKnown", code: "S3_OBJECT_CONFLICT" });
    expect((await readObject(client, c.bucket, c.key)).toString()).toBe("other\n");
  });

  it("an object of the same size but another token is not taken for this upload's", async () => {
    const c = await preCommitted("same-size");
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: c.bucket, Key: c.key, UploadId: c.uploadId }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: c.bucket,
        Key: c.key,
        Body: BODY,
        Metadata: { [UPLOAD_TOKEN_METADATA]: "x" },
      }),
    );
    expect(await committer.commit(c)).toMatchObject({ kind: "failedKnown", code: "S3_OBJECT_CONFLICT" });
  });
});
