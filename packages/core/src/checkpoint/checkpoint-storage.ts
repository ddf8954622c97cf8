/**
 * A job's checkpoint storage (layout in docs/savepoint-format.md), on the checkpoint-storage
 * interface (checkpoint-store.ts) rooted at the checkpoint directory:
 *
 * - `<checkpoint dir>/<job id>/run-<r>/chk-<n>/` — run r's checkpoints: one operator state
 *   file per subtask, keyed state chunks (`keyed/`) and, once the checkpoint is complete,
 *   `_metadata`. A directory without `_metadata` is an unfinished checkpoint and is never
 *   restored. Each run of the job has its folder and its lineage record (lineage.ts).
 * - `<checkpoint dir>/<job id>/shared/` — content-addressed keyed state chunks of the sqlite
 *   backend's incremental checkpoints: a key group unchanged since the last checkpoint is
 *   referenced again, not rewritten. A chunk no complete checkpoint of any run references is deleted.
 * - savepoints (`<target>/savepoint-<job>-<n>-<random>/`) are self-contained: they copy
 *   every file they reference (canonical chunks, or native database copies), and each is
 *   recorded in the lineage of the run that wrote it.
 *
 * Retention prunes only the current run's checkpoints: an earlier run's points are kept until
 * the user deletes them. It also enforces the claim mode of the restore point: a NO_CLAIM or
 * LEGACY restore point is never deleted, a CLAIMed one is deleted once no complete checkpoint
 * references it.
 *
 * Every folder is a key of a store (checkpoint-store.ts) and every directory a location (a path
 * or a URI, locations.ts): a checkpoint's files are written to the folder's scratch directory
 * (the folder itself on a local disk), published with the shared chunks, and only then is
 * `_metadata` written — so on S3 too a checkpoint is complete exactly when `_metadata` exists.
 */
import { createHash, randomBytes } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { BerthError, errorMessage } from "../errors.js";
import { faultPoint } from "../fault-injection.js";
import type { Logger } from "../logger.js";
import { assertSafeName } from "../safe-name.js";
import type { Json } from "../sink/sink.js";
import type { KeyGroupRange } from "../state/key-groups.js";
import type { KeyedStateStore } from "../state/state-backend.js";
import { ensureDirectory, fsyncDirectory, writeDurably } from "./atomic-file.js";
import {
  type CheckpointStore,
  type Lease,
  loadStoreScheme,
  openStore,
  readLocation,
} from "./checkpoint-store.js";
import type { ClaimMode } from "./claim.js";
import {
  CHUNK_SUFFIX,
  chunkFileName,
  chunksPerKeyGroup,
  type EncodedChunk,
  encodeChunk,
  hashFile,
  writeChunk,
} from "./keyed-chunks.js";
import { CHECKPOINT_FOLDER, Lineage, type LineagePoint } from "./lineage.js";
import {
  absoluteLocation,
  isWithin,
  relativeLocation,
  resolveLocation,
  schemeOf,
  splitLocation,
} from "./locations.js";
import {
  type CheckpointMetadata,
  COMMITS_FILE,
  type KeyedChunk,
  type KeyedStateHandle,
  METADATA_FILE,
  type StateFileHandle,
  serializeMetadata,
} from "./metadata.js";
import { SavepointCorruptError } from "./restore-errors.js";

export const SHARED_DIRECTORY = "shared";
export const KEYED_DIRECTORY = "keyed";

export type SavepointFormat = "canonical" | "native";

/** Where and how one subtask's state is written. */
export interface SnapshotTarget {
  /** The checkpoint's or savepoint's location ({@link CheckpointStorage.createDirectory}). */
  readonly directory: string;
  readonly savepoint: boolean;
  readonly format: SavepointFormat;
}

/** A keyed operator subtask's store and the key groups it owns. */
export interface SubtaskKeyedState {
  readonly store: KeyedStateStore;
  readonly range: KeyGroupRange;
}

