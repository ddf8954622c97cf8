/** Prometheus metrics of a job (prom-client), served at `GET /metrics`. */
import { Counter, Gauge, Registry } from "prom-client";
import type { Job, JobState } from "../job.js";
import { redactSecrets } from "../redact.js";
import type { BadRecordOutcome } from "../runtime/bad-records.js";

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
  return registry;
}
