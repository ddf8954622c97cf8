/**
 * Triggers checkpoints and savepoints, one at a time: injects barrier n at every source
 * subtask, collects every subtask's acknowledgement, and completes the checkpoint by
 * writing `_metadata` atomically. Only then are sinks told to commit.
 */
import { EventEmitter } from "node:events";
import { BerthError, errorMessage } from "../errors.js";
import { faultPoint } from "../fault-injection.js";
import { describeOsError, osErrorMessage } from "../os-errors.js";
import type { BarrierOptions, BarrierStop } from "../runtime/stream-element.js";
import type { SnapshotSink } from "../runtime/subtask.js";
import type { Json } from "../sink/sink.js";
import type { CheckpointStorage, SavepointFormat, SubtaskKeyedState } from "./checkpoint-storage.js";
import {
  type CheckpointMetadata,
  type StateFileHandle,
  type StoredCommittable,
  stateBytes,
} from "./metadata.js";

export interface TriggerRequest {
  readonly savepoint: boolean;
  readonly stop: BarrierStop;
  /** Directory under which a savepoint's own directory is created. */
  readonly targetDirectory?: string;
  /** Format of a savepoint (checkpoints are always canonical). Default "canonical". */
  readonly format?: SavepointFormat;
}

/**
 * What the coordinator tells about each checkpoint and savepoint as it goes, emitted as
 * `"checkpoint"` when it is triggered, and again when it completed or failed.
 */
export interface CheckpointStats {
  readonly id: number;
  readonly status: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  readonly savepoint: boolean;
  readonly stop: BarrierStop;
  readonly format: SavepointFormat;
  /** Epoch ms the checkpoint was triggered. */
  readonly triggeredAt: number;
  /** Epoch ms it completed or failed. */
  readonly endedAt?: number;
  /** Bytes of state (completed only). */
  readonly stateBytes?: number;
  /** Committables it holds, pending until committed (completed only). */
  readonly committables?: number;
  readonly directory?: string;
  readonly failure?: string;
}

export interface CompletedCheckpoint {
  readonly checkpointId: number;
  readonly directory: string;
  readonly metadata: CheckpointMetadata;
}

/** What the coordinator needs from the running execution. */
export interface CheckpointParticipants {
  /** Keys of every subtask that must acknowledge. */
  subtaskKeys(): string[];
  injectBarrier(barrier: BarrierOptions): void;
  /**
   * Checkpoint `id` will never complete: its barrier, still in flight, must be ignored where it
   * arrives (a late stop barrier would halt the job that resumed after its savepoint failed).
   */
  abandonBarrier(checkpointId: number): void;
  /** Builds the metadata from the acknowledgements. */
  metadataFor(
    request: TriggerRequest,
    checkpointId: number,
    acks: ReadonlyMap<string, { handle: StateFileHandle; committables?: StoredCommittable[] }>,
  ): CheckpointMetadata;
}

interface PendingCheckpoint {
  readonly id: number;
  readonly request: TriggerRequest;
  readonly directory: string;
  readonly expected: Set<string>;
  readonly acks: Map<string, { handle: StateFileHandle; committables?: StoredCommittable[] }>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A checkpoint that failed on an operating-system error (ENOTDIR, EACCES, ENOSPC …) says so
 * in words, naming the path; any other error passes through unchanged.
 */
function ioFailure(what: string, error: unknown): unknown {
  const described = describeOsError(error);
  return described
    ? new BerthError("CHECKPOINT_FAILED", `${what} could not be written: ${described}`, { cause: error })
    : error;
}

export class CheckpointCoordinator extends EventEmitter implements SnapshotSink {
  private pending: PendingCheckpoint | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** While a stop or end of input runs: no periodic checkpoint may follow its barrier. */
  private periodicSuspended = false;
  private periodicQueued = false;

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly participants: CheckpointParticipants,
    private lastCheckpointId: number,
    private readonly settings: { readonly timeoutMs: number; readonly retained: number },
  ) {
    super();
  }

