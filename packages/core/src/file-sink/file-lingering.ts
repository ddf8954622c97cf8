/**
 * Lingering transaction cleanup of the file sink: every in-progress file of the output
 * directory whose transaction the core's lingering scope marks lingering is deleted — files of
 * this prefix the restored state does not hold, subtasks that vanished included. Files of a
 * longer prefix that starts with this one are never touched (the scope parses by `SinkNames`).
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RecoverContext } from "../sink/sink.js";
import { type FileCommittable, inProgressTransaction } from "./file-committable.js";

export async function abortFileLingering(
  directory: string,
  context: RecoverContext<FileCommittable>,
): Promise<void> {
  const names = await readdir(directory).catch(() => [] as string[]);
  for (const name of names) {
    const transaction = inProgressTransaction(name);
    if (transaction !== undefined && context.lingering.isLingering(transaction)) {
      context.log.info("deleting lingering in-progress file", { file: name });
      await rm(join(directory, name), { force: true });
    }
  }
}
