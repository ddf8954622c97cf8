/**
 * Asynchronous stop and savepoint operations, keyed by trigger id as in Flink's REST API:
 * a client-supplied trigger id makes a retried request idempotent, and the status resource
 * tells the phase (barrier injected, snapshot written, commits n/m) while it runs.
 */
import { randomUUID } from "node:crypto";
import type { SavepointFormat } from "../checkpoint/checkpoint-storage.js";
import { BerthError, errorMessage } from "../errors.js";
import type { Job } from "../job.js";

export type OperationPhase =
  | "waiting-for-running"
  | "barrier-injected"
  | "snapshot-written"
  | "committing"
  | "finished";

export interface Operation {
  readonly triggerId: string;
  readonly kind: "stop" | "savepoint";
  status: "IN_PROGRESS" | "COMPLETED";
  phase: OperationPhase;
  commits: { done: number; total: number };
  location?: string;
  failure?: { code: string; message: string };
  /** The completed result was read by a client. */
  reported: boolean;
}

export interface OperationRequest {
  readonly kind: "stop" | "savepoint";
  readonly drain: boolean;
  readonly targetDirectory?: string;
  readonly format?: SavepointFormat;
  readonly triggerId?: string;
}

export class SavepointOperations {
  private readonly operations = new Map<string, Operation>();

  constructor(
    private readonly job: Job,
    private readonly startTimeoutMs: number,
  ) {}

  get(triggerId: string): Operation | undefined {
    return this.operations.get(triggerId);
  }

  /** True when every operation is completed and its result was read, so the server may close. */
  allReported(): boolean {
    return [...this.operations.values()].every((o) => o.status === "COMPLETED" && o.reported);
  }

  /** Starts the operation, or returns the existing one for a repeated trigger id. */
  trigger(request: OperationRequest): Operation {
    const existing = request.triggerId ? this.operations.get(request.triggerId) : undefined;
    if (existing) return existing;
    const operation: Operation = {
      triggerId: request.triggerId ?? randomUUID(),
      kind: request.kind,
      status: "IN_PROGRESS",
      phase: "waiting-for-running",
      commits: { done: 0, total: 0 },
      reported: false,
    };
    this.operations.set(operation.triggerId, operation);
    void this.execute(operation, request);
    return operation;
  }

  private async execute(operation: Operation, request: OperationRequest): Promise<void> {
    const onBarrier = () => {
      operation.phase = "barrier-injected";
    };
    const onSnapshot = () => {
      operation.phase = "snapshot-written";
    };
    const onCommits = (done: number, total: number) => {
      operation.phase = "committing";
      operation.commits = { done, total };
    };
    this.job.on("barrier-injected", onBarrier);
    this.job.on("snapshot-written", onSnapshot);
    this.job.on("commits", onCommits);
    try {
      // A request that arrives while the job starts (or restarts) waits for it in the job, bounded.
      const target = request.targetDirectory;
      const format = request.format ?? "canonical";
      const runningWaitMs = this.startTimeoutMs;
      operation.location =
        request.kind === "stop"
          ? await this.job.stop({
              drain: request.drain,
              format,
              runningWaitMs,
              ...(target ? { targetDirectory: target } : {}),
            })
          : await this.job.savepoint(target, { format, runningWaitMs });
      operation.phase = "finished";
    } catch (error) {
      operation.failure = {
        code: error instanceof BerthError ? error.code : "INTERNAL",
        message: errorMessage(error),
      };
      operation.location = undefined;
    } finally {
      operation.status = "COMPLETED";
      this.job.off("barrier-injected", onBarrier);
      this.job.off("snapshot-written", onSnapshot);
      this.job.off("commits", onCommits);
    }
  }
}
