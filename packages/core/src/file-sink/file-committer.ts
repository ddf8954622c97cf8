/** Commits a pre-committed file by renaming it to its visible name; idempotent. */
import { access, rename } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDirectory } from "../checkpoint/atomic-file.js";
import { type CommitOutcome, CommitOutcomes } from "../sink/commit-outcome.js";
import type { Committer } from "../sink/sink.js";
import type { FileCommittable } from "./file-committable.js";

const TRANSIENT = new Set(["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "ENOSPC", "EINTR"]);

/** Makes the file visible: rename to its final name, then fsync the directory so the rename survives a crash. */
export async function publishFile(committable: FileCommittable): Promise<void> {
  const { directory } = committable;
  await rename(join(directory, committable.pending), join(directory, committable.final));
  await fsyncDirectory(directory);
}

export class FileCommitter implements Committer<FileCommittable> {
  async commit(committable: FileCommittable): Promise<CommitOutcome> {
    const { directory } = committable;
    const pending = join(directory, committable.pending);
    const final = join(directory, committable.final);
    try {
      await publishFile(committable);
      return CommitOutcomes.committed;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code === "ENOENT") {
        const committed = await access(final).then(
          () => true,
          () => false,
        );
        return committed
          ? CommitOutcomes.alreadyCommitted
          : CommitOutcomes.failedKnown(
              "FILE_PRE_COMMITTED_FILE_MISSING",
              `neither ${pending} nor ${final} exists: the pre-committed file was deleted`,
              error,
            );
      }
      if (TRANSIENT.has(code)) return CommitOutcomes.retryLater(`${code} renaming ${pending}`, error);
      return CommitOutcomes.failedUnknown(`renaming ${pending} failed: ${code}`, error);
    }
  }

  async close(): Promise<void> {}
}
