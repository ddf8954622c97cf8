/**
 * The PostgreSQL sink beyond the conformance kit, against the machine's server: values of every
 * kind and COPY's special characters round-trip; a NUL is refused; the prepared-transaction
 * budget is checked at start; the writer's session survives a short idle timeout; lingering
 * cleanup of prefix `a` never touches `a-b`; a second job on a held prefix is refused; an
 * unreachable server is one line. Every verdict reads the table or `pg_prepared_xacts` with a
 * client of the test's own.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, type JobOptions, Pipeline, sequenceSource } from "@berth/core";
import {
  CommitOutcomes,
  type Json,
  newAttemptId,
  type Sink,
  SinkNames,
  SinkPrefixInUseError,
  type SinkWriterContext,
} from "@berth/core/connector";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresError, PostgresRecordRejectedError, PREPARED_TRANSACTION_LOST } from "./errors.js";
import type { PostgresCommittable } from "./postgres-committable.js";
import { postgresSink } from "./postgres-sink.js";
import type { PostgresSinkOptions } from "./postgres-sink-options.js";
import {
  committedSeqs,
  dropCreatedTables,
  dropTable,
  PG_URL,
  preparedStartingWith,
  uniqueTable,
  withClient,
} from "./test-support.js";

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function seqTable(name: string): Promise<string> {
  const table = uniqueTable(name);
  await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`));
  return table;
}

function seqSink(table: string, overrides: Partial<PostgresSinkOptions<{ seq: number }>> = {}) {
  return postgresSink<{ seq: number }>({
    connectionString: PG_URL,
    table,
    columns: { seq: "seq" },
    ...overrides,
  });
}

async function job<T>(
  sink: Sink<T, Json>,
  options: { count: number; rate?: number; prefix?: string; map: (seq: number) => T } & Partial<JobOptions>,
): Promise<Job> {
  const pipeline = Pipeline.create({ name: "postgres-sink-it" });
  pipeline
    .source(sequenceSource({ count: options.count, ratePerSecond: options.rate ?? 0, batchSize: 50 }), {
      uid: "sequence",
    })
    .map(options.map, { uid: "to-record" })
    .sinkTo(sink, {
      uid: "postgres",
      parallelism: 2,
      sinkPrefix: options.prefix ?? uniqueTable("p").replaceAll("_", "-"),
    });
  return new Job(pipeline, {
    jobId: uniqueTable("job").replaceAll("_", "-"),
    checkpointDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-it-")),
    checkpointIntervalMs: options.checkpointIntervalMs ?? 100,
    restartStrategy: { attempts: 0, delayMs: 0 },
    logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
  });
}

const toSeq = (seq: number) => ({ seq });

/** The error or one of its causes with this code. */
function withCode(error: unknown, code: string): (Error & { code: string }) | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === code) return e as Error & { code: string };
  }
  return undefined;
}

const SPECIAL = [
  "plain",
  "tab\there",
  "new\nline",
  "cr\rlf\r\n",
  "back\\slash",
  "\\N",
  "",
  "'quote\"",
  "ünï😀",
];

interface Row {
  id: number;
  label: string | null;
  doc: Record<string, unknown>;
  raw: unknown[];
  at: Date;
  amount: string;
  ratio: number;
  flag: boolean;
  bytes: Uint8Array;
  nothing: null;
}

function rowOf(id: number): Row {
  const text = SPECIAL[id % SPECIAL.length] as string;
  return {
    id,
    label: id % 7 === 0 ? null : text,
    doc: { text, n: id, nested: { list: [1, "two", null] } },
    raw: [text, id],
    at: new Date(Date.UTC(2026, 0, 1) + id * 1001),
    amount: `${id}.${String(id % 100).padStart(2, "0")}`,
    ratio: id / 3,
    flag: id % 2 === 0,
    bytes: Buffer.from([id % 256, 0, 0x5c, 0x09, 0x0a]),
    nothing: null,
  };
}

