/**
 * The read-only answers of the control plane, each in the shape of Flink's REST API where
 * Flink has the route: the job's overview and details (with per-operator metrics), its plan,
 * its checkpointing configuration and statistics, and its exceptions. docs/cli.md shows an
 * example of each. Nothing here holds a connection setting: sinks appear by uid and kind.
 */
import type { Job, JobState } from "../job.js";
import type { Vertex } from "../pipeline/pipeline.js";
import { CheckpointHistory } from "./checkpoint-history.js";
import { ExceptionHistory } from "./exception-history.js";

const ENDED: readonly JobState[] = ["FINISHED", "CANCELED", "FAILED"];

/** Flink's task states a job state counts as (a restarting job's subtasks are being created again). */
function taskState(state: JobState): "created" | "running" | "finished" | "canceled" | "failed" {
  if (state === "RUNNING") return "running";
  if (state === "FINISHED") return "finished";
  if (state === "CANCELED") return "canceled";
  if (state === "FAILED") return "failed";
  return "created";
}

function vertexName(vertex: Vertex): string {
  if (vertex.kind === "source") return `Source: ${vertex.source.kind}`;
  if (vertex.kind === "sink") return `Sink: ${vertex.sink.kind}`;
  return vertex.keyed ? "Keyed operator" : "Operator";
}

export class JobViews {
  readonly checkpoints: CheckpointHistory;
  readonly exceptions: ExceptionHistory;
  private readonly startedAt = Date.now();
  /** When the job last entered each state (Flink's `timestamps`). */
  private readonly timestamps: Partial<Record<JobState, number>>;

  constructor(private readonly job: Job) {
    this.checkpoints = new CheckpointHistory(job);
    this.exceptions = new ExceptionHistory(job);
    this.timestamps = { [job.state]: this.startedAt };
    job.on("state", (state: JobState) => {
      this.timestamps[state] = Date.now();
    });
  }

  private times(now: number) {
    const state = this.job.state;
    const endedAt = ENDED.includes(state) ? (this.timestamps[state] ?? now) : -1;
    return {
      "start-time": this.startedAt,
      "end-time": endedAt,
      duration: (endedAt === -1 ? now : endedAt) - this.startedAt,
    };
  }

  private tasks() {
    const total = this.job.pipeline.vertices.reduce((n, v) => n + v.parallelism, 0);
    const counts = { created: 0, running: 0, finished: 0, canceled: 0, failed: 0, total };
    counts[taskState(this.job.state)] = total;
    return counts;
  }

  /** `GET /jobs/overview`: this process runs one job. */
  overview() {
    const now = Date.now();
    return {
      jobs: [
        {
          jid: this.job.jobId,
          name: this.job.pipeline.name,
          state: this.job.state,
          ...this.times(now),
          "last-modification": this.timestamps[this.job.state] ?? this.startedAt,
          tasks: this.tasks(),
        },
      ],
    };
  }

  /** `GET /jobs/:id`: the job, and each operator with its metrics summed over its subtasks. */
  details() {
    const now = Date.now();
    const metrics = this.job.operatorMetrics;
    return {
      jid: this.job.jobId,
      name: this.job.pipeline.name,
      state: this.job.state,
      ...this.times(now),
      now,
      timestamps: this.timestamps,
      vertices: this.job.pipeline.vertices.map((v) => {
        const totals = metrics.totals(v.uid);
        return {
          id: v.uid,
          name: vertexName(v),
          parallelism: v.parallelism,
          status: this.job.state,
          metrics: {
            "read-records": totals.recordsIn,
            "write-records": totals.recordsOut,
            "accumulated-backpressured-time": Math.round(totals.backpressuredMs),
            ...(v.kind === "sink" ? { "pending-committables": totals.pendingCommittables } : {}),
          },
        };
      }),
    };
  }

  /** `GET /jobs/:id/plan`: operators by uid with their parallelism; edges are each node's inputs. */
  plan() {
    const { vertices } = this.job.pipeline;
    return {
      plan: {
        jid: this.job.jobId,
        name: this.job.pipeline.name,
        type: "STREAMING",
        nodes: vertices.map((v) => ({
          id: v.uid,
          description: vertexName(v),
          parallelism: v.parallelism,
          inputs:
            v.kind === "source"
              ? []
              : [
                  {
                    num: 0,
                    id: (vertices[v.input.vertex] as Vertex).uid,
                    ship_strategy: v.input.partitioning.kind.toUpperCase(),
                  },
                ],
        })),
      },
    };
  }

  /** `GET /jobs/:id/checkpoints/config`. */
  checkpointConfig() {
    const s = this.job.settings;
    return {
      mode: "exactly_once",
      interval: s.checkpointIntervalMs,
      timeout: s.checkpointTimeoutMs,
      // One at a time, with aligned barriers.
      max_concurrent: 1,
      unaligned_checkpoints: false,
      state_backend: s.stateBackend,
      checkpoint_directory: s.checkpointDirectory,
      retained_checkpoints: s.retainedCheckpoints,
      commit_deadline: s.commitDeadlineMs,
    };
  }
}
