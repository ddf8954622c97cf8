/**
 * Writes a subtask's records into one multipart upload per file: one file per partition at a
 * time. Serialized records are buffered (in memory up to the writer's bound, then spooled:
 * internal/part-buffer.ts); every `partSizeBytes` becomes a part uploaded in the background, at
 * most `uploadConcurrency` at a time (`write` waits beyond that). Completing a file uploads the
 * rest as the last part and hands its committable to the next prepareCommit; the object stays
 * invisible until the committer completes the upload.
 *
 * When a file is completed is the rolling policy's: at every barrier (on-checkpoint), or once it
 * is large or old enough, and then it stays open across checkpoints, its parts and tail in the
 * writer state (s3-writer-state.ts). Every stop, end of input and savepoint completes every file.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { createGzip, type Gzip } from "node:zlib";
import { AbortMultipartUploadCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  previewRecord,
  type SinkBarrier,
  type SinkWriter,
  type SinkWriterContext,
} from "@berth/core/connector";
import { S3RecordRejectedError, S3SinkError } from "./errors.js";
import { createUpload, type MultipartSettings, uploadPart } from "./internal/multipart.js";
import { MAX_KEY_BYTES, type ObjectKeys } from "./internal/object-keys.js";
import { type ParquetColumn, ParquetFile, type ParquetRow, parquetRow } from "./internal/parquet-file.js";
import { MemoryBudget, type PartBody, PartBuffer } from "./internal/part-buffer.js";
import { partitionPath } from "./internal/partitions.js";
import { describeS3Committable, type S3Committable, type S3Part } from "./s3-committable.js";
import type { S3Committer } from "./s3-committer.js";
import { MIN_PART_BYTES, type ResolvedS3SinkOptions } from "./s3-sink-options.js";
import type { S3OpenFile, S3WriterState } from "./s3-writer-state.js";

/** How long closing a writer waits to abort its unfinished upload (lingering cleanup catches it otherwise). */
const CLOSE_ABORT_TIMEOUT_MS = 5_000;

/** One file being written. */
interface OpenObject {
  /** Its partition path ("" without partitions). */
  readonly partition: string;
  readonly key: string;
  readonly uploadToken: string;
  uploadId: Promise<string> | undefined;
  /** The Parquet file being encoded (the parquet format), its row group gathering. */
  parquet: ParquetFile | undefined;
  /** The gzip member being written; a file kept open across a barrier starts a new member after it. */
  gzip: Gzip | undefined;
  /** Bytes not yet cut into a part. */
  readonly buffer: PartBuffer;
  /** Uploads in flight, in part order; awaited oldest first. */
  readonly uploading: Promise<S3Part>[];
  readonly parts: S3Part[];
  nextPartNumber: number;
  records: number;
  /** Bytes of the file so far: its parts and its buffer. */
  bytes: number;
  readonly openedAt: number;
  /** In a checkpoint's writer state: a restore completes it, so closing the writer never aborts it. */
  snapshotted: boolean;
}

