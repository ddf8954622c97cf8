/**
 * Lost connections against the machine's server: the test ends the sink's own server sessions
 * with `pg_terminate_backend` (from a client of its own) at named points — the writer's before
 * its PREPARE, the writer's right after it, the committer's before a COMMIT PREPARED. Each time
 * the job ends FINISHED with every seq once and no prepared transaction left, counted with plain SQL.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Sink } from "@berth/core/connector";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { PostgresCommittable } from "./postgres-committable.js";
import { postgresSink } from "./postgres-sink.js";
import {
  committedSeqs,
  dropCreatedTables,
  PG_URL,
  preparedStartingWith,
  uniqueTable,
  withClient,
} from "./test-support.js";

const COUNT = 3000;

/** Ends every server session whose application_name starts with `berth <role>`; how many it ended. */
function terminate(role: string): Promise<number> {
  return withClient(async (c) => {
    const { rows } = await c.query(
      "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE left(application_name, length($1)) = $1 AND pid <> pg_backend_pid()",
      [`berth ${role}`],
    );
    return rows.filter((r) => r.ended).length;
  });
}

interface Faults {
  /** Called after each record a writer wrote, with its subtask and the records of its transaction. */
  afterWrite?(subtask: number, records: number): Promise<void>;
  afterPrepare?(subtask: number, committables: PostgresCommittable[]): Promise<void>;
  beforeCommit?(committable: PostgresCommittable): Promise<void>;
}

function faulty(
  sink: Sink<{ seq: number }, PostgresCommittable>,
  faults: Faults,
): Sink<{ seq: number }, PostgresCommittable> {
  return {
    ...sink,
    async createWriter(context, state) {
      const writer = await sink.createWriter(context, state);
      let records = 0;
      return {
        async write(record) {
          await writer.write(record);
          await faults.afterWrite?.(context.subtask, ++records);
        },
        flush: (endOfInput) => writer.flush(endOfInput),
        async prepareCommit() {
          const committables = await writer.prepareCommit();
          records = 0;
          await faults.afterPrepare?.(context.subtask, committables);
          return committables;
        },
        close: () => writer.close(),
      };
    },
    async createCommitter(context) {
      const committer = await sink.createCommitter(context);
      return {
        async commit(c) {
          await faults.beforeCommit?.(c);
          return committer.commit(c);
        },
        close: () => committer.close(),
      };
    },
  };
}

async function run(
  name: string,
  faults: (prefix: string) => Faults,
): Promise<{ restarts: number; table: string; prefix: string }> {
  const table = uniqueTable(name);
  const prefix = table.replaceAll("_", "-");
  await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`));
  const sink = postgresSink<{ seq: number }>({ connectionString: PG_URL, table, columns: { seq: "seq" } });
  const pipeline = Pipeline.create({ name: "postgres-faults" });
  pipeline
    .source(sequenceSource({ count: COUNT, ratePerSecond: 3000, batchSize: 50 }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(faulty(sink, faults(prefix)), { uid: "postgres", parallelism: 2, sinkPrefix: prefix });
  const job = new Job(pipeline, {
    jobId: prefix,
    checkpointDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-faults-")),
    checkpointIntervalMs: 100,
    restartStrategy: { attempts: 5, delayMs: 50 },
    logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
  });
  let restarts = 0;
  job.on("state", (s: string) => {
    if (s === "RESTARTING") restarts++;
  });
  const result = await job.run();
  expect(result.error?.message).toBeUndefined();
  expect(result.state).toBe("FINISHED");
  expect(await committedSeqs(table)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
  expect(await preparedStartingWith(prefix)).toEqual([]);
  return { restarts, table, prefix };
}

afterAll(dropCreatedTables);

describe.concurrent("postgres sink, lost connections", () => {
  it("the writer's session lost before PREPARE: only that transaction is lost, the job recovers from its checkpoint", async () => {
    let ended = 0;
    let armed = false;
    const { restarts } = await run("lost_before", (prefix) => ({
      async afterWrite(subtask, records) {
        if (armed || records !== 100) return;
        armed = true;
        ended = await terminate(`writer ${prefix}-${subtask}`);
      },
    }));
    expect(ended).toBe(1);
    expect(restarts).toBe(1);
  });

  it("the writer's session lost right after PREPARE: the transaction stays prepared and commits from the committer's session", async () => {
    let ended = 0;
    let prepared: PostgresCommittable | undefined;
    let stillPrepared: string[] = [];
    await run("lost_after", (prefix) => ({
      async afterPrepare(subtask, committables) {
        // Once, for the first subtask that prepared something (both may get here at once).
        if (prepared !== undefined || committables.length === 0) return;
        prepared = committables[0];
        ended = await terminate(`writer ${prefix}-${subtask}`);
        stillPrepared = await preparedStartingWith(prepared?.gid as string);
      },
    }));
    expect(ended).toBe(1);
    expect(stillPrepared).toEqual([prepared?.gid]);
    // Its rows are in the table once (the run's count check), and its marker proves the commit.
    const markers = await withClient((c) =>
      c.query("SELECT gid FROM berth_commit_markers WHERE gid = $1", [prepared?.gid]),
    );
    expect(markers.rowCount).toBe(1);
  });

  it("the committer's session lost before a COMMIT PREPARED: the commit is retried on a new session, no restart", async () => {
    let ended = 0;
    const { restarts } = await run("lost_commit", (prefix) => ({
      async beforeCommit() {
        // The committer opens its session at its first commit: end it before a later one, once.
        if (ended > 0) return;
        ended = await terminate(`committer ${prefix}`);
      },
    }));
    expect(ended).toBeGreaterThan(0);
    expect(restarts).toBe(0);
  });
});
