/**
 * The prefix lease against the real server: a second job is refused while the first holds it,
 * and may claim it once released or expired; a dead run of the same job takes it over; the
 * holder renews it. The lease object is read with the S3 SDK alone.
 */
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { SinkPrefixInUseError } from "@berth/core/connector";
import { afterAll, describe, expect, it } from "vitest";
import { freshLocation, testClient } from "../test-support.js";
import { claimLease } from "./prefix-lease.js";

const client = testClient();
afterAll(() => client.destroy());

async function leaseKey(name: string): Promise<{ bucket: string; key: string }> {
  const at = await freshLocation(client, `lease-${name}`);
  return { bucket: at.bucket, key: `.berth/leases/${at.base}/p` };
}

const lease = (where: { bucket: string; key: string }, jobId: string, ttlMs = 30_000) =>
  claimLease(client, { ...where, sinkPrefix: "p", jobId, uid: "s3", ttlMs, onLost: () => {} });

async function leaseObject(where: { bucket: string; key: string }) {
  const response = await client.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
  return {
    etag: response.ETag,
    body: JSON.parse(await (response.Body as { transformToString(): Promise<string> }).transformToString()),
  };
}

describe("s3 prefix lease", () => {
  it("refuses a second job while the first holds it, naming the holder; free again once released", async () => {
    const where = await leaseKey("second");
    const first = await lease(where, "job-one");
    await expect(lease(where, "job-two")).rejects.toThrow(SinkPrefixInUseError);
    await expect(lease(where, "job-two")).rejects.toThrow(
      /sink prefix p is in use: job job-one .* holds s3:\/\//,
    );
    await first.release();
    const second = await lease(where, "job-two");
    expect((await leaseObject(where)).body.jobId).toBe("job-two");
    await second.release();
  });

  it("an expired lease of another job, or a live-looking one of the same job id, is taken over", async () => {
    const where = await leaseKey("takeover");
    const stale = {
      jobId: "gone",
      uid: "s3",
      token: "t",
      pid: 1,
      host: "h",
      since: "",
      expiresAt: Date.now() - 1,
    };
    await client.send(
      new PutObjectCommand({ Bucket: where.bucket, Key: where.key, Body: JSON.stringify(stale) }),
    );
    const taken = await lease(where, "job-one");
    expect((await leaseObject(where)).body.jobId).toBe("job-one");
    // A SIGKILLed run of job-one left its lease behind: the next run of job-one takes it over.
    const again = await lease(where, "job-one");
    await expect(lease(where, "job-two")).rejects.toThrow(SinkPrefixInUseError);
    await taken.release();
    await again.release();
  });

  it("the holder renews the lease (a new ETag and a later expiry) while it holds it", async () => {
    const where = await leaseKey("renew");
    const held = await lease(where, "job-one", 600);
    const before = await leaseObject(where);
    let after = before;
    for (let i = 0; i < 100 && after.etag === before.etag; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await leaseObject(where);
    }
    expect(after.etag).not.toBe(before.etag);
    expect(after.body.expiresAt).toBeGreaterThan(before.body.expiresAt);
    await held.release();
  });
});