export class S3Writer<T> implements SinkWriter<T, S3Committable, S3WriterState> {
  /** The open files, by partition path ("" without partitions). */
  private current = new Map<string, OpenObject>();
  /** Files completed since the last prepareCommit, returned by the next one. */
  private finished: S3Committable[] = [];
  /** Files rolled by size, completing in the background (the next flush awaits them). */
  private finishing: Promise<S3Committable>[] = [];
  /** What the last flush kept open, with each file's tail: the writer state of its checkpoint. */
  private kept: S3OpenFile[] = [];
  /** Files opened for the checkpoint `seqCheckpoint`: the next file's `seq`. */
  private seqCheckpoint = -1;
  private nextSeq = 0;
  private readonly settings: MultipartSettings;
  /** Bytes held in memory, observable by tests. */
  readonly memory: MemoryBudget;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly client: S3Client,
    private readonly keys: ObjectKeys,
    private readonly options: ResolvedS3SinkOptions<T>,
  ) {
    this.settings = { ...options, contentType: options.format.contentType };
    this.memory = new MemoryBudget(options.memoryBufferBytes, options.spoolDirectory);
  }

  async write(record: T): Promise<void> {
    // Checked before anything of the record is buffered: a rejected record is a bad record.
    const { format } = this.options;
    const encoded = format.kind === "lines" ? this.serialize(record) : this.parquetRow(format.schema, record);
    const object = this.open(record);
    object.records += 1;
    if (typeof encoded !== "string") object.parquet?.push(encoded);
    else if (this.options.gzip) {
      object.gzip ??= this.startMember(object);
      const gzip = object.gzip;
      // Compressed bytes arrive asynchronously through the stream's "data" events.
      if (!gzip.write(encoded)) await once(gzip, "drain");
    } else this.append(object, Buffer.from(encoded));
    await object.buffer.drained();
    await this.cutFullPart(object);
    const { maxBytes } = this.options.rolling;
    if (maxBytes !== undefined && object.bytes >= maxBytes) {
      // Completed beside the records that follow; as many at once as parts may upload.
      this.current.delete(object.partition);
      const finishing = this.finish(object);
      finishing.catch(() => undefined);
      this.finishing.push(finishing);
      if (this.finishing.length > this.options.uploadConcurrency)
        this.finished.push(await (this.finishing.shift() as Promise<S3Committable>));
    }
  }

  async flush(endOfInput: boolean, barrier?: SinkBarrier): Promise<void> {
    const { rolling } = this.options;
    // A stop or a savepoint leaves no file open: the job ends, or another job may start from it.
    const completeAll =
      rolling.onCheckpoint || endOfInput || !barrier || barrier.stop !== "none" || barrier.savepoint;
    while (this.finishing.length > 0)
      this.finished.push(await (this.finishing.shift() as Promise<S3Committable>));
    const now = Date.now();
    this.kept = [];
    for (const object of [...this.current.values()]) {
      if (completeAll || (rolling.maxAgeMs !== undefined && now - object.openedAt >= rolling.maxAgeMs)) {
        this.current.delete(object.partition);
        this.finished.push(await this.finish(object));
      } else this.kept.push(await this.keepOpen(object));
    }
  }

  async prepareCommit(): Promise<S3Committable[]> {
    const finished = this.finished;
    this.finished = [];
    return finished;
  }

  snapshotState(): S3WriterState {
    for (const object of this.current.values()) object.snapshotted = true;
    return { openFiles: this.kept };
  }

  async close(): Promise<void> {
    const objects = [...this.current.values()];
    this.current = new Map();
    for (const object of objects) await this.abort(object);
    await this.memory.removeSpool();
    this.client.destroy();
  }

  private async finish(object: OpenObject): Promise<S3Committable> {
    object.parquet?.finish();
    await this.endMember(object);
    // The last part may be smaller than 5 MiB; a one-part object may be of any size.
    if (object.buffer.size > 0 || object.parts.length + object.uploading.length === 0)
      await this.startPart(object);
    await this.awaitUploads(object);
    return {
      bucket: this.options.bucket,
      key: object.key,
      uploadId: await (object.uploadId as Promise<string>),
      uploadToken: object.uploadToken,
      ...(this.options.checksumAlgorithm ? { checksumAlgorithm: this.options.checksumAlgorithm } : {}),
      parts: object.parts,
      size: object.bytes,
      records: object.records,
    };
  }

  /** Makes a file that stays open durable up to here: its uploads done, its tail in the writer state. */
  private async keepOpen(object: OpenObject): Promise<S3OpenFile> {
    await this.endMember(object);
    // A tail of a valid part's size goes up now: the checkpoint keeps less than 5 MiB per file.
    if (object.buffer.size >= MIN_PART_BYTES) await this.startPart(object);
    await this.awaitUploads(object);
    const uploadId = await object.uploadId;
    return {
      bucket: this.options.bucket,
      key: object.key,
      ...(uploadId ? { uploadId } : {}),
      uploadToken: object.uploadToken,
      ...(this.options.checksumAlgorithm ? { checksumAlgorithm: this.options.checksumAlgorithm } : {}),
      contentType: this.settings.contentType,
      parts: [...object.parts],
      tail: (await object.buffer.contents()).toString("base64"),
      records: object.records,
    };
  }

  private async abort(object: OpenObject): Promise<void> {
    object.gzip?.destroy();
    await Promise.allSettled(object.uploading);
    await object.buffer.discard();
    // In a checkpoint: a restore completes it, or the next start's lingering cleanup aborts it.
    if (object.snapshotted) return;
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
          { abortSignal: AbortSignal.timeout(CLOSE_ABORT_TIMEOUT_MS) },
        )
        .catch(() => undefined);
    }
  }

  private parquetRow(schema: readonly ParquetColumn[], record: T): ParquetRow {
    try {
      return parquetRow(schema, record);
    } catch (error) {
      throw this.recordInvalid(record, (error as Error).message, error);
    }
  }

  private serialize(record: T): string {
    const { format } = this.options;
    let line: unknown;
    try {
      line = format.kind === "lines" ? format.line(record) : undefined;
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

  /** The record's open file, opened lazily (one per partition at a time). */
  private open(record: T): OpenObject {
    const partition = this.partitionOf(record);
    const open = this.current.get(partition);
    if (open) return open;
    const { names, subtask, attemptId } = this.context;
    const checkpointId = this.context.currentCheckpointId();
    // Files opened for one checkpoint are numbered in the order opened.
    if (checkpointId !== this.seqCheckpoint) {
      this.seqCheckpoint = checkpointId;
      this.nextSeq = 0;
    }
    const key = this.keys.key(names, { subtask, attemptId, checkpointId }, this.nextSeq, partition);
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw new S3RecordRejectedError(
        "S3_KEY_TOO_LONG",
        `s3 sink: record ${previewRecord(record)} would go to a key of ${Buffer.byteLength(key)} bytes, over S3's ${MAX_KEY_BYTES} (${key.slice(0, 120)}…); shorten its partition values, the base or the sink prefix`,
      );
    this.nextSeq += 1;
    const object: OpenObject = {
      partition,
      key,
      uploadToken: randomUUID(),
      uploadId: undefined,
      parquet: undefined,
      gzip: undefined,
      buffer: new PartBuffer(this.memory),
      uploading: [],
      parts: [],
      nextPartNumber: 1,
      records: 0,
      bytes: 0,
      openedAt: Date.now(),
      snapshotted: false,
    };
    const { format } = this.options;
    if (format.kind === "parquet")
      object.parquet = new ParquetFile(format.schema, format.rowGroupRows, (bytes) =>
        this.append(object, bytes),
      );
    const header = format.kind === "lines" ? format.header : "";
    if (header && this.options.gzip) {
      object.gzip = this.startMember(object);
      object.gzip.write(header);
    } else if (header) this.append(object, Buffer.from(header));
    this.current.set(partition, object);
    return object;
  }

  /** A gzip member of the file: a file kept open across barriers is a concatenation of members, as gzip allows. */
  private startMember(object: OpenObject): Gzip {
    const gzip = createGzip();
    gzip.on("data", (chunk: Buffer) => this.append(object, chunk));
    return gzip;
  }

  private async endMember(object: OpenObject): Promise<void> {
    const gzip = object.gzip;
    if (!gzip) return;
    object.gzip = undefined;
    const ended = once(gzip, "end");
    gzip.end();
    await ended;
    await object.buffer.drained();
  }

  private append(object: OpenObject, bytes: Buffer): void {
    object.buffer.append(bytes);
    object.bytes += bytes.length;
  }

  /** Uploads the buffer as a part once it holds a part's worth; waits while too many parts are uploading. */
  private async cutFullPart(object: OpenObject): Promise<void> {
    if (object.buffer.size < this.options.partSizeBytes) return;
    await this.startPart(object);
    while (object.uploading.length >= this.options.uploadConcurrency)
      object.parts.push(await (object.uploading.shift() as Promise<S3Part>));
  }

  private async awaitUploads(object: OpenObject): Promise<void> {
    while (object.uploading.length > 0)
      object.parts.push(await (object.uploading.shift() as Promise<S3Part>));
  }

  private async startPart(object: OpenObject): Promise<void> {
    const body = await object.buffer.cut();
    const upload = this.upload(object, object.nextPartNumber++, body);
    // Awaited in order; a rejection before then must not count as unhandled.
    upload.catch(() => undefined);
    object.uploading.push(upload);
  }

  private async upload(object: OpenObject, partNumber: number, body: PartBody): Promise<S3Part> {
    try {
      object.uploadId ??= createUpload(
        this.client,
        this.settings,
        this.options.bucket,
        object.key,
        object.uploadToken,
      );
      const uploadId = await object.uploadId;
      return await uploadPart(
        this.client,
        this.settings,
        { bucket: this.options.bucket, key: object.key, uploadId },
        partNumber,
        body,
      );
    } finally {
      if ("path" in body) await rm(body.path, { force: true });
      else this.memory.release(body.size);
    }
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
): SinkWriter<T, S3Committable, S3WriterState> {
  return {
    write: (record) => writer.write(record),
    flush: (endOfInput, barrier) => writer.flush(endOfInput, barrier),
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
    snapshotState: () => writer.snapshotState(),
    async close() {
      await writer.close();
      await committer.close();
    },
  };
}
