/**
 * Checkpoint storage on a local directory: `<checkpoint dir>/<job id>/chk-<n>/` holds one
 * state file per operator subtask and, once the checkpoint is complete, `_metadata`.
 * A directory without `_metadata` is an unfinished checkpoint and is never restored.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureDirectory, writeAtomically, writeDurably } from "./atomic-file.js";
import { type CheckpointMetadata, COMMITS_FILE, METADATA_FILE, type StateFileHandle } from "./metadata.js";

const CHECKPOINT_DIR = /^chk-(\d+)$/;

export class CheckpointStorage {
  readonly jobDirectory: string;
  readonly defaultSavepointDirectory: string;

  constructor(
    checkpointDirectory: string,
    readonly jobId: string,
  ) {
    this.jobDirectory = resolve(checkpointDirectory, jobId);
    this.defaultSavepointDirectory = resolve(checkpointDirectory, "savepoints");
  }

  /** A fresh directory for checkpoint `id`, or for a savepoint under `targetDirectory`. */
  async createDirectory(id: number, savepointTarget?: string): Promise<string> {
    const directory = savepointTarget
      ? join(
          resolve(savepointTarget),
          `savepoint-${this.jobId.slice(0, 12)}-${id}-${randomBytes(3).toString("hex")}`,
        )
      : join(this.jobDirectory, `chk-${id}`);
    await rm(directory, { recursive: true, force: true });
    await ensureDirectory(directory);
    return directory;
  }

  async writeState(
    directory: string,
    uid: string,
    subtask: number,
    content: string,
  ): Promise<StateFileHandle> {
    const file = `${uid}-${subtask}.state.json`;
    const { sha256, bytes } = await writeDurably(join(directory, file), content);
    return { subtask, file, sha256, bytes };
  }

  /** The checkpoint is complete once this returns. */
  async complete(directory: string, metadata: CheckpointMetadata): Promise<void> {
    await writeAtomically(join(directory, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
  }

  /** Records which committables a stop confirmed committed, so a restore never repeats them. */
  async recordConfirmedCommits(directory: string, ids: string[]): Promise<void> {
    await writeAtomically(join(directory, COMMITS_FILE), `${JSON.stringify({ confirmed: ids })}\n`);
  }

  async discard(directory: string): Promise<void> {
    await rm(directory, { recursive: true, force: true });
  }

  /** Completed checkpoints of this job, oldest first. */
  async completedCheckpoints(): Promise<{ id: number; directory: string }[]> {
    const names = await readdir(this.jobDirectory).catch(() => [] as string[]);
    const found: { id: number; directory: string }[] = [];
    for (const name of names) {
      const match = CHECKPOINT_DIR.exec(name);
      if (!match) continue;
      const directory = join(this.jobDirectory, name);
      if (await exists(join(directory, METADATA_FILE))) found.push({ id: Number(match[1]), directory });
    }
    return found.sort((a, b) => a.id - b.id);
  }

  /** Deletes all but the newest `retained` complete checkpoints, and unfinished ones older than them. */
  async pruneCheckpoints(retained: number): Promise<void> {
    const completed = await this.completedCheckpoints();
    const keep = completed.slice(-retained);
    const oldestKept = keep[0]?.id ?? Number.POSITIVE_INFINITY;
    const names = await readdir(this.jobDirectory).catch(() => [] as string[]);
    for (const name of names) {
      const match = CHECKPOINT_DIR.exec(name);
      if (match && Number(match[1]) < oldestKept)
        await rm(join(this.jobDirectory, name), { recursive: true, force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
