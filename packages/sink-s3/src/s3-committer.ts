/**
 * Commits a pre-committed object: CompleteMultipartUpload with `If-None-Match: *` (where the
 * server honours it), after the checkpoint holding the committable completed. Idempotent: when
 * the upload is gone or the key already holds an object, HeadObject decides — the object is
 * this upload's only when its size and the upload token in its metadata match the committable,
 * and a successful Complete is checked the same way.
 * (Some servers answer ListParts on an unknown upload with an empty list and complete a
 * completed upload again; neither answer is relied on.)
 */
import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type CommitOutcome, CommitOutcomes, type Committer } from "@berth/core/connector";
import { describeS3Error, S3_COMMIT_FAILURES } from "./errors.js";
import { isNotFound, isPreconditionFailed, isTransient } from "./internal/s3-client.js";
import { describeS3Committable, type S3Committable, UPLOAD_TOKEN_METADATA } from "./s3-committable.js";

export class S3Committer implements Committer<S3Committable> {
  constructor(
    private readonly client: S3Client,
    /** Whether the server refuses a conditional write over an existing key (probed at start). */
    private readonly conditionalWrites: boolean,
  ) {}

  async commit(c: S3Committable): Promise<CommitOutcome> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: c.bucket,
          Key: c.key,
          UploadId: c.uploadId,
          ...(this.conditionalWrites ? { IfNoneMatch: "*" } : {}),
          MultipartUpload: { Parts: c.parts.map((p) => completedPart(c, p)) },
        }),
      );
    } catch (error) {
      // The upload is gone (completed before, or aborted) or the key holds an object: the object decides.
      if (isNotFound(error) || isPreconditionFailed(error)) return this.outcomeFromObject(c, error);
      if (isTransient(error))
        return CommitOutcomes.retryLater(`completing ${c.key}: ${describeS3Error(error)}`, error);
      return CommitOutcomes.failedUnknown(
        `completing ${describeS3Committable(c)}: ${describeS3Error(error)}`,
        error,
      );
    }
    // A success is checked too: some servers complete an already completed upload again.
    const outcome = await this.outcomeFromObject(c, undefined);
    return outcome.kind === "alreadyCommitted" ? CommitOutcomes.committed : outcome;
  }

  private async outcomeFromObject(c: S3Committable, completeError: unknown): Promise<CommitOutcome> {
    let head: { ContentLength?: number; Metadata?: Record<string, string> };
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: c.bucket, Key: c.key }));
    } catch (error) {
      if (isNotFound(error))
        return CommitOutcomes.failedKnown(
          S3_COMMIT_FAILURES.uploadLost,
          `the multipart upload of ${describeS3Committable(c)} is gone and the object was never written (aborted by hand or by a lifecycle rule shorter than the job's downtime): its records are lost`,
          completeError,
        );
      if (isTransient(error))
        return CommitOutcomes.retryLater(`reading ${c.key}: ${describeS3Error(error)}`, error);
      return CommitOutcomes.failedUnknown(`reading ${c.key}: ${describeS3Error(error)}`, error);
    }
    if (head.ContentLength === c.size && head.Metadata?.[UPLOAD_TOKEN_METADATA] === c.uploadToken)
      return CommitOutcomes.alreadyCommitted;
    return CommitOutcomes.failedKnown(
      S3_COMMIT_FAILURES.objectConflict,
      `s3://${c.bucket}/${c.key} holds an object of another upload (${head.ContentLength} bytes, upload token ${head.Metadata?.[UPLOAD_TOKEN_METADATA] ?? "none"}), not ${describeS3Committable(c)}: its records are lost — did another job write under this sink prefix?`,
      completeError,
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function completedPart(c: S3Committable, part: S3Committable["parts"][number]): CompletedPart {
  return {
    PartNumber: part.partNumber,
    ETag: part.etag,
    ...(c.checksumAlgorithm && part.checksum ? { [`Checksum${c.checksumAlgorithm}`]: part.checksum } : {}),
  };
}
