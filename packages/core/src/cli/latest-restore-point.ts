/**
 * `--from-latest`: the newest complete checkpoint or savepoint of a job id in the
 * checkpoint directory (checkpoints under `<dir>/<job id>/`, savepoints under
 * `<dir>/savepoints/`), by checkpoint id.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointStorage } from "../checkpoint/checkpoint-storage.js";
import { METADATA_FILE } from "../checkpoint/metadata.js";

export async function latestRestorePoint(
  checkpointDirectory: string,
  jobId: string,
): Promise<string | undefined> {
  const storage = new CheckpointStorage(checkpointDirectory, jobId);
  const candidates = (await storage.completedCheckpoints()).map((c) => ({
    id: c.id,
    directory: c.directory,
  }));
  const savepoints = await readdir(storage.defaultSavepointDirectory).catch(() => [] as string[]);
  for (const name of savepoints) {
    const directory = join(storage.defaultSavepointDirectory, name);
    try {
      const metadata = JSON.parse(await readFile(join(directory, METADATA_FILE), "utf8")) as {
        jobId?: string;
        checkpointId?: number;
      };
      if (metadata.jobId === jobId && typeof metadata.checkpointId === "number")
        candidates.push({ id: metadata.checkpointId, directory });
    } catch {
      // Not a complete savepoint.
    }
  }
  candidates.sort((a, b) => a.id - b.id);
  return candidates.at(-1)?.directory;
}
