/**
 * A kernel lock: an exclusive lock on a file that the operating system releases when the
 * holding process dies, however it dies (SIGKILL, OOM killer, a crash in native code).
 *
 * Node has no flock(2), so the lock is SQLite's: the holder opens a SQLite database at the
 * lock path and keeps an EXCLUSIVE transaction open, which SQLite takes as a POSIX advisory
 * (fcntl) lock. Every other connection — of another process, or another one of this
 * process — gets SQLITE_BUSY at once (busy timeout 0). The kernel drops the lock with the
 * process's last descriptor, so there is never a stale lock to take over.
 *
 * Why not a file created exclusively (O_EXCL) holding the owner's pid: that file outlives
 * its process, so a contender must judge the owner dead and take over — remove the stale
 * file, create its own. Two contenders that both saw the dead pid both remove and create:
 * the second removes the file the first had just created, and both believe they hold the
 * lock. A dead owner's pid may also have been reused by an unrelated process. Here the
 * takeover is the kernel's own atomic grant: of any number of contenders exactly one wins.
 *
 * The holder's identity is written beside the lock (`<path>.holder`, replaced atomically)
 * once the lock is taken, so a refused contender can name it. A refused contender trusts it
 * only when it names a live process (a dead one's file is stale: the new holder is still
 * writing its own), and otherwise waits briefly before reporting the holder as unknown.
 *
 * Rules that keep the lock sound: keep the returned {@link KernelLock} referenced until
 * `release()` (a collected connection closes); never open, read or delete the lock file by
 * other means — closing any descriptor of a file drops every fcntl lock the process holds on
 * it, and a deleted lock file would let a contender lock a new file at the same path. A lock
 * on a network file system is only as good as that file system's fcntl support.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type Database from "better-sqlite3";
import { openSqlite } from "../sqlite.js";
import { currentProcess, isProcessLive, type ProcessIdentity } from "./process-identity.js";

/** Who holds a kernel lock. */
export interface LockHolder extends ProcessIdentity {
  readonly jobId: string;
  /** ISO time the lock was taken. */
  readonly acquiredAt: string;
}

export interface KernelLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Gives the lock back (idempotent). The process's death releases it too. */
  release(): void;
}

export type LockAttempt =
  | { readonly acquired: true; readonly lock: KernelLock }
  /** `holder` is undefined when the holder has not recorded itself (yet). */
  | { readonly acquired: false; readonly holder: LockHolder | undefined };

/** How long a refused contender waits for a new holder to record itself. */
const HOLDER_WAIT_MS = 1_000;
const HOLDER_POLL_MS = 50;

function holderFile(path: string): string {
  return `${path}.holder`;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(holderFile(path), "utf8")) as LockHolder;
    return typeof holder.pid === "number" && typeof holder.jobId === "string" ? holder : undefined;
  } catch {
    return undefined; // none yet, or written by something else
  }
}

function writeHolder(path: string, holder: LockHolder): void {
  const temp = join(dirname(path), `.${basename(path)}.holder.${process.pid}.tmp`);
  writeFileSync(temp, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  renameSync(temp, holderFile(path));
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/**
 * Creates the lock file owner-only (SQLite would create it 0644), like every file Berth keeps
 * beside checkpoints. `wx` never opens an existing file, so no descriptor of a file this
 * process may hold a lock on is ever closed here.
 */
function createLockFile(path: string): void {
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** The live holder of the lock at `path`, waiting briefly for a new holder to record itself. */
async function liveHolder(path: string): Promise<LockHolder | undefined> {
  for (let waited = 0; ; waited += HOLDER_POLL_MS) {
    const holder = readHolder(path);
    if (holder && isProcessLive(holder)) return holder;
    if (waited >= HOLDER_WAIT_MS) return undefined;
    await sleep(HOLDER_POLL_MS);
  }
}

/**
 * Takes the lock at `path` for `jobId`, or reports who holds it. The directory must exist;
 * the lock file is created when missing and never deleted.
 */
export async function tryAcquireKernelLock(path: string, jobId: string): Promise<LockAttempt> {
  createLockFile(path);
  const db = openSqlite(path, { timeout: 0 });
  try {
    db.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    db.close();
    if (!isBusy(error)) throw error;
    return { acquired: false, holder: await liveHolder(path) };
  }
  const holder: LockHolder = { jobId, ...currentProcess(), acquiredAt: new Date().toISOString() };
  try {
    writeHolder(path, holder);
  } catch (error) {
    db.close();
    throw error;
  }
  let held = true;
  return {
    acquired: true,
    lock: {
      path,
      holder,
      release() {
        if (!held) return;
        held = false;
        // Removed while still held: after the release the file may already be the next holder's.
        rmSync(holderFile(path), { force: true });
        db.close(); // rolls the open transaction back and drops the fcntl lock
      },
    },
  };
}

/**
 * Whether a live process holds the lock at `path`, without keeping it: a probe for
 * operator commands. A missing lock file is free (and is not created).
 */
export async function probeKernelLock(
  path: string,
): Promise<{ readonly held: false } | { readonly held: true; readonly holder: LockHolder | undefined }> {
  let db: Database.Database;
  try {
    db = openSqlite(path, { timeout: 0, fileMustExist: true });
  } catch {
    return { held: false };
  }
  try {
    db.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    if (!isBusy(error)) throw error;
    return { held: true, holder: await liveHolder(path) };
  } finally {
    db.close();
  }
  return { held: false };
}

/** "job seq1 (pid 4242 on host-a, since 2026-…)", or a fallback naming the lock file. */
export function describeHolder(holder: LockHolder | undefined, path: string): string {
  return holder
    ? `job ${holder.jobId} (pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt})`
    : `another process (it has not recorded itself beside ${path} yet)`;
}
