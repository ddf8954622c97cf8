/**
 * Completing the files a restored checkpoint holds open (rolling by size or age): at start,
 * before any writer opens, each is completed from exactly what the checkpoint holds — its parts,
 * then its tail uploaded again as the last part (replacing whatever the crashed run uploaded
 * after the checkpoint under that number) — and committed as any committable is. Completing
 * rather than continuing makes every restore of one checkpoint do the same thing, whatever the
 * new parallelism (a vanished subtask's files too), and a repeated restore finds the object
 * already there. A file that a later checkpoint completed with more records is refused, as
 * Flink refuses to resume an in-progress file from a superseded checkpoint.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { describeS3Error, S3SinkError } from "./errors.js";
import { createUpload, type MultipartSettings, uploadPart } from "./internal/multipart.js";
import { withRetry } from "./internal/retry.js";
import { isNotFound } from "./internal/s3-client.js";
import { describeS3Committable, type S3Committable, UPLOAD_TOKEN_METADATA } from "./s3-committable.js";
import type { S3Committer } from "./s3-committer.js";
import type { S3OpenFile } from "./s3-writer-state.js";

const RETRY_PAUSE_MS = 500;

export async function completeRestoredFiles(
  client: S3Client,
  committer: S3Committer,
  settings: Omit<MultipartSettings, "contentType" | "checksumAlgorithm">,
  files: readonly S3OpenFile[],
): Promise<S3Committable[]> {
  const completed: S3Committable[] = [];
  for (const file of files) completed.push(await completeFile(client, committer, settings, file));
  return completed;
}

async function completeFile(
  client: S3Client,
  committer: S3Committer,
  settings: Omit<MultipartSettings, "contentType" | "checksumAlgorithm">,
  file: S3OpenFile,
): Promise<S3Committable> {
  const tail = Buffer.from(file.tail, "base64");
  const size = file.parts.reduce((sum, p) => sum + p.size, 0) + tail.length;
  const where = `s3://${file.bucket}/${file.key}`;
  const found = await existing(client, settings.retryDeadlineMs, file);
  if (found?.token === file.uploadToken && found.size !== size)
    throw new S3SinkError(
      "S3_RESTORE_POINT_SUPERSEDED",
      `s3 sink: ${where} was open in the restored checkpoint with ${size} bytes, but a later checkpoint completed it with ${found.size}: restore from the newest checkpoint (a file rolled by size or age is completed once, from the newest state)`,
    );
  const fileSettings = {
    ...settings,
    contentType: file.contentType,
    checksumAlgorithm: file.checksumAlgorithm,
  };
  let committable: S3Committable = {
    bucket: file.bucket,
    key: file.key,
    uploadId: file.uploadId ?? "",
    uploadToken: file.uploadToken,
    ...(file.checksumAlgorithm ? { checksumAlgorithm: file.checksumAlgorithm } : {}),
    parts: file.parts,
    size,
    records: file.records,
  };
  // Completed by an earlier start from this checkpoint: the committer finds the object.
  if (found?.token !== file.uploadToken) {
    const uploadId =
      file.uploadId ?? (await createUpload(client, fileSettings, file.bucket, file.key, file.uploadToken));
    const parts = [...file.parts];
    if (tail.length > 0 || parts.length === 0) {
      try {
        parts.push(
          await uploadPart(
            client,
            fileSettings,
            { bucket: file.bucket, key: file.key, uploadId },
            parts.length + 1,
            {
              bytes: tail,
              size: tail.length,
            },
          ),
        );
      } catch (error) {
        if (!isNotFound((error as Error).cause)) throw error;
        throw new S3SinkError(
          "S3_UPLOAD_LOST",
          `s3 sink: the multipart upload ${uploadId} of ${where}, open in the restored checkpoint with ${file.records} record(s), is gone and its object was never written (aborted by hand or by a lifecycle rule shorter than the job's downtime): those records are lost`,
          { cause: error },
        );
      }
    }
    committable = { ...committable, uploadId, parts };
  }
  for (const giveUpAt = Date.now() + settings.retryDeadlineMs; ; ) {
    const outcome = await committer.commit(committable);
    if (outcome.kind === "committed" || outcome.kind === "alreadyCommitted") return committable;
    if (outcome.kind !== "retryLater" || Date.now() > giveUpAt)
      throw new S3SinkError(
        outcome.kind === "failedKnown" && outcome.code === "S3_UPLOAD_LOST"
          ? "S3_UPLOAD_LOST"
          : "S3_WRITE_FAILED",
        `s3 sink: completing ${describeS3Committable(committable)}, open in the restored checkpoint, failed (${outcome.reason})`,
        { cause: outcome.cause },
      );
    await sleep(RETRY_PAUSE_MS);
  }
}

/** The object at the file's key, if there is one: its size and upload token. */
async function existing(
  client: S3Client,
  retryDeadlineMs: number,
  file: S3OpenFile,
): Promise<{ size: number | undefined; token: string | undefined } | undefined> {
  try {
    const head = await withRetry(retryDeadlineMs, () =>
      client.send(new HeadObjectCommand({ Bucket: file.bucket, Key: file.key })),
    );
    return { size: head.ContentLength, token: head.Metadata?.[UPLOAD_TOKEN_METADATA] };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new S3SinkError(
      "S3_TARGET_UNREACHABLE",
      `s3 sink: reading s3://${file.bucket}/${file.key} failed (${describeS3Error(error)}); check the endpoint, the credentials and that the bucket exists`,
      { cause: error },
    );
  }
}
