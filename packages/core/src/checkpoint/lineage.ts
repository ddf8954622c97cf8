/**
 * A job's lineage (ADR 0006, docs/savepoint-format.md): every run of a job id gets a run
 * number, and every savepoint or stop a run writes — wherever it was written — is recorded
 * beside it, each record one object created with write-if-absent in the job's folder:
 *
 * - `<job id>/_lineage/run-<r>.json` — run r began (fresh, or from the point it names);
 * - `<job id>/_lineage/run-<r>-savepoint-<n>.json` — run r wrote savepoint n at a location;
 * - `<job id>/run-<r>/chk-<n>/` — run r's checkpoints (ids repeat across runs, so each run
 *   has its own folder).
 *
 * "Newest" is the latest complete point of the highest run: its highest checkpoint or
 * savepoint id (ids only rise within a run), else the point the run started from. It is
 * never the highest id across runs, nor a file time. Failover takes the newest point of its
 * own run; `--from-latest` the newest of the highest run that has one.
 */
import { z } from "zod";
import { errorMessage } from "../errors.js";
import { type CheckpointStore, loadStoreScheme, openStore } from "./checkpoint-store.js";
import { METADATA_FILE } from "./metadata.js";
import { RestoreError, SavepointNotFoundError } from "./restore-errors.js";

const LINEAGE_FOLDER = "_lineage";
/** Where savepoints go by default, beside the job folders (job.ts). */
const DEFAULT_SAVEPOINTS = "savepoints";
/** A checkpoint folder as the store lists it: `chk-<n>/`. */
export const CHECKPOINT_FOLDER = /^(chk-(\d+))\/$/;
const RUN_RECORD = /^run-(\d+)\.json$/;
const SAVEPOINT_RECORD = /^run-(\d+)-savepoint-(\d+)\.json$/;

const header = { magic: z.literal("berth-lineage"), version: z.literal(1), jobId: z.string() };
const checkpointId = z.number().int().positive();

const runRecord = z.object({
  ...header,
  kind: z.literal("run"),
  run: z.number().int().positive(),
  startedAt: z.string(),
  /** The savepoint or checkpoint the run restored; absent for a fresh start. */
  startedFrom: z.object({ location: z.string(), checkpointId }).optional(),
});
export type RunRecord = z.infer<typeof runRecord>;

const savepointRecord = z.object({
  ...header,
  kind: z.literal("savepoint"),
  run: z.number().int().positive(),
  checkpointId,
  location: z.string(),
  stop: z.enum(["none", "suspend", "drain"]),
  createdAt: z.string(),
});
export type SavepointRecord = z.infer<typeof savepointRecord>;

/** A complete checkpoint or savepoint of a job's lineage. */
export interface LineagePoint {
  readonly run: number;
  readonly checkpointId: number;
  /** Where it is: a local directory or a URI, as `-s` takes it. */
  readonly location: string;
}

/** A lineage record that cannot be read: `--from-latest` and failover refuse to guess. */
export class LineageCorruptError extends RestoreError {
  static override readonly marker: string = "berth.core/LineageCorruptError";

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(
      "LINEAGE_CORRUPT",
      file,
      `lineage record ${file} ${reason}; restore an explicit savepoint or checkpoint with -s, or move the record away if you know it is stray`,
      options,
    );
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export class Lineage {
  constructor(
    readonly store: CheckpointStore,
    readonly jobId: string,
  ) {}

  /** The folder (key) of run `run`'s checkpoints. */
  runFolder(run: number): string {
    return `${this.jobId}/run-${run}`;
  }

  /** Records a new run (one more than the highest) and returns its number. */
  async beginRun(startedFrom?: { location: string; checkpointId: number }): Promise<number> {
    let run = ((await this.runs()).at(-1)?.run ?? 0) + 1;
    // One owner per job id (the lease), so the first try wins; a stray record only moves it on.
    for (; ; run++) {
      const record: RunRecord = {
        magic: "berth-lineage",
        version: 1,
        jobId: this.jobId,
        kind: "run",
        run,
        startedAt: new Date().toISOString(),
        ...(startedFrom ? { startedFrom } : {}),
      };
      if (await this.store.writeIfAbsent(this.recordKey(`run-${pad(run, 6)}.json`), json(record))) return run;
    }
  }

  /** Records that run `run` wrote a complete savepoint (or a stop's) at `location`. */
  async recordSavepoint(
    run: number,
    point: Omit<SavepointRecord, keyof typeof header | "kind" | "run" | "createdAt">,
  ): Promise<void> {
    const record: SavepointRecord = {
      magic: "berth-lineage",
      version: 1,
      jobId: this.jobId,
      kind: "savepoint",
      run,
      createdAt: new Date().toISOString(),
      ...point,
    };
    await this.store.writeIfAbsent(
      this.recordKey(`run-${pad(run, 6)}-savepoint-${pad(point.checkpointId, 10)}.json`),
      json(record),
    );
  }

  /** Every run of the job, oldest first. */
  async runs(): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for (const name of await this.store.list(this.recordKey(""))) {
      if (RUN_RECORD.test(name)) runs.push(await this.readRecord(name, runRecord));
    }
    return runs.sort((a, b) => a.run - b.run);
  }

