import { randomBytes } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceEndpoints } from "./endpoints.js";
import { isS3Ready } from "./s3-probe.js";

const { s3: endpoint } = serviceEndpoints();
const Bucket = `berth-smoke-${Date.now()}-${randomBytes(3).toString("hex")}`;
const s3 = new S3Client(endpoint);
const MiB = 1024 * 1024;

describe(`S3 at ${endpoint.endpoint}`, () => {
  beforeAll(async () => {
    if (!(await isS3Ready(endpoint.endpoint))) {
      throw new Error(
        `no S3 server answers at ${endpoint.endpoint}: run 'pnpm services up' (or set S3_ENDPOINT)`,
      );
    }
    await s3.send(new CreateBucketCommand({ Bucket }));
  });

  afterAll(async () => {
    await s3.send(new DeleteObjectCommand({ Bucket, Key: "out/kept" })).catch(() => {});
    await s3.send(new DeleteBucketCommand({ Bucket })).catch(() => {});
    s3.destroy();
  });

  it("lists, aborts and completes multipart uploads", async () => {
    const kept = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: "out/kept" }));
    const dropped = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: "out/dropped" }));
    if (!kept.UploadId || !dropped.UploadId) throw new Error("CreateMultipartUpload returned no UploadId");

    const first = Buffer.alloc(5 * MiB, "a"); // every part but the last must be at least 5 MiB
    const last = Buffer.from("the end\n");
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket, Key: "out/kept", UploadId: kept.UploadId, PartNumber: 1, Body: first }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket, Key: "out/kept", UploadId: kept.UploadId, PartNumber: 2, Body: last }),
    );
    await s3.send(
      new UploadPartCommand({
        Bucket,
        Key: "out/dropped",
        UploadId: dropped.UploadId,
        PartNumber: 1,
        Body: last,
      }),
    );

    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: "out/" }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId]).sort()).toEqual(
      [
        ["out/dropped", dropped.UploadId],
        ["out/kept", kept.UploadId],
      ].sort(),
    );

    const parts = await s3.send(new ListPartsCommand({ Bucket, Key: "out/kept", UploadId: kept.UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, first.length, p1.ETag],
      [2, last.length, p2.ETag],
    ]);

    await s3.send(
      new AbortMultipartUploadCommand({ Bucket, Key: "out/dropped", UploadId: dropped.UploadId }),
    );
    const afterAbort = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: "out/" }));
    expect(afterAbort.Uploads?.map((u) => u.Key)).toEqual(["out/kept"]);

    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: "out/kept",
        UploadId: kept.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: "out/kept" }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    expect(body.length).toBe(first.length + last.length);
    expect(body.subarray(-last.length).toString()).toBe("the end\n");

    const afterComplete = await s3.send(new ListMultipartUploadsCommand({ Bucket, Prefix: "out/" }));
    expect(afterComplete.Uploads ?? []).toEqual([]);
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: "out/dropped" }))).rejects.toMatchObject({
      name: "NoSuchKey",
    });
  });
});
