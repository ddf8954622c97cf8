/**
 * A job: one run of a pipeline, from start (fresh or restored) to FINISHED, CANCELED or
 * FAILED. It owns the restart strategy and the stop-with-savepoint protocol (FLIP-34):
 * after a stop's barrier nothing is processed and nothing fires until every sink commit
 * is confirmed, then the job ends FINISHED.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { rm, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { CheckpointStats } from "./checkpoint/checkpoint-coordinator.js";
import { CheckpointStorage, type SavepointFormat } from "./checkpoint/checkpoint-storage.js";
import type { Lease } from "./checkpoint/checkpoint-store.js";
import { assertNotClaimedByOther, type ClaimMode, claim, releaseClaim } from "./checkpoint/claim.js";
import { isWithin } from "./checkpoint/locations.js";
import { loadRestorePoint, type RestorePoint } from "./checkpoint/restore-point.js";
import { BerthError, CommitFailedPermanentlyError, errorMessage, StopCommitsPendingError } from "./errors.js";
import { ensureDirectory } from "./fs/directories.js";
import { createLogger, type Logger } from "./logger.js";
import type { Pipeline } from "./pipeline/pipeline.js";
import { isBadRecordFailure } from "./runtime/bad-records.js";
import { Execution } from "./runtime/execution.js";
import { OperatorMetrics } from "./runtime/operator-metrics.js";
import { PrefixClaims } from "./runtime/prefix-claims.js";
import { assertSafeName } from "./safe-name.js";
import { newAttemptId } from "./sink/names.js";
import { memoryStateBackend } from "./state/memory-state-backend.js";
import { sqliteStateBackend } from "./state/sqlite-state-backend.js";
import type { StateBackend, StateBackendKind } from "./state/state-backend.js";
import { SDK_VERSION } from "./version.js";

export type JobState = "CREATED" | "RUNNING" | "FAILING" | "RESTARTING" | "FINISHED" | "CANCELED" | "FAILED";

export interface RestartStrategy {
  /** Restarts allowed after failures before the job fails; 0 = fail at once. */
  readonly attempts: number;
  readonly delayMs: number;
}

export interface JobOptions {
  /** Default: a new random id. Restores of one logical job may keep it. */
  readonly jobId?: string;
  /** Where checkpoints go (`<dir>/<job id>/run-<r>/chk-<n>`), and default savepoints (`<dir>/savepoints`). */
  readonly checkpointDirectory: string;
  /** Periodic checkpoint interval. Default 5000 ms. Checkpointing cannot be turned off for a job with a sink. */
  readonly checkpointIntervalMs?: number;
  /** A checkpoint not acknowledged by every subtask within this fails. Default 60 s. */
  readonly checkpointTimeoutMs?: number;
  /** Completed checkpoints of this run kept (an earlier run's are never pruned). Default 1. */
  readonly retainedCheckpoints?: number;
  /** Default "memory". */
  readonly stateBackend?: StateBackendKind;
  /** Default: 3 attempts, 1 s apart. */
  readonly restartStrategy?: RestartStrategy;
  /**
   * How long a commit may keep failing with *retry later*, and how long a stop's synchronous
   * commits may take — that deadline then bounds every retry under way. Default 60 s.
   */
  readonly commitDeadlineMs?: number;
  /** Capacity of each channel between subtasks, in records (the backpressure bound). Default 1024. */
  readonly channelCapacity?: number;
  readonly restore?: {
    /** A savepoint or checkpoint directory (the one holding `_metadata`). */
    readonly path: string;
    /**
     * Who owns the restored files. NO_CLAIM (default): never modified or deleted, the first
     * checkpoint is full. CLAIM: the job owns them, leaves a `_claimed` marker, may reference
     * them and deletes them once subsumed. LEGACY (deprecated): may reference, never deletes.
     */
    readonly claimMode?: ClaimMode;
    /** Drop state of operators (by uid) the pipeline no longer has instead of refusing. */
    readonly allowNonRestoredState?: boolean;
    /** Restore a savepoint taken by a pipeline of another name (a renamed pipeline). */
    readonly allowPipelineRename?: boolean;
    readonly skipFailedCommittables?: boolean;
  };
  readonly logger?: Logger;
}

/** How long a checkpoint or savepoint (a stop's included) may take before it fails, by default. */
export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 60_000;

/** How long a stop or savepoint requested while the job starts or restarts waits for it to run, by default. */
export const RUNNING_WAIT_MS = 60_000;

