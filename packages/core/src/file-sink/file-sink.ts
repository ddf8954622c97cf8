/**
 * The transactional local-file sink: the reference sink and the embedded default. Each
 * transaction is one hidden in-progress file, fsynced at pre-commit and renamed to its
 * visible name at commit, so every visible file in the directory is committed. This file only
 * wires the parts: the writer (file-writer.ts), the committer (file-committer.ts), lingering
 * cleanup (file-lingering.ts) and the prefix's kernel lock (internal/prefix-claim.ts).
 */
import { resolve } from "node:path";
import { ensureDirectory } from "../fs/directories.js";
import type { Sink } from "../sink/sink.js";
import {
  FILE_NAME_DECORATION_BYTES,
  type FileCommittable,
  fileCommittableCodec,
  transactionOf,
} from "./file-committable.js";
import { FileCommitter } from "./file-committer.js";
import { abortFileLingering } from "./file-lingering.js";
import { type FileSinkOptions, resolveFileSinkOptions } from "./file-sink-options.js";
import { FileWriter } from "./file-writer.js";
import { claimFilePrefix } from "./internal/prefix-claim.js";

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
    claimPrefix: (context) => claimFilePrefix(directory, context),
    async createWriter(context) {
      await ensureDirectory(directory, 0o777);
      return new FileWriter<T>(context, { ...resolved, directory });
    },
    async createCommitter() {
      await ensureDirectory(directory, 0o777);
      return new FileCommitter();
    },
    abortLingering: (context) => abortFileLingering(directory, context),
  };
}
