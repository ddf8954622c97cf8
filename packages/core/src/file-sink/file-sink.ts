/**
 * The transactional local-file sink: the reference sink and the embedded default. Each
 * transaction is one hidden in-progress file, fsynced at pre-commit and renamed to its
 * visible name at commit, so every visible file in the directory is committed. A job claims
 * its prefix in the directory with a kernel lock (`.berth-locks/<prefix>.lock`), so two jobs
 * never write or clean up under one prefix, whatever their job ids, homes or users.
 */
import { readdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ensureDirectory } from "../fs/directories.js";
import { describeHolder, tryAcquireKernelLock } from "../locks/kernel-lock.js";
import { SinkPrefixInUseError } from "../sink/prefix-ownership.js";
import type { Sink } from "../sink/sink.js";
import {
  FILE_NAME_DECORATION_BYTES,
  type FileCommittable,
  fileCommittableCodec,
  inProgressTransaction,
  transactionOf,
} from "./file-committable.js";
import { FileCommitter } from "./file-committer.js";
import { type FileSinkOptions, resolveFileSinkOptions } from "./file-sink-options.js";
import { FileWriter } from "./file-writer.js";

/** Hidden directory of the prefix locks in a file sink's output directory. */
export const FILE_SINK_LOCK_DIRECTORY = ".berth-locks";

/** The kernel lock a job holds on `prefix` in the output `directory` while it runs. */
export function fileSinkPrefixLock(directory: string, prefix: string): string {
  return join(resolve(directory), FILE_SINK_LOCK_DIRECTORY, `${prefix}.lock`);
}

export function fileSink<T>(options: FileSinkOptions<T>): Sink<T, FileCommittable> {
  const resolved = resolveFileSinkOptions(options);
  const directory = resolve(resolved.directory);
  return {
    kind: "file",
    committable: fileCommittableCodec(directory),
    targetIdentity: () => `file://${directory}`,
    // A file name is at most 255 bytes (NAME_MAX on Linux, macOS and Windows).
    maxNameBytes: 255 - FILE_NAME_DECORATION_BYTES,
    transactionName: transactionOf,
    async claimPrefix(context) {
      const lock = fileSinkPrefixLock(directory, context.sinkPrefix);
      await ensureDirectory(dirname(lock), 0o777);
      const attempt = await tryAcquireKernelLock(lock, context.jobId);
      if (!attempt.acquired)
        throw new SinkPrefixInUseError(context.sinkPrefix, lock, describeHolder(attempt.holder, lock));
      return { release: async () => attempt.lock.release() };
    },
    async createWriter(context) {
      await ensureDirectory(directory, 0o777);
      return new FileWriter<T>(context, { ...resolved, directory });
    },
    async createCommitter() {
      await ensureDirectory(directory, 0o777);
      return new FileCommitter();
    },
    async abortLingering(context) {
      const names = await readdir(directory).catch(() => [] as string[]);
      for (const name of names) {
        const transaction = inProgressTransaction(name);
        if (transaction !== undefined && context.lingering.isLingering(transaction)) {
          context.log.info("deleting lingering in-progress file", { file: name });
          await rm(join(directory, name), { force: true });
        }
      }
    },
  };
}
