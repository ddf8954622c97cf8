/**
 * Why a savepoint or checkpoint cannot be restored. Each case is its own class with a stable
 * `code`; every one names the file (or directory) at fault and says what to do. They are
 * raised before anything is restored — no committable is committed, no state loaded.
 */
import { BerthError, type BerthErrorCode, errorMessage } from "../errors.js";

/** Base of every restore refusal; `file` is the file or directory at fault. */
export class RestoreError extends BerthError {
  static override readonly marker: string = "berth.core/RestoreError";
  readonly file: string;

  constructor(code: BerthErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.file = file;
  }
}

/** The path has no `_metadata`: not a savepoint, or an unfinished one. */
export class SavepointNotFoundError extends RestoreError {
  static override readonly marker: string = "berth.core/SavepointNotFoundError";

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super("SAVEPOINT_NOT_FOUND", file, message, options);
  }
}

/** A file is missing, truncated, altered (checksum mismatch) or not what Berth wrote. */
export class SavepointCorruptError extends RestoreError {
  static override readonly marker: string = "berth.core/SavepointCorruptError";

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super("SAVEPOINT_CORRUPT", file, message, options);
  }
}

/** Written in a format version newer than this Berth reads. */
export class SavepointVersionError extends RestoreError {
  static override readonly marker: string = "berth.core/SavepointVersionError";

  readonly version: number;
  readonly supported: number;

  constructor(file: string, version: number, supported: number) {
    super(
      "SAVEPOINT_VERSION_UNSUPPORTED",
      file,
      `${file} has savepoint format version ${version}, newer than this Berth reads (up to ${supported}); restore it with a newer Berth, or take a savepoint with --type canonical from a job running this version`,
    );
    this.version = version;
    this.supported = supported;
  }
}

/** A native savepoint restored into another kind of state backend. */
export class SavepointBackendMismatchError extends RestoreError {
  static override readonly marker: string = "berth.core/SavepointBackendMismatchError";

  constructor(file: string, savepointBackend: string, jobBackend: string) {
    super(
      "SAVEPOINT_BACKEND_MISMATCH",
      file,
      `${file} is a native savepoint of the ${savepointBackend} state backend and cannot be restored into the ${jobBackend} backend; run the job with --state-backend ${savepointBackend}, or take a canonical savepoint (--type canonical), which restores into any backend`,
    );
  }
}

/** The savepoint was taken by a pipeline of another name. */
export class SavepointPipelineMismatchError extends RestoreError {
  static override readonly marker: string = "berth.core/SavepointPipelineMismatchError";

  constructor(file: string, savepointPipeline: string, jobPipeline: string) {
    super(
      "SAVEPOINT_PIPELINE_MISMATCH",
      file,
      `${file} was taken by pipeline "${savepointPipeline}", this job runs pipeline "${jobPipeline}"; restore a savepoint of "${jobPipeline}", or, if the pipeline was renamed, restore with --allow-pipeline-rename (sinks keep the prefixes the savepoint recorded)`,
    );
  }
}

/** The savepoint has state for operators (by uid) the pipeline no longer has. */
export class NonRestoredStateError extends RestoreError {
  static override readonly marker: string = "berth.core/NonRestoredStateError";

  readonly uids: readonly string[];

  constructor(file: string, uids: readonly string[]) {
    super(
      "STATE_NOT_RESTORED",
      file,
      `${file} holds state for operators the pipeline no longer has (uid ${uids.join(", ")}); give the operator its old uid back, or restore with --allow-non-restored-state to drop that state`,
    );
    this.uids = uids;
  }
}

/** Another job claimed the savepoint (claim mode CLAIM): it may delete it at any time. */
export class SavepointClaimedError extends RestoreError {
  static override readonly marker: string = "berth.core/SavepointClaimedError";

  readonly claimedBy: string;

  constructor(file: string, claimedBy: string, claimedAt: string) {
    super(
      "SAVEPOINT_CLAIMED",
      file,
      `${file} was claimed by job ${claimedBy} at ${claimedAt}, which owns it and may delete it; restore from that job's latest checkpoint or a new savepoint of it instead (remove ${file} only if that job is gone and none of its checkpoints is needed)`,
    );
    this.claimedBy = claimedBy;
  }
}

/** A committable or writer state of a sink that the sink's codec cannot read (unknown version, bad shape). */
export class SinkStateUnreadableError extends RestoreError {
  static override readonly marker: string = "berth.core/SinkStateUnreadableError";
  readonly uid: string;
  readonly subtask: number;

  constructor(
    file: string,
    stored: { uid: string; subtask: number; what: "committable" | "writer state"; version: number },
    cause: unknown,
  ) {
    super(
      "SINK_STATE_UNREADABLE",
      file,
      `${file}: the ${stored.what} of sink "${stored.uid}" subtask ${stored.subtask} (version ${stored.version}) cannot be read: ${errorMessage(cause)}; nothing was committed or aborted — restore it with the release that wrote it, or upgrade the sink to one that reads version ${stored.version}`,
      { cause },
    );
    this.uid = stored.uid;
    this.subtask = stored.subtask;
  }
}