  /** Complete checkpoints of run `run`, oldest first (`key` relative to the store). */
  async checkpoints(run: number): Promise<{ id: number; key: string; location: string }[]> {
    const found: { id: number; key: string; location: string }[] = [];
    for (const name of await this.store.list(this.runFolder(run))) {
      const match = CHECKPOINT_FOLDER.exec(name);
      if (!match) continue;
      const key = `${this.runFolder(run)}/${match[1]}`;
      // `_metadata` listed as an object: a folder of that name (a broken write left a directory
      // where the file goes) is listed as `_metadata/` and never counts.
      if ((await this.store.list(key)).includes(METADATA_FILE))
        found.push({ id: Number(match[2]), key, location: this.store.locate(key) });
    }
    return found.sort((a, b) => a.id - b.id);
  }

  /** Savepoints run `run` recorded, oldest first. */
  async savepoints(run: number): Promise<SavepointRecord[]> {
    const found: SavepointRecord[] = [];
    for (const name of await this.store.list(this.recordKey(""))) {
      if (Number(SAVEPOINT_RECORD.exec(name)?.[1]) === run)
        found.push(await this.readRecord(name, savepointRecord));
    }
    return found.sort((a, b) => a.checkpointId - b.checkpointId);
  }

  /**
   * The newest point of `run`: its highest complete checkpoint or recorded savepoint, else
   * the point it started from. A recorded savepoint that is gone is an error, not a reason to
   * fall back to an older point, whose restore would repeat what the savepoint's run committed.
   */
  async newestOf(run: RunRecord): Promise<LineagePoint | undefined> {
    const checkpoint = (await this.checkpoints(run.run)).at(-1);
    const savepoint = (await this.savepoints(run.run)).at(-1);
    if (savepoint && (!checkpoint || savepoint.checkpointId > checkpoint.id)) {
      await loadStoreScheme(savepoint.location); // a savepoint may lie in other storage (`-p s3://…`)
      if ((await openStore(savepoint.location).read(METADATA_FILE)) === undefined)
        throw new SavepointNotFoundError(
          savepoint.location,
          `${savepoint.location}, the newest savepoint of run ${run.run} of job ${this.jobId}, is gone (its _metadata is missing); restoring an older point would repeat what that run committed: restore an explicit point with -s`,
        );
      return { run: run.run, checkpointId: savepoint.checkpointId, location: savepoint.location };
    }
    if (checkpoint) return { run: run.run, checkpointId: checkpoint.id, location: checkpoint.location };
    return run.startedFrom && { run: run.run, ...run.startedFrom };
  }

  /** The newest point of the job: that of the highest run that has one. */
  async newest(): Promise<LineagePoint | undefined> {
    for (const run of (await this.runs()).reverse()) {
      const point = await this.newestOf(run);
      if (point) return point;
    }
    return this.beforeLineage();
  }

  /**
   * "Run 0": a job folder written before lineage — checkpoints in `<job id>/chk-<n>/`,
   * savepoints of the job in the default `savepoints/` — ranked by checkpoint id, as Berth did
   * then. Consulted only when no run has a point, so an upgrade neither starts such a job
   * fresh (repeating its output) nor loses its newest point.
   */
  private async beforeLineage(): Promise<LineagePoint | undefined> {
    const found: LineagePoint[] = [];
    for (const name of await this.store.list(this.jobId)) {
      const match = CHECKPOINT_FOLDER.exec(name);
      const key = `${this.jobId}/${match?.[1]}`;
      if (match && (await this.store.list(key)).includes(METADATA_FILE))
        found.push({ run: 0, checkpointId: Number(match[2]), location: this.store.locate(key) });
    }
    for (const name of await this.store.list(DEFAULT_SAVEPOINTS)) {
      if (!name.endsWith("/")) continue;
      const key = `${DEFAULT_SAVEPOINTS}/${name.slice(0, -1)}`;
      const data = await this.store.read(`${key}/${METADATA_FILE}`).catch(() => undefined);
      let metadata: { jobId?: unknown; checkpointId?: unknown } | undefined;
      try {
        metadata = data && JSON.parse(data.toString("utf8"));
      } catch {
        continue; // not a complete savepoint
      }
      if (metadata?.jobId === this.jobId && typeof metadata.checkpointId === "number")
        found.push({ run: 0, checkpointId: metadata.checkpointId, location: this.store.locate(key) });
    }
    return found.sort((a, b) => a.checkpointId - b.checkpointId).at(-1);
  }

  private recordKey(name: string): string {
    return `${this.jobId}/${LINEAGE_FOLDER}${name ? `/${name}` : ""}`;
  }

  private async readRecord<T>(name: string, schema: z.ZodType<T>): Promise<T> {
    const key = this.recordKey(name);
    const file = this.store.locate(key);
    const data = await this.store.read(key);
    if (data === undefined) throw new LineageCorruptError(file, "vanished while it was read");
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString("utf8"));
    } catch (error) {
      throw new LineageCorruptError(file, `is not JSON (${errorMessage(error)})`, { cause: error });
    }
    const result = schema.safeParse(parsed);
    if (!result.success || (result.data as { jobId: string }).jobId !== this.jobId)
      throw new LineageCorruptError(file, `is not a lineage record of job ${this.jobId}`);
    return result.data;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * What `--from-latest` restores: the newest point of the job's lineage in `checkpointDirectory`
 * (wherever its savepoints were written), or undefined when the job has none.
 */
export async function latestRestorePoint(
  checkpointDirectory: string,
  jobId: string,
): Promise<string | undefined> {
  return (await new Lineage(openStore(checkpointDirectory), jobId).newest())?.location;
}
