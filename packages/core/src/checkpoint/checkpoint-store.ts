/**
 * The checkpoint-storage interface (ADR 0006, ADR 0018): the operations the core needs from
 * wherever checkpoints, savepoints and a job's lineage live. A local directory implements it
 * (local-directory-store.ts); an object store implements the same operations in its own
 * package (S3: `@berth/sink-s3/checkpoint-store`, `If-None-Match: *` puts and a lease object),
 * loaded for its URI scheme, so the core depends on no SDK.
 *
 * Keys are `/`-separated paths relative to the store's root, like object keys. A store never
 * shows half an object: `writeIfAbsent` is atomic and durable once it returns, which is what
 * makes `_metadata` (written last) the one mark of a complete checkpoint. Files that must exist
 * on a local disk first (a state file as it is written, SQLite's native copy) are written to
 * the folder's scratch directory and published before `_metadata`.
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BerthError } from "../errors.js";
import { loadOptionalModule } from "../optional-module.js";
import { LocalDirectoryStore } from "./local-directory-store.js";
import { absoluteLocation, schemeOf, splitLocation } from "./locations.js";

export interface CheckpointStore {
  /** The root: an absolute local path, or a URI (`s3://bucket/prefix`). */
  readonly location: string;
  /** The location of `key` as users see and pass it (a path or a URI). */
  locate(key: string): string;
  /**
   * Names directly under the folder `prefix` ("" = the root), sorted: an object's name, or a
   * folder's name ending in `/` for the keys below it (as an object store lists with a
   * delimiter), so a folder is never taken for an object of the same name.
   */
  list(prefix: string): Promise<string[]>;
  /** The bytes of `key`, or undefined when there is none. */
  read(key: string): Promise<Buffer | undefined>;
  /**
   * Creates `key` with `data`, durably and atomically, unless it exists: true when this call
   * created it, false when it existed (nothing is overwritten).
   */
  writeIfAbsent(key: string, data: string | Buffer): Promise<boolean>;
  /** Deletes `key`, or every key under the folder `key` (and its scratch directory); nothing there is not an error. */
  delete(key: string): Promise<void>;
  /**
   * A local directory for the files of folder `key` before {@link publish}: the folder itself
   * for a local store; for a remote store a directory under the system's temp directory.
   */
  scratchDirectory(key: string): string;
  /**
   * Makes every file in the scratch directory of folder `key` an object of the store under
   * `key`, durably, then drops the scratch copies (a local store has nothing to do: its files
   * were written in place and made durable as they were written).
   */
  publish(key: string): Promise<void>;
  /**
   * Takes the lease of `jobId`: one owner per job id across every process that reaches this
   * store. Refused (a typed error naming the holder) while another live owner holds it.
   */
  lease(jobId: string): Promise<Lease>;
}

/** The ownership of one job id in one store. */
export interface Lease {
  readonly jobId: string;
  /**
   * Throws when the lease is no longer this process's (an object-store lease another process
   * took over while this one was paused). Called before every `_metadata` write and every
   * commit, so an owner that lost its lease fences itself; a kernel lock cannot be lost while
   * the process lives.
   */
  check(): Promise<void>;
  release(): Promise<void>;
}

/** Opens the store a location names; a location with a scheme needs its storage package. */
export type StoreOpener = (location: string) => CheckpointStore;

const schemes = new Map<string, StoreOpener>();

/**
 * The storage package of each scheme Berth knows: loaded (by {@link loadStoreScheme}) when a
 * location of that scheme is first used, and asked for its `openCheckpointStore`.
 */
const STORAGE_PACKAGES: Readonly<Record<string, string>> = { s3: "@berth/sink-s3/checkpoint-store" };

/**
 * Registers the store of a URI scheme (e.g. `s3`), so that its locations open that store. A
 * storage package the core does not know registers itself this way; `s3` is loaded on demand.
 */
export function registerStoreScheme(scheme: string, open: StoreOpener): void {
  schemes.set(scheme.toLowerCase(), open);
}

/**
 * Loads the storage package of `location`'s scheme, once, unless one is registered: call
 * before {@link openStore} for a location given by a user. A local path needs nothing.
 */
export async function loadStoreScheme(location: string): Promise<void> {
  const scheme = schemeOf(location);
  if (scheme === undefined || schemes.has(scheme)) return;
  const module = STORAGE_PACKAGES[scheme];
  if (module === undefined) return; // openStore says no storage is known for it
  let loaded: Record<string, unknown>;
  try {
    loaded = await loadOptionalModule(module);
  } catch (error) {
    const missing = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND";
    throw new BerthError(
      "CHECKPOINT_STORAGE_UNAVAILABLE",
      missing
        ? `${location}: checkpoints on ${scheme}:// need ${module.split("/").slice(0, 2).join("/")}; install it in this project`
        : `${location}: cannot load ${module} (${(error as Error).message})`,
      { cause: error },
    );
  }
  const open = loaded.openCheckpointStore;
  if (typeof open !== "function")
    throw new BerthError(
      "CHECKPOINT_STORAGE_UNAVAILABLE",
      `${location}: ${module} has no openCheckpointStore(); install a version matching @berth/core`,
    );
  registerStoreScheme(scheme, open as StoreOpener);
}

/** The store rooted at `location`: a local directory, or a URI of a registered scheme. */
export function openStore(location: string): CheckpointStore {
  const scheme = schemeOf(location);
  if (scheme === undefined) return new LocalDirectoryStore(absoluteLocation(location));
  const open = schemes.get(scheme);
  if (!open)
    throw new BerthError(
      "CHECKPOINT_STORAGE_UNAVAILABLE",
      STORAGE_PACKAGES[scheme]
        ? `${location}: the checkpoint storage for ${scheme}:// is not loaded; await loadStoreScheme(location) (or import ${STORAGE_PACKAGES[scheme]}) first`
        : `${location}: no checkpoint storage for ${scheme}:// is known; use a local directory or s3://bucket/prefix`,
    );
  return open(absoluteLocation(location));
}

/** The object at `location` (a path or URI), read through the store of its folder; undefined when absent. */
export function readLocation(location: string): Promise<Buffer | undefined> {
  const { folder, name } = splitLocation(location);
  return openStore(folder).read(name);
}

/**
 * The scratch directory of folder `key` of a remote store at `location`: under the system's
 * temp directory (TMPDIR), one tree per store location, so nothing of it needs to outlive the
 * process — what must survive is published.
 */
export function remoteScratchDirectory(location: string, key: string): string {
  const store = createHash("sha256").update(location).digest("hex").slice(0, 16);
  return join(tmpdir(), "berth-scratch", store, ...key.split("/").filter(Boolean));
}
