/** Prometheus metrics of a job (prom-client), served at `GET /metrics`. */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CheckpointStats } from "../checkpoint/checkpoint-coordinator.js";
import type { Job, JobState } from "../job.js";
import { redactSecrets } from "../redact.js";
import type { BadRecordOutcome } from "../runtime/bad-records.js";
import type { SubtaskCounters } from "../runtime/operator-metrics.js";

const STATES: JobState[] = ["CREATED", "RUNNING", "FAILING", "RESTARTING", "FINISHED", "CANCELED", "FAILED"];

export function jobMetrics(job: Job): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ job_id: redactSecrets(job.jobId), pipeline: redactSecrets(job.pipeline.name) });
  const state = new Gauge({
    name: "berth_job_state",
    help: "1 for the job's current state",
    labelNames: ["state"],
    registers: [registry],
  });
  const update = (current: JobState) => {
    for (const s of STATES) state.set({ state: s }, s === current ? 1 : 0);
  };
  update(job.state);
  job.on("state", update);
  const checkpoints = new Counter({
    name: "berth_checkpoints_completed_total",
    help: "Checkpoints and savepoints completed",
    registers: [registry],
  });
  job.on("snapshot-written", () => checkpoints.inc());
  const restarts = new Counter({
    name: "berth_job_restarts_total",
    help: "Restarts after failures",
    registers: [registry],
  });
  job.on("state", (s: JobState) => {
    if (s === "RESTARTING") restarts.inc();
  });
  const badRecords = new Counter({
    name: "berth_sink_bad_records_total",
    help: "Records a sink rejected and its badRecords policy skipped or dead-lettered (a replay after failover counts again)",
    labelNames: ["sink", "outcome"],
    registers: [registry],
  });
  job.on("bad-record", (sink: string, outcome: BadRecordOutcome) => badRecords.inc({ sink, outcome }));
  checkpointMetrics(job, registry);
  operatorGauges(job, registry);
  return registry;
}

/** Duration of each completed checkpoint, and the size and age of the last one, from the job's `checkpoint` events. */
function checkpointMetrics(job: Job, registry: Registry): void {
  const duration = new Histogram({
    name: "berth_checkpoint_duration_seconds",
    help: "Time from a checkpoint's trigger to its complete _metadata (savepoints included)",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const failed = new Counter({
    name: "berth_checkpoints_failed_total",
    help: "Checkpoints and savepoints that failed or timed out",
    registers: [registry],
  });
  let last: CheckpointStats | undefined;
  new Gauge({
    name: "berth_last_checkpoint_state_bytes",
    help: "Bytes of state in the last completed checkpoint",
    registers: [registry],
    collect() {
      if (last?.stateBytes !== undefined) this.set(last.stateBytes);
    },
  });
  new Gauge({
    name: "berth_last_checkpoint_age_seconds",
    help: "Seconds since the last completed checkpoint completed",
    registers: [registry],
    collect() {
      if (last?.endedAt !== undefined) this.set((Date.now() - last.endedAt) / 1000);
    },
  });
  job.on("checkpoint", (stats: CheckpointStats) => {
    if (stats.status === "FAILED") failed.inc();
    if (stats.status !== "COMPLETED") return;
    last = stats;
    duration.observe(((stats.endedAt ?? stats.triggeredAt) - stats.triggeredAt) / 1000);
  });
}

/** The runtime's per-subtask counters (job.operatorMetrics), read at each scrape. */
function operatorGauges(job: Job, registry: Registry): void {
  const each = (
    sinksOnly: boolean,
    visit: (labels: { operator: string; subtask: string }, c: SubtaskCounters) => void,
  ) => {
    for (const v of job.pipeline.vertices)
      if (!sinksOnly || v.kind === "sink")
        job.operatorMetrics.subtasksOf(v.uid).forEach((c, i) => {
          visit({ operator: v.uid, subtask: String(i) }, c);
        });
  };
  const totals: [string, string, (c: SubtaskCounters) => number][] = [
    ["berth_operator_records_in_total", "Records an operator subtask received", (c) => c.recordsIn],
    ["berth_operator_records_out_total", "Records an operator subtask emitted", (c) => c.recordsOut],
    [
      "berth_operator_backpressured_seconds_total",
      "Seconds an operator subtask waited on a full output channel",
      (c) => c.backpressuredMs / 1000,
    ],
  ];
  for (const [name, help, value] of totals)
    new Counter({
      name,
      help,
      labelNames: ["operator", "subtask"],
      registers: [registry],
      collect() {
        this.reset();
        each(false, (labels, c) => this.inc(labels, value(c)));
      },
    });
  new Gauge({
    name: "berth_sink_pending_committables",
    help: "Committables of a sink subtask not yet committed",
    labelNames: ["operator", "subtask"],
    registers: [registry],
    collect() {
      each(true, (labels, c) => this.set(labels, c.pendingCommittables));
    },
  });
}
