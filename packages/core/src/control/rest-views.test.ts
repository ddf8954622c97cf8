/**
 * The read routes of the control plane against real jobs, each answer checked by a schema
 * (strict: a field docs/cli.md does not show fails it) and by what the job really did, read
 * independently: the records committed in the output files, the savepoint's `_metadata` and
 * files on disk. Routes: /jobs/overview, /jobs/:id (per-operator metrics and backpressure),
 * /plan, /checkpoints, /checkpoints/config, /exceptions, and the counters on /metrics.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { countingPipeline } from "../checkpoint/savepoint-test-support.js";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { committedRecords, instrumentedSink, waitFor, workDirectory } from "../test-support.js";
import { CHECKPOINT_HISTORY_SIZE } from "./checkpoint-history.js";
import { startRestServer } from "./rest-server.js";

const int = z.number().int();
const time = int.positive();
const tasks = z.strictObject({
  created: int,
  running: int,
  finished: int,
  canceled: int,
  failed: int,
  total: int,
});
const jobState = z.enum(["CREATED", "RUNNING", "FAILING", "RESTARTING", "FINISHED", "CANCELED", "FAILED"]);
const times = { "start-time": time, "end-time": int, duration: int.nonnegative() };

const overviewSchema = z.strictObject({
  jobs: z.array(
    z.strictObject({
      jid: z.string(),
      name: z.string(),
      state: jobState,
      ...times,
      "last-modification": time,
      tasks,
    }),
  ),
});

const detailsSchema = z.strictObject({
  jid: z.string(),
  name: z.string(),
  state: jobState,
  ...times,
  now: time,
  timestamps: z.partialRecord(jobState, time),
  vertices: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      parallelism: int.positive(),
      status: jobState,
      metrics: z.strictObject({
        "read-records": int.nonnegative(),
        "write-records": int.nonnegative(),
        "accumulated-backpressured-time": int.nonnegative(),
        "pending-committables": int.nonnegative().optional(),
      }),
    }),
  ),
});

const planSchema = z.strictObject({
  plan: z.strictObject({
    jid: z.string(),
    name: z.string(),
    type: z.literal("STREAMING"),
    nodes: z.array(
      z.strictObject({
        id: z.string(),
        description: z.string(),
        parallelism: int.positive(),
        inputs: z.array(
          z.strictObject({
            num: int,
            id: z.string(),
            ship_strategy: z.enum(["FORWARD", "REBALANCE", "HASH"]),
          }),
        ),
      }),
    ),
  }),
});

const checkpointSchema = z.strictObject({
  id: int.positive(),
  status: z.enum(["IN_PROGRESS", "COMPLETED", "FAILED"]),
  is_savepoint: z.boolean(),
  checkpoint_type: z.enum(["CHECKPOINT", "SAVEPOINT", "SYNC_SAVEPOINT"]),
  savepointFormat: z.enum(["CANONICAL", "NATIVE"]).nullable(),
  trigger_timestamp: time,
  latest_ack_timestamp: time.nullable(),
  end_to_end_duration: int.nonnegative().nullable(),
  state_size: int.nonnegative().nullable(),
  committables: int.nonnegative().nullable(),
  external_path: z.string().nullable(),
  failure_message: z.string().nullable(),
});
const stats = z.strictObject({ min: int.nullable(), max: int.nullable(), avg: int.nullable() });

const checkpointsSchema = z.strictObject({
  counts: z.strictObject({ restored: int, total: int, in_progress: int, completed: int, failed: int }),
  summary: z.strictObject({ state_size: stats, end_to_end_duration: stats }),
  latest: z.strictObject({
    completed: checkpointSchema.nullable(),
    savepoint: checkpointSchema.nullable(),
    failed: checkpointSchema.nullable(),
    restored: z
      .strictObject({
        id: int,
        restore_timestamp: time,
        is_savepoint: z.boolean(),
        external_path: z.string(),
      })
      .nullable(),
  }),
  history: z.array(checkpointSchema).max(50),
});

const checkpointConfigSchema = z.strictObject({
  mode: z.literal("exactly_once"),
  interval: int.positive(),
  timeout: int.positive(),
  max_concurrent: z.literal(1),
  unaligned_checkpoints: z.literal(false),
  state_backend: z.enum(["memory", "sqlite"]),
  checkpoint_directory: z.string(),
  retained_checkpoints: int.positive(),
  commit_deadline: int.positive(),
});

const exceptionsSchema = z.strictObject({
  "root-exception": z.string().nullable(),
  timestamp: time.nullable(),
  exceptionHistory: z.strictObject({
    entries: z.array(
      z.strictObject({
        exceptionName: z.string(),
        message: z.string(),
        timestamp: time,
        taskName: z.string().nullable(),
        restarted: z.boolean(),
      }),
    ),
    truncated: z.boolean(),
  }),
});

function reader(port: number) {
  return async <T>(schema: z.ZodType<T>, path: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    expect(response.status, path).toBe(200);
    return schema.parse(await response.json());
  };
}

/** Bytes of every file a savepoint directory holds but its `_metadata` (and `_commits`). */
function stateFileBytes(directory: string): number {
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.startsWith("_")) bytes += statSync(path).size;
    }
  };
  walk(directory);
  return bytes;
}