export interface CheckpointStorageOptions {
  /** Incremental checkpoints (the sqlite backend): keyed chunks shared between checkpoints. */
  readonly incremental?: boolean;
  readonly log?: Pick<Logger, "info" | "warn">;
}

/** The restore point of this job and what its claim mode allows. */
interface RestoreOwnership {
  readonly directory: string;
  readonly mode: ClaimMode;
  deleted: boolean;
}

/** A checkpoint's or savepoint's folder: a key of a store. */
interface Folder {
  readonly store: CheckpointStore;
  readonly key: string;
}

export class CheckpointStorage {
  readonly store: CheckpointStore;
  readonly lineage: Lineage;
  /** Locations (paths or URIs) of the job's folder, default savepoints and shared chunks. */
  readonly jobDirectory: string;
  readonly defaultSavepointDirectory: string;
  readonly sharedDirectory: string;
  private readonly sharedKey: string;
  /** Folders of checkpoints and savepoints being written, by location. */
  private readonly folders = new Map<string, Folder>();
  private readonly incremental: boolean;
  private readonly log: Pick<Logger, "info" | "warn"> | undefined;
  /** Per store: key group → the chunk last written for it (incremental checkpoints). */
  private readonly lastChunks = new WeakMap<KeyedStateStore, Map<number, KeyedChunk>>();
  /** Per store: restored key groups the next incremental checkpoint must write. */
  private readonly rewrite = new WeakMap<KeyedStateStore, Set<number>>();
  private restored: RestoreOwnership | undefined;
  /** This run's number in the job's lineage, once {@link beginRun} recorded it. */
  private run: number | undefined;
  private lease: Lease | undefined;

  constructor(
    checkpointDirectory: string,
    readonly jobId: string,
    options: CheckpointStorageOptions = {},
  ) {
    this.store = openStore(checkpointDirectory);
    this.lineage = new Lineage(this.store, jobId);
    // Checked before it names a key: a path-like job id never reaches the store.
    this.jobDirectory = this.store.locate(assertSafeName("job id", jobId));
    this.defaultSavepointDirectory = this.store.locate("savepoints");
    this.sharedKey = `${jobId}/${SHARED_DIRECTORY}`;
    this.sharedDirectory = this.store.locate(this.sharedKey);
    this.incremental = options.incremental ?? false;
    this.log = options.log;
  }

  /**
   * Records the restore point and its claim mode: NO_CLAIM and LEGACY restore points are
   * never pruned or deleted; a CLAIMed one is deleted once subsumed.
   */
  setRestorePoint(directory: string, mode: ClaimMode): void {
    this.restored = { directory: absoluteLocation(directory), mode, deleted: false };
  }

  /**
   * Records this run in the job's lineage (started from `startedFrom`, or fresh); its
   * checkpoints go to its own folder. `lease` is checked before every `_metadata` write.
   */
  async beginRun(
    startedFrom: { location: string; checkpointId: number } | undefined,
    lease?: Lease,
  ): Promise<void> {
    this.lease = lease;
    this.run = await this.lineage.beginRun(startedFrom);
  }

  /** Throws when this job's lease is lost: called before every commit, as before every `_metadata`. */
  async checkLease(): Promise<void> {
    await this.lease?.check();
  }

  /** A local directory for an attempt's working files (the sqlite backend's databases). */
  workDirectory(attemptId: string): string {
    return this.store.scratchDirectory(`${this.jobId}/.work/${attemptId}`);
  }

  /**
   * A restored native database copy on the local disk, where SQLite can open it: a local one
   * where it lies; a remote one read into `directory` and checked against its SHA-256 again.
   */
  async localNativeCopy(location: string, expected: { sha256: string }, directory: string): Promise<string> {
    if (schemeOf(location) !== undefined) {
      const data = await readLocation(location);
      if (data === undefined || createHash("sha256").update(data).digest("hex") !== expected.sha256)
        throw new SavepointCorruptError(
          location,
          `native state file ${location} changed or vanished while it was restored; restore from another savepoint or checkpoint`,
        );
      await ensureDirectory(directory);
      const path = join(directory, `restored-${expected.sha256.slice(0, 16)}.sqlite`);
      await writeFile(path, data, { mode: 0o600 });
      return path;
    }
    return location;
  }