export interface StopRequest {
  /** true = stop with drain (TERMINATE): MAX watermark, all event-time timers fire. */
  readonly drain: boolean;
  /** Directory under which the savepoint directory is created; default `<checkpoint dir>/savepoints`. */
  readonly targetDirectory?: string;
  /** Default "canonical" (restores into any backend); "native" restores only into the same backend. */
  readonly format?: SavepointFormat;
  /** A request made while the job is CREATED or RESTARTING waits this long for RUNNING. Default {@link RUNNING_WAIT_MS}. */
  readonly runningWaitMs?: number;
}

export interface SavepointOptions {
  /** Default "canonical" (restores into any backend); "native" restores only into the same backend. */
  readonly format?: SavepointFormat;
  /** A request made while the job is CREATED or RESTARTING waits this long for RUNNING. Default {@link RUNNING_WAIT_MS}. */
  readonly runningWaitMs?: number;
}

export interface JobResult {
  readonly state: "FINISHED" | "CANCELED" | "FAILED";
  /** The stop's savepoint, or the final checkpoint at end of input; when FAILED, the savepoint to restart from to complete a stop's pending commits. */
  readonly savepoint?: string;
  readonly error?: Error;
}

/** Emitted as `"exception"` for every failure of the job: a failover (`restarting`) or its end. */
export interface JobException {
  readonly error: Error;
  /** Epoch ms. */
  readonly timestamp: number;
  /** True when the job restarts after it; false when the job ended FAILED with it. */
  readonly restarting: boolean;
}

/** Emitted as `"restored"` when an attempt starts from a checkpoint or savepoint. */
export interface JobRestore {
  readonly checkpointId: number;
  readonly directory: string;
  readonly savepoint: boolean;
  /** Epoch ms. */
  readonly timestamp: number;
}

type ExecutionEnd = { kind: "finished"; savepoint: string } | { kind: "canceled" };

function isLeaseLost(error: unknown): boolean {
  return error instanceof BerthError && error.code === "JOB_LEASE_LOST";
}

export class Job extends EventEmitter {
  readonly jobId: string;
  /** Records in and out, backpressure and pending commits per subtask, across attempts. */
  readonly operatorMetrics = new OperatorMetrics();
  private jobState: JobState = "CREATED";
  private readonly storage: CheckpointStorage;
  private readonly log: Logger;
  private execution: Execution | undefined;
  private endExecution: ((end: ExecutionEnd) => void) | undefined;
  private stopping: string | undefined;
  /** The savepoint or final checkpoint of a stop whose synchronous commits have begun. */
  private stopCommitsBegan: string | undefined;
  private running: Promise<JobResult> | undefined;
  private jobIdLease: Promise<Lease> | undefined;
  /** Sink prefixes claimed at their targets, held from the first attempt to the end of the run. */
  private readonly prefixClaims = new PrefixClaims();
  /** The job's options with their defaults applied. */
  readonly settings: Required<Omit<JobOptions, "jobId" | "restore" | "logger" | "stateBackend">> & {
    stateBackend: StateBackendKind;
  };

  constructor(
    readonly pipeline: Pipeline,
    readonly options: JobOptions,
  ) {
    super();
    pipeline.validate();
    this.jobId = assertSafeName("job id", options.jobId ?? randomUUID());
    this.settings = {
      checkpointDirectory: options.checkpointDirectory,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 5_000,
      checkpointTimeoutMs: options.checkpointTimeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS,
      retainedCheckpoints: options.retainedCheckpoints ?? 1,
      stateBackend: options.stateBackend ?? "memory",
      restartStrategy: options.restartStrategy ?? { attempts: 3, delayMs: 1_000 },
      commitDeadlineMs: options.commitDeadlineMs ?? 60_000,
      channelCapacity: options.channelCapacity ?? 1024,
    };
    if (!(this.settings.checkpointIntervalMs > 0) && pipeline.vertices.some((v) => v.kind === "sink")) {
      throw new BerthError(
        "CHECKPOINTING_REQUIRED",
        "a job with an exactly-once sink needs checkpointing: set a positive checkpoint interval",
      );
    }
    this.log = (options.logger ?? createLogger()).child({ jobId: this.jobId });
    this.storage = new CheckpointStorage(options.checkpointDirectory, this.jobId, {
      incremental: this.settings.stateBackend === "sqlite",
      log: this.log,
    });
  }

