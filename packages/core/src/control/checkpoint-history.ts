/**
 * What the control plane remembers of a job's checkpoints and savepoints, for `GET
 * /jobs/:id/checkpoints` in Flink's shape: counts since the job started, the latest completed
 * checkpoint, savepoint, failure and restore, and the most recent ones (bounded, as Flink's
 * `web.checkpoints.history`). Like Flink's, it lives in memory and starts empty with the process.
 */
import type { CheckpointStats } from "../checkpoint/checkpoint-coordinator.js";
import type { Job, JobRestore } from "../job.js";

/** How many recent checkpoints `history` keeps (Flink keeps 10; a chart wants more). */
export const CHECKPOINT_HISTORY_SIZE = 50;

type CheckpointType = "CHECKPOINT" | "SAVEPOINT" | "SYNC_SAVEPOINT";

function checkpointType(stats: CheckpointStats): CheckpointType {
  if (!stats.savepoint) return "CHECKPOINT";
  // A stop's savepoint: the job commits synchronously after it and ends (Flink's SYNC_SAVEPOINT).
  return stats.stop === "none" ? "SAVEPOINT" : "SYNC_SAVEPOINT";
}

/** One checkpoint as Flink's REST API shows it (`CheckpointStatistics`), plus its committables. */
function view(stats: CheckpointStats) {
  return {
    id: stats.id,
    status: stats.status,
    is_savepoint: stats.savepoint,
    checkpoint_type: checkpointType(stats),
    savepointFormat: stats.savepoint ? stats.format.toUpperCase() : null,
    trigger_timestamp: stats.triggeredAt,
    latest_ack_timestamp: stats.endedAt ?? null,
    end_to_end_duration: stats.endedAt === undefined ? null : stats.endedAt - stats.triggeredAt,
    state_size: stats.stateBytes ?? null,
    committables: stats.committables ?? null,
    external_path: stats.directory ?? null,
    failure_message: stats.failure ?? null,
  };
}

function summary(values: number[]) {
  if (values.length === 0) return { min: null, max: null, avg: null };
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    avg: Math.round(values.reduce((n, v) => n + v, 0) / values.length),
  };
}

export class CheckpointHistory {
  private readonly recent: CheckpointStats[] = [];
  private counts = { completed: 0, failed: 0, restored: 0 };
  private latestCompleted: CheckpointStats | undefined;
  private latestSavepoint: CheckpointStats | undefined;
  private latestFailed: CheckpointStats | undefined;
  private restored: JobRestore | undefined;

  constructor(job: Job) {
    job.on("checkpoint", (stats: CheckpointStats) => this.record(stats));
    job.on("restored", (restore: JobRestore) => {
      this.counts.restored++;
      this.restored = restore;
    });
  }

  private record(stats: CheckpointStats): void {
    const at = this.recent.findIndex((s) => s.id === stats.id);
    if (at >= 0) this.recent[at] = stats;
    else {
      this.recent.unshift(stats);
      if (this.recent.length > CHECKPOINT_HISTORY_SIZE) this.recent.pop();
    }
    if (stats.status === "COMPLETED") {
      this.counts.completed++;
      if (stats.savepoint) this.latestSavepoint = stats;
      else this.latestCompleted = stats;
    } else if (stats.status === "FAILED") {
      this.counts.failed++;
      this.latestFailed = stats;
    }
  }

  /** The answer of `GET /jobs/:id/checkpoints`, newest first. */
  view() {
    const completed = this.recent.filter((s) => s.status === "COMPLETED");
    const inProgress = this.recent.filter((s) => s.status === "IN_PROGRESS").length;
    return {
      counts: {
        restored: this.counts.restored,
        total: this.counts.completed + this.counts.failed + inProgress,
        in_progress: inProgress,
        completed: this.counts.completed,
        failed: this.counts.failed,
      },
      summary: {
        state_size: summary(completed.map((s) => s.stateBytes ?? 0)),
        end_to_end_duration: summary(completed.map((s) => (s.endedAt ?? s.triggeredAt) - s.triggeredAt)),
      },
      latest: {
        completed: this.latestCompleted ? view(this.latestCompleted) : null,
        savepoint: this.latestSavepoint ? view(this.latestSavepoint) : null,
        failed: this.latestFailed ? view(this.latestFailed) : null,
        restored: this.restored
          ? {
              id: this.restored.checkpointId,
              restore_timestamp: this.restored.timestamp,
              is_savepoint: this.restored.savepoint,
              external_path: this.restored.directory,
            }
          : null,
      },
      history: this.recent.map(view),
    };
  }
}