  private currentRun(): number {
    if (this.run === undefined)
      throw new BerthError("CHECKPOINT_FAILED", "no run began; this is a bug in Berth");
    return this.run;
  }

  /** The newest point of this run: what a failover restores (lineage.ts). */
  async newestPointOfRun(): Promise<LineagePoint | undefined> {
    const run = (await this.lineage.runs()).find((r) => r.run === this.currentRun());
    return run && this.lineage.newestOf(run);
  }

  /** True when checkpoints may reference (not copy) files of the restore point. */
  mayReferenceRestorePoint(): boolean {
    return this.restored !== undefined && this.restored.mode !== "NO_CLAIM";
  }

  /**
   * A fresh folder for checkpoint `id`, or for a savepoint under `targetDirectory` (a path or
   * URI); returns its location. Its files go to its scratch directory until {@link complete}.
   */
  async createDirectory(id: number, savepointTarget?: string): Promise<string> {
    let folder: Folder;
    if (savepointTarget) {
      // A stop or savepoint may name storage this job has not used yet (`-p s3://…`).
      await loadStoreScheme(savepointTarget);
      const name = `savepoint-${this.jobId.slice(0, 12)}-${id}-${randomBytes(3).toString("hex")}`;
      folder = { store: openStore(savepointTarget), key: assertSafeName("savepoint name", name) };
    } else {
      folder = { store: this.store, key: `${this.lineage.runFolder(this.currentRun())}/chk-${id}` };
    }
    const location = folder.store.locate(folder.key);
    await folder.store.delete(folder.key);
    await ensureDirectory(folder.store.scratchDirectory(folder.key));
    this.folders.set(location, folder);
    return location;
  }

  /** The folder of a location {@link createDirectory} returned. */
  private folderOf(directory: string): Folder {
    const folder = this.folders.get(directory);
    if (!folder)
      throw new BerthError(
        "CHECKPOINT_FAILED",
        `${directory} is not a folder being written; this is a bug in Berth`,
      );
    return folder;
  }

  private scratchOf(directory: string): string {
    const { store, key } = this.folderOf(directory);
    return store.scratchDirectory(key);
  }

  /**
   * Seeds the incremental chunk index of a restored store: key groups whose chunk a
   * checkpoint may reference are not rewritten while unchanged. `chunks` have absolute locations.
   */
  seedIncremental(store: KeyedStateStore, range: KeyGroupRange, chunks: readonly KeyedChunk[]): void {
    if (!this.incremental) return;
    const changed = store.takeChangedKeyGroups();
    const index = new Map<number, KeyedChunk>();
    for (const chunk of chunks) {
      const [start, end] = chunk.keyGroups;
      if (start === end && start >= range.start && start <= range.end) {
        index.set(start, chunk);
        changed.delete(start);
      }
    }
    this.lastChunks.set(store, index);
    // Key groups restored from anything else are written by the first checkpoint.
    this.rewrite.set(store, changed);
  }

  /**
   * Writes one subtask's state for a checkpoint or savepoint: its operator state file and,
   * for a keyed subtask, its keyed state. Reads the store before its first await, so the
   * snapshot is the state at the barrier.
   */
  async writeState(
    target: SnapshotTarget,
    uid: string,
    subtask: number,
    operatorState: Json[],
    keyed?: SubtaskKeyedState,
  ): Promise<StateFileHandle> {
    const plan = keyed ? this.planKeyed(target, uid, subtask, keyed) : undefined;
    const handle = await this.writeStateFile(
      this.scratchOf(target.directory),
      uid,
      subtask,
      JSON.stringify({ operatorState }),
    );
    return plan ? { ...handle, keyed: await plan() } : handle;
  }

