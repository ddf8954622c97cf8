/**
 * The S3 sink: only wiring. The writer streams each transaction into a multipart upload
 * (s3-writer.ts), the committer completes it once the checkpoint holding it completed
 * (s3-committer.ts), and uploads of earlier runs are aborted at every start (s3-lingering.ts).
 */
import type { Sink } from "@berth/core/connector";
import { S3SinkError } from "./errors.js";
import { ObjectKeys } from "./internal/object-keys.js";
import { claimLease, leaseKey } from "./internal/prefix-lease.js";
import { createS3Client } from "./internal/s3-client.js";
import { checkBucket, honoursIfNoneMatch } from "./internal/target-probe.js";
import { type S3Committable, s3CommittableCodec } from "./s3-committable.js";
import { S3Committer } from "./s3-committer.js";
import { abortLingeringUploads } from "./s3-lingering.js";
import { completeRestoredFiles } from "./s3-restored-files.js";
import { resolveS3SinkOptions, type S3SinkOptions } from "./s3-sink-options.js";
import { completingAtPreCommit, S3Writer } from "./s3-writer.js";
import { type S3WriterState, s3WriterStateCodec } from "./s3-writer-state.js";

/**
 * An exactly-once S3 sink writing JSON Lines (or CSV) objects, one per subtask and checkpoint:
 *
 * ```ts
 * pipeline.map((seq) => ({ seq })).sinkTo(
 *   s3Sink({ bucket: "sequence", base: "out", client: { endpoint, region, credentials, forcePathStyle: true } }),
 *   { uid: "s3", sinkPrefix: "sequence-to-s3" },
 * );
 * ```
 */
export function s3Sink<T>(options: S3SinkOptions<T>): Sink<T, S3Committable, S3WriterState> {
  const resolved = resolveS3SinkOptions(options);
  const keys = new ObjectKeys(resolved.base, `${resolved.format.extension}${resolved.gzip ? ".gz" : ""}`);
  const endpoint = String(resolved.client.endpoint ?? "AWS");
  let conditionalWrites: Promise<boolean> | undefined;
  /** Checked once per sink object: the bucket answers, and whether it honours If-None-Match. */
  const probe = (): Promise<boolean> => {
    conditionalWrites ??= (async () => {
      const client = createS3Client(resolved.client);
      try {
        await checkBucket(client, resolved.bucket, endpoint, resolved.retryDeadlineMs);
        return await honoursIfNoneMatch(client, resolved.bucket);
      } finally {
        client.destroy();
      }
    })();
    conditionalWrites.catch(() => {
      conditionalWrites = undefined;
    });
    return conditionalWrites;
  };
  return {
    kind: "s3",
    committable: s3CommittableCodec,
    writerState: s3WriterStateCodec,
    targetIdentity: () => `s3://${resolved.bucket}/${keys.listPrefix}`,
    // An S3 key is at most 1024 bytes; the base, `-<seq>` and the extension take their share.
    maxNameBytes: keys.maxAttemptNameBytes,
    transactionName: (c) => keys.attemptNameOf(c.key) ?? c.key,
    async validate() {
      await probe();
    },
    async claimPrefix(context) {
      if (!(await probe()))
        throw new S3SinkError(
          "S3_CONDITIONAL_WRITES_UNSUPPORTED",
          `s3 sink: ${endpoint} does not refuse a second PutObject with If-None-Match: * (no 412), so the sink cannot lease its prefix; use a server with conditional writes (AWS, S3Proxy, MinIO)`,
        );
      const client = createS3Client(resolved.client);
      const lease = await claimLease(client, {
        sinkPrefix: context.sinkPrefix,
        bucket: resolved.bucket,
        key: leaseKey(keys, context.sinkPrefix),
        jobId: context.jobId,
        uid: context.uid,
        ttlMs: resolved.leaseTtlMs,
        onLost: (message) => context.log.warn(message),
      }).catch((error: unknown) => {
        client.destroy();
        throw error;
      });
      return {
        async release() {
          await lease.release();
          client.destroy();
        },
      };
    },
    async createWriter(context) {
      const writer = new S3Writer<T>(context, createS3Client(resolved.client), keys, resolved);
      if (resolved.deliveryGuarantee === "exactly-once") return writer;
      return completingAtPreCommit(writer, new S3Committer(createS3Client(resolved.client), await probe()));
    },
    async createCommitter() {
      return new S3Committer(createS3Client(resolved.client), await probe());
    },
    async abortLingering(context) {
      const client = createS3Client(resolved.client);
      try {
        // Files the restored checkpoint holds open (rolling by size or age) are completed first.
        const openFiles = context.restoredWriterStates.flatMap((s) => s.openFiles);
        const committer = new S3Committer(client, await probe());
        const completed = await completeRestoredFiles(client, committer, resolved, openFiles);
        if (completed.length > 0)
          context.log.info(`s3 sink: completed ${completed.length} file(s) open in the restored checkpoint`, {
            prefix: context.sinkPrefix,
            keys: completed.map((c) => c.key),
          });
        const aborted = await abortLingeringUploads(client, {
          bucket: resolved.bucket,
          keys,
          isOwnName: (attempt) => context.names.parseAttempt(attempt) !== undefined,
          restoredUploadIds: new Set([
            ...context.restoredCommittables.map((c) => c.uploadId),
            ...completed.map((c) => c.uploadId),
          ]),
          retryDeadlineMs: resolved.retryDeadlineMs,
          log: (message, fields) => context.log.info(message, fields),
        });
        if (aborted.length > 0)
          context.log.info(`s3 sink: aborted ${aborted.length} lingering multipart upload(s)`, {
            prefix: context.sinkPrefix,
            keys: aborted.map((u) => u.key),
          });
      } finally {
        client.destroy();
      }
    },
  };
}
