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
 */
import { createHash, randomBytes } from "node:crypto";
import { open, readdir, rm, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { BerthError, errorMessage } from "../errors.js";
import { faultPoint } from "../fault-injection.js";
import type { Logger } from "../logger.js";
import { assertSafeName, childPath } from "../safe-name.js";
import type { Json } from "../sink/sink.js";
import type { KeyGroupRange } from "../state/key-groups.js";
import type { KeyedStateStore } from "../state/state-backend.js";
import { ensureDirectory, fsyncDirectory, writeDurably } from "./atomic-file.js";
import { type CheckpointStore, type Lease, openStore } from "./checkpoint-store.js";
import type { ClaimMode } from "./claim.js";
import {
  CHUNK_SUFFIX,
  chunkFileName,
  chunksPerKeyGroup,
  type EncodedChunk,
  encodeChunk,
  exists,
  hashFile,
  writeChunk,
} from "./keyed-chunks.js";
import { CHECKPOINT_FOLDER, Lineage, type LineagePoint } from "./lineage.js";
import {
  type CheckpointMetadata,
  COMMITS_FILE,
  type KeyedChunk,
  type KeyedStateHandle,
  METADATA_FILE,
  type StateFileHandle,
  serializeMetadata,
} from "./metadata.js";

export const SHARED_DIRECTORY = "shared";
export const KEYED_DIRECTORY = "keyed";

export type SavepointFormat = "canonical" | "native";

/** Where and how one subtask's state is written. */
export interface SnapshotTarget {
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

export class CheckpointStorage {
  readonly store: CheckpointStore;
  readonly lineage: Lineage;
  readonly jobDirectory: string;
  readonly defaultSavepointDirectory: string;
  readonly sharedDirectory: string;
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
    this.defaultSavepointDirectory = resolve(checkpointDirectory, "savepoints");
    this.sharedDirectory = join(this.jobDirectory, SHARED_DIRECTORY);
    this.incremental = options.incremental ?? false;
    this.log = options.log;
  }

  /**
   * Records the restore point and its claim mode: NO_CLAIM and LEGACY restore points are
   * never pruned or deleted; a CLAIMed one is deleted once subsumed.
   */
  setRestorePoint(directory: string, mode: ClaimMode): void {
    this.restored = { directory: resolve(directory), mode, deleted: false };
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

  /** A fresh directory for checkpoint `id`, or for a savepoint under `targetDirectory`. */
  async createDirectory(id: number, savepointTarget?: string): Promise<string> {
    const directory = savepointTarget
      ? childPath(
          savepointTarget,
          "savepoint name",
          `savepoint-${this.jobId.slice(0, 12)}-${id}-${randomBytes(3).toString("hex")}`,
        )
      : this.store.locate(`${this.lineage.runFolder(this.currentRun())}/chk-${id}`);
    await rm(directory, { recursive: true, force: true });
    await ensureDirectory(directory);
    return directory;
  }

  /**
   * Seeds the incremental chunk index of a restored store: key groups whose chunk a
   * checkpoint may reference are not rewritten while unchanged. `chunks` have absolute paths.
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
      target.directory,
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
    if (target.savepoint && target.format === "native" && store.copyNative) {
      const file = `${uid}-${subtask}.sqlite`;
      const path = join(target.directory, file);
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
      return () => this.writeChunks(join(target.directory, KEYED_DIRECTORY), KEYED_DIRECTORY, chunks);
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
      relativeTo(directory, join(this.sharedDirectory, chunkFileName(sha256)));
    return async () => {
      // A referenced chunk must still exist (a failed checkpoint's chunk may have been
      // collected); if not, its key group is written again — the store has not moved on,
      // since the subtask waits for this write before it processes anything else.
      for (const [kg, chunk] of index) {
        if (await exists(resolve(directory, chunk.path))) continue;
        index.delete(kg);
        fresh.push(...chunksPerKeyGroup(store.rawEntries({ start: kg, end: kg })));
      }
      if (fresh.length > 0) {
        await ensureDirectory(this.sharedDirectory);
        for (const chunk of fresh) await writeChunk(this.sharedDirectory, chunk);
        await fsyncDirectory(this.sharedDirectory);
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
      // Chunks of this job's directory by relative path; a claimed restore point's by absolute path.
      const chunks = [...index.values()]
        .map((c) => {
          const path = resolve(directory, c.path);
          return {
            ...c,
            path: path.startsWith(this.jobDirectory + sep) ? relativeTo(directory, path) : path,
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

  /** The checkpoint is complete once this returns. */
  /**
   * The checkpoint is complete once this returns: `_metadata` written last, never over an
   * existing one. A savepoint is then recorded in this run's lineage — before a stop commits
   * anything, so the point that follows those commits is always found.
   */
  async complete(directory: string, metadata: CheckpointMetadata): Promise<void> {
    if (metadata.kind === "savepoint") assertSelfContained(directory, metadata);
    await this.lease?.check();
    faultPoint("checkpoint-storage-write");
    const { metadataSha256: _, ...rest } = metadata;
    await writeOnce(directory, METADATA_FILE, serializeMetadata(rest));
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
    await rm(directory, { recursive: true, force: true });
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
   * Absolute paths of every keyed state file the complete checkpoints of every run reference;
   * undefined if one cannot be read.
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
            for (const chunk of keyed.chunks) references.add(resolve(directory, chunk.path));
          else if (keyed?.kind === "sqlite") references.add(resolve(directory, keyed.path));
        }
      }
    }
    return references;
  }

  private async collectShared(references: ReadonlySet<string>): Promise<void> {
    const names = await readdir(this.sharedDirectory).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const path = join(this.sharedDirectory, name);
      // Temp files are left only by a crash: no chunk is being written while this runs.
      if ((name.endsWith(CHUNK_SUFFIX) && !references.has(path)) || name.endsWith(".tmp")) {
        await rm(path, { force: true });
        removed++;
      }
    }
    if (removed > 0) await fsyncDirectory(this.sharedDirectory);
  }

  private async deleteClaimedIfSubsumed(references: ReadonlySet<string>): Promise<void> {
    const claimed = this.restored;
    if (claimed?.mode !== "CLAIM" || claimed.deleted) return;
    const inside = claimed.directory + sep;
    for (const path of references) if (path.startsWith(inside)) return;
    if (
      !(await stat(claimed.directory).then(
        () => true,
        () => false,
      ))
    ) {
      claimed.deleted = true;
      return;
    }
    await rm(claimed.directory, { recursive: true, force: true });
    claimed.deleted = true;
    this.log?.info(`claimed restore point ${claimed.directory} is subsumed by newer checkpoints: deleted`);
  }
}

/** Writes `name` in `directory` once: a second write means two writers, a bug. */
async function writeOnce(directory: string, name: string, content: string): Promise<void> {
  if (!(await openStore(directory).writeIfAbsent(name, content)))
    throw new BerthError(
      "CHECKPOINT_FAILED",
      `${join(directory, name)} already exists, and it is written once: another writer, or something else, put it there; the checkpoint fails`,
    );
}

function relativeTo(directory: string, path: string): string {
  return relative(directory, path).split(sep).join("/");
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