  /** Writes a subtask's operator state file (`content` is its JSON). */
  private async writeStateFile(
    directory: string,
    uid: string,
    subtask: number,
    content: string,
  ): Promise<StateFileHandle> {
    const file = `${uid}-${subtask}.state.json`;
    const { sha256, bytes } = await writeDurably(join(directory, file), content);
    return { subtask, file, sha256, bytes };
  }

  private planKeyed(
    target: SnapshotTarget,
    uid: string,
    subtask: number,
    { store, range }: SubtaskKeyedState,
  ): () => Promise<KeyedStateHandle> {
    const scratch = this.scratchOf(target.directory);
    if (target.savepoint && target.format === "native" && store.copyNative) {
      const file = `${uid}-${subtask}.sqlite`;
      const path = join(scratch, file);
      store.copyNative(path);
      return async () => {
        const handle = await open(path, "r+");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        const { sha256, bytes } = await hashFile(path);
        return { kind: "sqlite", path: file, sha256, bytes, keyGroups: [range.start, range.end] };
      };
    }
    if (target.savepoint || !this.incremental) {
      // Self-contained: every chunk inside the directory. Per key group for the sqlite
      // backend (so a CLAIM restore may reference them), one chunk per subtask otherwise.
      const entries = store.rawEntries(range);
      const chunks = this.incremental
        ? chunksPerKeyGroup(entries)
        : ((all) => (all.length > 0 ? [encodeChunk(range.start, range.end, all)] : []))([...entries]);
      return () => this.writeChunks(join(scratch, KEYED_DIRECTORY), KEYED_DIRECTORY, chunks);
    }
    return this.planIncremental(target.directory, store, range);
  }

  private planIncremental(
    directory: string,
    store: KeyedStateStore,
    range: KeyGroupRange,
  ): () => Promise<KeyedStateHandle> {
    const index = this.lastChunks.get(store) ?? new Map<number, KeyedChunk>();
    this.lastChunks.set(store, index);
    const fresh: EncodedChunk[] = [];
    const changed = store.takeChangedKeyGroups();
    for (const kg of this.rewrite.get(store) ?? []) changed.add(kg);
    this.rewrite.delete(store);
    for (const kg of changed) {
      if (kg < range.start || kg > range.end) continue;
      index.delete(kg);
      fresh.push(...chunksPerKeyGroup(store.rawEntries({ start: kg, end: kg })));
    }
    const sharedPath = (sha256: string) =>
      relativeLocation(directory, resolveLocation(this.sharedDirectory, chunkFileName(sha256)));
    return async () => {
      // A referenced chunk must still exist (a failed checkpoint's chunk may have been
      // collected, or never published); if not, its key group is written again — the store
      // has not moved on, since the subtask waits for this write before it processes anything else.
      const existing = await existingLocations(
        [...index.values()].map((c) => resolveLocation(directory, c.path)),
      );
      for (const [kg, chunk] of index) {
        if (existing.has(resolveLocation(directory, chunk.path))) continue;
        index.delete(kg);
        fresh.push(...chunksPerKeyGroup(store.rawEntries({ start: kg, end: kg })));
      }
      if (fresh.length > 0) {
        const shared = this.store.scratchDirectory(this.sharedKey);
        await ensureDirectory(shared);
        for (const chunk of fresh) await writeChunk(shared, chunk);
        await fsyncDirectory(shared);
      }
      for (const chunk of fresh) {
        index.set(chunk.keyGroups[0], {
          path: sharedPath(chunk.sha256),
          sha256: chunk.sha256,
          bytes: chunk.data.length,
          keyGroups: chunk.keyGroups,
          entries: chunk.entries,
        });
      }
      // Chunks of this job's directory by relative path; a claimed restore point's by absolute location.
      const chunks = [...index.values()]
        .map((c) => {
          const path = resolveLocation(directory, c.path);
          return {
            ...c,
            path: isWithin(path, this.jobDirectory) ? relativeLocation(directory, path) : path,
          };
        })
        .sort((a, b) => a.keyGroups[0] - b.keyGroups[0]);
      return { kind: "chunks", chunks };
    };
  }