  get state(): JobState {
    return this.jobState;
  }

  private setState(state: JobState): void {
    this.jobState = state;
    this.log.info(`job ${state}`);
    this.emit("state", state);
  }

  /**
   * Takes this job's id: the checkpoint storage's lease — for a local directory the kernel lock
   * in the job's checkpoint folder — held until {@link run} ends (or the process dies). Throws
   * `JobIdInUseError` naming the live job that holds it. {@link run} calls it first; call it
   * earlier to be refused before anything else starts.
   */
  claimJobId(): Promise<Lease> {
    this.jobIdLease ??= this.storage.store.lease(this.jobId);
    return this.jobIdLease;
  }

  /** Runs the job to its end. Resolves (never rejects) with the final state. */
  run(): Promise<JobResult> {
    this.running ??= this.runOwned();
    return this.running;
  }

  /** Nothing is restored, committed or aborted before the job id is this job's. */
  private async runOwned(): Promise<JobResult> {
    let lease: Lease;
    try {
      lease = await this.claimJobId();
    } catch (error) {
      return this.failed(error);
    }
    try {
      return await this.runAttempts(lease);
    } finally {
      await this.prefixClaims
        .releaseAll()
        .catch((error: unknown) =>
          this.log.warn(`releasing a sink prefix claim failed: ${errorMessage(error)}`),
        );
      await lease.release();
    }
  }

  private workDirectory(attemptId: string): string {
    return this.storage.workDirectory(attemptId);
  }

  private async backend(attemptId: string): Promise<StateBackend> {
    if (this.settings.stateBackend !== "sqlite") return memoryStateBackend;
    // Created here, not by the backend's own recursive mkdir, which loops forever under /proc.
    await ensureDirectory(this.workDirectory(attemptId));
    return sqliteStateBackend(this.workDirectory(attemptId));
  }

  /** An attempt's working state is worthless once it ended: checkpoints hold what survives. */
  private async discardWorkDirectory(attemptId: string): Promise<void> {
    await rm(this.workDirectory(attemptId), { recursive: true, force: true });
    await rmdir(dirname(this.workDirectory(attemptId))).catch(() => undefined); // only when empty
  }

  /**
   * Loads the restore point the user gave — every file verified — and applies its claim
   * mode: a point another job claimed is refused; CLAIM leaves this job's marker.
   */
  private async openRestorePoint(): Promise<{ point: RestorePoint; claimed: boolean } | undefined> {
    const restore = this.options.restore;
    if (!restore) return undefined;
    const mode = restore.claimMode ?? "NO_CLAIM";
    const point = await loadRestorePoint(restore.path);
    await assertNotClaimedByOther(point.directory, this.jobId);
    if (mode === "LEGACY")
      this.log.warn(
        `claim mode LEGACY is deprecated: checkpoints may reference files of ${point.directory}, which Berth never deletes — do not delete it while this job's checkpoints need it; use CLAIM or NO_CLAIM`,
      );
    if (mode === "CLAIM") await claim(point.directory, this.jobId);
    this.storage.setRestorePoint(point.directory, mode);
    this.log.info(`restoring from ${point.directory} (claim mode ${mode})`);
    return { point, claimed: mode === "CLAIM" };
  }

  /**
   * Which restored keyed chunks the first checkpoint may reference: never a NO_CLAIM restore
   * point's; a CLAIM or LEGACY one's, and this job's own shared chunks after a failover.
   */
  private referencePolicy(fromUserPoint: boolean): (path: string) => boolean {
    const mode = this.options.restore?.claimMode ?? "NO_CLAIM";
    const restored = this.options.restore?.path;
    const shared = this.storage.sharedDirectory;
    return (path) =>
      (isWithin(path, shared) && (!fromUserPoint || mode !== "NO_CLAIM")) ||
      (mode !== "NO_CLAIM" && restored !== undefined && isWithin(path, restored));
  }

  /**
   * Records this run in the job's lineage. Each run keeps its own points, so a restore from an
   * older point deletes nothing of a later run; a fresh start under a job id that has points
   * is refused, since its output would repeat what those runs committed.
   */
  private async beginRun(restorePoint: RestorePoint | undefined, lease: Lease): Promise<void> {
    const newest = restorePoint ? undefined : await this.storage.lineage.newest();
    if (newest) {
      throw new BerthError(
        "CONFIG_INVALID",
        `job ${this.jobId} already has checkpoints or savepoints (newest ${newest.location}, run ${newest.run}); continue from it with --from-latest, or start fresh under another --job-id`,
      );
    }
    await this.storage.beginRun(
      restorePoint && { location: restorePoint.directory, checkpointId: restorePoint.metadata.checkpointId },
      lease,
    );
  }

