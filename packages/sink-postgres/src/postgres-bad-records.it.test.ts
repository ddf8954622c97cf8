/**
 * Records the column mapping cannot encode (a NUL character, an invalid Date) are bad records
 * (ADR 0013): the writer throws `PostgresRecordRejectedError` before anything of them is
 * buffered, so the job's `badRecords` policy applies — `fail` (the default) fails the job at once
 * naming the record, `skip` drops them, `dead-letter` sends them to another sink, here a
 * PostgreSQL table of its own. Against the machine's server, read back with plain SQL.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BadRecordError,
  type BadRecordsPolicy,
  createLogger,
  type DeadLetter,
  Job,
  type JobState,
  Pipeline,
  sequenceSource,
} from "@berth/core";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresRecordRejectedError } from "./errors.js";
import { postgresSink } from "./postgres-sink.js";
import {
  committedSeqs,
  dropCreatedTables,
  dropTable,
  PG_URL,
  preparedStartingWith,
  sinkHarness,
  uniqueTable,
  withClient,
} from "./test-support.js";

const COUNT = 1_000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const isBad = (seq: number) => seq % 100 === 42;

type Row = { seq: number; label: string; at: Date };
/** Every 100th record cannot be encoded: a NUL in its label, or an invalid Date. */
const toRow = (seq: number): Row => ({
  seq,
  label: isBad(seq) && seq % 200 === 42 ? "bad\0label" : `ok ${seq}`,
  at: isBad(seq) && seq % 200 !== 42 ? new Date(Number.NaN) : new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
});

