/**
 * Writes a subtask's transaction into one multipart upload per partition (on-checkpoint
 * rolling: each pre-commit completes the transaction's objects). Serialized records are buffered; every
 * `partSizeBytes` becomes a part uploaded in the background, at most `uploadConcurrency` at a
 * time (`write` waits beyond that, so memory stays bounded). The barrier's flush uploads the
 * rest as the last part; the object stays invisible until the committer completes the upload.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createGzip, type Gzip } from "node:zlib";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { previewRecord, type SinkWriter, type SinkWriterContext } from "@berth/core/connector";
import { describeS3Error, S3RecordRejectedError, S3SinkError } from "./errors.js";
import { MAX_KEY_BYTES, type ObjectKeys } from "./internal/object-keys.js";
import { partitionPath } from "./internal/partitions.js";
import { withRetry } from "./internal/retry.js";
import {
  describeS3Committable,
  type S3Committable,
  type S3Part,
  UPLOAD_TOKEN_METADATA,
} from "./s3-committable.js";
import type { S3Committer } from "./s3-committer.js";
import type { ResolvedS3SinkOptions } from "./s3-sink-options.js";

/** How long closing a writer waits to abort its unfinished upload (lingering cleanup catches it otherwise). */
const CLOSE_ABORT_TIMEOUT_MS = 5_000;

/** One object being written: the current transaction. */
interface OpenObject {
  readonly key: string;
  readonly uploadToken: string;
  uploadId: Promise<string> | undefined;
  readonly gzip: Gzip | undefined;
  /** Bytes not yet cut into a part. */
  chunks: Buffer[];
  bufferedBytes: number;
  /** Uploads in flight, in part order; awaited oldest first. */
  readonly uploading: Promise<S3Part>[];
  readonly parts: S3Part[];
  nextPartNumber: number;
  records: number;
}

export class S3Writer<T> implements SinkWriter<T, S3Committable> {
  /** The current transaction's open objects, by partition path ("" without partitions). */
  private current = new Map<string, OpenObject>();
  /** Objects the last flush finished, returned by the next prepareCommit. */
  private finished: S3Committable[] = [];

  constructor(
    private readonly context: SinkWriterContext,
    private readonly client: S3Client,
    private readonly keys: ObjectKeys,
    private readonly options: ResolvedS3SinkOptions<T>,
  ) {}

  write(record: T): void | Promise<void> {
    const line = this.serialize(record);
    const object = this.open(record);
    object.records += 1;
    if (object.gzip) {
      // Compressed bytes arrive asynchronously through the stream's "data" events.
      if (!object.gzip.write(line)) return once(object.gzip, "drain").then(() => this.cutFullPart(object));
      return this.cutFullPart(object);
    }
    this.append(object, Buffer.from(line));
    return this.cutFullPart(object);
  }

  async flush(): Promise<void> {
    const objects = [...this.current.values()];
    this.current = new Map();
    for (const object of objects) this.finished.push(await this.finish(object));
  }

  private async finish(object: OpenObject): Promise<S3Committable> {
    if (object.gzip) {
      const ended = once(object.gzip, "end");
      object.gzip.end();
      await ended;
    }
    // The last part may be smaller than 5 MiB; a one-part object may be of any size.
    if (object.bufferedBytes > 0 || object.parts.length + object.uploading.length === 0)
      this.startPart(object);
    while (object.uploading.length > 0) object.parts.push(await this.nextUpload(object));
    return {
      bucket: this.options.bucket,
      key: object.key,
      uploadId: await (object.uploadId as Promise<string>),
      uploadToken: object.uploadToken,
      ...(this.options.checksumAlgorithm ? { checksumAlgorithm: this.options.checksumAlgorithm } : {}),
      parts: object.parts,
      size: object.parts.reduce((sum, p) => sum + p.size, 0),
      records: object.records,
    };
  }

  async prepareCommit(): Promise<S3Committable[]> {
    await this.flush();
    const finished = this.finished;
    this.finished = [];
    return finished;
  }

  async close(): Promise<void> {
    const objects = [...this.current.values()];
    this.current = new Map();
    for (const object of objects) await this.abort(object);
    this.client.destroy();
  }

  private async abort(object: OpenObject): Promise<void> {
    object.gzip?.destroy();
    const uploadId = await object.uploadId?.catch(() => undefined);
    if (uploadId) {
      // Never pre-committed: no checkpoint refers to it.
      await this.client
        .send(
          new AbortMultipartUploadCommand({
            Bucket: this.options.bucket,
            Key: object.key,
            UploadId: uploadId,
          }),
          {
            abortSignal: AbortSignal.timeout(CLOSE_ABORT_TIMEOUT_MS),
          },
        )
        .catch(() => undefined);
    }
  }

  private serialize(record: T): string {
    let line: unknown;
    try {
      line = this.options.format.line(record);
    } catch (error) {
      throw this.recordInvalid(record, `the serializer threw: ${(error as Error).message}`, error);
    }
    if (typeof line !== "string")
      throw this.recordInvalid(record, `the serializer returned ${typeof line}, not a string`);
    return `${line}\n`;
  }

  private recordInvalid(record: T, what: string, cause?: unknown): S3RecordRejectedError {
    return new S3RecordRejectedError(
      "S3_RECORD_INVALID",
      `s3 sink: record ${previewRecord(record)} cannot be written (${what}); fix the serializer or the record — nothing of the transaction was committed`,
      { cause },
    );
  }

  private partitionOf(record: T): string {
    const { partitionBy } = this.options;
    if (!partitionBy) return "";
    try {
      return partitionPath(partitionBy(record));
    } catch (error) {
      throw this.recordInvalid(record, `partitionBy threw: ${(error as Error).message}`, error);
    }
  }

