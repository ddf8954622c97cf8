/**
 * The sink against private PostgreSQL servers the testkit starts (`PrivatePostgres`: the
 * machine's binaries, a non-root user, a port and folder of its own), where the test may change
 * settings and crash the server without touching the shared one:
 *
 * - `max_prepared_transactions = 0`: the prepared protocol is refused at start with the
 *   current and needed value and how to set it; the idempotent protocol works end to end.
 * - A session connecting while the server is down connects once it is back.
 * - The server SIGKILLed (postmaster and backends) while commits run, and started again: the
 *   job recovers, every seq is in the table once, nothing is left prepared or staged.
 *
 * Verdicts are plain SQL on a client of the test's own.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Sink } from "@berth/core/connector";
import { freePort, PrivatePostgres, servicesDir } from "@berth/testkit/services";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresError } from "./errors.js";
import { connect } from "./internal/connection.js";
import type { PostgresCommittable } from "./postgres-committable.js";
import { postgresSink } from "./postgres-sink.js";
import { committedSeqs, preparedStartingWith, uniqueTable, withClient } from "./test-support.js";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function privateServer(name: string, settings: Record<string, number>): Promise<PrivatePostgres> {
  const server = new PrivatePostgres({
    dir: join(servicesDir(), "postgres-private", `${name}-${randomBytes(3).toString("hex")}`),
    port: await freePort(),
    settings,
  });
  await server.start();
  return server;
}

async function seqTable(url: string): Promise<string> {
  const table = uniqueTable("private");
  await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`), url);
  return table;
}

/** Staged transaction names of the prefix left in the staging table (a plain string test). */
const stagedLeft = (url: string, stage: string, prefix: string) =>
  withClient(async (c) => {
    const { rows } = await c.query(
      `SELECT DISTINCT berth_txn FROM ${pg.escapeIdentifier(stage)} WHERE left(berth_txn, length($1)) = $1`,
      [prefix],
    );
    return rows.map((r) => r.berth_txn as string);
  }, url);