describe("REST read routes", () => {
  it("overview, details with per-operator metrics and backpressure, plan, checkpoints and config match what the job did", async () => {
    const work = workDirectory("rest-views");
    const out = join(work, "out");
    const throttle = { allowed: Number.POSITIVE_INFINITY, emitted: 0 };
    // A slow sink: the channels in front of it fill, so the operators before it wait (backpressure).
    let written = 0;
    const sink = instrumentedSink(fileSink<{ seq: number; count: number }>({ directory: out }), {
      afterWrite: () => (++written % 20 === 0 ? sleep(1) : undefined),
    });
    const job = new Job(countingPipeline({ out, throttle, sink }), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 100,
      channelCapacity: 64,
    });
    const server = await startRestServer(job, { token: false });
    const read = reader(server.port);
    const run = job.run();
    const base = `/jobs/${job.jobId}`;

    await waitFor(() => job.state === "RUNNING", "RUNNING");
    let running = await read(detailsSchema, base);
    const backpressured = (d: z.infer<typeof detailsSchema>) =>
      d.vertices.find((v) => v.id === "seq")?.metrics["accumulated-backpressured-time"] ?? 0;
    for (let i = 0; i < 400 && backpressured(running) === 0; i++) {
      await sleep(25);
      running = await read(detailsSchema, base);
    }
    expect(backpressured(running)).toBeGreaterThan(0);
    let checkpoints = await read(checkpointsSchema, `${base}/checkpoints`);
    for (let i = 0; i < 400 && checkpoints.counts.completed < 2; i++) {
      await sleep(25);
      checkpoints = await read(checkpointsSchema, `${base}/checkpoints`);
    }
    expect(checkpoints.counts.completed).toBeGreaterThanOrEqual(2);
    const overviewRunning = await read(overviewSchema, "/jobs/overview");
    expect(overviewRunning.jobs[0]).toMatchObject({ jid: job.jobId, state: "RUNNING", "end-time": -1 });
    expect(overviewRunning.jobs[0]?.tasks).toEqual({
      created: 0,
      running: 4,
      finished: 0,
      canceled: 0,
      failed: 0,
      total: 4,
    });

    const stop = await fetch(`http://127.0.0.1:${server.port}${base}/stop`, {
      method: "POST",
      body: JSON.stringify({ drain: false }),
    });
    expect(stop.status).toBe(202);
    const { "request-id": triggerId } = (await stop.json()) as { "request-id": string };
    const result = await run;
    expect(result.state).toBe("FINISHED");
    // A stop's status tells how the job ended: its control plane closes once that was read.
    const status = (await (
      await fetch(`http://127.0.0.1:${server.port}${base}/savepoints/${triggerId}`)
    ).json()) as { "job-state": string; operation: { location: string } };
    expect(status).toMatchObject({ "job-state": "FINISHED", operation: { location: result.savepoint } });
    const savepoint = result.savepoint as string;

    // Every record crossed each operator once: the counters agree with the files committed.
    const committed = committedRecords(out).length;
    expect(committed).toBeGreaterThan(0);
    const details = await read(detailsSchema, base);
    const metrics = Object.fromEntries(details.vertices.map((v) => [v.id, v.metrics]));
    expect(details.vertices.map((v) => [v.id, v.parallelism])).toEqual([
      ["seq", 1],
      ["count", 2],
      ["files", 1],
    ]);
    expect(metrics.seq?.["write-records"]).toBe(committed);
    expect(metrics.count?.["read-records"]).toBe(committed);
    expect(metrics.count?.["write-records"]).toBe(committed);
    expect(metrics.files?.["read-records"]).toBe(committed);
    expect(metrics.files?.["pending-committables"]).toBe(0);
    expect(metrics.seq?.["pending-committables"]).toBeUndefined();
    expect(details.state).toBe("FINISHED");
    expect(details["end-time"]).toBeGreaterThanOrEqual(details["start-time"]);
    expect(details.timestamps.FINISHED).toBe(details["end-time"]);

    const overview = await read(overviewSchema, "/jobs/overview");
    expect(overview.jobs[0]?.tasks).toMatchObject({ finished: 4, running: 0, total: 4 });

    // The stop's savepoint, as its _metadata on disk tells it.
    checkpoints = await read(checkpointsSchema, `${base}/checkpoints`);
    const metadata = JSON.parse(readFileSync(join(savepoint, "_metadata"), "utf8")) as {
      checkpointId: number;
      sinks: { committables: unknown[] }[];
    };
    expect(checkpoints.latest.savepoint).toMatchObject({
      id: metadata.checkpointId,
      status: "COMPLETED",
      is_savepoint: true,
      checkpoint_type: "SYNC_SAVEPOINT",
      savepointFormat: "CANONICAL",
      external_path: savepoint,
      state_size: stateFileBytes(savepoint),
      committables: metadata.sinks[0]?.committables.length,
    });
    expect(checkpoints.history[0]?.id).toBe(metadata.checkpointId);
    const ids = checkpoints.history.map((c) => c.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const completedShown = checkpoints.history.filter((c) => c.status === "COMPLETED").length;
    if (checkpoints.counts.total <= CHECKPOINT_HISTORY_SIZE)
      expect(completedShown).toBe(checkpoints.counts.completed);
    else expect(checkpoints.history).toHaveLength(CHECKPOINT_HISTORY_SIZE);
    expect(checkpoints.latest.completed?.checkpoint_type).toBe("CHECKPOINT");
    expect(checkpoints.latest.restored).toBeNull();
    for (const c of checkpoints.history.filter((h) => h.status === "COMPLETED"))
      expect(c.end_to_end_duration).toBe((c.latest_ack_timestamp as number) - c.trigger_timestamp);

    const plan = await read(planSchema, `${base}/plan`);
    expect(plan.plan.nodes).toEqual([
      { id: "seq", description: "Source: sequence", parallelism: 1, inputs: [] },
      {
        id: "count",
        description: "Keyed operator",
        parallelism: 2,
        inputs: [{ num: 0, id: "seq", ship_strategy: "HASH" }],
      },
      {
        id: "files",
        description: "Sink: file",
        parallelism: 1,
        inputs: [{ num: 0, id: "count", ship_strategy: "REBALANCE" }],
      },
    ]);
    const config = await read(checkpointConfigSchema, `${base}/checkpoints/config`);
    expect(config).toMatchObject({
      interval: 100,
      timeout: 60_000,
      state_backend: "memory",
      retained_checkpoints: 1,
    });
    expect(await read(exceptionsSchema, `${base}/exceptions`)).toEqual({
      "root-exception": null,
      timestamp: null,
      exceptionHistory: { entries: [], truncated: false },
    });

    const prometheus = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(prometheus).toMatch(
      new RegExp(`berth_operator_records_in_total\\{operator="files",subtask="0"[^}]*\\} ${committed}\\n`),
    );
    expect(prometheus).toMatch(/berth_sink_pending_committables\{operator="files",subtask="0"[^}]*\} 0\n/);
    await server.close(0);
  });

  it("exceptions name the operator and subtask, and a failover's restore shows in the checkpoints", async () => {
    const work = workDirectory("rest-exceptions");
    const out = join(work, "out");
    const failure = { armed: false, thrown: false };
    const pipeline = Pipeline.create({ name: "failing-once" });
    pipeline
      .source(sequenceSource({ ratePerSecond: 500 }), { uid: "seq" })
      .map(
        (n: number) => {
          if (failure.armed && !failure.thrown) {
            failure.thrown = true;
            throw new Error("boom on purpose");
          }
          return { seq: n };
        },
        { uid: "boom" },
      )
      .sinkTo(fileSink({ directory: out }), { uid: "files" });
    const job = new Job(pipeline, {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
      restartStrategy: { attempts: 1, delayMs: 10 },
    });
    // Armed once a checkpoint completed. The failover restores the newest checkpoint completed
    // before the job runs again.
    let newestBeforeRestart = 0;
    let runs = 0;
    job.on("running", () => runs++);
    job.on("snapshot-written", (id: number) => {
      if (runs < 2) newestBeforeRestart = Math.max(newestBeforeRestart, id);
      failure.armed = true;
    });
    const server = await startRestServer(job, { token: false });
    const read = reader(server.port);
    const run = job.run();
    const base = `/jobs/${job.jobId}`;
    await waitFor(() => runs === 2 && job.state === "RUNNING", "the failover");

    const exceptions = await read(exceptionsSchema, `${base}/exceptions`);
    expect(exceptions.exceptionHistory.entries).toEqual([
      {
        exceptionName: "Error",
        message: 'operator "boom" subtask 0 failed: boom on purpose',
        timestamp: expect.any(Number),
        taskName: "boom (subtask 0)",
        restarted: true,
      },
    ]);
    expect(exceptions["root-exception"]).toBe('operator "boom" subtask 0 failed: boom on purpose');
    expect(exceptions.timestamp).toBe(exceptions.exceptionHistory.entries[0]?.timestamp);
    const checkpoints = await read(checkpointsSchema, `${base}/checkpoints`);
    expect(checkpoints.counts.restored).toBe(1);
    expect(checkpoints.latest.restored).toMatchObject({ id: newestBeforeRestart, is_savepoint: false });
    expect(checkpoints.latest.restored?.external_path).toMatch(new RegExp(`chk-${newestBeforeRestart}$`));
    await job.cancel();
    expect((await run).state).toBe("CANCELED");
    await server.close(0);
  });
});