  private async writeChunks(
    directory: string,
    relativeDirectory: string,
    chunks: readonly EncodedChunk[],
  ): Promise<KeyedStateHandle> {
    if (chunks.length > 0) {
      await ensureDirectory(directory);
      for (const chunk of chunks) await writeChunk(directory, chunk);
      await fsyncDirectory(directory);
    }
    return {
      kind: "chunks",
      chunks: chunks.map((c) => ({
        path: `${relativeDirectory}/${chunkFileName(c.sha256)}`,
        sha256: c.sha256,
        bytes: c.data.length,
        keyGroups: c.keyGroups,
        entries: c.entries,
      })),
    };
  }

  /**
   * The checkpoint is complete once this returns: its files and new shared chunks published,
   * then `_metadata` written last, never over an existing one, by the lease's holder only. A
   * savepoint is then recorded in this run's lineage — before a stop commits anything, so the
   * point that follows those commits is always found.
   */
  async complete(directory: string, metadata: CheckpointMetadata): Promise<void> {
    if (metadata.kind === "savepoint") assertSelfContained(directory, metadata);
    const folder = this.folderOf(directory);
    await folder.store.publish(folder.key);
    if (this.incremental) await this.store.publish(this.sharedKey);
    await this.lease?.check();
    faultPoint("checkpoint-storage-write");
    const { metadataSha256: _, ...rest } = metadata;
    await writeOnce(directory, METADATA_FILE, serializeMetadata(rest));
    this.folders.delete(directory);
    if (metadata.kind === "savepoint")
      await this.lineage.recordSavepoint(this.currentRun(), {
        checkpointId: metadata.checkpointId,
        location: directory,
        stop: metadata.stop,
      });
  }

  /** Records which committables a stop confirmed committed, so a restore never repeats them. */
  async recordConfirmedCommits(directory: string, ids: string[]): Promise<void> {
    const sha256 = createHash("sha256").update(JSON.stringify(ids)).digest("hex");
    await writeOnce(directory, COMMITS_FILE, `${JSON.stringify({ sha256, confirmed: ids })}\n`);
  }

  async discard(directory: string): Promise<void> {
    const folder = this.folders.get(directory);
    this.folders.delete(directory);
    if (folder) await folder.store.delete(folder.key);
  }

  /** Completed checkpoints of this run, oldest first. */
  async completedCheckpoints(): Promise<{ id: number; directory: string }[]> {
    if (this.run === undefined) return [];
    return (await this.lineage.checkpoints(this.run)).map((c) => ({ id: c.id, directory: c.location }));
  }

  /**
   * Deletes all but the newest `retained` complete checkpoints of this run and its unfinished
   * ones older than them (an earlier run's points are the user's to delete), then shared chunks
   * no complete checkpoint of any run references, then a CLAIMed restore point once nothing
   * references it.
   */
  async pruneCheckpoints(retained: number): Promise<void> {
    const completed = await this.completedCheckpoints();
    const keep = completed.slice(-retained);
    const oldestKept = keep[0]?.id ?? Number.POSITIVE_INFINITY;
    const folder = this.lineage.runFolder(this.currentRun());
    for (const name of await this.store.list(folder)) {
      const match = CHECKPOINT_FOLDER.exec(name);
      if (!match || Number(match[2]) >= oldestKept) continue;
      await this.store.delete(`${folder}/${match[1]}`);
    }
    const references = await this.referencedFiles();
    if (references === undefined) return;
    await this.collectShared(references);
    await this.deleteClaimedIfSubsumed(references);
  }