  startPeriodic(
    intervalMs: number,
    onCompleted: (completed: CompletedCheckpoint) => void,
    onFailure: (error: unknown) => void,
  ): void {
    this.timer = setInterval(() => {
      if (this.pending || this.stopped || this.periodicSuspended || this.periodicQueued) return;
      this.periodicQueued = true;
      const run = this.running.then(() => {
        this.periodicQueued = false;
        // Suspended while queued (a stop was triggered meanwhile): the stop's barrier must be
        // the last one, or a later checkpoint would run during its synchronous savepoint and
        // prune the final checkpoint of an end of input.
        if (this.periodicSuspended || this.stopped) return undefined;
        return this.run({ savepoint: false, stop: "none" });
      });
      this.running = run.catch(() => undefined);
      run.then((completed) => completed && onCompleted(completed), onFailure);
    }, intervalMs);
    this.timer.unref();
  }

  /** No periodic checkpoint starts until {@link resumePeriodic}; one already running completes. */
  suspendPeriodic(): void {
    this.periodicSuspended = true;
  }

  resumePeriodic(): void {
    this.periodicSuspended = false;
  }

  /**
   * Stops checkpointing and resolves once no checkpoint is in flight: one waiting for
   * acknowledgements is abandoned (its directory discarded), one already writing its
   * `_metadata` completes. A failover must wait for this before it looks for the latest
   * checkpoint: discarding a directory while its `_metadata` was being written (and
   * older checkpoints pruned) left no complete checkpoint, and the restart began afresh.
   */
  shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.pending?.reject(
      new BerthError(
        "CHECKPOINT_DECLINED",
        `checkpoint ${this.pending.id} was abandoned: the job stopped running`,
      ),
    );
    return this.running.then(() => undefined);
  }

  /** Queues behind a checkpoint in progress, then runs. */
  trigger(request: TriggerRequest): Promise<CompletedCheckpoint> {
    const run = this.running.then(() => this.run(request));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async run(request: TriggerRequest): Promise<CompletedCheckpoint> {
    if (this.stopped) throw new BerthError("CHECKPOINT_DECLINED", "the job is no longer running");
    const id = ++this.lastCheckpointId;
    const what = request.savepoint ? `savepoint ${id}` : `checkpoint ${id}`;
    const triggered = {
      id,
      savepoint: request.savepoint,
      stop: request.stop,
      format: request.savepoint ? (request.format ?? "canonical") : "canonical",
      triggeredAt: Date.now(),
    } as const;
    this.emit("checkpoint", { ...triggered, status: "IN_PROGRESS" } satisfies CheckpointStats);
    const abandoned = () =>
      new BerthError("CHECKPOINT_DECLINED", `${what} was abandoned: the job stopped running`);
    // One deadline over every step — directory, acknowledgements, `_metadata` — so storage that
    // hangs fails the checkpoint saying what it waited for, and the next one is not queued forever.
    const target = request.savepoint ? request.targetDirectory : undefined;
    let waitingFor = () => `its directory under ${target ?? "the checkpoint directory"}`;
    let timeout: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timeout = setTimeout(
        () =>
          reject(
            new BerthError(
              "CHECKPOINT_FAILED",
              `${what} timed out after ${this.settings.timeoutMs} ms waiting for ${waitingFor()}`,
            ),
          ),
        this.settings.timeoutMs,
      );
    });
    const within = <T>(step: Promise<T>): Promise<T> => Promise.race([step, deadline]);
    let directory: string | undefined;
    let pending: PendingCheckpoint | undefined;
    let completed = false;
    let writingMetadata = false;
    try {
      directory = await within(this.storage.createDirectory(id, target));
      if (this.stopped) throw abandoned();
      const acknowledged = new Promise<void>((resolve, reject) => {
        pending = {
          id,
          request,
          directory: directory as string,
          expected: new Set(this.participants.subtaskKeys()),
          acks: new Map(),
          resolve,
          reject,
        };
      });
      const inFlight = pending as unknown as PendingCheckpoint;
      this.pending = inFlight;
      waitingFor = () => [...inFlight.expected].filter((k) => !inFlight.acks.has(k)).join(", ");
      this.emit("barrier-injected", id);
      this.participants.injectBarrier({ checkpointId: id, savepoint: request.savepoint, stop: request.stop });
      await within(acknowledged);
      if (this.stopped) throw abandoned();
      const metadata = this.participants.metadataFor(request, id, inFlight.acks);
      waitingFor = () => `its _metadata in ${directory}`;
      writingMetadata = true;
      await within(this.storage.complete(directory, metadata));
      completed = true;
      this.emit("checkpoint", {
        ...triggered,
        status: "COMPLETED",
        endedAt: Date.now(),
        stateBytes: stateBytes(metadata),
        committables: metadata.sinks.reduce((n, s) => n + s.committables.length, 0),
        directory,
      } satisfies CheckpointStats);
      this.emit("snapshot-written", id, directory);
      faultPoint("after-checkpoint-complete");
      if (!request.savepoint) await this.storage.pruneCheckpoints(this.settings.retained);
      return { checkpointId: id, directory, metadata };
    } catch (error) {
      if (!completed) {
        // Abandoned before the files go: no subtask may write into the directory being discarded.
        if (pending !== undefined && this.pending === pending) this.pending = undefined;
        this.participants.abandonBarrier(id);
        // A `_metadata` write that outlived the deadline may still finish, leaving a complete
        // (consistent) checkpoint; removing the directory under it could leave half of one.
        if (directory !== undefined && !writingMetadata)
          await this.storage.discard(directory).catch(() => undefined);
      }
      const failure = ioFailure(what, error);
      if (!completed)
        this.emit("checkpoint", {
          ...triggered,
          status: "FAILED",
          endedAt: Date.now(),
          failure: errorMessage(failure),
        } satisfies CheckpointStats);
      throw failure;
    } finally {
      clearTimeout(timeout);
      if (this.pending === pending) this.pending = undefined;
    }
  }

  directoryOf(checkpointId: number): string | undefined {
    return this.pending?.id === checkpointId ? this.pending.directory : undefined;
  }

  snapshotState(
    checkpointId: number,
    uid: string,
    subtask: number,
    operatorState: Json[],
    keyed: SubtaskKeyedState | undefined,
  ): Promise<StateFileHandle> {
    const pending = this.pending;
    if (pending?.id !== checkpointId)
      return Promise.reject(
        new BerthError("CHECKPOINT_DECLINED", `checkpoint ${checkpointId} is no longer in progress`),
      );
    const target = {
      directory: pending.directory,
      savepoint: pending.request.savepoint,
      format: pending.request.savepoint ? (pending.request.format ?? "canonical") : "canonical",
    } as const;
    return this.storage.writeState(target, uid, subtask, operatorState, keyed);
  }

  decline(checkpointId: number, subtaskKey: string, reason: unknown): void {
    const pending = this.pending;
    if (pending?.id !== checkpointId) return;
    const what = pending.request.savepoint ? "savepoint" : "checkpoint";
    pending.reject(
      new BerthError(
        "CHECKPOINT_FAILED",
        `${what} ${checkpointId} could not be written: subtask ${subtaskKey} could not write its state: ${osErrorMessage(reason)}`,
        { cause: reason },
      ),
    );
  }

  acknowledge(
    checkpointId: number,
    subtaskKey: string,
    handle: StateFileHandle,
    committables?: StoredCommittable[],
  ): void {
    const pending = this.pending;
    if (pending?.id !== checkpointId) return;
    pending.acks.set(subtaskKey, committables ? { handle, committables } : { handle });
    if (pending.acks.size === pending.expected.size) pending.resolve();
  }
}
