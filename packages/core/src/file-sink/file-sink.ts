/**
 * The transactional local-file sink: the reference sink and the embedded default. Each
 * transaction is one hidden in-progress file, fsynced at pre-commit and renamed to its
 * visible name at commit, so every visible file in the directory is committed.
 */
import { readdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureDirectory } from "../fs/directories.js";
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
