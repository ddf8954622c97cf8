/**
 * The two-phase-commit sink contract (DESIGN.md, "The sink contract").
 *
 * A connector author implements a {@link Sink}: a {@link SinkWriter} per subtask that writes
 * into the current transaction and pre-commits it on a checkpoint barrier, and a
 * {@link Committer} that commits a committable idempotently once the checkpoint holding it
 * is complete. The core does all bookkeeping: it stores committables in checkpoints,
 * commits them in checkpoint order per subtask, retries, classifies failures, recommits
 * them on restore and asks the sink to clean up lingering transactions.
 */
import type { VersionedCodec } from "./codec.js";
import type { CommitOutcome } from "./commit-outcome.js";
import type { LingeringScope } from "./lingering-scope.js";
import type { SinkNames } from "./names.js";
import type { PrefixClaim, PrefixClaimContext } from "./prefix-ownership.js";

/** JSON-serializable value: what committables and writer state must be. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SinkContext {
  /** Stable across restores of one logical job; every name that proves a commit starts with it. */
  readonly sinkPrefix: string;
  /** Builds and parses this prefix's names: build every transaction name with it, never by hand. */
  readonly names: SinkNames;
  /** The sink operator's uid. */
  readonly uid: string;
  /** Number of sink subtasks of this run. */
  readonly parallelism: number;
  /** New at every start and every in-process restart; part of every transaction name. */
  readonly attemptId: string;
  readonly log: SinkLog;
}

export interface SinkWriterContext extends SinkContext {
  readonly subtask: number;
  /**
   * Id of the checkpoint that will close the transaction opened now. Transactions open
   * lazily, for the first record after a barrier, so call this when opening one.
   */
  currentCheckpointId(): number;
}

/** What the barrier a writer flushes for ends: `stop` is `"suspend"` or `"drain"` (end of input too) on a stop. */
export interface SinkBarrier {
  readonly checkpointId: number;
  readonly savepoint: boolean;
  readonly stop: "none" | "suspend" | "drain";
}

export interface SinkLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface SinkWriter<T, C extends Json, S extends Json = Json> {
  /** Buffer or send the record into the current transaction (opened lazily). */
  write(record: T): void | Promise<void>;
  /**
   * Make everything written durable at the target. `endOfInput` is true on drain or end of
   * input; `barrier` says whether the checkpoint is a savepoint and whether it stops the job, so a
   * writer that keeps a transaction open across checkpoints (a file rolled by size) can close it
   * where the job ends or another job may start from the savepoint. The core always passes it.
   */
  flush(endOfInput: boolean, barrier?: SinkBarrier): Promise<void>;
  /**
   * Close the current transaction in a pre-committed state (durable, invisible) and return
   * its committables; none when the transaction received no record.
   */
  prepareCommit(): Promise<C[]>;
  /**
   * Called with committables whose commit is confirmed and recorded as such in a completed
   * checkpoint, so no restore can recommit them: their transaction names may be reused.
   */
  commitsSettled?(committables: C[]): void;
  /** Writer state kept in the checkpoint beside the committables (optional; needs the sink's `writerState` codec). */
  snapshotState?(checkpointId: number): S;
  /** Release resources. An open transaction that was never pre-committed may be aborted. */
  close(): Promise<void>;
}

export interface Committer<C extends Json> {
  /**
   * Make the committable's transaction visible. Must be idempotent: committing an already
   * committed committable answers `alreadyCommitted`, never writes twice. Thrown errors
   * count as failed for an unknown reason.
   */
  commit(committable: C): Promise<CommitOutcome>;
  close(): Promise<void>;
}

export interface RecoverContext<C extends Json, S extends Json = Json> extends SinkContext {
  /**
   * Committables of the restored checkpoint, already committed by the core before this
   * call. Everything else the target holds under the sink prefix is lingering.
   */
  readonly restoredCommittables: readonly C[];
  /** Writer states of the restored checkpoint (parsed by the sink's `writerState` codec), in subtask order. */
  readonly restoredWriterStates: readonly S[];
  /** What to abort, computed by the core: lingering names under the prefix, and the subtasks to look at. */
  readonly lingering: LingeringScope;
}

export interface Sink<T, C extends Json = Json, S extends Json = Json> {
  /** Short name of the target kind for logs and default prefixes, e.g. "file", "kafka". */
  readonly kind: string;
  /** Version and parse step of the committables the core stores in checkpoints. */
  readonly committable: VersionedCodec<C>;
  /** Version and parse step of the writer state, for a writer that has `snapshotState`. */
  readonly writerState?: VersionedCodec<S>;
  /** Identity of the target (no secrets), used to derive the default sink prefix. */
  targetIdentity(): string;
  /**
   * The longest name, in UTF-8 bytes, the target accepts for a name the core builds for this
   * sink (`SinkNames`), after what the sink adds around it (a file's dot and extension, an S3
   * key's base and partitions). The core checks the prefix against it at start. Default: no limit.
   */
  readonly maxNameBytes?: number;
  /**
   * The attempt name a committable proves (for sinks that name transactions by attempt), so
   * lingering cleanup keeps the restored ones. Pooled names are never kept: they are reused.
   */
  transactionName?(committable: C): string;
  /** Validates the sink's options against the job's settings before anything runs. */
  validate?(settings: { checkpointIntervalMs: number }): Promise<void>;
  /**
   * Ownership of the prefix at the target (optional; prefix-ownership.ts): claim
   * `context.sinkPrefix` where the data lives, or throw `SinkPrefixInUseError` naming the live
   * holder. Called once per job run, after the prefix is resolved and before anything is
   * committed, aborted or written; the claim is held across in-process restarts, released when
   * the job ends, and must end by itself when the process dies (a kernel lock, a session-bound
   * lock, an expiring lease).
   */
  claimPrefix?(context: PrefixClaimContext): Promise<PrefixClaim>;
  /** `restoredState`: the restored writer state this subtask takes over (parsed), if any. */
  createWriter(context: SinkWriterContext, restoredState: S | undefined): Promise<SinkWriter<T, C, S>>;
  createCommitter(context: SinkContext): Promise<Committer<C>>;
  /**
   * Lingering transaction cleanup: abort every transaction the target holds whose name
   * `context.lingering.isLingering` — names of this prefix the restored state does not hold,
   * including those of subtasks that no longer exist. Called once per start, after restored
   * committables are committed and before any writer opens.
   */
  abortLingering(context: RecoverContext<C, S>): Promise<void>;
}
