/**
 * The sink prefix's ownership at the target (DESIGN.md: "a lease object in S3"): one object
 * `.berth/leases/<base>/<prefix>` created with `If-None-Match: *` and renewed with `If-Match`
 * on its ETag, so two jobs can never both hold it. A lease not renewed by its `expiresAt` is
 * free to take over (with `If-Match`, so of two takers one wins); so is a lease of the same job
 * id — a job id has one live owner (the core's job-id lock), so its holder is a dead run.
 * Expiry compares the holder's and the taker's clocks: keep them within a fraction of the TTL.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SinkPrefixInUseError } from "@berth/core/connector";
import { describeS3Error, S3SinkError } from "../errors.js";
import type { ObjectKeys } from "./object-keys.js";
import { isNotFound, isPreconditionFailed } from "./s3-client.js";

/** The lease object of a sink prefix: outside the base, so readers of the base see only data. */
export function leaseKey(keys: ObjectKeys, sinkPrefix: string): string {
  return `.berth/leases/${keys.listPrefix}${sinkPrefix}`;
}

/** What the lease object holds. */
interface LeaseBody {
  readonly jobId: string;
  readonly uid: string;
  readonly token: string;
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /** Epoch milliseconds, by the holder's clock. */
  readonly expiresAt: number;
}

export interface LeaseOptions {
  readonly sinkPrefix: string;
  readonly bucket: string;
  readonly key: string;
  readonly jobId: string;
  readonly uid: string;
  readonly ttlMs: number;
  readonly onLost: (message: string) => void;
}

export interface HeldLease {
  release(): Promise<void>;
}

function describeHolder(body: LeaseBody): string {
  return `job ${body.jobId} (sink ${body.uid}, pid ${body.pid} on ${body.host}, since ${body.since}, lease valid until ${new Date(body.expiresAt).toISOString()})`;
}

async function readLease(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ body: LeaseBody; etag: string } | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await (response.Body as { transformToString(): Promise<string> }).transformToString();
    return { body: JSON.parse(text) as LeaseBody, etag: response.ETag as string };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Claims the lease, or throws the core's `SinkPrefixInUseError` naming the live holder. Renews it until released. */
export async function claimLease(client: S3Client, options: LeaseOptions): Promise<HeldLease> {
  const { bucket, key } = options;
  const token = randomUUID();
  const since = new Date().toISOString();
  const bodyNow = (): string =>
    JSON.stringify({
      jobId: options.jobId,
      uid: options.uid,
      token,
      pid: process.pid,
      host: hostname(),
      since,
      expiresAt: Date.now() + options.ttlMs,
    } satisfies LeaseBody);
  const put = async (condition: { IfNoneMatch: "*" } | { IfMatch: string }): Promise<string | undefined> => {
    try {
      const response = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bodyNow(),
          ContentType: "application/json",
          ...condition,
        }),
      );
      return response.ETag;
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw new S3SinkError(
        "S3_TARGET_UNREACHABLE",
        `s3 sink: writing the prefix lease s3://${bucket}/${key} failed (${describeS3Error(error)})`,
        {
          cause: error,
        },
      );
    }
  };

  let etag = await put({ IfNoneMatch: "*" });
  if (etag === undefined) {
    const current = await readLease(client, bucket, key);
    if (current && current.body.jobId !== options.jobId && current.body.expiresAt > Date.now())
      throw new SinkPrefixInUseError(
        options.sinkPrefix,
        `s3://${bucket}/${key}`,
        describeHolder(current.body),
      );
    // Expired, or a dead run of this job: take it over, unless another taker is faster.
    etag = current ? await put({ IfMatch: current.etag }) : await put({ IfNoneMatch: "*" });
    if (etag === undefined) {
      const winner = await readLease(client, bucket, key);
      throw new SinkPrefixInUseError(
        options.sinkPrefix,
        `s3://${bucket}/${key}`,
        winner ? describeHolder(winner.body) : "another job",
      );
    }
  }

  let held = etag;
  let lost = false;
  let released = false;
  const renew = async (): Promise<void> => {
    try {
      const next = await put({ IfMatch: held });
      if (released) return;
      if (next === undefined) {
        lost = true;
        clearInterval(timer);
        options.onLost(
          `s3 sink: the prefix lease s3://${bucket}/${key} was taken over by another job; stop this one`,
        );
        return;
      }
      held = next;
    } catch {
      // Unreachable for now: the next renewal tries again, well before the lease expires.
    }
  };
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(options.ttlMs / 3)));
  timer.unref();
  return {
    async release() {
      released = true;
      clearInterval(timer);
      if (lost) return;
      await client
        .send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: held }))
        .catch(() => undefined);
    },
  };
}
