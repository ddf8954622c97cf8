/**
 * Upsert under lock contention, against the machine's server: another session holds a row lock
 * on one key while the job upserts every key at every checkpoint. The writer's merge waits for
 * that lock (seen in pg_stat_activity); and a checkpoint's prepared transaction may hold the
 * locks the writer's next transaction needs, which only a commit on the committer's own session
 * (never queued behind the writer) releases. Once the other session lets go, the job ends FINISHED with the last record of
 * each key, read with plain SQL.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresSink } from "./postgres-sink.js";
import { dropCreatedTables, PG_URL, preparedStartingWith, uniqueTable, withClient } from "./test-support.js";

const COUNT = 2000;
const KEYS = 10;

afterAll(dropCreatedTables);

describe("postgres sink, upsert under lock contention", () => {
  it("waits for another session's row lock, commits past its own prepared locks, and ends with the last record of each key", async () => {
    const table = uniqueTable("contention");
    const prefix = table.replaceAll("_", "-");
    const q = pg.escapeIdentifier(table);
    await withClient((c) => c.query(`CREATE TABLE ${q} (id bigint PRIMARY KEY, balance bigint NOT NULL)`));
    await withClient((c) => c.query(`INSERT INTO ${q} VALUES (3, -1)`));
    const pipeline = Pipeline.create({ name: "postgres-contention" });
    pipeline
      .source(sequenceSource({ count: COUNT, ratePerSecond: 4000, batchSize: 50 }), { uid: "sequence" })
      .map((seq) => ({ id: seq % KEYS, balance: seq }), { uid: "to-account" })
      .keyBy((a) => a.id)
      .process<{ id: number; balance: number }>(
        { processElement: (a, context) => context.emit(a) },
        { uid: "by-id", parallelism: 2 },
      )
      .sinkTo(
        postgresSink<{ id: number; balance: number }>({
          connectionString: PG_URL,
          table,
          columns: { id: "id", balance: "balance" },
          mode: "upsert",
          conflictKey: ["id"],
        }),
        { uid: "postgres", parallelism: 2, sinkPrefix: prefix },
      );
    const job = new Job(pipeline, {
      jobId: prefix,
      checkpointDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-contention-")),
      checkpointIntervalMs: 100,
      restartStrategy: { attempts: 0, delayMs: 0 },
      logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
    });
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    let waited = false;
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT * FROM ${q} WHERE id = 3 FOR UPDATE`);
      const run = job.run();
      // Let go once a writer of this job waits for the lock (bounded).
      for (let i = 0; i < 600 && !waited; i++) {
        waited = await withClient(async (c) => {
          const { rows } = await c.query(
            "SELECT 1 FROM pg_stat_activity WHERE left(application_name, length($1)) = $1 AND wait_event_type = 'Lock'",
            [`berth writer ${prefix}`],
          );
          return rows.length > 0;
        });
        if (!waited) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await holder.query("COMMIT");
      const result = await run;
      expect(result.error?.message).toBeUndefined();
      expect(result.state).toBe("FINISHED");
    } finally {
      await holder.end();
    }
    expect(waited).toBe(true);
    const { rows } = await withClient((c) => c.query(`SELECT id, balance FROM ${q} ORDER BY id`));
    const last = Array.from({ length: KEYS }, (_, id) => ({ id, balance: COUNT - KEYS + id }));
    expect(rows.map((r) => ({ id: Number(r.id), balance: Number(r.balance) }))).toEqual(last);
    expect(await preparedStartingWith(prefix)).toEqual([]);
  });
});
