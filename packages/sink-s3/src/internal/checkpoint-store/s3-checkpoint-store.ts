/**
 * The checkpoint-storage interface on S3 (ADR 0018): `s3://bucket/prefix` is the root, a key
 * `a/b` is the object `prefix/a/b`, a folder is a key prefix listed with the `/` delimiter.
 * `writeIfAbsent` is a PutObject with `If-None-Match: *` — the server must refuse a second one
 * with 412, which is probed once per bucket before the first write (else the store is refused);
 * a PutObject is atomic, so no reader sees half an object. Files the core writes locally (state
 * files, chunks, SQLite's native copies) go to a scratch directory under TMPDIR and are
 * uploaded by `publish`, before the core writes `_metadata`.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { BerthError, type CheckpointStore, type Lease, remoteScratchDirectory } from "@berth/core";
import { describeS3Error } from "../../errors.js";
import { isNotFound, isPreconditionFailed } from "../s3-client.js";
import { honoursIfNoneMatch } from "../target-probe.js";
import { leaseTtlMs, takeJobLease } from "./s3-job-lease.js";
import { endpointName, storeClient } from "./s3-store-client.js";

const LOCATION = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/;

/** Requests of one publish or delete in flight at once. */
const UPLOAD_CONCURRENCY = 8;

/** Probes per bucket, once per process: the bucket answers and honours `If-None-Match: *`. */
const probes = new Map<string, Promise<void>>();

function unavailable(message: string, cause?: unknown): BerthError {
  return new BerthError("CHECKPOINT_STORAGE_UNAVAILABLE", message, cause ? { cause } : undefined);
}

export class S3CheckpointStore implements CheckpointStore {
  readonly location: string;
  readonly bucket: string;
  /** The root's key prefix, without leading or trailing `/` ("" = the bucket's root). */
  private readonly prefix: string;
  private readonly client = storeClient();

  constructor(location: string) {
    const match = LOCATION.exec(location);
    const prefix = (match?.[2] ?? "").split("/").filter(Boolean);
    if (!match || prefix.includes("..") || prefix.includes("."))
      throw new BerthError(
        "CONFIG_INVALID",
        `${location.replace(/\/\/[^/]*@/, "//…@")} is not an S3 location: write s3://<bucket>/<prefix> (a bucket name of 3 to 63 of a-z, 0-9, . and -; credentials come from the AWS environment, never the URL)`,
      );
    this.bucket = match[1] as string;
    this.prefix = prefix.join("/");
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ""}`;
  }

  private objectKey(key: string): string {
    const parts = key.split("/").filter(Boolean);
    // Keys come from Berth's own names, but one must never reach outside the root.
    if (parts.includes("..") || parts.includes("."))
      throw new BerthError("CONFIG_INVALID", `${key} lies outside ${this.location}; this is a bug in Berth`);
    return [this.prefix, ...parts].filter(Boolean).join("/");
  }

  locate(key: string): string {
    const objectKey = this.objectKey(key);
    return `s3://${this.bucket}${objectKey ? `/${objectKey}` : ""}`;
  }

  /** What failed, where, and the S3 error — never a credential. */
  private failure(action: string, key: string, error: unknown): BerthError {
    if (error instanceof BerthError) return error;
    return unavailable(
      `s3 checkpoint storage: ${action} ${this.locate(key)} at ${endpointName()} failed (${describeS3Error(error)}); check the endpoint, the bucket and the credentials (AWS_* environment)`,
      error,
    );
  }

  /** Once per bucket before the first write: it answers, and a second conditional put gets 412. */
  private ready(): Promise<void> {
    const id = `${endpointName()} ${this.bucket}`;
    let probe = probes.get(id);
    if (!probe) {
      probe = (async () => {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).catch((error: unknown) => {
          throw this.failure("opening", "", error);
        });
        if (
          !(await honoursIfNoneMatch(this.client, this.bucket).catch((error: unknown) => {
            throw this.failure("probing conditional writes in", "", error);
          }))
        )
          throw unavailable(
            `s3 checkpoint storage: ${endpointName()} does not refuse a second PutObject with If-None-Match: * (no 412), so a checkpoint's _metadata could be overwritten and two owners of a job could both write; use a server with conditional writes (AWS, S3Proxy, MinIO)`,
          );
      })();
      probes.set(id, probe);
      probe.catch(() => probes.delete(id)); // a server that was down may answer the next time
    }
    return probe;
  }

  async list(prefix: string): Promise<string[]> {
    const folder = this.objectKey(prefix);
    const listPrefix = folder ? `${folder}/` : "";
    const names = new Set<string>();
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: listPrefix,
            Delimiter: "/",
            ContinuationToken: token,
          }),
        );
        for (const p of page.CommonPrefixes ?? []) names.add((p.Prefix as string).slice(listPrefix.length));
        for (const o of page.Contents ?? []) {
          const name = (o.Key as string).slice(listPrefix.length);
          if (name) names.add(name);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure("listing", prefix, error);
    }
    return [...names].sort();
  }

  async read(key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      const body = response.Body as { transformToByteArray(): Promise<Uint8Array> };
      return Buffer.from(await body.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure("reading", key, error);
    }
  }

  async writeIfAbsent(key: string, data: string | Buffer): Promise<boolean> {
    await this.ready();
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: data, IfNoneMatch: "*" }),
      );
      return true;
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      throw this.failure("writing", key, error);
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    const keys = [objectKey];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: objectKey ? `${objectKey}/` : "",
            ContinuationToken: token,
          }),
        );
        for (const o of page.Contents ?? []) keys.push(o.Key as string);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      // DeleteObject a few at a time: DeleteObjects needs a Content-MD5 some servers refuse.
      const remove = (k: string) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k }));
      const all = keys.filter(Boolean);
      for (let i = 0; i < all.length; i += UPLOAD_CONCURRENCY)
        await Promise.all(all.slice(i, i + UPLOAD_CONCURRENCY).map(remove));
    } catch (error) {
      throw this.failure("deleting", key, error);
    }
    await rm(this.scratchDirectory(key), { recursive: true, force: true });
  }

  scratchDirectory(key: string): string {
    this.objectKey(key); // checked: never outside the root
    return remoteScratchDirectory(this.location, key);
  }

  async publish(key: string): Promise<void> {
    await this.ready();
    const scratch = this.scratchDirectory(key);
    const files = await readdir(scratch, { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return [];
        throw error;
      },
    );
    const upload = async (file: (typeof files)[number]) => {
      const path = join(file.parentPath, file.name);
      const name = relative(scratch, path).split(sep).join("/");
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.objectKey(`${key}/${name}`),
            Body: await readFile(path),
          }),
        );
      } catch (error) {
        throw this.failure("uploading", `${key}/${name}`, error);
      }
    };
    // A temp file is a chunk that was being written when a writer failed: never an object.
    const pending = files.filter((f) => f.isFile() && !f.name.endsWith(".tmp"));
    // A few at a time: a checkpoint is many small objects, and each PUT is a round trip.
    for (let i = 0; i < pending.length; i += UPLOAD_CONCURRENCY)
      await Promise.all(pending.slice(i, i + UPLOAD_CONCURRENCY).map(upload));
    await rm(scratch, { recursive: true, force: true });
  }

  async lease(jobId: string): Promise<Lease> {
    await this.ready();
    return takeJobLease(this.client, {
      bucket: this.bucket,
      key: this.objectKey(`${jobId}/_lease`),
      location: this.locate(`${jobId}/_lease`),
      jobId,
      ttlMs: leaseTtlMs(),
    });
  }
}
