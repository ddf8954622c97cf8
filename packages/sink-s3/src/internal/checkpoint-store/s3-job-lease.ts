/**
 * One owner of a job id across machines (ADR 0018): the object `<root>/<job id>/_lease`, created
 * with `If-None-Match: *` and renewed with `If-Match` on its ETag every third of its TTL. A lease
 * not renewed by its `expiresAt` may be taken over (with `If-Match` on the ETag the taker read,
 * so of two takers one wins) — never before, whoever asks, the same job id included: a second
 * copy of a job must be refused while the first lives anywhere. `check()` renews with `If-Match`
 * at once, so before every `_metadata` write and every commit the holder proves the lease is
 * still its own; one that was paused past the expiry and taken over gets 412 and fences itself.
 * Expiry compares the holder's and the taker's clocks: keep them within a fraction of the TTL.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { BerthError, type Lease } from "@berth/core";
import { describeS3Error } from "../../errors.js";
import { isNotFound, isPreconditionFailed } from "../s3-client.js";

/** The default TTL: a SIGKILLed owner's job may resume elsewhere this long after its last renewal. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** `BERTH_S3_LEASE_TTL_MS`, else {@link DEFAULT_LEASE_TTL_MS}. */
export function leaseTtlMs(): number {
  const raw = process.env.BERTH_S3_LEASE_TTL_MS;
  if (raw === undefined || raw === "") return DEFAULT_LEASE_TTL_MS;
  const ttl = Number(raw);
  if (!Number.isInteger(ttl) || ttl < 1_000)
    throw new BerthError(
      "CONFIG_INVALID",
      `BERTH_S3_LEASE_TTL_MS=${raw}: give the job lease's time to live in milliseconds, at least 1000`,
    );
  return ttl;
}

interface LeaseBody {
  readonly jobId: string;
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /** Epoch milliseconds, by the holder's clock. */
  readonly expiresAt: number;
}

export interface JobLeaseOptions {
  readonly bucket: string;
  readonly key: string;
  /** The lease's URI, for messages. */
  readonly location: string;
  readonly jobId: string;
  readonly ttlMs: number;
}

function describeHolder(body: LeaseBody): string {
  return `job ${body.jobId} (pid ${body.pid} on ${body.host}, since ${body.since}, lease valid until ${new Date(body.expiresAt).toISOString()})`;
}

function inUse(options: JobLeaseOptions, holder: string): BerthError {
  return new BerthError(
    "JOB_ID_IN_USE",
    `job id ${options.jobId} is in use: ${holder} holds ${options.location}; stop that job first (berth stop ${options.jobId}), or wait until its lease expires (${options.ttlMs} ms after a crash)`,
  );
}

async function readLease(
  client: S3Client,
  options: JobLeaseOptions,
): Promise<{ body: LeaseBody; etag: string } | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.key }));
    const text = await (response.Body as { transformToString(): Promise<string> }).transformToString();
    return { body: JSON.parse(text) as LeaseBody, etag: response.ETag as string };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Takes the job's lease, or throws `JOB_ID_IN_USE` naming the live holder; renews it until released. */
export async function takeJobLease(client: S3Client, options: JobLeaseOptions): Promise<Lease> {
  const token = randomUUID();
  const since = new Date().toISOString();
  const failed = (error: unknown) =>
    new BerthError(
      "CHECKPOINT_STORAGE_UNAVAILABLE",
      `s3 checkpoint storage: writing the job lease ${options.location} failed (${describeS3Error(error)})`,
      { cause: error },
    );
  /** A conditional put of the lease; undefined when the condition failed (412). */
  const put = async (condition: { IfNoneMatch: "*" } | { IfMatch: string }): Promise<string | undefined> => {
    const body: LeaseBody = {
      jobId: options.jobId,
      token,
      pid: process.pid,
      host: hostname(),
      since,
      expiresAt: Date.now() + options.ttlMs,
    };
    try {
      const response = await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: options.key,
          Body: JSON.stringify(body),
          ContentType: "application/json",
          ...condition,
        }),
      );
      return response.ETag;
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw failed(error);
    }
  };

  let etag = await put({ IfNoneMatch: "*" });
  if (etag === undefined) {
    const current = await readLease(client, options).catch((error: unknown) => {
      throw failed(error);
    });
    if (current && current.body.expiresAt > Date.now()) throw inUse(options, describeHolder(current.body));
    // Expired (its holder died or hangs): take it over, unless another taker is faster.
    etag = current ? await put({ IfMatch: current.etag }) : await put({ IfNoneMatch: "*" });
    if (etag === undefined) {
      const winner = await readLease(client, options).catch(() => undefined);
      throw inUse(options, winner ? describeHolder(winner.body) : "another process");
    }
  }

  let held = etag;
  let lost: BerthError | undefined;
  let released = false;
  // Renewals one at a time: two at once with one ETag would make the second fail as if taken over.
  let renewing: Promise<void> = Promise.resolve();
  const renew = (): Promise<void> => {
    renewing = renewing.then(async () => {
      if (lost || released) return;
      const next = await put({ IfMatch: held });
      if (next === undefined) {
        lost = new BerthError(
          "JOB_LEASE_LOST",
          `the lease of job ${options.jobId} (${options.location}) was taken over by another process after it expired (this one was paused or cut off longer than ${options.ttlMs} ms): this process writes and commits nothing more`,
        );
        clearInterval(timer);
        return;
      }
      held = next;
    });
    return renewing;
  };
  const timer = setInterval(
    () => {
      // Unreachable for now: the next renewal tries again, well before the lease expires.
      renew().catch(() => undefined);
    },
    Math.max(1, Math.floor(options.ttlMs / 3)),
  );
  timer.unref();
  return {
    jobId: options.jobId,
    async check() {
      await renew();
      if (lost) throw lost;
    },
    async release() {
      released = true;
      clearInterval(timer);
      await renewing.catch(() => undefined);
      if (lost) return;
      await client
        .send(new DeleteObjectCommand({ Bucket: options.bucket, Key: options.key, IfMatch: held }))
        .catch(() => undefined);
    },
  };
}
