/**
 * The checkpoint-storage interface (ADR 0006): the five operations the core needs from
 * wherever checkpoints, savepoints and a job's lineage live. A local directory implements it
 * today (local-directory-store.ts); an object store (S3: `If-None-Match: *` puts, a lease
 * object) implements the same operations later without the core depending on its SDK.
 *
 * Keys are `/`-separated paths relative to the store's root, like object keys. A store never
 * shows half an object: `writeIfAbsent` is atomic and durable once it returns, which is what
 * makes `_metadata` (written last) the one mark of a complete checkpoint.
 */
import { basename, dirname, isAbsolute, resolve } from "node:path";
import { BerthError } from "../errors.js";
import { LocalDirectoryStore } from "./local-directory-store.js";

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
  /** Deletes `key`, or every key under the folder `key`; nothing there is not an error. */
  delete(key: string): Promise<void>;
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
   * Throws when the lease is no longer this process's (an object-store lease that expired
   * while the process was paused). Called before every `_metadata` write, so an owner that
   * lost its lease fences itself; a kernel lock cannot be lost while the process lives.
   */
  check(): Promise<void>;
  release(): Promise<void>;
}

/** Opens the store a location names; a location with a scheme needs its storage package. */
export type StoreOpener = (location: string) => CheckpointStore;

const schemes = new Map<string, StoreOpener>();

/**
 * Registers the store of a URI scheme (e.g. `s3`): a storage package calls this so that
 * `s3://…` locations open its store. The core itself knows only local directories.
 */
export function registerStoreScheme(scheme: string, open: StoreOpener): void {
  schemes.set(scheme.toLowerCase(), open);
}

const SCHEME = /^([a-z][a-z0-9+.-]+):\/\//i;

/** The store rooted at `location`: a local directory, or a URI of a registered scheme. */
export function openStore(location: string): CheckpointStore {
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined || isAbsolute(location)) return new LocalDirectoryStore(resolve(location));
  const open = schemes.get(scheme);
  if (!open)
    throw new BerthError(
      "CONFIG_INVALID",
      `${location}: no checkpoint storage for ${scheme}:// is loaded; use a local directory, or import the storage package that registers ${scheme}://`,
    );
  return open(location);
}

/** The object at `location` (a path or URI), read through the store of its folder; undefined when absent. */
export function readLocation(location: string): Promise<Buffer | undefined> {
  return openStore(dirname(location)).read(basename(location));
}