  /**
   * Absolute locations of every keyed state file the complete checkpoints of every run
   * reference; undefined if one cannot be read.
   */
  private async referencedFiles(): Promise<Set<string> | undefined> {
    const references = new Set<string>();
    const checkpoints = [];
    for (const { run } of await this.lineage.runs())
      checkpoints.push(...(await this.lineage.checkpoints(run)));
    for (const { key, location: directory } of checkpoints) {
      let metadata: CheckpointMetadata;
      try {
        const data = await this.store.read(`${key}/${METADATA_FILE}`);
        if (data === undefined) throw new Error("its _metadata vanished");
        metadata = JSON.parse(data.toString("utf8")) as CheckpointMetadata;
      } catch (error) {
        // Deleting on a partial view could drop a chunk still in use: skip this collection.
        this.log?.warn(`not collecting shared state: ${directory} cannot be read (${errorMessage(error)})`);
        return undefined;
      }
      for (const operator of metadata.operators ?? []) {
        for (const subtask of operator.subtasks ?? []) {
          const keyed = subtask.keyed;
          if (keyed?.kind === "chunks")
            for (const chunk of keyed.chunks) references.add(resolveLocation(directory, chunk.path));
          else if (keyed?.kind === "sqlite") references.add(resolveLocation(directory, keyed.path));
        }
      }
    }
    return references;
  }

  private async collectShared(references: ReadonlySet<string>): Promise<void> {
    for (const name of await this.store.list(this.sharedKey)) {
      const key = `${this.sharedKey}/${name}`;
      if (name.endsWith(CHUNK_SUFFIX) && !references.has(this.store.locate(key)))
        await this.store.delete(key);
    }
  }

  private async deleteClaimedIfSubsumed(references: ReadonlySet<string>): Promise<void> {
    const claimed = this.restored;
    if (claimed?.mode !== "CLAIM" || claimed.deleted) return;
    for (const path of references) if (isWithin(path, claimed.directory)) return;
    const store = openStore(claimed.directory);
    if ((await store.list("")).length === 0) {
      claimed.deleted = true;
      return;
    }
    await store.delete("");
    claimed.deleted = true;
    this.log?.info(`claimed restore point ${claimed.directory} is subsumed by newer checkpoints: deleted`);
  }
}

/** Writes `name` in `directory` once: a second write means two writers, a bug. */
async function writeOnce(directory: string, name: string, content: string): Promise<void> {
  if (!(await openStore(directory).writeIfAbsent(name, content)))
    throw new BerthError(
      "CHECKPOINT_FAILED",
      `${directory}/${name} already exists, and it is written once: another writer, or something else, put it there; the checkpoint fails`,
    );
}

/** Which of `locations` exist: each folder listed once (a checkpoint references many chunks of one). */
async function existingLocations(locations: readonly string[]): Promise<Set<string>> {
  const byFolder = new Map<string, string[]>();
  for (const location of locations) {
    const { folder } = splitLocation(location);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), location]);
  }
  const existing = new Set<string>();
  for (const [folder, inFolder] of byFolder) {
    const names = new Set(await openStore(folder).list(""));
    for (const location of inFolder) if (names.has(splitLocation(location).name)) existing.add(location);
  }
  return existing;
}

/** A savepoint references nothing outside its directory (it may be moved or copied whole). */
function assertSelfContained(directory: string, metadata: CheckpointMetadata): void {
  const inside = (path: string) => !isAbsolute(path) && !path.split(/[\\/]/).includes("..");
  for (const operator of metadata.operators) {
    for (const s of operator.subtasks) {
      const paths = [s.file];
      if (s.keyed?.kind === "chunks") paths.push(...s.keyed.chunks.map((c) => c.path));
      if (s.keyed?.kind === "sqlite") paths.push(s.keyed.path);
      const outside = paths.find((p) => !inside(p));
      if (outside !== undefined)
        throw new BerthError(
          "CHECKPOINT_FAILED",
          `savepoint ${directory} would reference ${outside} outside its directory; this is a bug in Berth`,
        );
    }
  }
}