async function rowTable(): Promise<string> {
  const table = uniqueTable("bad");
  await withClient((c) =>
    c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL, label text, at timestamptz)`),
  );
  return table;
}

const rowSink = (table: string) =>
  postgresSink<Row>({ connectionString: PG_URL, table, columns: { seq: "seq", label: "label", at: "at" } });

async function job(table: string, badRecords?: BadRecordsPolicy<Row>): Promise<{ job: Job; prefix: string }> {
  const prefix = table.replaceAll("_", "-");
  const pipeline = Pipeline.create({ name: "postgres-bad-records" });
  pipeline
    .source(sequenceSource({ count: COUNT, ratePerSecond: 4_000, batchSize: 50 }), { uid: "sequence" })
    .map(toRow, { uid: "to-row" })
    .sinkTo(rowSink(table), { uid: "postgres", sinkPrefix: prefix, ...(badRecords ? { badRecords } : {}) });
  const created = new Job(pipeline, {
    jobId: prefix,
    checkpointDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-bad-")),
    checkpointIntervalMs: 100,
    restartStrategy: { attempts: 2, delayMs: 10 },
    logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
  });
  return { job: created, prefix };
}

/** The error or one of its causes with this code. */
function withCode(error: unknown, code: string): (Error & { code: string }) | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === code) return e as Error & { code: string };
  }
  return undefined;
}

afterAll(dropCreatedTables);

describe.concurrent("postgres sink, bad records", () => {
  it("a rejected record opens no transaction: a checkpoint whose only record was rejected prepares nothing", async () => {
    const table = await rowTable();
    const h = await sinkHarness<Row>({ table, columns: { seq: "seq", label: "label", at: "at" } });
    try {
      await expect(h.prepare([toRow(42)])).rejects.toBeInstanceOf(PostgresRecordRejectedError);
      expect(await h.prepare([])).toEqual([]);
      expect(await preparedStartingWith(h.prefix)).toEqual([]);
      await h.checkpoint([toRow(1)]);
      expect(await committedSeqs(table)).toEqual([1]);
    } finally {
      await h.close();
    }
  });

  it("isDelete that throws rejects its record the same way, naming it", async () => {
    const table = uniqueTable("bad_delete");
    await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint PRIMARY KEY)`));
    const h = await sinkHarness<{ seq: number }>({
      table,
      columns: { seq: "seq" },
      mode: "upsert",
      conflictKey: ["seq"],
      isDelete: (r) => {
        if (r.seq === 7) throw new Error("no verdict for 7");
        return false;
      },
    });
    try {
      const rejected = await h.prepare([{ seq: 7 }]).catch((error: unknown) => error);
      expect(rejected).toBeInstanceOf(PostgresRecordRejectedError);
      expect((rejected as Error).message).toContain('record {"seq":7} cannot be written');
      expect((rejected as Error).message).toContain("the column mapping threw: no verdict for 7");
    } finally {
      await h.close();
    }
  });

  it("badRecords fail (the default): the job fails at once, no restart, naming the record and the column; what committed before it is there once", async () => {
    const table = await rowTable();
    try {
      const { job: failing } = await job(table);
      const states: JobState[] = [];
      failing.on("state", (s: JobState) => states.push(s));
      const result = await failing.run();
      expect(result.state).toBe("FAILED");
      expect(states).not.toContain("RESTARTING");
      expect(withCode(result.error, "BAD_RECORD")).toBeInstanceOf(BadRecordError);
      expect(withCode(result.error, "POSTGRES_RECORD_INVALID")).toBeInstanceOf(PostgresRecordRejectedError);
      expect(result.error?.message).toMatch(
        /sink "postgres" rejected a record \(subtask 0, record \d+ after checkpoint \d+\): postgres sink: record \{"seq":42,"label":"bad\\u0000label",.*\} cannot be written to berth_bad_\S+: column "label" holds a NUL character/,
      );
      const committed = await committedSeqs(table);
      expect(committed).toEqual(range(committed.length));
      expect(committed.length).toBeLessThanOrEqual(42);
    } finally {
      await dropTable(table);
    }
  });

  it("badRecords skip: the table holds every other record exactly once; each skipped record is counted", async () => {
    const table = await rowTable();
    try {
      const { job: skipping, prefix } = await job(table, { policy: "skip" });
      const skipped: string[] = [];
      skipping.on("bad-record", (uid: string, outcome: string) => skipped.push(`${uid}:${outcome}`));
      const result = await skipping.run();
      expect(result.error?.message).toBeUndefined();
      expect(result.state).toBe("FINISHED");
      expect(await committedSeqs(table)).toEqual(range(COUNT).filter((n) => !isBad(n)));
      expect(skipped).toEqual(
        range(COUNT)
          .filter(isBad)
          .map(() => "postgres:skipped"),
      );
      expect(await preparedStartingWith(prefix)).toEqual([]);
    } finally {
      await dropTable(table);
    }
  });

  it("badRecords dead-letter into a PostgreSQL table: each rejected record there once with its error, the table every other record once", async () => {
    const table = await rowTable();
    const letters = uniqueTable("letters");
    await withClient((c) =>
      c.query(`CREATE TABLE ${pg.escapeIdentifier(letters)} (seq bigint NOT NULL, code text, message text)`),
    );
    try {
      const dlq = postgresSink<DeadLetter<Row>>({
        connectionString: PG_URL,
        table: letters,
        columns: ["seq", "code", "message"],
        row: (letter) => [letter.record.seq, letter.error.code, letter.error.message],
      });
      const { job: dead, prefix } = await job(table, {
        policy: "dead-letter",
        deadLetter: { sink: dlq, uid: "postgres-dlq", sinkPrefix: `${letters.replaceAll("_", "-")}` },
      });
      const result = await dead.run();
      expect(result.error?.message).toBeUndefined();
      expect(result.state).toBe("FINISHED");
      expect(await committedSeqs(table)).toEqual(range(COUNT).filter((n) => !isBad(n)));
      const { rows } = await withClient((c) =>
        c.query<{ seq: string; code: string; message: string }>(
          `SELECT seq, code, message FROM ${pg.escapeIdentifier(letters)} ORDER BY seq`,
        ),
      );
      expect(rows.map((r) => Number(r.seq))).toEqual(range(COUNT).filter(isBad));
      for (const row of rows) {
        expect(row.code).toBe("POSTGRES_RECORD_INVALID");
        expect(row.message).toContain(
          Number(row.seq) % 200 === 42
            ? 'column "label" holds a NUL character'
            : 'column "at" is an invalid Date',
        );
      }
      expect(await preparedStartingWith(prefix)).toEqual([]);
    } finally {
      await dropTable(table);
      await dropTable(letters);
    }
  });
});