  private async runAttempts(lease: Lease): Promise<JobResult> {
    let failures = 0;
    let restorePoint: RestorePoint | undefined;
    let userPoint: { point: RestorePoint; claimed: boolean } | undefined;
    try {
      userPoint = await this.openRestorePoint();
      restorePoint = userPoint?.point;
      await this.beginRun(restorePoint, lease);
    } catch (error) {
      return this.failed(error);
    }
    while (true) {
      const attemptId = newAttemptId();
      let execution: Execution;
      try {
        execution = await Execution.create(this.pipeline, {
          ...this.settings,
          jobId: this.jobId,
          attemptId,
          backend: await this.backend(attemptId),
          storage: this.storage,
          restorePoint,
          allowNonRestoredState: this.options.restore?.allowNonRestoredState ?? false,
          allowPipelineRename: this.options.restore?.allowPipelineRename ?? false,
          mayReference: this.referencePolicy(
            restorePoint !== undefined && restorePoint.directory === userPoint?.point.directory,
          ),
          skipFailedCommittables: this.options.restore?.skipFailedCommittables ?? false,
          sdkVersion: SDK_VERSION,
          log: this.log,
          prefixClaims: this.prefixClaims,
          metrics: this.operatorMetrics,
          onBadRecord: (uid, outcome) => this.emit("bad-record", uid, outcome),
        });
      } catch (error) {
        // Nothing references the claimed files yet: give the claim back.
        if (userPoint?.claimed && restorePoint?.directory === userPoint.point.directory)
          await releaseClaim(userPoint.point.directory, this.jobId).catch(() => undefined);
        await this.discardWorkDirectory(attemptId);
        return this.failed(error);
      }
      if (restorePoint)
        this.emit("restored", {
          checkpointId: restorePoint.metadata.checkpointId,
          directory: restorePoint.directory,
          savepoint: restorePoint.metadata.kind === "savepoint",
          timestamp: Date.now(),
        } satisfies JobRestore);
      const end = await this.runExecution(execution).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      this.execution = undefined;
      await execution.teardown();
      await this.discardWorkDirectory(attemptId);
      if (end.ok) {
        if (end.value.kind === "canceled") {
          this.setState("CANCELED");
          return { state: "CANCELED" };
        }
        this.setState("FINISHED");
        return { state: "FINISHED", savepoint: end.value.savepoint };
      }
      const error = this.stopOutcome(end.error);
      if (!this.restartable(error) || ++failures > this.settings.restartStrategy.attempts)
        return this.failed(error);
      this.emit("exception", {
        error: error instanceof Error ? error : new Error(String(error)),
        timestamp: Date.now(),
        restarting: true,
      } satisfies JobException);
      this.setState("FAILING");
      this.log.warn(
        `job failed, restarting (${failures}/${this.settings.restartStrategy.attempts}): ${errorMessage(error)}`,
      );
      this.setState("RESTARTING");
      await sleep(this.settings.restartStrategy.delayMs);
      // The newest point of this run's lineage: the point it started from until a newer
      // checkpoint or savepoint of this run completed. Never an older point: a stop whose
      // commits began, or a savepoint holding pre-committed transactions, would be repeated
      // or aborted as lingering.
      this.stopCommitsBegan = undefined;
      try {
        const newest = await this.storage.newestPointOfRun();
        restorePoint = newest && (await loadRestorePoint(newest.location));
      } catch (e) {
        return this.failed(e);
      }
    }
  }

  private restartable(error: unknown): boolean {
    if (error instanceof CommitFailedPermanentlyError) return false;
    // A restart would only meet the other owner's lease again.
    if (isLeaseLost(error)) return false;
    // A rejected record under the "fail" policy: every restart would meet it again.
    if (isBadRecordFailure(error)) return false;
    if (error instanceof BerthError && error.code === "COMMIT_DEADLINE_EXCEEDED" && this.stopping)
      return false;
    return true;
  }