  /** The record's object in the current transaction, opened lazily (one per partition). */
  private open(record: T): OpenObject {
    const partition = this.partitionOf(record);
    const open = this.current.get(partition);
    if (open) return open;
    const { names, subtask, attemptId } = this.context;
    const checkpointId = this.context.currentCheckpointId();
    // On-checkpoint rolling: one object per partition and transaction, numbered in the order opened.
    const key = this.keys.key(names, { subtask, attemptId, checkpointId }, this.current.size, partition);
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw new S3RecordRejectedError(
        "S3_KEY_TOO_LONG",
        `s3 sink: record ${previewRecord(record)} would go to a key of ${Buffer.byteLength(key)} bytes, over S3's ${MAX_KEY_BYTES} (${key.slice(0, 120)}…); shorten its partition values, the base or the sink prefix`,
      );
    const object: OpenObject = {
      key,
      uploadToken: randomUUID(),
      uploadId: undefined,
      gzip: this.options.gzip ? createGzip() : undefined,
      chunks: [],
      bufferedBytes: 0,
      uploading: [],
      parts: [],
      nextPartNumber: 1,
      records: 0,
    };
    object.gzip?.on("data", (chunk: Buffer) => this.append(object, chunk));
    const { header } = this.options.format;
    if (header && object.gzip) object.gzip.write(header);
    else if (header) this.append(object, Buffer.from(header));
    this.current.set(partition, object);
    return object;
  }

  private append(object: OpenObject, bytes: Buffer): void {
    object.chunks.push(bytes);
    object.bufferedBytes += bytes.length;
  }

  /** Uploads the buffer as a part once it holds a part's worth; waits while too many parts are uploading. */
  private async cutFullPart(object: OpenObject): Promise<void> {
    if (object.bufferedBytes < this.options.partSizeBytes) return;
    this.startPart(object);
    while (object.uploading.length >= this.options.uploadConcurrency)
      object.parts.push(await this.nextUpload(object));
  }

  private startPart(object: OpenObject): void {
    const body = Buffer.concat(object.chunks);
    object.chunks = [];
    object.bufferedBytes = 0;
    const partNumber = object.nextPartNumber++;
    const upload = this.uploadPart(object, partNumber, body);
    // Awaited in order by nextUpload; a rejection before then must not count as unhandled.
    upload.catch(() => undefined);
    object.uploading.push(upload);
  }

  private nextUpload(object: OpenObject): Promise<S3Part> {
    return object.uploading.shift() as Promise<S3Part>;
  }

  private async uploadPart(object: OpenObject, partNumber: number, body: Buffer): Promise<S3Part> {
    const { bucket, checksumAlgorithm } = this.options;
    object.uploadId ??= this.createUpload(object);
    const uploadId = await object.uploadId;
    try {
      const response = await withRetry(this.options.retryDeadlineMs, () =>
        this.client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: object.key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.length,
            ChecksumAlgorithm: checksumAlgorithm,
          }),
        ),
      );
      if (!response.ETag) throw new Error("the response carries no ETag");
      const checksum = checksumAlgorithm
        ? (response as unknown as Record<string, string | undefined>)[`Checksum${checksumAlgorithm}`]
        : undefined;
      return { partNumber, etag: response.ETag, size: body.length, ...(checksum ? { checksum } : {}) };
    } catch (error) {
      throw this.writeFailed(`uploading part ${partNumber} of`, object.key, error);
    }
  }

  private async createUpload(object: OpenObject): Promise<string> {
    try {
      const response = await withRetry(this.options.retryDeadlineMs, () =>
        this.client.send(
          new CreateMultipartUploadCommand({
            ContentType: this.options.format.contentType,
            ...this.options.objectParameters,
            Bucket: this.options.bucket,
            Key: object.key,
            Metadata: { [UPLOAD_TOKEN_METADATA]: object.uploadToken },
            ChecksumAlgorithm: this.options.checksumAlgorithm,
          }),
        ),
      );
      if (!response.UploadId) throw new Error("the response carries no UploadId");
      return response.UploadId;
    } catch (error) {
      throw this.writeFailed("starting the multipart upload of", object.key, error);
    }
  }

  private writeFailed(what: string, key: string, error: unknown): S3SinkError {
    return new S3SinkError(
      "S3_WRITE_FAILED",
      `s3 sink: ${what} s3://${this.options.bucket}/${key} failed (${describeS3Error(error)}); the job fails over and writes the transaction again`,
      { cause: error },
    );
  }
}

/**
 * At-least-once: the writer completes each object itself at the barrier (pre-commit), so it
 * is visible before its checkpoint completes and no commit follows; a restore from an earlier
 * checkpoint writes those records again, in new objects.
 */
export function completingAtPreCommit<T>(
  writer: S3Writer<T>,
  committer: S3Committer,
): SinkWriter<T, S3Committable> {
  return {
    write: (record) => writer.write(record),
    flush: () => writer.flush(),
    async prepareCommit() {
      for (const c of await writer.prepareCommit()) {
        const outcome = await committer.commit(c);
        if (outcome.kind !== "committed" && outcome.kind !== "alreadyCommitted")
          throw new S3SinkError(
            "S3_WRITE_FAILED",
            `s3 sink: completing ${describeS3Committable(c)} at pre-commit failed (${outcome.reason}); the job fails over and writes it again`,
            { cause: outcome.cause },
          );
      }
      return [];
    },
    async close() {
      await writer.close();
      await committer.close();
    },
  };
}
