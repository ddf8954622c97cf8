/**
 * The S3 checkpoint store against the services' S3 server, checked with the test's own client:
 * `writeIfAbsent` creates once and never overwrites, listings show names and folders as the
 * local store does, a folder's delete removes every object under it and nothing beside it, and
 * the job's lease is renewed by a check, refuses a second owner, is taken over once expired, and
 * fences its holder once another process took it over (the takeover is written by the test's client).
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { serviceEndpoints } from "@berth/testkit/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testClient } from "../../test-support.js";
import { freshPlace, objects, type Place, readText, waitFor } from "./cli-test-support.js";
import { S3CheckpointStore } from "./s3-checkpoint-store.js";

const client = testClient();
let place: Place;
const saved = { ...process.env };

beforeAll(async () => {
  place = await freshPlace(client, "store");
  // The store reads the AWS provider chain, as in a berth process.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: place.env.AWS_ENDPOINT_URL,
    AWS_ACCESS_KEY_ID: place.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: place.env.AWS_SECRET_ACCESS_KEY,
    AWS_REGION: serviceEndpoints().s3.region,
    BERTH_S3_LEASE_TTL_MS: place.env.BERTH_S3_LEASE_TTL_MS,
  });
});
afterAll(() => {
  process.env = saved;
  client.destroy();
});

describe("S3CheckpointStore", () => {
  it("writes once, lists names and folders, deletes a folder and nothing beside it", async () => {
    const store = new S3CheckpointStore(`${place.root}/basic/`);
    expect(store.location).toBe(`${place.root}/basic`);
    expect(store.locate("job/run-1/chk-1")).toBe(`${place.root}/basic/job/run-1/chk-1`);
    expect(await store.writeIfAbsent("job/run-1/chk-1/_metadata", "first")).toBe(true);
    expect(await store.writeIfAbsent("job/run-1/chk-1/_metadata", "second")).toBe(false);
    expect(await readText(client, place.bucket, `${place.base}/basic/job/run-1/chk-1/_metadata`)).toBe(
      "first",
    );
    await store.writeIfAbsent("job/run-1/chk-10/_metadata", "x");
    await store.writeIfAbsent("job/run-1/chk-1x", "an object beside the folder");
    expect(await store.list("job/run-1")).toEqual(["chk-1/", "chk-10/", "chk-1x"]);
    expect(await store.list("job/nothing")).toEqual([]);
    expect((await store.read("job/run-1/chk-1/_metadata"))?.toString()).toBe("first");
    expect(await store.read("job/run-1/chk-2/_metadata")).toBeUndefined();
    await store.delete("job/run-1/chk-1");
    expect([...(await objects(client, place.bucket, `${place.base}/basic/job/run-1`)).keys()].sort()).toEqual(
      ["chk-10/_metadata", "chk-1x"],
    );
    expect(() => store.locate("../outside")).toThrow(/lies outside/);
    expect(() => new S3CheckpointStore("s3://key:secret@bucket/x")).toThrow(/is not an S3 location/);
    expect(() => new S3CheckpointStore("s3://key:secret@bucket/x")).not.toThrow(/secret/);
  });

  it("the lease is renewed by a check, refuses a second owner, is taken over once expired, and fences a holder that was taken over", async () => {
    const store = new S3CheckpointStore(`${place.root}/lease`);
    const first = await store.lease("job");
    const key = `${place.base}/lease/job/_lease`;
    const written = JSON.parse(await readText(client, place.bucket, key)).expiresAt;
    // A check renews it (If-Match on its ETag): the object's expiry moves on.
    await first.check();
    expect(JSON.parse(await readText(client, place.bucket, key)).expiresAt).toBeGreaterThan(written);
    await expect(store.lease("job")).rejects.toMatchObject({ code: "JOB_ID_IN_USE" });
    await first.release();
    expect(await objects(client, place.bucket, `${place.base}/lease/job`)).toEqual(new Map());

    const holder = await store.lease("job");
    // Another process took the lease over (as after an expiry): the holder's next check fails.
    await client.send(
      new PutObjectCommand({
        Bucket: place.bucket,
        Key: key,
        Body: JSON.stringify({
          jobId: "job",
          token: "other",
          pid: 1,
          host: "elsewhere",
          since: "",
          expiresAt: 0,
        }),
      }),
    );
    await expect(holder.check()).rejects.toMatchObject({ code: "JOB_LEASE_LOST" });
    // The taken-over lease is left to its new holder: release deletes nothing.
    await holder.release();
    expect(await readText(client, place.bucket, key)).toContain('"elsewhere"');
    // An expired lease (expiresAt 0) is taken over at once.
    const taker = await store.lease("job");
    await waitFor(
      async () => (await readText(client, place.bucket, key)).includes(String(process.pid)),
      "the takeover",
    );
    await taker.release();
  });
});