  /**
   * Once a stop's commits began, the stop's deadline owns the outcome: a commit that gave up
   * retrying (one already retrying before the stop, say) ends the job as the stop's deadline does,
   * naming the savepoint to restart from — not with the retry's own message.
   */
  private stopOutcome(error: unknown): unknown {
    const savepoint = this.stopCommitsBegan;
    if (!savepoint || error instanceof StopCommitsPendingError) return error;
    if (!(error instanceof BerthError) || error.code !== "COMMIT_DEADLINE_EXCEEDED") return error;
    return new StopCommitsPendingError(savepoint, this.settings.commitDeadlineMs, { cause: error });
  }

  private failed(error: unknown): JobResult {
    const err = error instanceof Error ? error : new Error(String(error));
    this.log.error(`job FAILED: ${err.message}`);
    this.emit("exception", { error: err, timestamp: Date.now(), restarting: false } satisfies JobException);
    this.setState("FAILED");
    return {
      state: "FAILED",
      error: err,
      ...(err instanceof StopCommitsPendingError ? { savepoint: err.savepoint } : {}),
    };
  }

  private runExecution(execution: Execution): Promise<ExecutionEnd> {
    this.execution = execution;
    this.stopping = undefined;
    const ended = new Promise<ExecutionEnd>((resolve) => {
      this.endExecution = resolve;
    });
    execution.onAllSourcesEnded = () => {
      this.finish(execution, { savepoint: false, drain: true }).catch((error: unknown) =>
        execution.fail(error),
      );
    };
    execution.start();
    execution.coordinator.startPeriodic(
      this.settings.checkpointIntervalMs,
      (completed) => {
        execution.commitUpTo(completed).catch((error: unknown) => execution.fail(error));
      },
      (error) => {
        // Another process owns the job now: this one must not go on processing without checkpoints.
        if (isLeaseLost(error)) execution.fail(error);
        else this.log.warn(`checkpoint failed: ${errorMessage(error)}`);
      },
    );
    execution.coordinator.on("snapshot-written", (id: number, directory: string) =>
      this.emit("snapshot-written", id, directory),
    );
    execution.coordinator.on("barrier-injected", (id: number) => this.emit("barrier-injected", id));
    execution.coordinator.on("checkpoint", (stats: CheckpointStats) => {
      if (stats.status === "COMPLETED") this.logCompleted(stats);
      this.emit("checkpoint", stats);
    });
    this.setState("RUNNING");
    this.emit("running");
    return Promise.race([ended, execution.failure]);
  }

