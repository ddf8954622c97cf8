/**
 * The checkpoint-storage interface on a local directory: keys are paths under the root,
 * `writeIfAbsent` writes a temp file, fsyncs it, hard-links it into place (which fails when
 * the name exists, so nothing is ever overwritten) and fsyncs the directory.
 */
import { randomUUID } from "node:crypto";
import { link, readdir, readFile, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { BerthError } from "../errors.js";
import { lockJobId } from "../locks/job-id-lock.js";
import { ensureDirectory, fsyncDirectory, writeDurably } from "./atomic-file.js";
import type { CheckpointStore, Lease } from "./checkpoint-store.js";

export class LocalDirectoryStore implements CheckpointStore {
  readonly location: string;

  constructor(directory: string) {
    this.location = resolve(directory);
  }

  locate(key: string): string {
    const path = resolve(this.location, ...key.split("/").filter(Boolean));
    // Keys come from Berth's own names, but a key must never reach outside the root.
    if (path !== this.location && !path.startsWith(this.location + sep))
      throw new BerthError("CONFIG_INVALID", `${key} lies outside ${this.location}; this is a bug in Berth`);
    return path;
  }

  async list(prefix: string): Promise<string[]> {
    const entries = await readdir(this.locate(prefix), { withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
        throw error;
      },
    );
    return (
      entries
        // A temp file is half an object: never listed.
        .filter((entry) => !entry.name.endsWith(".tmp"))
        .map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name))
        .sort()
    );
  }

  async read(key: string): Promise<Buffer | undefined> {
    return readFile(this.locate(key)).catch((error: NodeJS.ErrnoException) => {
      // A folder is not an object (an object store has no empty folders either).
      if (error.code === "ENOENT" || error.code === "EISDIR") return undefined;
      throw error;
    });
  }

  async writeIfAbsent(key: string, data: string | Buffer): Promise<boolean> {
    const path = this.locate(key);
    const directory = dirname(path);
    await ensureDirectory(directory);
    const temp = join(directory, `.${randomUUID()}.tmp`);
    try {
      await writeDurably(temp, data);
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
    await fsyncDirectory(directory);
    return true;
  }

  async delete(key: string): Promise<void> {
    const path = this.locate(key);
    await rm(path, { recursive: true, force: true });
    await fsyncDirectory(dirname(path)).catch(() => undefined); // the parent may be gone too
  }

  /** Files are written in place: the folder is its own scratch directory. */
  scratchDirectory(key: string): string {
    return this.locate(key);
  }

  /** Nothing to upload: files written in place were made durable as they were written. */
  async publish(_key: string): Promise<void> {}

  /** The job-id kernel lock in the job's folder (locks/job-id-lock.ts): the process's death releases it. */
  async lease(jobId: string): Promise<Lease> {
    const lock = await lockJobId(this.locate(jobId), jobId);
    // A kernel lock cannot be lost while its process lives: nothing to check.
    return { jobId, check: async () => undefined, release: async () => lock.release() };
  }
}
