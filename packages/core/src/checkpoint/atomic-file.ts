/**
 * Durable file writes: write a temp file, fsync it, rename it into place, fsync the
 * directory. A reader sees the old file or the whole new one, never half of it, even if
 * the process or machine dies in between. Files are readable by their owner only, since
 * state and committables may carry data users consider private.
 */
import { createHash, randomUUID } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fsyncDirectory } from "../fs/directories.js";

// Directories are created by the one walker that cannot loop, each made durable (see fs/directories.ts).
export { ensureDirectory, fsyncDirectory } from "../fs/directories.js";

/** Writes `content` to `path` and fsyncs it; returns its SHA-256 and size. */
export async function writeDurably(
  path: string,
  content: string | Buffer,
): Promise<{ sha256: string; bytes: number }> {
  const data = typeof content === "string" ? Buffer.from(content) : content;
  const handle = await open(path, "w", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256: createHash("sha256").update(data).digest("hex"), bytes: data.length };
}

/** Atomically replaces `path` with `content` (temp, fsync, rename, fsync directory). */
export async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    await writeDurably(temp, content);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