  /**
   * The stop protocol shared by stop (suspend or drain) and end of input: barrier, complete
   * snapshot, then commit synchronously, record the confirmed commits, end FINISHED.
   */
  private async finish(
    execution: Execution,
    how: { savepoint: boolean; drain: boolean; targetDirectory?: string; format?: SavepointFormat },
  ): Promise<string> {
    this.stopping = how.savepoint ? (how.drain ? "stop with drain" : "stop") : "end of input";
    execution.coordinator.suspendPeriodic();
    const completed = await execution.coordinator
      .trigger({
        savepoint: how.savepoint,
        stop: how.drain ? "drain" : "suspend",
        targetDirectory: how.targetDirectory ?? this.storage.defaultSavepointDirectory,
        format: how.format ?? "canonical",
      })
      .catch((error: unknown) => {
        if (how.drain) {
          // The MAX watermark is out: the job cannot go back to running, so it fails over.
          execution.fail(error);
        } else {
          this.stopping = undefined;
          execution.coordinator.resumePeriodic();
          execution.resume();
        }
        throw new BerthError("SAVEPOINT_FAILED", `the stop's savepoint failed: ${errorMessage(error)}`, {
          cause: error,
        });
      });
    this.stopCommitsBegan = completed.directory;
    const total = execution.pendingCommits(completed.checkpointId);
    this.emit("commits", 0, total);
    const progress = setInterval(
      () => this.emit("commits", total - execution.pendingCommits(completed.checkpointId), total),
      200,
    );
    let deadline: NodeJS.Timeout | undefined;
    // Retries under way go on until this deadline, not their own (commit-with-retry.ts).
    execution.stopCommitDeadline = Date.now() + this.settings.commitDeadlineMs;
    try {
      await Promise.race([
        execution.commitUpTo(completed),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(
            () => reject(new StopCommitsPendingError(completed.directory, this.settings.commitDeadlineMs)),
            this.settings.commitDeadlineMs,
          );
        }),
      ]);
    } catch (error) {
      const outcome = this.stopOutcome(error);
      execution.fail(outcome);
      throw outcome;
    } finally {
      clearInterval(progress);
      clearTimeout(deadline);
    }
    this.emit("commits", total, total);
    await this.storage.recordConfirmedCommits(completed.directory, execution.confirmed);
    this.endExecution?.({ kind: "finished", savepoint: completed.directory });
    return completed.directory;
  }

  /**
   * A stop or savepoint requested while the job starts or restarts — by REST, CLI or signal —
   * waits until it runs (bounded), instead of being rejected and lost; one requested after the
   * job ended, or when it ends meanwhile, is rejected.
   */
  private async whenRunning(action: string, timeoutMs: number): Promise<void> {
    const starting = (state: JobState) =>
      state === "CREATED" || state === "FAILING" || state === "RESTARTING";
    if (!starting(this.jobState)) return;
    this.log.info(`${action} requested while the job is ${this.jobState}: waiting for it to run`);
    await new Promise<void>((resolve, reject) => {
      const done = (error?: BerthError) => {
        clearTimeout(timer);
        this.off("state", onState);
        if (error) reject(error);
        else resolve();
      };
      const onState = (state: JobState) => {
        if (state === "RUNNING") done();
        else if (!starting(state))
          done(new BerthError("STOP_REJECTED", `cannot ${action} job ${this.jobId}: it ended ${state}`));
      };
      const timer = setTimeout(
        () =>
          done(
            new BerthError(
              "STOP_REJECTED",
              `cannot ${action} job ${this.jobId}: it did not reach RUNNING within ${timeoutMs} ms (still ${this.jobState})`,
            ),
          ),
        timeoutMs,
      );
      this.on("state", onState);
    });
  }

  private runningExecution(action: string): Execution {
    const execution = this.execution;
    if (this.jobState !== "RUNNING" || !execution) {
      throw new BerthError(
        "STOP_REJECTED",
        // RUNNING without an execution: a cancel or failure is tearing it down.
        `cannot ${action} job ${this.jobId}: it is ${this.jobState === "RUNNING" ? "ending" : `${this.jobState}, not RUNNING`}`,
      );
    }
    if (this.stopping) {
      throw new BerthError(
        "STOP_REJECTED",
        `cannot ${action} job ${this.jobId}: a ${this.stopping} is already in progress`,
      );
    }
    return execution;
  }

  /** One info line per completed checkpoint or savepoint: what an operator checks first. */
  private logCompleted(stats: CheckpointStats): void {
    const what = stats.savepoint ? "savepoint" : "checkpoint";
    this.log.info(`${what} ${stats.id} completed`, {
      checkpointId: stats.id,
      durationMs: (stats.endedAt ?? stats.triggeredAt) - stats.triggeredAt,
      stateBytes: stats.stateBytes,
      committables: stats.committables,
      ...(stats.savepoint ? { savepoint: stats.directory, stop: stats.stop } : {}),
    });
  }

  /** Stop with savepoint: suspend (default) or drain. Resolves with the savepoint's directory once FINISHED. */
  async stop(request: StopRequest): Promise<string> {
    const action = request.drain ? "stop with drain" : "stop";
    this.log.info(`${action} requested`);
    await this.whenRunning(action, request.runningWaitMs ?? RUNNING_WAIT_MS);
    const execution = this.runningExecution(action);
    const savepoint = await this.finish(execution, {
      savepoint: true,
      drain: request.drain,
      ...(request.targetDirectory ? { targetDirectory: request.targetDirectory } : {}),
      ...(request.format ? { format: request.format } : {}),
    });
    await this.run();
    return savepoint;
  }

  /** A savepoint while the job keeps running; its committables commit with the next checkpoint. */
  async savepoint(targetDirectory?: string, options: SavepointOptions = {}): Promise<string> {
    await this.whenRunning("take a savepoint of", options.runningWaitMs ?? RUNNING_WAIT_MS);
    const execution = this.runningExecution("take a savepoint of");
    const completed = await execution.coordinator.trigger({
      savepoint: true,
      stop: "none",
      targetDirectory: targetDirectory ?? this.storage.defaultSavepointDirectory,
      format: options.format ?? "canonical",
    });
    return completed.directory;
  }

  /** Cancels the job: no savepoint, nothing committed beyond completed checkpoints. */
  async cancel(): Promise<JobResult> {
    this.endExecution?.({ kind: "canceled" });
    return this.run();
  }
}