afterAll(dropCreatedTables);

describe.concurrent("postgres sink", () => {
  it("round-trips JSON/JSONB, timestamps, numerics, bytea, NULL and COPY's special characters", async () => {
    const table = uniqueTable("types");
    const q = pg.escapeIdentifier(table);
    await withClient((c) =>
      c.query(
        `CREATE TABLE ${q} (id bigint PRIMARY KEY, label text, doc jsonb, raw json, at timestamptz, amount numeric(20,2), ratio double precision, flag boolean, bytes bytea, nothing text)`,
      ),
    );
    const sink = postgresSink<Row>({
      connectionString: PG_URL,
      table,
      columns: ["id", "label", "doc", "raw", "at", "amount", "ratio", "flag", "bytes", "nothing"],
      row: (r) => [r.id, r.label, r.doc, r.raw, r.at, r.amount, r.ratio, r.flag, r.bytes, r.nothing],
    });
    const result = await (await job(sink, { count: 300, map: rowOf })).run();
    expect(result.state).toBe("FINISHED");
    const { rows } = await withClient((c) => c.query(`SELECT * FROM ${q} ORDER BY id`));
    expect(rows).toHaveLength(300);
    for (const row of rows) {
      const want = rowOf(Number(row.id));
      expect(row.label).toBe(want.label);
      expect(row.doc).toEqual(want.doc);
      expect(row.raw).toEqual(want.raw);
      expect((row.at as Date).getTime()).toBe(want.at.getTime());
      expect(row.amount).toBe(want.amount);
      expect(row.ratio).toBe(want.ratio);
      expect(row.flag).toBe(want.flag);
      expect(Buffer.compare(row.bytes as Buffer, Buffer.from(want.bytes))).toBe(0);
      expect(row.nothing).toBeNull();
    }
  });

  it("refuses a NUL character with a typed error naming the record and column, and commits nothing of it", async () => {
    const table = uniqueTable("nul");
    await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint, label text)`));
    const sink = postgresSink<{ seq: number; label: string }>({
      connectionString: PG_URL,
      table,
      columns: { seq: "seq", label: "label" },
    });
    const result = await (
      await job(sink, { count: 10, map: (seq) => ({ seq, label: seq === 5 ? "a\0b" : "ok" }) })
    ).run();
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "POSTGRES_RECORD_INVALID");
    expect(error).toBeInstanceOf(PostgresRecordRejectedError);
    expect(error?.message).toContain('"seq":5');
    expect(error?.message).toContain('column "label" holds a NUL character');
  });

  it("refuses to start when max_prepared_transactions is below parallelism × (pendingCheckpoints + 1), saying how to fix it", async () => {
    const table = await seqTable("budget");
    const current = await withClient(async (c) =>
      Number((await c.query("SHOW max_prepared_transactions")).rows[0].max_prepared_transactions),
    );
    const pendingCheckpoints = current; // 2 × (current + 1) > current
    const result = await (await job(seqSink(table, { pendingCheckpoints }), { count: 10, map: toSeq })).run();
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "POSTGRES_PREPARED_TRANSACTIONS_TOO_FEW");
    expect(error).toBeInstanceOf(PostgresError);
    expect(error?.message).toContain(`max_prepared_transactions is ${current}`);
    expect(error?.message).toContain(`needs at least ${2 * (current + 1)}`);
    expect(error?.message).toMatch(/restart the server.*server-wide/);
    expect(await committedSeqs(table)).toEqual([]);
  });

  it("the writer's session turns off idle_in_transaction_session_timeout, so a short server setting does not kill a checkpoint's transaction", async () => {
    const table = await seqTable("idle");
    // Every session of this sink starts with a 50 ms idle-in-transaction limit; each record is sent
    // at once (bufferBytes 1), about 100 ms apart per subtask, and checkpoints come every 600 ms.
    const url = new URL(PG_URL);
    url.searchParams.set("options", "-c idle_in_transaction_session_timeout=50");
    const sink = seqSink(table, { connectionString: url.toString(), bufferBytes: 1 });
    const result = await (
      await job(sink, { count: 40, rate: 20, map: toSeq, checkpointIntervalMs: 600 })
    ).run();
    expect(result.error?.message).toBeUndefined();
    expect(result.state).toBe("FINISHED");
    expect(await committedSeqs(table)).toEqual(range(0, 40));
  });

  it("rolls back prepared transactions of its own prefix at start, of any subtask, never those of a-b or a-1", async () => {
    const table = await seqTable("lingering");
    const a = uniqueTable("a").replaceAll("_", "-");
    const gid = (prefix: string, subtask: number) =>
      new SinkNames(prefix).attempt({ subtask, attemptId: newAttemptId(), checkpointId: 3 });
    const own = [gid(a, 0), gid(a, 9)];
    const others = [gid(`${a}-b`, 0), gid(`${a}-1`, 0)];
    await withClient(async (c) => {
      for (const g of [...own, ...others]) {
        await c.query("BEGIN");
        await c.query(`PREPARE TRANSACTION '${g}'`);
      }
    });
    try {
      const result = await (await job(seqSink(table), { count: 50, prefix: a, map: toSeq })).run();
      expect(result.state).toBe("FINISHED");
      expect(await preparedStartingWith(a)).toEqual([...others].sort());
      expect(await committedSeqs(table)).toEqual(range(0, 50));
    } finally {
      await withClient(async (c) => {
        for (const g of others) await c.query(`ROLLBACK PREPARED '${g}'`).catch(() => undefined);
      });
    }
  });

  it("refuses a second job with the same prefix on the same database while the first runs (advisory lock)", async () => {
    const table = await seqTable("owner");
    const prefix = uniqueTable("owned").replaceAll("_", "-");
    const first = await job(seqSink(table), { count: 100_000, rate: 500, prefix, map: toSeq });
    const running = new Promise((resolve) => first.once("running", resolve));
    const firstRun = first.run();
    await running;
    const second = await (await job(seqSink(table), { count: 10, prefix, map: toSeq })).run();
    expect(second.state).toBe("FAILED");
    // The core's SinkPrefixInUseError (`berth run` exits 9), naming the holder's server session.
    const error = withCode(second.error, "SINK_PREFIX_IN_USE");
    expect(error).toBeInstanceOf(SinkPrefixInUseError);
    expect(error?.message).toMatch(
      new RegExp(
        `^sink prefix ${prefix} is in use: another live job \\(server session \\d+, berth sink prefix claim ${prefix}`,
      ),
    );
    await first.stop({ drain: false, targetDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-sp-")) });
    expect((await firstRun).state).toBe("FINISHED");
    // Once the first job ended, the prefix is free again.
    const third = await (await job(seqSink(table), { count: 10, prefix, map: toSeq })).run();
    expect(third.state).toBe("FINISHED");
  });

  it("a gid gone from pg_prepared_xacts is already committed only with its marker; without it, a known failure naming the rows lost", async () => {
    const table = await seqTable("marker");
    const prefix = uniqueTable("m").replaceAll("_", "-");
    const sink = seqSink(table);
    const context: SinkWriterContext = {
      sinkPrefix: prefix,
      names: new SinkNames(prefix),
      uid: "postgres",
      parallelism: 1,
      attemptId: newAttemptId(),
      subtask: 0,
      currentCheckpointId: () => checkpoint,
      log: { info() {}, warn() {} },
    };
    let checkpoint = 1;
    const writer = await sink.createWriter(context, undefined);
    const committer = await sink.createCommitter(context);
    try {
      const prepare = async (seqs: number[]) => {
        for (const seq of seqs) await writer.write({ seq });
        await writer.flush(false);
        const [c] = await writer.prepareCommit();
        checkpoint++;
        return c as PostgresCommittable;
      };
      const committed = await prepare([1, 2, 3]);
      expect(await preparedStartingWith(prefix)).toEqual([committed.gid]);
      expect(await committedSeqs(table)).toEqual([]);
      expect(await committer.commit(committed)).toEqual(CommitOutcomes.committed);
      expect(await committer.commit(committed)).toEqual(CommitOutcomes.alreadyCommitted);
      expect(await committedSeqs(table)).toEqual([1, 2, 3]);

      const lost = await prepare([4, 5]);
      await withClient((c) => c.query(`ROLLBACK PREPARED '${lost.gid}'`));
      expect(await committer.commit(lost)).toMatchObject({
        kind: "failedKnown",
        code: PREPARED_TRANSACTION_LOST,
        reason: expect.stringContaining(`${lost.gid} is gone from the server without its commit marker`),
      });
      expect((await committer.commit(lost)) as { reason: string }).toMatchObject({
        reason: expect.stringContaining(`its 2 record(s) for ${table} are lost`),
      });
      expect(await committedSeqs(table)).toEqual([1, 2, 3]);
    } finally {
      await writer.close();
      await committer.close();
    }
  });

  it("starts while another prefix's prepared transaction holds locks on the marker and staging tables: no DDL of its start waits for it", async () => {
    const table = uniqueTable("ddl_locks");
    const stage = `${table}_stage`;
    const q = pg.escapeIdentifier(table);
    await withClient((c) => c.query(`CREATE TABLE ${q} (id bigint PRIMARY KEY, n bigint)`));
    const sink = () =>
      postgresSink<{ id: number; n: number }>({
        connectionString: PG_URL,
        table,
        columns: { id: "id", n: "n" },
        mode: "upsert",
        conflictKey: ["id"],
        stagingTable: stage,
      });
    const toRow = (seq: number) => ({ id: seq % 10, n: seq });
    // The first start creates the tables and their indexes.
    expect((await (await job(sink(), { count: 20, map: toRow })).run()).state).toBe("FINISHED");
    const other = uniqueTable("other").replaceAll("_", "-");
    const gid = new SinkNames(other).attempt({ subtask: 0, attemptId: newAttemptId(), checkpointId: 1 });
    await withClient(async (c) => {
      await c.query("BEGIN");
      await c.query("INSERT INTO berth_commit_markers (gid, sink_prefix) VALUES ($1, $2)", [gid, other]);
      await c.query(
        `INSERT INTO ${pg.escapeIdentifier(stage)} (id, n, berth_txn, berth_ord, berth_delete) VALUES (1, 1, $1, 1, false)`,
        [gid],
      );
      await c.query(`PREPARE TRANSACTION '${gid}'`);
    });
    try {
      const result = await (await job(sink(), { count: 20, map: toRow })).run();
      expect(result.error?.message).toBeUndefined();
      expect(result.state).toBe("FINISHED");
      expect(await preparedStartingWith(other)).toEqual([gid]);
    } finally {
      await withClient((c) => c.query(`ROLLBACK PREPARED '${gid}'`));
      await dropTable(table);
      await dropTable(stage);
    }
  }, 60_000);

  it("an unreachable server at start is one clear line", async () => {
    const sink = seqSink("never", {
      connectionString: "postgres://postgres@127.0.0.1:1/berth",
      connectTimeoutMs: 2_000,
    });
    const result = await (await job(sink, { count: 10, map: toSeq })).run();
    expect(result.state).toBe("FAILED");
    const error = withCode(result.error, "POSTGRES_UNREACHABLE");
    expect(error).toBeInstanceOf(PostgresError);
    expect(error?.message).toMatch(
      /^postgres sink: cannot connect to 127\.0\.0\.1:1\/berth for the .*; check that the server runs/,
    );
    expect(error?.message).not.toContain("\n");
  });
});