function seqJob(
  sink: Sink<{ seq: number }, PostgresCommittable>,
  prefix: string,
  count: number,
  restartAttempts: number,
): Promise<Job> {
  const pipeline = Pipeline.create({ name: "postgres-private" });
  pipeline
    .source(sequenceSource({ count, ratePerSecond: 2000, batchSize: 50 }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(sink, { uid: "postgres", parallelism: 2, sinkPrefix: prefix });
  return mkdtemp(join(tmpdir(), "berth-postgres-private-")).then(
    (checkpointDirectory) =>
      new Job(pipeline, {
        jobId: prefix,
        checkpointDirectory,
        checkpointIntervalMs: 100,
        restartStrategy: { attempts: restartAttempts, delayMs: 500 },
        logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
      }),
  );
}

describe("postgres sink on a private server with max_prepared_transactions = 0", () => {
  let server: PrivatePostgres;
  beforeAll(async () => {
    server = await privateServer("no-2pc", { max_prepared_transactions: 0 });
  });
  afterAll(async () => {
    await server?.stop({ wipe: true });
  });

  it("refuses the prepared protocol at start, saying the current and needed value, how to set it, that it is server-wide and needs a restart", async () => {
    const table = await seqTable(server.endpoint);
    const prefix = table.replaceAll("_", "-");
    const sink = postgresSink<{ seq: number }>({
      connectionString: server.endpoint,
      table,
      columns: { seq: "seq" },
    });
    const result = await (await seqJob(sink, prefix, 100, 0)).run();
    expect(result.state).toBe("FAILED");
    expect(result.error).toBeInstanceOf(PostgresError);
    expect(result.error).toMatchObject({ code: "POSTGRES_PREPARED_TRANSACTIONS_TOO_FEW" });
    expect(result.error?.message).toContain(
      `max_prepared_transactions is 0 on 127.0.0.1:${server.port}/berth`,
    );
    expect(result.error?.message).toContain("needs at least 6 (parallelism 2 × (pendingCheckpoints 2 + 1))");
    expect(result.error?.message).toContain("ALTER SYSTEM SET max_prepared_transactions = 6");
    expect(result.error?.message).toMatch(/restart the server — the setting is server-wide/);
    expect(await committedSeqs(table, server.endpoint)).toEqual([]);
  });

  it("a session connecting while the server is down is connected once it is back, within connectTimeoutMs", async () => {
    await server.stop();
    const connecting = connect({ connectionString: server.endpoint, connectTimeoutMs: 120_000 }, "test");
    await server.start();
    const client = await connecting;
    try {
      expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it("a server restart ends the prefix claim's session; the job's failover takes it again, so a second job with the prefix is still refused", async () => {
    const table = await seqTable(server.endpoint);
    const prefix = table.replaceAll("_", "-");
    const sink = () =>
      postgresSink<{ seq: number }>({
        connectionString: server.endpoint,
        table,
        columns: { seq: "seq" },
        protocol: "idempotent",
        stagingTable: `${table}_stage`,
      });
    const rows = async () => (await committedSeqs(table, server.endpoint).catch(() => [])).length;
    const untilMoreThan = async (n: number) => {
      for (let i = 0; i < 600 && (await rows()) <= n; i++) await new Promise((r) => setTimeout(r, 100));
      return rows();
    };
    const first = await seqJob(sink(), prefix, 1_000_000, 20);
    const firstRun = first.run();
    try {
      await untilMoreThan(0);
      await server.kill();
      await server.start();
      // Committing again: the job failed over and started anew against the restarted server.
      expect(await untilMoreThan(await rows())).toBeGreaterThan(0);
      const second = await (await seqJob(sink(), prefix, 10, 0)).run();
      expect(second.state).toBe("FAILED");
      expect(second.error).toMatchObject({ code: "SINK_PREFIX_IN_USE" });
    } finally {
      await first.stop({
        drain: false,
        targetDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-sp-")),
      });
      expect((await firstRun).state).toBe("FINISHED");
    }
    const committed = await committedSeqs(table, server.endpoint);
    expect(committed).toEqual(range(committed.length));
  });

  it("the idempotent protocol writes every record once there, and leaves no staged rows", async () => {
    const table = await seqTable(server.endpoint);
    const stage = `${table}_stage`;
    const prefix = table.replaceAll("_", "-");
    const sink = postgresSink<{ seq: number }>({
      connectionString: server.endpoint,
      table,
      columns: { seq: "seq" },
      protocol: "idempotent",
      stagingTable: stage,
    });
    const result = await (await seqJob(sink, prefix, 2000, 0)).run();
    expect(result.error?.message).toBeUndefined();
    expect(result.state).toBe("FINISHED");
    expect(await committedSeqs(table, server.endpoint)).toEqual(range(2000));
    expect(await stagedLeft(server.endpoint, stage, prefix)).toEqual([]);
  });
});

describe.each(["prepared", "idempotent"] as const)(
  "postgres sink, the server killed mid-commit, %s",
  (protocol) => {
    let server: PrivatePostgres;
    beforeAll(async () => {
      server = await privateServer(`crash-${protocol}`, { max_prepared_transactions: 16 });
    });
    afterAll(async () => {
      await server?.stop({ wipe: true });
    });

    it("SIGKILLed while commits run and started again: the job recovers, 0 lost, 0 duplicated, nothing left", async () => {
      const COUNT = 6000;
      const table = await seqTable(server.endpoint);
      const stage = `${table}_stage`;
      const prefix = table.replaceAll("_", "-");
      const sink = postgresSink<{ seq: number }>({
        connectionString: server.endpoint,
        table,
        columns: { seq: "seq" },
        protocol,
        stagingTable: stage,
      });
      let commits = 0;
      let crash: Promise<void> | undefined;
      // Once some checkpoints committed, the server is killed as a commit goes out (not awaited:
      // the commit races the SIGKILL), then started again.
      const crashing: Sink<{ seq: number }, PostgresCommittable> = {
        ...sink,
        async createCommitter(context) {
          const committer = await sink.createCommitter(context);
          return {
            commit(committable) {
              if (++commits === 3)
                crash = server.kill().then(async () => {
                  await server.start();
                });
              return committer.commit(committable);
            },
            close: () => committer.close(),
          };
        },
      };
      const job = await seqJob(crashing, prefix, COUNT, 20);
      let restarts = 0;
      job.on("state", (state: string) => {
        if (state === "RESTARTING") restarts++;
      });
      const result = await job.run();
      await crash;
      expect(crash).toBeDefined();
      expect(restarts).toBeGreaterThan(0);
      expect(result.error?.message).toBeUndefined();
      expect(result.state).toBe("FINISHED");
      expect(await committedSeqs(table, server.endpoint)).toEqual(range(COUNT));
      expect(await preparedStartingWith(prefix, server.endpoint)).toEqual([]);
      if (protocol === "idempotent") expect(await stagedLeft(server.endpoint, stage, prefix)).toEqual([]);
    });
  },
);
